using ConcertTicket.Expiry;
using ConcertTicket.Infrastructure;
using ConcertTicket.Payments;
using Microsoft.Extensions.Options;

namespace ConcertTicket.Reconciliation;

/// <summary>One batch of the asking expiry: how many orders it leased, and which of them it expired.</summary>
internal sealed record AskedBatch(int Leased, IReadOnlyList<ExpiredOrder> Expired, int Paid);

/// <summary>
/// Ask before expiring: a due order whose payment Midtrans holds is asked about (GET /v2/{id}/status) before its seat
/// goes back. Paid → paid through the notification path, never expired; pending → expired, and Midtrans told to
/// expire the VA (gateway_voids); ended or never seen (404) → expired; no answer → expired anyway (counted and logged),
/// and a payment that still comes is a late settlement. The questions of a batch run Payment:Reconcile:Concurrency
/// at a time, each for at most StatusTimeoutMs and all of them for at most twice that, so a Midtrans outage delays a
/// batch by seconds, not minutes; and after a batch that Midtrans mostly left unanswered, the next
/// <see cref="PauseAfterOutage"/> of batches expire without asking, at full speed.
/// </summary>
internal sealed partial class AskingExpiry(
    ReconcileStore store,
    PaymentStatusCheck check,
    IOptions<ReconcileOptions> options,
    ILogger<AskingExpiry> logger)
{
    public const string Path = "expiry";

    internal static readonly TimeSpan PauseAfterOutage = TimeSpan.FromSeconds(10);

    private long _askAgainAtMs;

    public int BatchSize => options.Value.BatchSize;

    public async Task<AskedBatch> RunOnceAsync(CancellationToken ct)
    {
        var o = options.Value;
        var budget = o.StatusTimeout * 2;
        var due = await store.LeaseDueAsync(o.BatchSize, budget + TimeSpan.FromSeconds(30), ct);
        if (due.Count == 0) return new AskedBatch(0, [], 0);

        using var activity = Telemetry.Expiry.StartActivity("expiry.ask");
        activity?.SetTag("expiry.count", due.Count);
        var asking = Environment.TickCount64 >= Volatile.Read(ref _askAgainAtMs);
        using var batchBudget = new CancellationTokenSource();
        // A cancelled budget makes every question of the batch unanswered at once, without a call.
        if (asking) batchBudget.CancelAfter(budget);
        else await batchBudget.CancelAsync();
        var states = new PaymentState[due.Count];
        var paid = 0;
        await Parallel.ForEachAsync(Enumerable.Range(0, due.Count),
            new ParallelOptions { MaxDegreeOfParallelism = o.Concurrency, CancellationToken = ct }, async (i, token) =>
            {
                var status = await check.AskAsync(due[i].OrderId, Path, batchBudget.Token, token);
                states[i] = status.State;
                if (status.State != PaymentState.Paid) return;
                var applied = await check.ApplyAsync(status, Path, token);
                // Paid (or settled by a notification meanwhile) stays paid; an amount that is not the total does not pay.
                if (applied is { Outcome: NotificationOutcome.Handled, OrderStatus: not OrderStatus.Pending }) Interlocked.Increment(ref paid);
                else states[i] = PaymentState.Unknown;
            });

        var expire = new List<Guid>(due.Count);
        var voidAtGateway = new List<Guid>();
        for (var i = 0; i < due.Count; i++)
        {
            if (states[i] == PaymentState.Paid) continue;
            expire.Add(due[i].OrderId);
            if (states[i] == PaymentState.Pending) voidAtGateway.Add(due[i].OrderId);
        }
        var expired = expire.Count == 0 ? [] : await store.ExpireAsync([.. expire], [.. voidAtGateway], ct);
        var unanswered = states.Count(s => s == PaymentState.Unanswered);
        activity?.SetTag("expiry.paid", paid);
        activity?.SetTag("expiry.unanswered", unanswered);
        if (unanswered > 0) LogExpiredUnanswered(logger, unanswered, due.Count);
        if (asking && unanswered * 2 >= due.Count && unanswered > 0)
        {
            Volatile.Write(ref _askAgainAtMs, Environment.TickCount64 + (long)PauseAfterOutage.TotalMilliseconds);
            LogPaused(logger, PauseAfterOutage.TotalSeconds);
        }
        return new AskedBatch(due.Count, expired, paid);
    }

    [LoggerMessage(EventName = "ExpiredWithoutAnswer", Level = LogLevel.Warning, Message = "Midtrans did not answer for {Unanswered} of {Count} due orders: expired anyway; a payment that still comes is a late settlement")]
    private static partial void LogExpiredUnanswered(ILogger logger, int unanswered, int count);

    [LoggerMessage(EventName = "ExpiryAskingPaused", Level = LogLevel.Warning, Message = "Midtrans left most of a batch unanswered: the expiry does not ask for the next {Seconds} s")]
    private static partial void LogPaused(ILogger logger, double seconds);
}
