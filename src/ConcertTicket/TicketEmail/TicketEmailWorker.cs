using ConcertTicket.Infrastructure;
using ConcertTicket.Tickets;
using MailKit;
using MailKit.Net.Smtp;
using MailKit.Security;
using Microsoft.Extensions.Options;
using Npgsql;

namespace ConcertTicket.TicketEmail;

/// <summary>
/// Sends the ticket e-mails of the outbox (the tickets' email_* columns, written by the pay statement), a pass's
/// e-mails over Email:Connections SMTP connections at once. Rows are leased with SKIP LOCKED, so several workers never
/// take the same e-mail, and each leased e-mail is sent by one connection; a row is marked sent right after the SMTP
/// server accepts it. A crash between that acceptance and the mark sends the e-mail again
/// when the lease runs out: one duplicate at most, with the same Message-ID. Failures are retried with a doubling
/// delay and parked after Email:MaxAttempts.
/// </summary>
internal sealed partial class TicketEmailWorker(
    NpgsqlDataSource dataSource,
    TicketStore tickets,
    IOptions<EmailOptions> options,
    TicketEmailMetrics metrics,
    TimeProvider time,
    ILogger<TicketEmailWorker> logger) : BackgroundService
{
    /// <summary>A lease outlasts a pass: the pass stops sending at half of it and hands the rest back.</summary>
    internal static readonly TimeSpan Lease = TimeSpan.FromMinutes(2);

    internal const string LeaseSql = """
        UPDATE tickets SET email_attempts = email_attempts + 1, email_next_attempt_at = now() + interval '2 minutes'
        WHERE order_id = ANY (ARRAY (
            SELECT order_id FROM tickets WHERE email_next_attempt_at <= now() AND email_sent_at IS NULL
            ORDER BY email_next_attempt_at LIMIT $1 FOR UPDATE SKIP LOCKED
        ))
        RETURNING order_id, email_attempts
        """;

    internal const string SentSql = "UPDATE tickets SET email_sent_at = now(), email_last_error = NULL WHERE order_id = $1";

    /// <summary>Backoff doubles from Email:RetryBaseSeconds up to an hour; after MaxAttempts the row is parked.</summary>
    internal const string RetrySql = """
        UPDATE tickets SET email_last_error = $2,
            email_next_attempt_at = CASE WHEN email_attempts >= $3 THEN 'infinity'
                                   ELSE now() + make_interval(secs => least($4 * power(2, email_attempts - 1), 3600)) END
        WHERE order_id = ANY ($1)
        RETURNING id, email_attempts, email_next_attempt_at = 'infinity'
        """;

    /// <summary>Leased rows this pass did not get to: due again now, the attempt not counted.</summary>
    internal const string ReleaseSql = """
        UPDATE tickets SET email_attempts = email_attempts - 1, email_next_attempt_at = now()
        WHERE order_id = ANY ($1) AND email_sent_at IS NULL
        """;

    /// <summary>A ticket revoked before its e-mail went out: parked, never sent.</summary>
    internal const string SkipSql = """
        UPDATE tickets SET email_next_attempt_at = 'infinity', email_last_error = 'ticket revoked before its e-mail was sent'
        WHERE order_id = ANY ($1)
        """;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(1), time);
        do
        {
            try
            {
                while (await RunOnceAsync(stoppingToken) == options.Value.BatchSize)
                {
                }
            }
            catch (Exception e) when (!stoppingToken.IsCancellationRequested)
            {
                LogFailed(logger, e.Message);
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }

    /// <returns>How many e-mails were leased (sent, failed or handed back).</returns>
    public async Task<int> RunOnceAsync(CancellationToken ct)
    {
        var o = options.Value;
        var started = time.GetTimestamp();
        var leased = new Dictionary<Guid, int>(); // by order id, the tickets' key
        await using (var lease = dataSource.CreateCommand(LeaseSql))
        {
            lease.Parameters.Add(new NpgsqlParameter<int> { TypedValue = o.BatchSize });
            await using var reader = await lease.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct)) leased[reader.GetGuid(0)] = reader.GetInt32(1);
        }
        if (leased.Count == 0) return 0;

        // A pass is one trace: the batch, and under it one client span per e-mail handed to the SMTP server.
        using var batch = Infrastructure.Telemetry.Tickets.StartActivity("ticket_email.batch");
        batch?.SetTag("ticket_email.leased", leased.Count);
        var rows = await tickets.GetByOrdersAsync([.. leased.Keys], ct);
        var revoked = rows.Where(r => r.Status == TicketStatus.Revoked).Select(r => r.OrderId).ToArray();
        if (revoked.Length > 0) await ExecuteAsync(SkipSql, revoked, ct);
        var pending = new System.Collections.Concurrent.ConcurrentQueue<TicketRow>(rows.Where(r => r.Status != TicketStatus.Revoked));

        // The pass's e-mails go out over several connections at once: one connection waits for the server's answer
        // to each message, which kept one worker at 50-90 e-mails a second (docs/benchmarks.md).
        var senders = Math.Clamp(pending.Count, 1, o.Connections);
        var connectFailures = await Task.WhenAll(Enumerable.Range(0, senders).Select(_ => SendAsync(pending, o, started, ct)));
        if (pending.IsEmpty) return leased.Count;
        var left = pending.Select(r => r.OrderId).ToArray();
        if (connectFailures.All(f => f is not null))
        {
            // No connection could be opened: the attempt counts, and the rows wait for the backoff.
            LogUnreachable(logger, o.Smtp.Host, o.Smtp.Port, connectFailures[0]!);
            metrics.Failed("connect", left.Length);
            await RetryAsync(left, "connect: " + connectFailures[0], ct);
        }
        else
        {
            // The pass ran out of time (or its connections failed): what it did not get to is due again now.
            await ExecuteAsync(ReleaseSql, left, ct);
        }
        return leased.Count;
    }

    /// <summary>One connection's share of a pass: takes e-mails from the queue until it is empty or half the lease is gone.</summary>
    /// <returns>Why the connection could not be opened; null when it sent (or tried to).</returns>
    private async Task<string?> SendAsync(System.Collections.Concurrent.ConcurrentQueue<TicketRow> pending, EmailOptions o, long started,
        CancellationToken ct)
    {
        using var client = new SmtpClient { Timeout = o.Smtp.TimeoutSeconds * 1000 };
        try
        {
            await ConnectAsync(client, o, ct);
        }
        catch (Exception e) when (IsSmtpFailure(e))
        {
            return e.Message;
        }

        while (time.GetElapsedTime(started) <= Lease / 2 && pending.TryDequeue(out var ticket))
        {
            using var send = Infrastructure.Telemetry.Tickets.StartActivity("ticket_email.send", System.Diagnostics.ActivityKind.Client);
            send?.SetTag("ticket.id", ticket.Id);
            try
            {
                if (!client.IsConnected) await ConnectAsync(client, o, ct);
                var code = await tickets.EnsureCodeAsync(ticket, ct);
                await client.SendAsync(TicketEmailMessage.Create(ticket, code, o), ct);
            }
            catch (Exception e) when (IsSmtpFailure(e))
            {
                send?.SetStatus(System.Diagnostics.ActivityStatusCode.Error, e.Message);
                metrics.Failed("send");
                await RetryAsync([ticket.OrderId], e.Message, ct);
                continue;
            }
            await ExecuteAsync(SentSql, ticket.OrderId, ct);
            metrics.Sent(ticket.PaidAt is { } paid ? time.GetUtcNow() - paid : TimeSpan.Zero);
        }
        if (client.IsConnected)
        {
            try
            {
                await client.DisconnectAsync(quit: true, ct);
            }
            catch (Exception e) when (IsSmtpFailure(e))
            {
                // Every e-mail this connection took is already accepted or retried; a failed QUIT loses nothing.
            }
        }
        return null;
    }

    private static async Task ConnectAsync(SmtpClient client, EmailOptions o, CancellationToken ct)
    {
        // Without TCP_NODELAY each message's last small write waited for the server's delayed ACK (about 40 ms on
        // Linux): one worker sent about 20 e-mails a second to an idle local server (bench/tickets.sh).
        var socket = new System.Net.Sockets.Socket(System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(o.Smtp.Host ?? "", o.Smtp.Port, ct);
            await client.ConnectAsync(socket, o.Smtp.Host ?? "", o.Smtp.Port, Enum.Parse<SecureSocketOptions>(o.Smtp.Security, ignoreCase: true), ct);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
        if (!string.IsNullOrEmpty(o.Smtp.Username)) await client.AuthenticateAsync(o.Smtp.Username, o.Smtp.Password ?? "", ct);
    }

    private static bool IsSmtpFailure(Exception e) =>
        e is IOException or System.Net.Sockets.SocketException or SmtpCommandException or SmtpProtocolException
            or ServiceNotConnectedException or ServiceNotAuthenticatedException or AuthenticationException
            or SslHandshakeException or TimeoutException or OperationCanceledException { CancellationToken.IsCancellationRequested: false };

    private async Task RetryAsync(Guid[] ids, string error, CancellationToken ct)
    {
        if (ids.Length == 0) return;
        var o = options.Value;
        await using var retry = dataSource.CreateCommand(RetrySql);
        retry.Parameters.Add(new NpgsqlParameter<Guid[]> { TypedValue = ids });
        retry.Parameters.Add(new NpgsqlParameter<string> { TypedValue = error.Length > 500 ? error[..500] : error });
        retry.Parameters.Add(new NpgsqlParameter<int> { TypedValue = o.MaxAttempts });
        retry.Parameters.Add(new NpgsqlParameter<double> { TypedValue = o.RetryBaseSeconds });
        await using var reader = await retry.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            if (!reader.GetBoolean(2)) continue;
            metrics.Parked();
            LogParked(logger, reader.GetGuid(0), reader.GetInt32(1), error);
        }
    }

    private async Task ExecuteAsync(string sql, Guid[] ids, CancellationToken ct)
    {
        await using var command = dataSource.CreateCommand(sql);
        command.Parameters.Add(new NpgsqlParameter<Guid[]> { TypedValue = ids });
        await command.ExecuteNonQueryAsync(ct);
    }

    private async Task ExecuteAsync(string sql, Guid id, CancellationToken ct)
    {
        await using var command = dataSource.CreateCommand(sql);
        command.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = id });
        // Not cancelled with the pass: the server has accepted the e-mail, and forgetting that sends it twice.
        await command.ExecuteNonQueryAsync(CancellationToken.None);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Ticket e-mail pass failed, retrying: {Reason}")]
    private static partial void LogFailed(ILogger logger, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "SMTP server {Host}:{Port} unreachable, ticket e-mails retried later: {Reason}")]
    private static partial void LogUnreachable(ILogger logger, string? host, int port, string reason);

    [LoggerMessage(Level = LogLevel.Error, Message = "Gave up sending the e-mail of ticket {TicketId} after {Attempts} attempts (parked): {Reason}")]
    private static partial void LogParked(ILogger logger, Guid ticketId, int attempts, string reason);
}

internal static class TicketEmailSetup
{
    public static IHostApplicationBuilder AddTicketEmail(this IHostApplicationBuilder builder, bool withWorker)
    {
        builder.Services.AddValidatedOptions<EmailOptions>(EmailOptions.Section, o => o.Validate());
        builder.Services.AddSingleton<TicketEmailMetrics>();
        builder.Services.AddSingleton<TicketEmailWorker>();
        var enabled = builder.Configuration.GetSection(EmailOptions.Section).Get<EmailOptions>()?.IsEnabled ?? false;
        if (withWorker && enabled) builder.Services.AddHostedService(sp => sp.GetRequiredService<TicketEmailWorker>());
        return builder;
    }
}
