using System.Diagnostics;
using ConcertTicket.Infrastructure;
using Npgsql;

namespace ConcertTicket.Payments;

/// <summary>
/// Tells the gateway to expire the transactions of cancelled orders (gateway_voids; an expired order's VA expires by
/// itself through its custom_expiry). Best effort and retried with backoff; it runs apart from the cancel itself, so
/// a slow gateway never delays a seat's return.
/// Rows are leased with SKIP LOCKED, so several workers never call the gateway twice for one order.
/// </summary>
internal sealed partial class GatewayVoidWorker(
    NpgsqlDataSource dataSource,
    IPaymentGateway gateway,
    TimeProvider time,
    ILogger<GatewayVoidWorker> logger) : BackgroundService
{
    private const int BatchSize = 200;
    private const int MaxAttempts = 8;

    // A lease long enough for one gateway call; a crashed worker's lease simply runs out. The leased ids go in as
    // an array, which keeps the update a keyed lookup in every plan (QueryPlanTests).
    internal const string LeaseSql = """
        UPDATE gateway_voids SET attempts = attempts + 1, next_attempt_at = now() + interval '2 minutes'
        WHERE order_id = ANY (ARRAY (
            SELECT order_id FROM gateway_voids WHERE next_attempt_at <= now()
            ORDER BY next_attempt_at LIMIT $1 FOR UPDATE SKIP LOCKED
        ))
        RETURNING order_id, attempts
        """;

    internal const string DoneSql = "DELETE FROM gateway_voids WHERE order_id = $1";

    // Backoff doubles from 10 s; after MaxAttempts the row stays, parked, for an operator to see.
    internal const string RetrySql = """
        UPDATE gateway_voids SET last_error = $3,
            next_attempt_at = CASE WHEN $2 >= $4 THEN 'infinity' ELSE now() + make_interval(secs => 10 * power(2, $2 - 1)) END
        WHERE order_id = $1
        """;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(1), time);
        do
        {
            try
            {
                while (await RunOnceAsync(stoppingToken) == BatchSize)
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

    /// <returns>How many voids were attempted.</returns>
    public async Task<int> RunOnceAsync(CancellationToken ct)
    {
        using var batch = Telemetry.Payments.StartActivity("gateway.void.batch");
        var leased = new List<(Guid OrderId, int Attempts)>();
        await using (var lease = dataSource.CreateCommand(LeaseSql))
        {
            lease.Parameters.Add(new NpgsqlParameter<int> { TypedValue = BatchSize });
            await using var reader = await lease.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct)) leased.Add((reader.GetGuid(0), reader.GetInt32(1)));
        }
        batch?.SetTag("gateway.void.count", leased.Count);
        await Parallel.ForEachAsync(leased, new ParallelOptions { MaxDegreeOfParallelism = 16, CancellationToken = ct },
            async (item, token) =>
            {
                using var activity = Telemetry.Payments.StartActivity("gateway.void", ActivityKind.Client);
                activity?.SetTag("order.id", item.OrderId);
                activity?.SetTag("gateway.void.attempt", item.Attempts);
                VoidResult result;
                string? error = null;
                try
                {
                    result = await gateway.ExpireAsync(item.OrderId, token);
                }
                catch (Exception e) when (e is HttpRequestException or TimeoutException)
                {
                    result = VoidResult.Retry;
                    error = e.Message;
                }
                activity?.SetTag("gateway.outcome", result == VoidResult.Done ? "done" : "retry");
                if (error is not null) activity?.SetStatus(ActivityStatusCode.Error, error);
                if (result == VoidResult.Done)
                {
                    await using var done = dataSource.CreateCommand(DoneSql);
                    done.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = item.OrderId });
                    await done.ExecuteNonQueryAsync(token);
                }
                else
                {
                    await using var retry = dataSource.CreateCommand(RetrySql);
                    retry.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = item.OrderId });
                    retry.Parameters.Add(new NpgsqlParameter<int> { TypedValue = item.Attempts });
                    retry.Parameters.Add(new NpgsqlParameter<string> { TypedValue = error ?? "gateway asked to retry" });
                    retry.Parameters.Add(new NpgsqlParameter<int> { TypedValue = MaxAttempts });
                    await retry.ExecuteNonQueryAsync(token);
                    if (item.Attempts >= MaxAttempts) LogGaveUp(logger, item.OrderId, item.Attempts);
                }
            });
        return leased.Count;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Gateway void pass failed, retrying: {Reason}")]
    private static partial void LogFailed(ILogger logger, string reason);

    [LoggerMessage(Level = LogLevel.Error, Message = "Gave up telling the gateway to expire order {OrderId} after {Attempts} attempts")]
    private static partial void LogGaveUp(ILogger logger, Guid orderId, int attempts);
}
