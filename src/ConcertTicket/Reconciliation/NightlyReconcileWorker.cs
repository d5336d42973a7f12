using Microsoft.Extensions.Options;

namespace ConcertTicket.Reconciliation;

/// <summary>
/// Runs the daily proof for yesterday (UTC) once Payment:Reconcile:NightlyAfterMinutes have passed since midnight.
/// The day is claimed in reconcile_runs first, so with several workers it runs once (again only if a run died half-way).
/// </summary>
internal sealed partial class NightlyReconcileWorker(
    DailyReconciliation reconciliation,
    ReconcileStore store,
    IOptions<ReconcileOptions> options,
    TimeProvider time,
    ILogger<NightlyReconcileWorker> logger) : BackgroundService
{
    private static readonly TimeSpan Period = TimeSpan.FromMinutes(5);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(Period, time);
        do
        {
            try
            {
                await RunOnceAsync(stoppingToken);
            }
            catch (Exception e) when (!stoppingToken.IsCancellationRequested)
            {
                LogFailed(logger, e.Message);
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }

    /// <returns>The report, or null when yesterday is not due yet or already claimed.</returns>
    public async Task<ReconcileReport?> RunOnceAsync(CancellationToken ct)
    {
        var now = time.GetUtcNow();
        if (now.TimeOfDay < TimeSpan.FromMinutes(options.Value.NightlyAfterMinutes)) return null;
        var yesterday = DateOnly.FromDateTime(now.UtcDateTime).AddDays(-1);
        if (!await store.ClaimDayAsync(yesterday, ct)) return null;
        var report = await reconciliation.RunAsync(yesterday, ct);
        await store.FinishDayAsync(yesterday, report.Orders, report.Disagreements.Count, ct);
        return report;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Nightly reconciliation failed, retrying: {Reason}")]
    private static partial void LogFailed(ILogger logger, string reason);
}
