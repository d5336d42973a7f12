using ConcertTicket.Infrastructure;

namespace ConcertTicket.Queue;

/// <summary>The waiting room in front of POST /orders (section <c>Queue</c>).</summary>
internal sealed class QueueOptions
{
    public const string Section = "Queue";

    /// <summary>Only the development environment may run without a configured secret; this one is public.</summary>
    public const string DevelopmentSecret = "development-only-queue-token-secret-not-for-production";

    /// <summary>Off: POST /orders needs no admission and the queue endpoints answer 404 queue_disabled.</summary>
    public bool Enabled { get; set; }

    /// <summary>When the sale opens. Joiners before it are shuffled at the opening; later ones keep arrival order.</summary>
    public DateTimeOffset? OpensAt { get; set; }

    /// <summary>The ceiling of admissions per second; the admitter adapts below it to the order path's latency.</summary>
    public double AdmitPerSecond { get; set; } = 200;

    /// <summary>How long an admission (and its token) stays valid.</summary>
    public int AdmissionSeconds { get; set; } = 600;

    /// <summary>HMAC-SHA256 key of admission tokens, the same on every instance; at least 32 characters.</summary>
    public string TokenSecret { get; set; } = "";

    /// <summary>Names the queue's Redis keys, so that two sales (or two test runs) on one Redis do not mix.</summary>
    public string Name { get; set; } = "default";

    /// <summary>The p95 of POST /orders the admitter aims for: above it the rate halves, below it it grows.</summary>
    public int TargetOrderLatencyMs { get; set; } = 250;

    /// <summary>The categories this sale sells; empty means every category. Sold out = all of them sold out.</summary>
    public int[] CategoryIds { get; set; } = [];

    /// <summary>How long the admitter's lease lives without renewal: the failover time when its instance dies.</summary>
    public int LeaseSeconds { get; set; } = 5;

    /// <summary>The admitter's tick.</summary>
    public int TickMilliseconds { get; set; } = 250;

    /// <summary>The longest poll interval a waiting fan is told.</summary>
    public int MaxPollSeconds { get; set; } = 30;

    public TimeSpan Admission => TimeSpan.FromSeconds(AdmissionSeconds);

    public TimeSpan Lease => TimeSpan.FromSeconds(LeaseSeconds);

    public TimeSpan Tick => TimeSpan.FromMilliseconds(TickMilliseconds);

    /// <summary>The opening instant; unset means the sale is open already.</summary>
    public DateTimeOffset Opening => OpensAt ?? DateTimeOffset.MinValue;

    public IEnumerable<string> Validate(bool development)
    {
        foreach (var e in OptionsValidation.Range("Queue:AdmissionSeconds", AdmissionSeconds, 10, 24 * 3600)) yield return e;
        foreach (var e in OptionsValidation.Range("Queue:TargetOrderLatencyMs", TargetOrderLatencyMs, 10, 60_000)) yield return e;
        foreach (var e in OptionsValidation.Range("Queue:LeaseSeconds", LeaseSeconds, 1, 600)) yield return e;
        foreach (var e in OptionsValidation.Range("Queue:TickMilliseconds", TickMilliseconds, 10, 10_000)) yield return e;
        foreach (var e in OptionsValidation.Range("Queue:MaxPollSeconds", MaxPollSeconds, 1, 600)) yield return e;
        if (AdmitPerSecond is < 0.1 or > 100_000) yield return $"Queue:AdmitPerSecond must be between 0.1 and 100000 (got {AdmitPerSecond}).";
        if (string.IsNullOrWhiteSpace(Name) || Name.Length > 64 || Name.Any(c => c is '{' or '}' or <= ' ' or > '~'))
            yield return "Queue:Name must be 1 to 64 printable ASCII characters without braces or spaces.";
        if (Enabled && !development && TokenSecret.Length < 32)
            yield return "Queue:TokenSecret must be set (at least 32 characters) when Queue:Enabled is true (environment variable Queue__TokenSecret).";
    }

    /// <summary>The key that signs tokens: the configured one, or outside production a public development key.</summary>
    public string SigningSecret => TokenSecret.Length > 0 ? TokenSecret : DevelopmentSecret;
}
