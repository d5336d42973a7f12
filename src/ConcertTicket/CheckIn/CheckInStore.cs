using ConcertTicket.Infrastructure;
using ConcertTicket.Tickets;
using Npgsql;

namespace ConcertTicket.CheckIn;

internal enum CheckInOutcome { Admitted, AlreadyCheckedIn, Revoked, Unknown }

/// <summary>A ticket's admission state after a check-in.</summary>
internal sealed record TicketState(Guid TicketId, string Status, DateTimeOffset? CheckedInAt, string? Gate, string? Code);

/// <summary>
/// The SQL of check-in. Admission is one conditional update (status = 'valid', or for an uploaded scan an earlier
/// time than the one recorded), so two gates scanning one ticket at once get one admission: the second update
/// waits for the first's row lock and then finds the ticket checked in. A state read only explains a refusal.
/// </summary>
internal sealed class CheckInStore(NpgsqlDataSource dataSource, PostgresDeadline deadline)
{
    /// <summary>The code must be the ticket's kept code (or none kept yet): a code never handed out admits nobody.</summary>
    internal const string AdmitSql = """
        UPDATE tickets SET status = 'checked_in', checked_in_at = now(), checked_in_gate = $2
        WHERE order_id = $1 AND id = $4 AND status = 'valid' AND (code IS NULL OR code = $3)
        RETURNING checked_in_at
        """;

    /// <summary>The tickets of these orders (the key, 0012), keyed below by their ticket id.</summary>
    internal const string StateSql = "SELECT id, status, checked_in_at, checked_in_gate, code FROM tickets WHERE order_id = ANY ($1)";

    /// <summary>
    /// Uploaded scans: per ticket the batch's earliest scan, recorded when the ticket is valid or its recorded
    /// admission is later (the earliest scan wins). The tickets are locked in key order first, so two uploads that
    /// share tickets never deadlock, and each update reads the locked, latest version.
    /// </summary>
    internal const string AdmitBatchSql = """
        WITH scan AS (
            SELECT DISTINCT ON (s.order_id, s.ticket_id) s.order_id, s.ticket_id, s.gate, s.scanned_at, s.code
            FROM unnest($1::uuid[], $2::text[], $3::timestamptz[], $4::text[], $5::uuid[]) AS s (order_id, gate, scanned_at, code, ticket_id)
            ORDER BY s.order_id, s.ticket_id, s.scanned_at, s.gate
        ),
        locked AS (
            SELECT order_id, id, status, checked_in_at, code FROM tickets WHERE order_id = ANY ($1) ORDER BY order_id FOR UPDATE
        ),
        admitted AS (
            UPDATE tickets t SET status = 'checked_in', checked_in_at = s.scanned_at, checked_in_gate = s.gate
            FROM locked l JOIN scan s ON s.order_id = l.order_id AND s.ticket_id = l.id
            WHERE t.order_id = ANY ($1) AND t.order_id = l.order_id AND (l.code IS NULL OR l.code = s.code)
              AND (l.status = 'valid' OR l.status = 'checked_in' AND l.checked_in_at > s.scanned_at)
            RETURNING t.order_id
        )
        SELECT count(*) FROM admitted
        """;

    public Task<(CheckInOutcome Outcome, TicketState? State)> AdmitAsync(TicketClaims ticket, string code, string gate, CancellationToken ct) =>
        deadline.RunAsync(async token =>
        {
            await using (var admit = dataSource.CreateCommand(AdmitSql))
            {
                admit.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = ticket.OrderId });
                admit.Parameters.Add(new NpgsqlParameter<string> { TypedValue = gate });
                admit.Parameters.Add(new NpgsqlParameter<string> { TypedValue = code });
                admit.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = ticket.TicketId });
                if (await admit.ExecuteScalarAsync(token) is DateTime at)
                {
                    return (CheckInOutcome.Admitted, new TicketState(ticket.TicketId, TicketStatus.CheckedIn,
                        new DateTimeOffset(DateTime.SpecifyKind(at, DateTimeKind.Utc)), gate, code));
                }
            }
            var state = (await StatesCoreAsync([ticket.OrderId], token)).GetValueOrDefault(ticket.TicketId);
            return (Explain(state, code), state);
        }, ct);

    /// <summary>Records each ticket's earliest scan of the batch, then reads every ticket's state, by ticket id.</summary>
    public Task<Dictionary<Guid, TicketState>> AdmitBatchAsync(IReadOnlyList<(TicketClaims Ticket, string Code, string Gate, DateTimeOffset ScannedAt)> scans,
        CancellationToken ct) =>
        deadline.RunAsync(async token =>
        {
            var orderIds = scans.Select(s => s.Ticket.OrderId).ToArray();
            await using (var admit = dataSource.CreateCommand(AdmitBatchSql))
            {
                admit.Parameters.Add(new NpgsqlParameter<Guid[]> { TypedValue = orderIds });
                admit.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = [.. scans.Select(s => s.Gate)] });
                admit.Parameters.Add(new NpgsqlParameter<DateTimeOffset[]> { TypedValue = [.. scans.Select(s => s.ScannedAt)] });
                admit.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = [.. scans.Select(s => s.Code)] });
                admit.Parameters.Add(new NpgsqlParameter<Guid[]> { TypedValue = [.. scans.Select(s => s.Ticket.TicketId)] });
                await admit.ExecuteNonQueryAsync(token);
            }
            return await StatesCoreAsync(orderIds, token);
        }, ct);

    /// <summary>Why a check-in did not admit, from the ticket's state; Admitted only for its recorded admission.</summary>
    internal static CheckInOutcome Explain(TicketState? state, string code) => state switch
    {
        null => CheckInOutcome.Unknown,
        { Code: not null } when state.Code != code => CheckInOutcome.Unknown,
        { Status: TicketStatus.Revoked } => CheckInOutcome.Revoked,
        { Status: TicketStatus.CheckedIn } => CheckInOutcome.AlreadyCheckedIn,
        // Valid, yet the conditional update did not take it: only a code mismatch does that, answered above.
        _ => CheckInOutcome.Unknown,
    };

    private async Task<Dictionary<Guid, TicketState>> StatesCoreAsync(Guid[] orderIds, CancellationToken ct)
    {
        await using var read = dataSource.CreateCommand(StateSql);
        read.Parameters.Add(new NpgsqlParameter<Guid[]> { TypedValue = orderIds });
        await using var reader = await read.ExecuteReaderAsync(ct);
        var states = new Dictionary<Guid, TicketState>();
        while (await reader.ReadAsync(ct))
        {
            var id = reader.GetGuid(0);
            states[id] = new TicketState(id, reader.GetString(1),
                reader.IsDBNull(2) ? null : reader.GetFieldValue<DateTimeOffset>(2),
                reader.IsDBNull(3) ? null : reader.GetString(3),
                reader.IsDBNull(4) ? null : reader.GetString(4));
        }
        return states;
    }
}
