using ConcertTicket.Infrastructure;

namespace ConcertTicket.Reconciliation;

/// <summary>Payment:Reconcile: asking Midtrans what became of a payment instead of only waiting to be told.</summary>
internal sealed class ReconcileOptions
{
    public const string Section = "Payment:Reconcile";

    /// <summary>Ask Midtrans before an order's hold ends it (only with the Midtrans gateway).</summary>
    public bool AskBeforeExpiry { get; set; } = true;

    /// <summary>A pending order this old, with a VA and no notification, is asked about by the sweep.</summary>
    public int AfterSeconds { get; set; } = 120;

    /// <summary>The sweep asks about one order at most this often.</summary>
    public int EverySeconds { get; set; } = 120;

    /// <summary>One status call waits at most this long; a batch of them at most twice this.</summary>
    public int StatusTimeoutMs { get; set; } = 2000;

    /// <summary>Status calls in flight at once, per worker.</summary>
    public int Concurrency { get; set; } = 128;

    /// <summary>Orders per expiry or sweep batch.</summary>
    public int BatchSize { get; set; } = 512;

    /// <summary>Run the daily proof for yesterday (UTC) every night (only with the Midtrans gateway).</summary>
    public bool Nightly { get; set; } = true;

    /// <summary>The nightly run starts this long after midnight UTC, once Midtrans's late notifications are in.</summary>
    public int NightlyAfterMinutes { get; set; } = 60;

    /// <summary>Status calls in flight at once for the daily proof (a bounded rate against Midtrans).</summary>
    public int ReportConcurrency { get; set; } = 4;

    public TimeSpan StatusTimeout => TimeSpan.FromMilliseconds(StatusTimeoutMs);

    public IEnumerable<string> Validate() =>
        OptionsValidation.Range($"{Section}:AfterSeconds", AfterSeconds, 10, 86_400)
            .Concat(OptionsValidation.Range($"{Section}:EverySeconds", EverySeconds, 5, 86_400))
            .Concat(OptionsValidation.Range($"{Section}:StatusTimeoutMs", StatusTimeoutMs, 50, 60_000))
            .Concat(OptionsValidation.Range($"{Section}:Concurrency", Concurrency, 1, 1024))
            .Concat(OptionsValidation.Range($"{Section}:BatchSize", BatchSize, 1, 10_000))
            .Concat(OptionsValidation.Range($"{Section}:NightlyAfterMinutes", NightlyAfterMinutes, 0, 1439))
            .Concat(OptionsValidation.Range($"{Section}:ReportConcurrency", ReportConcurrency, 1, 64));
}
