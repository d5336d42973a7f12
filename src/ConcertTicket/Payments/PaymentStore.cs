using ConcertTicket.Infrastructure;
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
}

/// <summary>
/// The SQL of payment notifications: settle, settle late, record refunds. A caller waits for each at most
/// Postgres:OperationTimeoutSeconds (<see cref="PostgresDeadline"/>).
/// </summary>
internal sealed class PaymentStore(NpgsqlDataSource dataSource, PostgresDeadline deadline)
{
    /// <summary>The guarded update: only a pending order becomes paid, so a repeat changes nothing.</summary>
    private const string PaySql = """
        UPDATE orders SET status = 'paid', paid_at = now(), gateway_transaction_id = coalesce($2, gateway_transaction_id)
        WHERE id = $1 AND status = 'pending'
        """;

    /// <summary>
    /// Money for an order whose hold already ended: claim a free seat of its category if the fan has no other
    /// active order, else mark it refund_required. The order row is locked first, so a repeated notification
    /// waits and then finds it settled.
    /// </summary>
    private const string SettleLateSql = """
        WITH target AS (
            SELECT id, category_id, email FROM orders
            WHERE id = $1 AND status IN ('expired', 'cancelled')
            FOR UPDATE
        ),
        seat AS (
            SELECT s.id FROM seats s, target t
            WHERE s.category_id = t.category_id AND s.order_id IS NULL
              AND NOT EXISTS (SELECT 1 FROM orders o WHERE o.email = t.email AND o.status IN ('pending', 'paid'))
            ORDER BY s.id
            LIMIT 1
            FOR UPDATE OF s SKIP LOCKED
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
            WHERE o.id = target.id
            RETURNING o.status
        )
        SELECT status FROM settled
        """;

    private const string StatusSql = "SELECT status FROM orders WHERE id = $1";

    private const string RecordRefundSql = """
        UPDATE orders SET refund_status = $2, refunded_at = coalesce(refunded_at, now())
        WHERE id = $1 AND refund_status IS DISTINCT FROM $2
        """;

    public Task<SettlementOutcome> SettleAsync(Guid orderId, string? transactionId, CancellationToken ct) =>
        deadline.RunAsync(token => SettleCoreAsync(orderId, transactionId, token), ct);

    private async Task<SettlementOutcome> SettleCoreAsync(Guid orderId, string? transactionId, CancellationToken ct)
    {
        await using (var pay = dataSource.CreateCommand(PaySql))
        {
            pay.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = orderId });
            pay.Parameters.Add(new NpgsqlParameter<string?> { TypedValue = transactionId, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text });
            if (await pay.ExecuteNonQueryAsync(ct) == 1) return SettlementOutcome.Paid;
        }

        // The fan's email may have gained another active order between the check and the claim; the unique index
        // then rolls the statement back and the second attempt sees that order and marks this one for refund.
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await using var late = dataSource.CreateCommand(SettleLateSql);
                late.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = orderId });
                late.Parameters.Add(new NpgsqlParameter<string?> { TypedValue = transactionId, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text });
                var status = (string?)await late.ExecuteScalarAsync(ct);
                if (status is not null) return status == "paid" ? SettlementOutcome.PaidLate : SettlementOutcome.RefundRequired;
                break;
            }
            catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.UniqueViolation && attempt < 3)
            {
            }
        }

        // Neither pending nor ended: paid or refund_required already, or unknown. A pending order that a racing
        // settlement just paid also lands here.
        var current = await GetStatusCoreAsync(orderId, ct);
        return current is null ? SettlementOutcome.UnknownOrder : SettlementOutcome.AlreadySettled;
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
