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
        WHERE id = $1 AND status = 'valid' AND (code IS NULL OR code = $3)
        RETURNING checked_in_at
        """;

    internal const string StateSql = "SELECT id, status, checked_in_at, checked_in_gate, code FROM tickets WHERE id = ANY ($1)";

    /// <summary>
    /// Uploaded scans: per ticket the batch's earliest scan, recorded when the ticket is valid or its recorded
    /// admission is later (the earliest scan wins). The tickets are locked in id order first, so two uploads that
    /// share tickets never deadlock, and each update reads the locked, latest version.
    /// </summary>
    internal const string AdmitBatchSql = """
        WITH scan AS (
            SELECT DISTINCT ON (s.id) s.id, s.gate, s.scanned_at, s.code
            FROM unnest($1::uuid[], $2::text[], $3::timestamptz[], $4::text[]) AS s (id, gate, scanned_at, code)
            ORDER BY s.id, s.scanned_at, s.gate
        ),
        locked AS (
            SELECT id, status, checked_in_at, code FROM tickets WHERE id = ANY ($1) ORDER BY id FOR UPDATE
        ),
        admitted AS (
            UPDATE tickets t SET status = 'checked_in', checked_in_at = s.scanned_at, checked_in_gate = s.gate
            FROM locked l JOIN scan s ON s.id = l.id
            WHERE t.id = ANY ($1) AND t.id = l.id AND (l.code IS NULL OR l.code = s.code)
              AND (l.status = 'valid' OR l.status = 'checked_in' AND l.checked_in_at > s.scanned_at)
            RETURNING t.id
        )
        SELECT count(*) FROM admitted
        """;

    public Task<(CheckInOutcome Outcome, TicketState? State)> AdmitAsync(Guid ticketId, string code, string gate, CancellationToken ct) =>
        deadline.RunAsync(async token =>
        {
            await using (var admit = dataSource.CreateCommand(AdmitSql))
            {
                admit.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = ticketId });
                admit.Parameters.Add(new NpgsqlParameter<string> { TypedValue = gate });
                admit.Parameters.Add(new NpgsqlParameter<string> { TypedValue = code });
                if (await admit.ExecuteScalarAsync(token) is DateTime at)
                {
                    return (CheckInOutcome.Admitted, new TicketState(ticketId, TicketStatus.CheckedIn,
                        new DateTimeOffset(DateTime.SpecifyKind(at, DateTimeKind.Utc)), gate, code));
                }
            }
            var state = (await StatesCoreAsync([ticketId], token)).GetValueOrDefault(ticketId);
            return (Explain(state, code), state);
        }, ct);

    /// <summary>Records each ticket's earliest scan of the batch, then reads every ticket's state.</summary>
    public Task<Dictionary<Guid, TicketState>> AdmitBatchAsync(IReadOnlyList<(Guid TicketId, string Code, string Gate, DateTimeOffset ScannedAt)> scans,
        CancellationToken ct) =>
        deadline.RunAsync(async token =>
        {
            var ids = scans.Select(s => s.TicketId).ToArray();
            await using (var admit = dataSource.CreateCommand(AdmitBatchSql))
            {
                admit.Parameters.Add(new NpgsqlParameter<Guid[]> { TypedValue = ids });
                admit.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = [.. scans.Select(s => s.Gate)] });
                admit.Parameters.Add(new NpgsqlParameter<DateTimeOffset[]> { TypedValue = [.. scans.Select(s => s.ScannedAt)] });
                admit.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = [.. scans.Select(s => s.Code)] });
                await admit.ExecuteNonQueryAsync(token);
            }
            return await StatesCoreAsync(ids, token);
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

    private async Task<Dictionary<Guid, TicketState>> StatesCoreAsync(Guid[] ids, CancellationToken ct)
    {
        await using var read = dataSource.CreateCommand(StateSql);
        read.Parameters.Add(new NpgsqlParameter<Guid[]> { TypedValue = ids });
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
