using ConcertTicket.Infrastructure;
using Npgsql;

namespace ConcertTicket.Tickets;

internal static class TicketStatus
{
    public const string Valid = "valid";
    public const string CheckedIn = "checked_in";
    public const string Revoked = "revoked";
}

/// <summary>A ticket with its seat, concert and holder; Code is null until the ticket is first read.</summary>
internal sealed record TicketRow(
    Guid Id, Guid OrderId, string? Code, string Status, DateTimeOffset IssuedAt, DateTimeOffset? CheckedInAt,
    string? CheckedInGate, string Concert, string Category, int Row, int Column, string Email, DateTimeOffset? PaidAt)
{
    public TicketClaims Claims => new(Id, OrderId, Concert, Category, Row, Column, IssuedAt);
}

/// <summary>
/// The SQL of tickets. Tickets are created by the pay statements (PaymentStore.PaySql, SettleLateSql); this store
/// reads them and gives each its code once: the first reader signs it and keeps it with
/// <c>WHERE code IS NULL</c>, so a racing reader finds the winner's code.
/// </summary>
internal sealed class TicketStore(NpgsqlDataSource dataSource, PostgresDeadline deadline, TicketCode codes)
{
    /// <summary>
    /// The ticket rows first, alone, then one keyed lookup per joined row (OFFSET 0 keeps the order's lookup a
    /// parameterised one): planned as one join on the empty tables of a sale's start, the generic plan read whole
    /// indexes of tickets and orders (QueryPlanTests).
    /// </summary>
    private const string SelectFromTicketsSql = """
        SELECT t.id, t.order_id, t.code, t.status, t.issued_at, t.checked_in_at, t.checked_in_gate,
               co.name, ca.name, s.row_no, s.col_no, o.email, o.paid_at
        FROM t
        JOIN LATERAL (SELECT email, paid_at FROM orders WHERE orders.id = t.order_id OFFSET 0) o ON true
        JOIN seats s ON s.id = t.seat_id
        JOIN categories ca ON ca.id = s.category_id
        JOIN concerts co ON co.id = ca.concert_id
        """;

    internal const string ByOrderSql = "WITH t AS MATERIALIZED (SELECT * FROM tickets WHERE order_id = $1)\n" + SelectFromTicketsSql;

    /// <summary>A ticket by its code's claims: found by its order (the key, 0012), and only if the ticket id agrees.</summary>
    internal const string ByClaimsSql = "WITH t AS MATERIALIZED (SELECT * FROM tickets WHERE order_id = $1 AND id = $2)\n" + SelectFromTicketsSql;

    internal const string ByOrdersSql = "WITH t AS MATERIALIZED (SELECT * FROM tickets WHERE order_id = ANY ($1))\n" + SelectFromTicketsSql;

    internal const string SaveCodeSql = "UPDATE tickets SET code = $2 WHERE order_id = $1 AND code IS NULL RETURNING code";

    internal const string CodeSql = "SELECT code FROM tickets WHERE order_id = $1";

    public Task<TicketRow?> GetByOrderAsync(Guid orderId, CancellationToken ct) =>
        deadline.RunAsync(token => SingleAsync(ByOrderSql, orderId, token), ct);

    /// <summary>The ticket a verified code names; null when no ticket of that order has that id.</summary>
    public Task<TicketRow?> GetAsync(TicketClaims claims, CancellationToken ct) =>
        deadline.RunAsync(token => SingleAsync(ByClaimsSql, claims.OrderId, token, claims.TicketId), ct);

    public async Task<List<TicketRow>> GetByOrdersAsync(Guid[] orderIds, CancellationToken ct)
    {
        await using var command = dataSource.CreateCommand(ByOrdersSql);
        command.Parameters.Add(new NpgsqlParameter<Guid[]> { TypedValue = orderIds });
        await using var reader = await command.ExecuteReaderAsync(ct);
        var rows = new List<TicketRow>(orderIds.Length);
        while (await reader.ReadAsync(ct)) rows.Add(Read(reader));
        return rows;
    }

    /// <summary>The ticket's code, signing and keeping it if nobody has yet.</summary>
    public async Task<string> EnsureCodeAsync(TicketRow ticket, CancellationToken ct)
    {
        if (ticket.Code is not null) return ticket.Code;
        var signed = codes.Sign(ticket.Claims);
        return await deadline.RunAsync(async token =>
        {
            await using (var save = dataSource.CreateCommand(SaveCodeSql))
            {
                save.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = ticket.OrderId });
                save.Parameters.Add(new NpgsqlParameter<string> { TypedValue = signed });
                if (await save.ExecuteScalarAsync(token) is string saved) return saved;
            }
            // Another reader kept its code first; a new statement sees its commit.
            await using var read = dataSource.CreateCommand(CodeSql);
            read.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = ticket.OrderId });
            return (string)(await read.ExecuteScalarAsync(token))!;
        }, ct);
    }

    private async Task<TicketRow?> SingleAsync(string sql, Guid orderId, CancellationToken ct, Guid? ticketId = null)
    {
        await using var command = dataSource.CreateCommand(sql);
        command.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = orderId });
        if (ticketId is { } id) command.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = id });
        await using var reader = await command.ExecuteReaderAsync(ct);
        return await reader.ReadAsync(ct) ? Read(reader) : null;
    }

    private static TicketRow Read(NpgsqlDataReader r) => new(
        r.GetGuid(0), r.GetGuid(1), r.IsDBNull(2) ? null : r.GetString(2), r.GetString(3),
        r.GetFieldValue<DateTimeOffset>(4),
        r.IsDBNull(5) ? null : r.GetFieldValue<DateTimeOffset>(5),
        r.IsDBNull(6) ? null : r.GetString(6),
        r.GetString(7), r.GetString(8), r.GetInt32(9), r.GetInt32(10), r.GetString(11),
        r.IsDBNull(12) ? null : r.GetFieldValue<DateTimeOffset>(12));
}
