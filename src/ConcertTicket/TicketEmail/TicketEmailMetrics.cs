using System.Diagnostics.Metrics;

namespace ConcertTicket.TicketEmail;

/// <summary>Ticket e-mails: sent, failed attempts, parked, and the time from payment to the SMTP server's acceptance.</summary>
internal sealed class TicketEmailMetrics
{
    public const string MeterName = "ConcertTicket.TicketEmail";

    private readonly Counter<long> _sent;
    private readonly Counter<long> _failures;
    private readonly Counter<long> _parked;
    private readonly Histogram<double> _delay;

    public TicketEmailMetrics(IMeterFactory meters)
    {
        var meter = meters.Create(MeterName);
        _sent = meter.CreateCounter<long>("concert_ticket.ticket_email.sent", "{email}", "Ticket e-mails the SMTP server accepted.");
        _failures = meter.CreateCounter<long>("concert_ticket.ticket_email.failures", "{attempt}",
            "Failed attempts to send a ticket e-mail, by reason (connect, send); each is retried with backoff.");
        _parked = meter.CreateCounter<long>("concert_ticket.ticket_email.parked", "{email}",
            "Ticket e-mails given up after Email:MaxAttempts attempts: an operator must look (tickets.email_last_error).");
        _delay = meter.CreateHistogram("concert_ticket.ticket_email.delay", "s",
            "From the order's payment to the SMTP server's acceptance of its ticket e-mail.",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600] });
    }

    public void Sent(TimeSpan sincePayment)
    {
        _sent.Add(1);
        _delay.Record(Math.Max(0, sincePayment.TotalSeconds));
    }

    public void Failed(string reason, int count = 1) => _failures.Add(count, new KeyValuePair<string, object?>("reason", reason));

    public void Parked() => _parked.Add(1);
}
