using ConcertTicket.Infrastructure;
using Npgsql;

namespace ConcertTicket.Tickets;

/// <summary>
/// Money returned for a paid order (a refund, partial refund, chargeback or partial chargeback notification): the
/// ticket is revoked, the seat goes back on sale and the order ends as 'refunded', in one statement. The one place
/// where a refund changes a sale; the payment callback calls it.
/// </summary>
internal sealed class TicketRevocation(NpgsqlDataSource dataSource, PostgresDeadline deadline)
{
    /// <summary>
    /// Locks the paid order first, so a racing check-in or a twin notification waits and then finds it refunded.
    /// A checked-in ticket is revoked too: the money left, so does the right to the seat. A new ticket for the seat
    /// gets a new id, and so a new code; the revoked code stays refused.
    /// </summary>
    internal const string RefundSql = """
        WITH target AS (
            SELECT id FROM orders WHERE id = $1 AND status = 'paid' FOR UPDATE
        ),
        revoked AS (
            UPDATE tickets SET status = 'revoked', revoked_at = now()
            WHERE order_id = $1 AND order_id = (SELECT id FROM target) AND status <> 'revoked'
            RETURNING id
        ),
        freed AS (
            UPDATE seats s SET order_id = NULL
            FROM target JOIN orders o ON o.id = target.id
            WHERE o.id = $1 AND s.id = o.seat_id AND s.order_id = $1
            RETURNING s.id
        ),
        refunded AS (
            UPDATE orders o SET status = 'refunded', ended_at = now(), refund_status = $2,
                refunded_at = coalesce(o.refunded_at, now())
            FROM target WHERE o.id = $1 AND o.id = target.id
            RETURNING o.category_id
        )
        SELECT category_id FROM refunded
        """;

    /// <returns>The order's category when this call refunded it; null when it was not paid (nothing changed).</returns>
    public Task<int?> RefundAsync(Guid orderId, string transactionStatus, CancellationToken ct) =>
        deadline.RunAsync(async token =>
        {
            await using var command = dataSource.CreateCommand(RefundSql);
            command.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = orderId });
            command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = transactionStatus });
            return (int?)await command.ExecuteScalarAsync(token);
        }, ct);
}
