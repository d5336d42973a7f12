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

    /// <summary>gross_amount is not the order's total: nothing changed.</summary>
    AmountMismatch,
}

/// <summary>One notification for the pay statement; Amount is null when it can equal no total.</summary>
internal sealed record PayRequest(Guid OrderId, long? Amount, string? TransactionId);

/// <summary>An order as the pay statement found it, and whether that statement paid it.</summary>
internal sealed record PayResult(long Total, string Status, int CategoryId, bool PaidNow);

/// <summary>What a settlement did, with the order's total, category and status after it.</summary>
internal sealed record Settlement(SettlementOutcome Outcome, long Total = 0, int CategoryId = 0, string? Status = null);

/// <summary>What a notification that pays nothing needs of its order.</summary>
internal sealed record NotifiedOrder(long Total, string Status, int CategoryId);

/// <summary>
/// The SQL of payment notifications: settle, claim a seat for a late payment, record refunds. A caller waits for each
/// statement at most Postgres:OperationTimeoutSeconds (<see cref="PostgresDeadline"/>), once: a batched statement
/// under the batch's deadline, every other under its own.
/// </summary>
internal sealed class PaymentStore
{
    /// <summary>Bounds one pay statement's arrays; more waiting notifications go in the next batch.</summary>
    internal const int MaxPayBatch = 256;

    private readonly NpgsqlDataSource _dataSource;
    private readonly PostgresDeadline _deadline;
    private readonly StatementBatcher<PayRequest, Guid, PayResult?> _pays;

    public PaymentStore(NpgsqlDataSource dataSource, PostgresDeadline deadline)
    {
        _dataSource = dataSource;
        _deadline = deadline;
        _pays = new(Telemetry.Payments, "settlements.write",
            requests => deadline.RunAsync(token => PayCoreAsync(requests, token), CancellationToken.None),
            MaxPayBatch, r => r.OrderId);
    }

    /// <summary>
    /// The common case for the notifications of a busy moment, in one round trip (<see cref="StatementBatcher{TItem, TKey, TResult}"/>):
    /// read each order and, if it is pending and the amount is its total, pay it. The update re-checks 'pending' on
    /// each row's latest version, so a racing expiry or twin notification wins or loses cleanly, and a repeat
    /// changes nothing. Returns each order found as it was, and whether this statement paid it. `id = ANY ($1)`
    /// keeps every plan a keyed lookup; the ids come sorted, so two statements lock rows in the same order. One
    /// commit, flushed before any of the notifications is answered.
    /// </summary>
    internal const string PaySql = """
        WITH request AS (
            SELECT * FROM unnest($1::uuid[], $2::bigint[], $3::text[]) AS r (id, amount, transaction_id)
        ),
        current AS (
            SELECT id, total, status, category_id FROM orders WHERE id = ANY ($1)
        ),
        paid AS (
            UPDATE orders o
            SET status = 'paid', paid_at = now(), gateway_transaction_id = coalesce(r.transaction_id, o.gateway_transaction_id)
            FROM request r JOIN current c ON c.id = r.id
            WHERE o.id = ANY ($1) AND o.id = r.id AND o.status = 'pending' AND c.total = r.amount
            RETURNING o.id, o.seat_id
        ),
        -- The ticket, due for its e-mail (its row is the outbox: 0011), in the transaction that pays the order
        -- (Tickets/, TicketEmail/).
        ticket AS (
            INSERT INTO tickets (id, order_id, seat_id) SELECT gen_random_uuid(), id, seat_id FROM paid
        )
        SELECT c.id, c.total, c.status, c.category_id, c.id IN (SELECT id FROM paid) FROM current c
        """;

    /// <summary>
    /// The seat claim of a late payment: money for an order whose hold already ended claims a free seat of its
    /// category if the fan has no other active order (as <c>OrderStore.ClaimSql</c> does for a new order), else marks
    /// it refund_required. The order row is locked first, so a repeated notification waits and then finds it settled.
    /// Free seats that are only locked by claims still running (which may yet fail or be rolled back) are not "sold
    /// out": unless $3 (the caller's last attempt), the statement then changes nothing and answers 'busy', and the
    /// caller tries again a moment later. A fan loses the seat only when the category has no free seat at all.
    /// </summary>
    internal const string ClaimSeatForLatePaymentSql = """
        WITH target AS (
            SELECT id, category_id, concert_id, email FROM orders
            WHERE id = $1 AND status IN ('expired', 'cancelled')
            FOR UPDATE
        ),
        other_active AS (
            SELECT EXISTS (SELECT 1 FROM orders o
                           WHERE o.concert_id = (SELECT concert_id FROM target)
                             AND o.email = (SELECT email FROM target) AND o.status IN ('pending', 'paid')) AS yes
        ),
        seat AS (
            SELECT s.id FROM seats s
            WHERE s.category_id = (SELECT category_id FROM target) AND s.order_id IS NULL
              AND NOT (SELECT yes FROM other_active)
            ORDER BY s.id
            LIMIT 1
            FOR UPDATE SKIP LOCKED
        ),
        busy AS (
            SELECT NOT $3 AND NOT EXISTS (SELECT 1 FROM seat) AND NOT (SELECT yes FROM other_active)
                AND EXISTS (SELECT 1 FROM seats s
                            WHERE s.category_id = (SELECT category_id FROM target) AND s.order_id IS NULL) AS yes
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
            WHERE o.id = $1 AND o.id = target.id AND (claimed.id IS NOT NULL OR NOT (SELECT yes FROM busy))
            RETURNING o.status, o.seat_id
        ),
        -- The ticket, due for its e-mail, when the late money got a seat (Tickets/, TicketEmail/).
        ticket AS (
            INSERT INTO tickets (id, order_id, seat_id)
            SELECT gen_random_uuid(), $1, seat_id FROM settled WHERE status = 'paid'
        )
        SELECT coalesce((SELECT status FROM settled), CASE WHEN (SELECT yes FROM busy) THEN 'busy' END)
        """;

    /// <summary>The last resort of a late payment whose seat claim kept failing: the money is owed back, never lost.</summary>
    internal const string MarkRefundRequiredSql = """
        UPDATE orders SET status = 'refund_required', paid_at = now(), gateway_transaction_id = coalesce($2, gateway_transaction_id)
        WHERE id = $1 AND status IN ('expired', 'cancelled')
        RETURNING status
        """;

    /// <summary>How long a late payment keeps trying for a seat that other claims hold locked.</summary>
    internal static readonly TimeSpan LateClaimPatience = TimeSpan.FromSeconds(2);

    internal const string StatusSql = "SELECT status FROM orders WHERE id = $1";

    internal const string FindSql = "SELECT total, status, category_id FROM orders WHERE id = $1";

    internal const string RecordRefundSql = """
        UPDATE orders SET refund_status = $2, refunded_at = coalesce(refunded_at, now())
        WHERE id = $1 AND refund_status IS DISTINCT FROM $2
        """;

    /// <param name="amount">The notification's gross_amount; the order is only settled when it equals the total.</param>
    public async Task<Settlement> SettleAsync(Guid orderId, decimal amount, string? transactionId, CancellationToken ct)
    {
        // A fractional or out-of-range amount can equal no total: NULL matches nothing.
        long? whole = decimal.Truncate(amount) == amount && amount is > 0 and <= long.MaxValue ? (long)amount : null;
        PayResult? pay;
        using (Telemetry.Payments.StartActivity("settlement.pay"))
        {
            // The batch's statement runs under its own deadline; ct only stops this caller's wait.
            pay = await _pays.RunAsync(new PayRequest(orderId, whole, transactionId)).WaitAsync(ct);
        }
        if (pay is null) return new Settlement(SettlementOutcome.UnknownOrder);
        var (total, before, categoryId, paidNow) = pay;
        if (paidNow) return new Settlement(SettlementOutcome.Paid, total, categoryId, OrderStatus.Paid);
        if (amount != total) return new Settlement(SettlementOutcome.AmountMismatch, total, categoryId, before);
        if (before is OrderStatus.Paid or OrderStatus.RefundRequired)
            return new Settlement(SettlementOutcome.AlreadySettled, total, categoryId, before);

        // The hold had ended (or ended while this notification was on its way). The fan's email may have gained
        // another active order between the check and the claim; the unique index then rolls the statement back and
        // the next attempt sees that order and marks this one for refund. Seats locked by other claims are waited
        // for (retried) up to LateClaimPatience; after that the last attempt decides with what it sees.
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        for (var attempt = 1; ; attempt++)
        {
            var last = System.Diagnostics.Stopwatch.GetElapsedTime(started) >= LateClaimPatience || attempt >= 40;
            string? status;
            try
            {
                status = await _deadline.RunAsync(token => ClaimSeatForLatePaymentCoreAsync(orderId, transactionId, last, token), ct);
            }
            catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.UniqueViolation)
            {
                if (!last) continue;
                status = await _deadline.RunAsync(token => LateCoreAsync(MarkRefundRequiredSql, orderId, transactionId, null, token), ct);
            }
            if (status == "busy")
            {
                await Task.Delay(TimeSpan.FromMilliseconds(Math.Min(10 * attempt, 100)), ct);
                continue;
            }
            if (status is not null)
            {
                return new Settlement(status == OrderStatus.Paid ? SettlementOutcome.PaidLate : SettlementOutcome.RefundRequired,
                    total, categoryId, status);
            }
            break;
        }

        // Neither pending nor ended any more: a racing twin notification settled it first.
        var current = await GetStatusAsync(orderId, ct) ?? before;
        return new Settlement(SettlementOutcome.AlreadySettled, total, categoryId, current);
    }

    /// <returns>The order's status after the claim (paid or refund_required), 'busy' when only locked seats are free; null when it had not ended.</returns>
    private Task<string?> ClaimSeatForLatePaymentCoreAsync(Guid orderId, string? transactionId, bool last, CancellationToken ct) =>
        LateCoreAsync(ClaimSeatForLatePaymentSql, orderId, transactionId, last, ct);

    private async Task<string?> LateCoreAsync(string sql, Guid orderId, string? transactionId, bool? last, CancellationToken ct)
    {
        await using var late = _dataSource.CreateCommand(sql);
        late.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = orderId });
        late.Parameters.Add(new NpgsqlParameter<string?> { TypedValue = transactionId, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text });
        if (last is { } final) late.Parameters.Add(new NpgsqlParameter<bool> { TypedValue = final });
        return await late.ExecuteScalarAsync(ct) as string;
    }

    /// <returns>Per request, in order: the order as it was and whether this statement paid it; null for an unknown order.</returns>
    private async Task<PayResult?[]> PayCoreAsync(IReadOnlyList<PayRequest> requests, CancellationToken ct)
    {
        var sorted = requests.OrderBy(r => r.OrderId).ToArray();
        await using var pay = _dataSource.CreateCommand(PaySql);
        pay.Parameters.Add(new NpgsqlParameter<Guid[]> { TypedValue = [.. sorted.Select(r => r.OrderId)] });
        pay.Parameters.Add(new NpgsqlParameter<long?[]> { TypedValue = [.. sorted.Select(r => r.Amount)], NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Array | NpgsqlTypes.NpgsqlDbType.Bigint });
        pay.Parameters.Add(new NpgsqlParameter<string?[]> { TypedValue = [.. sorted.Select(r => r.TransactionId)], NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Array | NpgsqlTypes.NpgsqlDbType.Text });
        var found = new Dictionary<Guid, PayResult>(requests.Count);
        await using (var reader = await pay.ExecuteReaderAsync(ct))
        {
            while (await reader.ReadAsync(ct))
                found[reader.GetGuid(0)] = new PayResult(reader.GetInt64(1), reader.GetString(2), reader.GetInt32(3), reader.GetBoolean(4));
        }
        return [.. requests.Select(r => found.TryGetValue(r.OrderId, out var result) ? result : null)];
    }

    public Task<NotifiedOrder?> FindAsync(Guid orderId, CancellationToken ct) =>
        _deadline.RunAsync(token => FindCoreAsync(orderId, token), ct);

    private async Task<NotifiedOrder?> FindCoreAsync(Guid orderId, CancellationToken ct)
    {
        await using var command = _dataSource.CreateCommand(FindSql);
        command.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = orderId });
        await using var reader = await command.ExecuteReaderAsync(ct);
        return await reader.ReadAsync(ct) ? new NotifiedOrder(reader.GetInt64(0), reader.GetString(1), reader.GetInt32(2)) : null;
    }

    public Task<string?> GetStatusAsync(Guid orderId, CancellationToken ct) =>
        _deadline.RunAsync(token => GetStatusCoreAsync(orderId, token), ct);

    private async Task<string?> GetStatusCoreAsync(Guid orderId, CancellationToken ct)
    {
        await using var command = _dataSource.CreateCommand(StatusSql);
        command.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = orderId });
        return (string?)await command.ExecuteScalarAsync(ct);
    }

    /// <returns>True when this notification changed the order's refund record.</returns>
    public Task<bool> RecordRefundAsync(Guid orderId, string refundStatus, CancellationToken ct) =>
        _deadline.RunAsync(token => RecordRefundCoreAsync(orderId, refundStatus, token), ct);

    private async Task<bool> RecordRefundCoreAsync(Guid orderId, string refundStatus, CancellationToken ct)
    {
        await using var command = _dataSource.CreateCommand(RecordRefundSql);
        command.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = orderId });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = refundStatus });
        return await command.ExecuteNonQueryAsync(ct) == 1;
    }
}
