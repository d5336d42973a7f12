using ConcertTicket.Infrastructure;
using ConcertTicket.Orders;
using Npgsql;

namespace ConcertTicket.Payments;

internal enum SettlementOutcome
{
    /// <summary>The pending order is now paid.</summary>
    Paid,

    /// <summary>The order had ended; a free seat of its category was claimed and it is now paid.</summary>
    PaidLate,

    /// <summary>The order had ended and no seat (or a second ticket for the fan) could be given: refund it.</summary>
    RefundRequired,

    /// <summary>Nothing to do: already paid or already marked for refund (a repeated notification).</summary>
    AlreadySettled,

    UnknownOrder,

    /// <summary>gross_amount is not the order's total: nothing changed.</summary>
    AmountMismatch,
}

/// <summary>What a settlement did, with the order's total, category and status after it.</summary>
internal sealed record Settlement(SettlementOutcome Outcome, long Total = 0, int CategoryId = 0, string? Status = null);

/// <summary>
/// The SQL of payment notifications: settle, settle late, record refunds. A caller waits for each at most
/// Postgres:OperationTimeoutSeconds (<see cref="PostgresDeadline"/>).
/// </summary>
internal sealed class PaymentStore(NpgsqlDataSource dataSource, PostgresDeadline deadline)
{
    /// <summary>
    /// The common case in one round trip: read the order and, if it is pending and the amount is its total, pay it.
    /// The update re-checks 'pending' on the row's latest version, so a racing expiry or twin notification wins or
    /// loses cleanly, and a repeat changes nothing. Returns the order as it was, and whether this statement paid it.
    /// The update names the id itself (not through the CTE), so that every plan of it is a keyed lookup.
    /// </summary>
    internal const string PaySql = """
        WITH current AS (
            SELECT id, total, status, category_id FROM orders WHERE id = $1
        ),
        paid AS (
            UPDATE orders o
            SET status = 'paid', paid_at = now(), gateway_transaction_id = coalesce($3, o.gateway_transaction_id)
            FROM current c
            WHERE o.id = $1 AND o.status = 'pending' AND c.total = $2
            RETURNING o.id
        )
        SELECT c.total, c.status, c.category_id, EXISTS (SELECT 1 FROM paid) FROM current c
        """;

    /// <summary>
    /// Money for an order whose hold already ended: claim a free seat of its category if the fan has no other
    /// active order, else mark it refund_required. The order row is locked first, so a repeated notification
    /// waits and then finds it settled.
    /// </summary>
    internal const string SettleLateSql = """
        WITH target AS (
            SELECT id, category_id, email FROM orders
            WHERE id = $1 AND status IN ('expired', 'cancelled')
            FOR UPDATE
        ),
        seat AS (
            SELECT s.id FROM seats s
            WHERE s.category_id = (SELECT category_id FROM target) AND s.order_id IS NULL
              AND NOT EXISTS (SELECT 1 FROM orders o
                              WHERE o.email = (SELECT email FROM target) AND o.status IN ('pending', 'paid'))
            ORDER BY s.id
            LIMIT 1
            FOR UPDATE SKIP LOCKED
        ),
        claimed AS (
            UPDATE seats s SET order_id = $1 FROM seat WHERE s.id = seat.id RETURNING s.id
        ),
        settled AS (
            UPDATE orders o
            SET status = CASE WHEN claimed.id IS NULL THEN 'refund_required' ELSE 'paid' END,
                seat_id = coalesce(claimed.id, o.seat_id),
                paid_at = now(),
                ended_at = CASE WHEN claimed.id IS NULL THEN o.ended_at END,
                gateway_transaction_id = coalesce($2, o.gateway_transaction_id)
            FROM target LEFT JOIN claimed ON true
            WHERE o.id = $1 AND o.id = target.id
            RETURNING o.status
        )
        SELECT status FROM settled
        """;

    internal const string StatusSql = "SELECT status FROM orders WHERE id = $1";

    internal const string RecordRefundSql = """
        UPDATE orders SET refund_status = $2, refunded_at = coalesce(refunded_at, now())
        WHERE id = $1 AND refund_status IS DISTINCT FROM $2
        """;

    /// <param name="amount">The notification's gross_amount; the order is only settled when it equals the total.</param>
    public Task<Settlement> SettleAsync(Guid orderId, decimal amount, string? transactionId, CancellationToken ct) =>
        deadline.RunAsync(token => SettleCoreAsync(orderId, amount, transactionId, token), ct);

    private async Task<Settlement> SettleCoreAsync(Guid orderId, decimal amount, string? transactionId, CancellationToken ct)
    {
        long total;
        string before;
        int categoryId;
        await using (var pay = dataSource.CreateCommand(PaySql))
        {
            // A fractional or out-of-range amount can equal no total: NULL matches nothing.
            long? whole = decimal.Truncate(amount) == amount && amount is > 0 and <= long.MaxValue ? (long)amount : null;
            pay.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = orderId });
            pay.Parameters.Add(new NpgsqlParameter<long?> { TypedValue = whole, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Bigint });
            pay.Parameters.Add(new NpgsqlParameter<string?> { TypedValue = transactionId, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text });
            await using var reader = await pay.ExecuteReaderAsync(ct);
            if (!await reader.ReadAsync(ct)) return new Settlement(SettlementOutcome.UnknownOrder);
            total = reader.GetInt64(0);
            before = reader.GetString(1);
            categoryId = reader.GetInt32(2);
            if (reader.GetBoolean(3)) return new Settlement(SettlementOutcome.Paid, total, categoryId, OrderStatus.Paid);
        }
        if (amount != total) return new Settlement(SettlementOutcome.AmountMismatch, total, categoryId, before);
        if (before is OrderStatus.Paid or OrderStatus.RefundRequired)
            return new Settlement(SettlementOutcome.AlreadySettled, total, categoryId, before);

        // The hold had ended (or ended while this notification was on its way). The fan's email may have gained
        // another active order between the check and the claim; the unique index then rolls the statement back and
        // the second attempt sees that order and marks this one for refund.
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await using var late = dataSource.CreateCommand(SettleLateSql);
                late.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = orderId });
                late.Parameters.Add(new NpgsqlParameter<string?> { TypedValue = transactionId, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text });
                var status = (string?)await late.ExecuteScalarAsync(ct);
                if (status is not null)
                {
                    return new Settlement(status == OrderStatus.Paid ? SettlementOutcome.PaidLate : SettlementOutcome.RefundRequired,
                        total, categoryId, status);
                }
                break;
            }
            catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.UniqueViolation && attempt < 3)
            {
            }
        }

        // Neither pending nor ended any more: a racing twin notification settled it first.
        var current = await GetStatusCoreAsync(orderId, ct) ?? before;
        return new Settlement(SettlementOutcome.AlreadySettled, total, categoryId, current);
    }

    public Task<string?> GetStatusAsync(Guid orderId, CancellationToken ct) =>
        deadline.RunAsync(token => GetStatusCoreAsync(orderId, token), ct);

    private async Task<string?> GetStatusCoreAsync(Guid orderId, CancellationToken ct)
    {
        await using var command = dataSource.CreateCommand(StatusSql);
        command.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = orderId });
        return (string?)await command.ExecuteScalarAsync(ct);
    }

    /// <returns>True when this notification changed the order's refund record.</returns>
    public Task<bool> RecordRefundAsync(Guid orderId, string refundStatus, CancellationToken ct) =>
        deadline.RunAsync(token => RecordRefundCoreAsync(orderId, refundStatus, token), ct);

    private async Task<bool> RecordRefundCoreAsync(Guid orderId, string refundStatus, CancellationToken ct)
    {
        await using var command = dataSource.CreateCommand(RecordRefundSql);
        command.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = orderId });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = refundStatus });
        return await command.ExecuteNonQueryAsync(ct) == 1;
    }
}
