using ConcertTicket.Expiry;
using Npgsql;

namespace ConcertTicket.Reconciliation;

/// <summary>An order of the day being reconciled, as our books have it.</summary>
internal sealed record BookedOrder(Guid OrderId, string Status, long Total, string? RefundStatus, DateTimeOffset CreatedAt);

/// <summary>The SQL of reconciliation: lease due orders, expire the asked ones, pick orders for the sweep, read a day.</summary>
internal sealed class ReconcileStore(NpgsqlDataSource dataSource)
{
    /// <summary>
    /// Leases a batch of due pending orders for the status questions: another worker skips them until the lease runs
    /// out. The ids go to the update as an array (a keyed lookup in every plan, as in ExpiryWorker.ExpireBatchSql).
    /// </summary>
    internal const string LeaseDueSql = """
        UPDATE orders SET expiry_leased_until = now() + make_interval(secs => $2)
        WHERE id = ANY (ARRAY (
            SELECT id FROM orders
            WHERE status = 'pending' AND expires_at <= now()
              AND (expiry_leased_until IS NULL OR expiry_leased_until <= now())
            ORDER BY expires_at
            LIMIT $1
            FOR UPDATE SKIP LOCKED
        ))
        RETURNING id, category_id, expires_at
        """;

    /// <summary>
    /// Expires the asked orders that are still pending (a notification that paid one meanwhile wins), frees their
    /// seats, and queues the gateway expire call (gateway_voids) for those Midtrans still holds as payable ($2).
    /// </summary>
    internal const string ExpireAskedSql = """
        WITH ended AS (
            UPDATE orders o SET status = 'expired', ended_at = now(), expiry_leased_until = NULL
            WHERE o.id = ANY ($1) AND o.status = 'pending'
            RETURNING o.id, o.seat_id, o.category_id, o.expires_at
        ),
        freed AS (
            UPDATE seats s SET order_id = NULL FROM ended WHERE s.id = ended.seat_id AND s.order_id = ended.id
        ),
        voids AS (
            INSERT INTO gateway_voids (order_id)
            SELECT id FROM ended WHERE id = ANY ($2)
            ON CONFLICT (order_id) DO NOTHING
        )
        SELECT id, category_id, expires_at FROM ended
        """;

    /// <summary>
    /// The sweep's batch: pending orders with a VA, at least $2 seconds old, not asked about in the last $3 seconds,
    /// and not yet due (the expiry asks about those). Marked as asked in the same statement.
    /// </summary>
    internal const string PickForSweepSql = """
        UPDATE orders SET status_checked_at = now()
        WHERE id = ANY (ARRAY (
            SELECT id FROM orders
            WHERE status = 'pending' AND expires_at > now() AND va_number IS NOT NULL
              AND created_at <= now() - make_interval(secs => $2)
              AND (status_checked_at IS NULL OR status_checked_at <= now() - make_interval(secs => $3))
            ORDER BY expires_at
            LIMIT $1
            FOR UPDATE SKIP LOCKED
        ))
        RETURNING id
        """;

    /// <summary>The orders of one UTC day that money could have touched: everything but those still pending.</summary>
    internal const string DaySql = """
        SELECT id, status, total, refund_status, created_at FROM orders
        WHERE created_at >= $1 AND created_at < $1 + interval '1 day' AND status <> 'pending'
        ORDER BY created_at, id
        """;

    /// <summary>
    /// Claims a day for the nightly run: false when another worker has it or it is done. A run that started over an
    /// hour ago and never finished (its worker died) is claimed again.
    /// </summary>
    internal const string ClaimDaySql = """
        INSERT INTO reconcile_runs (day) VALUES ($1)
        ON CONFLICT (day) DO UPDATE SET started_at = now()
        WHERE reconcile_runs.finished_at IS NULL AND reconcile_runs.started_at < now() - interval '1 hour'
        """;

    internal const string FinishDaySql = """
        UPDATE reconcile_runs SET finished_at = now(), orders = $2, disagreements = $3 WHERE day = $1
        """;

    public async Task<IReadOnlyList<ExpiredOrder>> LeaseDueAsync(int batchSize, TimeSpan lease, CancellationToken ct)
    {
        await using var command = dataSource.CreateCommand(LeaseDueSql);
        command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = batchSize });
        command.Parameters.Add(new NpgsqlParameter<double> { TypedValue = lease.TotalSeconds });
        return await ReadExpiredAsync(command, ct);
    }

    public async Task<IReadOnlyList<ExpiredOrder>> ExpireAsync(Guid[] orderIds, Guid[] voidAtGateway, CancellationToken ct)
    {
        await using var command = dataSource.CreateCommand(ExpireAskedSql);
        command.Parameters.Add(new NpgsqlParameter<Guid[]> { TypedValue = orderIds });
        command.Parameters.Add(new NpgsqlParameter<Guid[]> { TypedValue = voidAtGateway });
        return await ReadExpiredAsync(command, ct);
    }

    public async Task<IReadOnlyList<Guid>> PickForSweepAsync(int batchSize, int afterSeconds, int everySeconds, CancellationToken ct)
    {
        await using var command = dataSource.CreateCommand(PickForSweepSql);
        command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = batchSize });
        command.Parameters.Add(new NpgsqlParameter<double> { TypedValue = afterSeconds });
        command.Parameters.Add(new NpgsqlParameter<double> { TypedValue = everySeconds });
        var ids = new List<Guid>();
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct)) ids.Add(reader.GetGuid(0));
        return ids;
    }

    public async Task<IReadOnlyList<BookedOrder>> ReadDayAsync(DateOnly day, CancellationToken ct)
    {
        await using var command = dataSource.CreateCommand(DaySql);
        command.Parameters.Add(new NpgsqlParameter<DateTime>
        {
            TypedValue = day.ToDateTime(TimeOnly.MinValue, DateTimeKind.Utc), NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.TimestampTz,
        });
        var orders = new List<BookedOrder>();
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            orders.Add(new BookedOrder(reader.GetGuid(0), reader.GetString(1), reader.GetInt64(2),
                reader.IsDBNull(3) ? null : reader.GetString(3), reader.GetFieldValue<DateTimeOffset>(4)));
        }
        return orders;
    }

    public async Task<bool> ClaimDayAsync(DateOnly day, CancellationToken ct)
    {
        await using var command = dataSource.CreateCommand(ClaimDaySql);
        command.Parameters.Add(new NpgsqlParameter<DateOnly> { TypedValue = day });
        return await command.ExecuteNonQueryAsync(ct) == 1;
    }

    public async Task FinishDayAsync(DateOnly day, int orders, int disagreements, CancellationToken ct)
    {
        await using var command = dataSource.CreateCommand(FinishDaySql);
        command.Parameters.Add(new NpgsqlParameter<DateOnly> { TypedValue = day });
        command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = orders });
        command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = disagreements });
        await command.ExecuteNonQueryAsync(ct);
    }

    private static async Task<IReadOnlyList<ExpiredOrder>> ReadExpiredAsync(NpgsqlCommand command, CancellationToken ct)
    {
        var orders = new List<ExpiredOrder>();
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
            orders.Add(new ExpiredOrder(reader.GetGuid(0), reader.GetInt32(1), reader.GetFieldValue<DateTimeOffset>(2)));
        return orders;
    }
}
