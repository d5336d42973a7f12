using ConcertTicket.Infrastructure;
using Npgsql;

namespace ConcertTicket.Orders;

internal enum ClaimOutcome { Claimed, UnknownCategory, AlreadyOrdered, SoldOut, DuplicateIdempotencyKey, SaleNotOpen, SaleClosed, SalePaused }

internal sealed record ClaimResult(ClaimOutcome Outcome, OrderRow? Order = null);

/// <summary>The Virtual Account the gateway gave an order.</summary>
internal readonly record struct VirtualAccountRecord(Guid OrderId, string VaNumber, string? TransactionId);

/// <summary>An order row with its seat (the seat only while the order holds it).</summary>
internal sealed record OrderRow(
    Guid Id,
    string Email,
    int CategoryId,
    long Total,
    string Status,
    string? VaNumber,
    string? Bank,
    string? IdempotencyKey,
    DateTimeOffset CreatedAt,
    DateTimeOffset ExpiresAt,
    DateTimeOffset? PaidAt,
    int? SeatRow,
    int? SeatColumn)
{
    public OrderView ToView() => new(Id, Total, VaNumber, Bank, Status, CategoryId,
        SeatRow is { } row && SeatColumn is { } column ? new SeatView(row, column) : null, ExpiresAt, PaidAt);
}

/// <summary>
/// The SQL of orders: where a seat is claimed and released. Each statement is one round trip and its own
/// transaction; the database enforces the invariants (one active order per email, one holder per seat, one seat per
/// order). A caller waits for each at most Postgres:OperationTimeoutSeconds (<see cref="PostgresDeadline"/>).
/// </summary>
internal sealed class OrderStore
{
    /// <summary>Bounds one VA statement's arrays; more waiting orders go in the next batch.</summary>
    internal const int MaxVirtualAccountBatch = 256;

    private readonly NpgsqlDataSource _dataSource;
    private readonly PostgresDeadline _deadline;
    private readonly StatementBatcher<VirtualAccountRecord, Guid, bool> _virtualAccounts;

    public OrderStore(NpgsqlDataSource dataSource, PostgresDeadline deadline)
    {
        _dataSource = dataSource;
        _deadline = deadline;
        _virtualAccounts = new(Telemetry.Orders, "virtual_accounts.write",
            accounts => deadline.RunAsync(token => SetVirtualAccountsCoreAsync(accounts, token), CancellationToken.None),
            MaxVirtualAccountBatch, a => a.OrderId);
    }

    /// <summary>The VA statements' batching, for tests.</summary>
    internal StatementBatcher<VirtualAccountRecord, Guid, bool> VirtualAccounts => _virtualAccounts;

    /// <summary>
    /// Claims the first free seat of the category and records a pending order, in one statement. Nothing is claimed
    /// outside the concert's sale window or state (the category row's copy of them, kept by the database: 0010), nor
    /// by a fan with an active order for the same concert; a concurrent twin that slips past that check is stopped by
    /// the unique index on active emails, which rolls the whole statement back (seat included). No join: the
    /// statement locks 15 relations, within PostgreSQL's 16 fast-path locks (QueryPlanTests).
    /// </summary>
    internal const string ClaimSql = """
        WITH category AS (
            SELECT c.id, c.price, c.concert_id,
                   CASE WHEN c.concert_state = 'paused' THEN 'paused'
                        WHEN c.concert_state = 'closed' OR now() >= c.sale_closes_at THEN 'closed'
                        WHEN c.concert_state = 'draft' OR now() < c.sale_opens_at THEN 'not_open'
                        ELSE 'open' END AS sale
            FROM categories c
            WHERE c.id = $3
        ),
        existing AS (
            -- The concert as a value (an InitPlan), not a join: joined, the planner looked the email up in
            -- orders_one_active_per_email (concert_id, email) by its second column alone, which reads the whole index.
            SELECT o.id FROM orders o
            WHERE o.concert_id = (SELECT concert_id FROM category) AND o.email = $2 AND o.status IN ('pending', 'paid')
        ),
        seat AS (
            SELECT s.id FROM seats s
            WHERE s.category_id = $3 AND s.order_id IS NULL AND NOT EXISTS (SELECT 1 FROM existing)
              AND EXISTS (SELECT 1 FROM category WHERE sale = 'open')
            ORDER BY s.id
            LIMIT 1
            FOR UPDATE SKIP LOCKED
        ),
        claimed AS (
            UPDATE seats s SET order_id = $1 FROM seat WHERE s.id = seat.id
            RETURNING s.id, s.row_no, s.col_no
        ),
        created AS (
            INSERT INTO orders (id, email, category_id, concert_id, seat_id, total, expires_at, idempotency_key, bank)
            SELECT $1, $2, $3, category.concert_id, claimed.id, category.price, now() + $4, $5, $6 FROM claimed, category
            RETURNING total, created_at, expires_at
        )
        SELECT (SELECT sale FROM category), EXISTS (SELECT 1 FROM existing),
               claimed.row_no, claimed.col_no, created.total, created.created_at, created.expires_at
        FROM (VALUES (1)) AS one (x)
        LEFT JOIN claimed ON true
        LEFT JOIN created ON true
        """;

    internal const string SelectOrderSql = """
        SELECT o.id, o.email, o.category_id, o.total, o.status, o.va_number, o.bank, o.idempotency_key,
               o.created_at, o.expires_at, o.paid_at,
               CASE WHEN o.status IN ('pending', 'paid') THEN s.row_no END,
               CASE WHEN o.status IN ('pending', 'paid') THEN s.col_no END
        FROM orders o LEFT JOIN seats s ON s.id = o.seat_id
        """;

    internal const string GetSql = SelectOrderSql + " WHERE o.id = $1";

    internal const string GetByIdempotencyKeySql = SelectOrderSql + " WHERE o.idempotency_key = $1";

    /// <summary>
    /// Records the VAs of a batch of orders (<see cref="RecordVirtualAccountAsync"/>) in one statement, without waiting
    /// for its WAL flush (synchronous_commit off for this transaction alone): one of the three flushes of a paid
    /// order, and the only one whose loss in a crash loses nothing. The fan already has the VA, a payment to it is
    /// matched by order id, and a retried POST charges again under the same gateway Idempotency-Key, which returns
    /// the same VA. Returns the orders it recorded: those still pending or paid. `o.id = ANY ($1)` keeps every plan
    /// a keyed lookup (joined on v.id alone, the generic plan read the whole primary key).
    /// </summary>
    internal const string SetVirtualAccountsSql = """
        UPDATE orders o SET va_number = v.va_number, gateway_transaction_id = v.transaction_id
        FROM unnest($1::uuid[], $2::text[], $3::text[]) AS v (id, va_number, transaction_id)
        WHERE o.id = ANY ($1) AND o.id = v.id AND o.status IN ('pending', 'paid')
          AND set_config('synchronous_commit', 'off', true) = 'off'
        RETURNING o.id
        """;

    /// <summary>
    /// Ends a pending order and frees its seat in one statement; the gateway is told later (gateway_voids), so a
    /// slow gateway never delays the seat's return.
    /// </summary>
    internal const string CancelSql = """
        WITH ended AS (
            UPDATE orders SET status = 'cancelled', ended_at = now(), cancel_reason = $2
            WHERE id = $1 AND status = 'pending'
            RETURNING id, seat_id
        ),
        freed AS (
            UPDATE seats s SET order_id = NULL FROM ended WHERE s.id = ended.seat_id AND s.order_id = ended.id
        ),
        voided AS (
            INSERT INTO gateway_voids (order_id) SELECT id FROM ended ON CONFLICT DO NOTHING
        )
        SELECT count(*) FROM ended
        """;

    public Task<ClaimResult> ClaimAsync(Guid orderId, string email, int categoryId, TimeSpan hold,
        string? idempotencyKey, string bank, CancellationToken ct) =>
        _deadline.RunAsync(token => ClaimCoreAsync(orderId, email, categoryId, hold, idempotencyKey, bank, token), ct);

    private async Task<ClaimResult> ClaimCoreAsync(Guid orderId, string email, int categoryId, TimeSpan hold,
        string? idempotencyKey, string bank, CancellationToken ct)
    {
        await using var command = _dataSource.CreateCommand(ClaimSql);
        command.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = orderId });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = email });
        command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = categoryId });
        command.Parameters.Add(new NpgsqlParameter<TimeSpan> { TypedValue = hold });
        command.Parameters.Add(new NpgsqlParameter<string?> { TypedValue = idempotencyKey, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = bank });
        try
        {
            await using var reader = await command.ExecuteReaderAsync(ct);
            await reader.ReadAsync(ct);
            if (reader.IsDBNull(0)) return new ClaimResult(ClaimOutcome.UnknownCategory);
            switch (reader.GetString(0))
            {
                case "not_open": return new ClaimResult(ClaimOutcome.SaleNotOpen);
                case "closed": return new ClaimResult(ClaimOutcome.SaleClosed);
                case "paused": return new ClaimResult(ClaimOutcome.SalePaused);
            }
            if (reader.GetBoolean(1)) return new ClaimResult(ClaimOutcome.AlreadyOrdered);
            if (reader.IsDBNull(2)) return new ClaimResult(ClaimOutcome.SoldOut);
            return new ClaimResult(ClaimOutcome.Claimed, new OrderRow(
                orderId, email, categoryId, reader.GetInt64(4), OrderStatus.Pending, null, bank, idempotencyKey,
                reader.GetFieldValue<DateTimeOffset>(5), reader.GetFieldValue<DateTimeOffset>(6), null,
                reader.GetInt32(2), reader.GetInt32(3)));
        }
        catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.UniqueViolation)
        {
            return new ClaimResult(e.ConstraintName == "orders_idempotency_key"
                ? ClaimOutcome.DuplicateIdempotencyKey
                : ClaimOutcome.AlreadyOrdered);
        }
    }

    public Task<OrderRow?> GetAsync(Guid id, CancellationToken ct) =>
        QuerySingleAsync(GetSql, new NpgsqlParameter<Guid> { TypedValue = id }, ct);

    public Task<OrderRow?> GetByIdempotencyKeyAsync(string key, CancellationToken ct) =>
        QuerySingleAsync(GetByIdempotencyKeySql, new NpgsqlParameter<string> { TypedValue = key }, ct);

    /// <summary>
    /// Records an order's VA in the statement of the orders placed at the same time
    /// (<see cref="StatementBatcher{TItem, TKey, TResult}"/>); waits for its own row to be written, so a GET right
    /// after the POST shows the VA.
    /// </summary>
    /// <returns>False when the order ended meanwhile (its VA is then not recorded).</returns>
    public Task<bool> RecordVirtualAccountAsync(VirtualAccountRecord account) => _virtualAccounts.RunAsync(account);

    /// <returns>Per order, in order: whether its VA was recorded.</returns>
    private async Task<bool[]> SetVirtualAccountsCoreAsync(IReadOnlyList<VirtualAccountRecord> accounts, CancellationToken ct)
    {
        var ids = new Guid[accounts.Count];
        var numbers = new string[accounts.Count];
        var transactions = new string?[accounts.Count];
        for (var i = 0; i < accounts.Count; i++)
        {
            (ids[i], numbers[i], transactions[i]) = accounts[i];
        }

        await using var command = _dataSource.CreateCommand(SetVirtualAccountsSql);
        command.Parameters.Add(new NpgsqlParameter<Guid[]> { TypedValue = ids });
        command.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = numbers });
        command.Parameters.Add(new NpgsqlParameter<string?[]> { TypedValue = transactions, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Array | NpgsqlTypes.NpgsqlDbType.Text });
        var recorded = new HashSet<Guid>(accounts.Count);
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct)) recorded.Add(reader.GetGuid(0));
        return [.. accounts.Select(a => recorded.Contains(a.OrderId))];
    }

    /// <returns>True when this call ended the order (it was pending).</returns>
    public Task<bool> CancelAsync(Guid id, string reason, CancellationToken ct) =>
        _deadline.RunAsync(token => CancelCoreAsync(id, reason, token), ct);

    private async Task<bool> CancelCoreAsync(Guid id, string reason, CancellationToken ct)
    {
        await using var command = _dataSource.CreateCommand(CancelSql);
        command.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = id });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = reason });
        return (long)(await command.ExecuteScalarAsync(ct))! == 1;
    }

    private Task<OrderRow?> QuerySingleAsync(string sql, NpgsqlParameter parameter, CancellationToken ct) =>
        _deadline.RunAsync(token => QuerySingleCoreAsync(sql, parameter, token), ct);

    private async Task<OrderRow?> QuerySingleCoreAsync(string sql, NpgsqlParameter parameter, CancellationToken ct)
    {
        await using var command = _dataSource.CreateCommand(sql);
        command.Parameters.Add(parameter);
        await using var reader = await command.ExecuteReaderAsync(ct);
        if (!await reader.ReadAsync(ct)) return null;
        return new OrderRow(
            reader.GetGuid(0), reader.GetString(1), reader.GetInt32(2), reader.GetInt64(3), reader.GetString(4),
            reader.IsDBNull(5) ? null : reader.GetString(5),
            reader.IsDBNull(6) ? null : reader.GetString(6),
            reader.IsDBNull(7) ? null : reader.GetString(7),
            reader.GetFieldValue<DateTimeOffset>(8), reader.GetFieldValue<DateTimeOffset>(9),
            reader.IsDBNull(10) ? null : reader.GetFieldValue<DateTimeOffset>(10),
            reader.IsDBNull(11) ? null : reader.GetInt32(11),
            reader.IsDBNull(12) ? null : reader.GetInt32(12));
    }
}
