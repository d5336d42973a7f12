using ConcertTicket.Orders;

namespace ConcertTicket.CheckIn;

/// <summary>The body of POST /checkin.</summary>
internal sealed record CheckInRequest(string Code);

/// <summary>An admission: the ticket, its seat, and where and when it went in.</summary>
internal sealed record CheckInResult(string Result, Guid TicketId, string Category, SeatView Seat, string Gate, DateTimeOffset CheckedInAt);

internal sealed record CheckInEnvelope(CheckInResult Data);

/// <summary>One scan a scanner made while offline.</summary>
internal sealed record CheckInScan(string Code, string? Gate, DateTimeOffset ScannedAt);

/// <summary>The body of POST /checkin/batch.</summary>
internal sealed record CheckInBatchRequest(IReadOnlyList<CheckInScan> Scans);

/// <summary>
/// What became of one uploaded scan: admitted (this scan is the ticket's recorded admission), already_checked_in
/// (an earlier scan is; its gate and time), ticket_revoked, invalid_ticket or unknown_ticket.
/// </summary>
internal sealed record CheckInScanResult(int Index, string Result, Guid? TicketId, string? Gate, DateTimeOffset? CheckedInAt);

internal sealed record CheckInBatchResults(IReadOnlyList<CheckInScanResult> Results);

internal sealed record CheckInBatchEnvelope(CheckInBatchResults Data);
