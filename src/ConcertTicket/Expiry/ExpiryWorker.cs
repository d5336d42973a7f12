using System.Diagnostics;
using ConcertTicket.Infrastructure;
using ConcertTicket.Reconciliation;
using Npgsql;

namespace ConcertTicket.Expiry;

internal sealed record ExpiredOrder(Guid OrderId, int CategoryId, DateTimeOffset ExpiresAt);

/// <summary>
/// Ends pending orders whose hold is over and returns their seats (the seed's task queue). The deadline is in the
/// order's row, so nothing is lost between "order created" and "task enqueued", and a crash loses nothing either.
/// Without asking, the gateway is not told: the VA was charged with a custom_expiry of the same deadline (order_time =
/// the order's creation), so Midtrans expires it at the same instant by itself. A payment that still arrives after
/// the hold is a late settlement (a free seat, or refund_required).
/// Works in batches of one statement each; SKIP LOCKED lets several workers share the work without handling an
/// order twice. Runs every half second, so an order is at most about a second late.
/// With the Midtrans gateway it asks Midtrans first (<see cref="AskingExpiry"/>, Payment:Reconcile:AskBeforeExpiry):
/// a payment whose notification was lost is then found before the seat goes back, and a VA Midtrans still reports
/// pending (clocks differ) is expired there through gateway_voids.
/// </summary>
internal sealed partial class ExpiryWorker(
    NpgsqlDataSource dataSource,
    TimeProvider time,
    ExpiryMetrics metrics,
    ILogger<ExpiryWorker> logger,
    AskingExpiry? askFirst = null) : BackgroundService
{
    public const int BatchSize = 1000;

    private static readonly TimeSpan Period = TimeSpan.FromMilliseconds(500);

    // The due ids go to the update as an array: joined to it instead, the generic plan planned on an empty table
    // read all of orders' primary key for each batch (QueryPlanTests).
    internal const string ExpireBatchSql = """
        WITH due AS (
            SELECT id FROM orders
            WHERE status = 'pending' AND expires_at <= now()
            ORDER BY expires_at
            LIMIT $1
            FOR UPDATE SKIP LOCKED
        ),
        ended AS (
            UPDATE orders o SET status = 'expired', ended_at = now()
            WHERE o.id = ANY (ARRAY (SELECT id FROM due))
            RETURNING o.id, o.seat_id, o.category_id, o.expires_at
        ),
        freed AS (
            UPDATE seats s SET order_id = NULL FROM ended WHERE s.id = ended.seat_id AND s.order_id = ended.id
        )
        SELECT id, category_id, expires_at FROM ended
        """;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(Period, time);
        do
        {
            try
            {
                while (await RunBatchAsync(stoppingToken))
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

    /// <returns>True when the batch was full, so more may be due.</returns>
    private async Task<bool> RunBatchAsync(CancellationToken ct)
    {
        if (askFirst is null) return (await RunOnceAsync(ct)).Count == BatchSize;
        var batch = await askFirst.RunOnceAsync(ct);
        Record(batch.Expired);
        return batch.Leased == askFirst.BatchSize;
    }

    /// <summary>Expires one batch of overdue orders; returns what it expired.</summary>
    public async Task<IReadOnlyList<ExpiredOrder>> RunOnceAsync(CancellationToken ct)
    {
        if (askFirst is not null)
        {
            var batch = await askFirst.RunOnceAsync(ct);
            Record(batch.Expired);
            return batch.Expired;
        }
        using var activity = Telemetry.Expiry.StartActivity("expiry.batch");
        await using var command = dataSource.CreateCommand(ExpireBatchSql);
        command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = BatchSize });
        var expired = new List<ExpiredOrder>();
        await using (var reader = await command.ExecuteReaderAsync(ct))
        {
            while (await reader.ReadAsync(ct))
            {
                expired.Add(new ExpiredOrder(reader.GetGuid(0), reader.GetInt32(1), reader.GetFieldValue<DateTimeOffset>(2)));
            }
        }
        activity?.SetTag("expiry.count", expired.Count);
        Record(expired);
        return expired;
    }

    private void Record(IReadOnlyList<ExpiredOrder> expired)
    {
        metrics.Pass(expired, time.GetUtcNow());
        if (expired.Count > 0)
        {
            var lag = time.GetUtcNow() - expired[0].ExpiresAt;
            LogExpired(logger, expired.Count, lag.TotalMilliseconds);
        }
    }

    [LoggerMessage(EventName = "OrdersExpired", Level = LogLevel.Information, Message = "Expired {Count} unpaid orders (oldest {LagMs:0} ms past its deadline)")]
    private static partial void LogExpired(ILogger logger, int count, double lagMs);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Expiry pass failed, retrying: {Reason}")]
    private static partial void LogFailed(ILogger logger, string reason);
}
