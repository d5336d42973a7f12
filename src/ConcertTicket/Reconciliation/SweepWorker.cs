using ConcertTicket.Infrastructure;
using ConcertTicket.Payments;
using Microsoft.Extensions.Options;

namespace ConcertTicket.Reconciliation;

/// <summary>What one sweep did: orders asked about, found paid, and not answered.</summary>
internal sealed record SweepResult(int Asked, int Paid, int Unanswered);

/// <summary>
/// Finds lost notifications before the hold ends: pending orders with a VA older than Payment:Reconcile:AfterSeconds
/// are asked about (at most once per EverySeconds each), and Midtrans's answer is applied as its notification would
/// have been: paid, cancelled, or nothing. Picks its batch with SKIP LOCKED, so several workers share the work.
/// </summary>
internal sealed partial class SweepWorker(
    ReconcileStore store,
    PaymentStatusCheck check,
    IOptions<ReconcileOptions> options,
    TimeProvider time,
    ILogger<SweepWorker> logger) : BackgroundService
{
    public const string Path = "sweep";

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // A quarter of the per-order period: an order is asked about at most a quarter period late.
        var period = TimeSpan.FromSeconds(Math.Clamp(options.Value.EverySeconds / 4, 1, 30));
        using var timer = new PeriodicTimer(period, time);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            try
            {
                while ((await RunOnceAsync(stoppingToken)).Asked == options.Value.BatchSize)
                {
                }
            }
            catch (Exception e) when (!stoppingToken.IsCancellationRequested)
            {
                LogFailed(logger, e.Message);
            }
        }
    }

    public async Task<SweepResult> RunOnceAsync(CancellationToken ct)
    {
        var o = options.Value;
        var ids = await store.PickForSweepAsync(o.BatchSize, o.AfterSeconds, o.EverySeconds, ct);
        if (ids.Count == 0) return new SweepResult(0, 0, 0);
        using var activity = Telemetry.Payments.StartActivity("reconcile.sweep");
        activity?.SetTag("reconcile.count", ids.Count);
        var paid = 0;
        var unanswered = 0;
        await Parallel.ForEachAsync(ids, new ParallelOptions { MaxDegreeOfParallelism = o.Concurrency, CancellationToken = ct },
            async (id, token) =>
            {
                var status = await check.AskAsync(id, Path, CancellationToken.None, token);
                if (status.State == PaymentState.Unanswered) Interlocked.Increment(ref unanswered);
                var applied = await check.ApplyAsync(status, Path, token);
                if (status.State == PaymentState.Paid && applied is { Changed: true }) Interlocked.Increment(ref paid);
            });
        if (paid > 0) LogFound(logger, paid, ids.Count);
        return new SweepResult(ids.Count, paid, unanswered);
    }

    [LoggerMessage(EventName = "SweepFoundPaid", Level = LogLevel.Warning, Message = "Reconciliation sweep: {Paid} of {Count} pending orders were paid at Midtrans without a notification")]
    private static partial void LogFound(ILogger logger, int paid, int count);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Reconciliation sweep failed, retrying: {Reason}")]
    private static partial void LogFailed(ILogger logger, string reason);
}
