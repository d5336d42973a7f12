using Npgsql;
using NpgsqlTypes;

namespace ConcertTicket.Admin;

/// <summary>An order as the admin API lists it (the full email: the organiser needs it to refund).</summary>
internal sealed record AdminOrderView(
    Guid Id,
    int ConcertId,
    int CategoryId,
    string Email,
    string Status,
    long Total,
    DateTimeOffset CreatedAt,
    DateTimeOffset? PaidAt,
    string? RefundReference,
    DateTimeOffset? RefundRecordedAt);

internal sealed record AdminOrderPage(IReadOnlyList<AdminOrderView> Data, int Page, int PageSize, bool HasMore);

internal sealed record AdminOrderEnvelope(AdminOrderView Data);

internal sealed record OrderFilter(int? ConcertId, string? Status, string? Email, int Page, int PageSize);

internal enum RefundOutcome { Recorded, UnknownOrder, NotRequired }

/// <summary>The admin API's SQL over orders: the paged list, the refund record, and the sale's figures.</summary>
internal sealed class AdminStore(NpgsqlDataSource dataSource)
{
    private const string OrderColumns = """
        o.id, o.concert_id, o.category_id, o.email, o.status, o.total, o.created_at, o.paid_at,
        o.refund_reference, o.refund_recorded_at
        """;

    internal const string ListOrdersSql = "SELECT " + OrderColumns + """

        FROM orders o
        WHERE ($1::int IS NULL OR o.concert_id = $1) AND ($2::text IS NULL OR o.status = $2)
          AND ($3::text IS NULL OR o.email = $3)
        ORDER BY o.created_at DESC, o.id DESC
        LIMIT $4 OFFSET $5
        """;

    /// <summary>
    /// Closes a refund_required order whose money went back (it becomes refunded, $5), and audits it, in one
    /// statement. The status comes as a parameter ($4, always refund_required): written as a literal, it let the generic plan read the whole
    /// orders_refund_required index, whose predicate it proves, instead of the primary key (QueryPlanTests).
    /// </summary>
    internal const string RecordRefundSql = """
        WITH done AS (
            UPDATE orders SET status = $5, refund_reference = $2, refund_recorded_at = now(), refund_recorded_by = $3
            WHERE id = $1 AND status = $4 AND refund_recorded_at IS NULL
            RETURNING id, concert_id
        ),
        audited AS (
            INSERT INTO admin_audit (actor, action, concert_id, order_id, detail)
            SELECT $3, 'order.refund', concert_id, id, jsonb_build_object('reference', $2::text) FROM done
        )
        SELECT EXISTS (SELECT 1 FROM orders WHERE id = $1), EXISTS (SELECT 1 FROM done)
        """;

    /// <summary>
    /// The figures of the sale, per concert, as one JSON document built by PostgreSQL in one statement: per category
    /// free (the partial index of free seats), held and paid (the index of active orders per concert), revenue and
    /// checked in (the paid orders' tickets admitted at a gate);
    /// orders and payments per minute; the refunds to make. $1: one concert, or NULL for every concert not in draft.
    /// $2: how many minutes of history. $3: the smallest order id to read for the per-minute counts; order ids are
    /// UUIDv7 (time first), so a time-derived bound turns "orders of the last minutes" into a range of the primary key.
    /// </summary>
    internal const string SaleSql = """
        WITH k AS (
            SELECT id, name, state, sale_opens_at, sale_closes_at FROM concerts
            WHERE ($1::int IS NULL AND state <> 'draft') OR id = $1
        ),
        active AS (
            SELECT o.category_id,
                   count(*) FILTER (WHERE o.status = 'pending') AS held,
                   count(*) FILTER (WHERE o.status = 'paid') AS paid,
                   coalesce(sum(o.total) FILTER (WHERE o.status = 'paid'), 0) AS revenue,
                   count(t.order_id) AS checked_in
            FROM orders o LEFT JOIN tickets t ON t.order_id = o.id AND o.status = 'paid' AND t.status = 'checked_in'
            WHERE o.concert_id IN (SELECT id FROM k) AND o.status IN ('pending', 'paid') AND o.email IS NOT NULL
            GROUP BY o.category_id
        ),
        recent AS (
            SELECT o.concert_id, o.created_at, o.paid_at FROM orders o
            WHERE o.id >= $3 AND o.concert_id IN (SELECT id FROM k)
              AND (o.created_at >= now() - make_interval(mins => $2) OR o.paid_at >= now() - make_interval(mins => $2))
        ),
        per_minute AS (
            SELECT concert_id, minute, sum(orders) AS orders, sum(payments) AS payments FROM (
                SELECT concert_id, date_trunc('minute', created_at) AS minute, 1 AS orders, 0 AS payments FROM recent
                WHERE created_at >= now() - make_interval(mins => $2)
                UNION ALL
                SELECT concert_id, date_trunc('minute', paid_at), 0, 1 FROM recent
                WHERE paid_at >= now() - make_interval(mins => $2)
            ) m
            GROUP BY concert_id, minute
        ),
        refunds AS (
            SELECT o.concert_id, o.id, o.email, o.total, o.paid_at FROM orders o
            WHERE o.status = 'refund_required' AND o.refund_recorded_at IS NULL
              AND o.concert_id IN (SELECT id FROM k)
        )
        SELECT json_build_object(
            'generated_at', now(),
            'concerts', coalesce(json_agg(json_build_object(
                'concert_id', k.id, 'name', k.name, 'state', k.state,
                'sale_opens_at', k.sale_opens_at, 'sale_closes_at', k.sale_closes_at,
                'categories', (
                    SELECT coalesce(json_agg(json_build_object(
                        'id', c.id, 'name', c.name, 'price', c.price,
                        'free', (SELECT count(*) FROM seats s WHERE s.category_id = c.id AND s.order_id IS NULL),
                        'held', coalesce(a.held, 0), 'paid', coalesce(a.paid, 0), 'revenue', coalesce(a.revenue, 0),
                        'checked_in', coalesce(a.checked_in, 0)
                    ) ORDER BY c.id), '[]')
                    FROM categories c LEFT JOIN active a ON a.category_id = c.id WHERE c.concert_id = k.id),
                'per_minute', (
                    SELECT coalesce(json_agg(json_build_object('minute', p.minute, 'orders', p.orders, 'payments', p.payments)
                        ORDER BY p.minute), '[]')
                    FROM per_minute p WHERE p.concert_id = k.id),
                'refunds_to_make', (
                    SELECT coalesce(json_agg(json_build_object('order_id', f.id, 'email', f.email, 'total', f.total, 'paid_at', f.paid_at)
                        ORDER BY f.paid_at), '[]')
                    FROM refunds f WHERE f.concert_id = k.id)
            ) ORDER BY k.id), '[]'))
        FROM k
        """;

    public async Task<AdminOrderPage> ListOrdersAsync(OrderFilter filter, CancellationToken ct)
    {
        await using var command = dataSource.CreateCommand(ListOrdersSql);
        command.Parameters.Add(new NpgsqlParameter<int?> { TypedValue = filter.ConcertId, NpgsqlDbType = NpgsqlDbType.Integer });
        command.Parameters.Add(new NpgsqlParameter<string?> { TypedValue = filter.Status, NpgsqlDbType = NpgsqlDbType.Text });
        command.Parameters.Add(new NpgsqlParameter<string?> { TypedValue = filter.Email, NpgsqlDbType = NpgsqlDbType.Text });
        command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = filter.PageSize + 1 });
        command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = (filter.Page - 1) * filter.PageSize });
        var orders = new List<AdminOrderView>();
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct)) orders.Add(ReadOrder(reader));
        var hasMore = orders.Count > filter.PageSize;
        if (hasMore) orders.RemoveAt(orders.Count - 1);
        return new AdminOrderPage(orders, filter.Page, filter.PageSize, hasMore);
    }

    public async Task<AdminOrderView?> GetOrderAsync(Guid id, CancellationToken ct)
    {
        await using var command = dataSource.CreateCommand("SELECT " + OrderColumns + " FROM orders o WHERE o.id = $1");
        command.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = id });
        await using var reader = await command.ExecuteReaderAsync(ct);
        return await reader.ReadAsync(ct) ? ReadOrder(reader) : null;
    }

    public async Task<RefundOutcome> RecordRefundAsync(Guid id, string reference, string actor, CancellationToken ct)
    {
        await using var command = dataSource.CreateCommand(RecordRefundSql);
        command.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = id });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = reference });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = actor });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = OrderStatus.RefundRequired });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = OrderStatus.Refunded });
        await using var reader = await command.ExecuteReaderAsync(ct);
        await reader.ReadAsync(ct);
        if (!reader.GetBoolean(0)) return RefundOutcome.UnknownOrder;
        return reader.GetBoolean(1) ? RefundOutcome.Recorded : RefundOutcome.NotRequired;
    }

    /// <summary>The sale's figures as JSON (<see cref="SaleSql"/>).</summary>
    public async Task<string> SaleJsonAsync(int? concertId, int minutes, TimeSpan hold, CancellationToken ct)
    {
        await using var command = dataSource.CreateCommand(SaleSql);
        command.Parameters.Add(new NpgsqlParameter<int?> { TypedValue = concertId, NpgsqlDbType = NpgsqlDbType.Integer });
        command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = minutes });
        // An order paid in the window was created at most a hold earlier; five minutes more for clock skew.
        command.Parameters.Add(new NpgsqlParameter<Guid>
        {
            TypedValue = SmallestIdSince(DateTimeOffset.UtcNow - TimeSpan.FromMinutes(minutes + 5) - hold),
        });
        return (string)(await command.ExecuteScalarAsync(ct))!;
    }

    /// <summary>The smallest UUIDv7 of a millisecond: the 48-bit Unix time in milliseconds, then zeros.</summary>
    internal static Guid SmallestIdSince(DateTimeOffset time)
    {
        Span<byte> bytes = stackalloc byte[16];
        var ms = time.ToUnixTimeMilliseconds();
        for (var i = 0; i < 6; i++) bytes[i] = (byte)(ms >> (8 * (5 - i)));
        return new Guid(bytes, bigEndian: true);
    }

    private static AdminOrderView ReadOrder(NpgsqlDataReader reader) => new(
        reader.GetGuid(0), reader.GetInt32(1), reader.GetInt32(2), reader.GetString(3), reader.GetString(4),
        reader.GetInt64(5), reader.GetFieldValue<DateTimeOffset>(6),
        reader.IsDBNull(7) ? null : reader.GetFieldValue<DateTimeOffset>(7),
        reader.IsDBNull(8) ? null : reader.GetString(8),
        reader.IsDBNull(9) ? null : reader.GetFieldValue<DateTimeOffset>(9));
}
