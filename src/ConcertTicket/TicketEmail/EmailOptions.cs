namespace ConcertTicket.TicketEmail;

/// <summary>The ticket e-mail: the SMTP server it is sent through and how hard to try.</summary>
internal sealed class EmailOptions
{
    public const string Section = "Email";

    public SmtpOptions Smtp { get; set; } = new();

    /// <summary>The sender, as "Name &lt;address&gt;" or a bare address.</summary>
    public string From { get; set; } = "Concert Ticket <tickets@concert-ticket.local>";

    /// <summary>Null: on when Email:Smtp:Host is set.</summary>
    public bool? Enabled { get; set; }

    /// <summary>Where fans reach this service: the e-mail's link to the ticket page starts with it.</summary>
    public string PublicBaseUrl { get; set; } = "http://localhost:8080";

    /// <summary>Attempts before an e-mail is parked (left for an operator, with a metric and an error log line).</summary>
    public int MaxAttempts { get; set; } = 10;

    /// <summary>The first retry's delay; each later one doubles it, up to an hour.</summary>
    public double RetryBaseSeconds { get; set; } = 10;

    /// <summary>E-mails leased per pass.</summary>
    public int BatchSize { get; set; } = 100;

    /// <summary>SMTP connections a worker sends a pass's e-mails over at once (each sends one e-mail at a time).</summary>
    public int Connections { get; set; } = 4;

    public bool IsEnabled => Enabled ?? !string.IsNullOrWhiteSpace(Smtp.Host);

    public IEnumerable<string> Validate()
    {
        if (Enabled == true && string.IsNullOrWhiteSpace(Smtp.Host)) yield return "Email:Enabled is true but Email:Smtp:Host is not set.";
        if (Smtp.Port is < 1 or > 65535) yield return $"Email:Smtp:Port must be between 1 and 65535 (got {Smtp.Port}).";
        if (!Enum.TryParse<MailKit.Security.SecureSocketOptions>(Smtp.Security, ignoreCase: true, out _))
            yield return $"Email:Smtp:Security must be None, Auto, StartTls, StartTlsWhenAvailable or SslOnConnect (got {Smtp.Security}).";
        if (!MimeKit.MailboxAddress.TryParse(From, out _)) yield return $"Email:From is not an e-mail address (got {From}).";
        if (!Uri.TryCreate(PublicBaseUrl, UriKind.Absolute, out _)) yield return $"Email:PublicBaseUrl must be an absolute URL (got {PublicBaseUrl}).";
        foreach (var e in Infrastructure.OptionsValidation.Range("Email:MaxAttempts", MaxAttempts, 1, 100)) yield return e;
        foreach (var e in Infrastructure.OptionsValidation.Range("Email:BatchSize", BatchSize, 1, 1000)) yield return e;
        foreach (var e in Infrastructure.OptionsValidation.Range("Email:Connections", Connections, 1, 32)) yield return e;
        if (RetryBaseSeconds is < 0 or > 3600) yield return $"Email:RetryBaseSeconds must be between 0 and 3600 (got {RetryBaseSeconds}).";
        foreach (var e in Infrastructure.OptionsValidation.Range("Email:Smtp:TimeoutSeconds", Smtp.TimeoutSeconds, 1, 600)) yield return e;
    }
}

internal sealed class SmtpOptions
{
    public string? Host { get; set; }

    public int Port { get; set; } = 25;

    /// <summary>Authenticates only when set.</summary>
    public string? Username { get; set; }

    public string? Password { get; set; }

    /// <summary>MailKit's SecureSocketOptions: Auto takes STARTTLS when the server offers it.</summary>
    public string Security { get; set; } = "Auto";

    public int TimeoutSeconds { get; set; } = 30;
}
