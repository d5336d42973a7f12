namespace ConcertTicket.Orders;

internal sealed record SeatView(int Row, int Column);

/// <summary>An order as the API shows it; <c>id</c>, <c>total</c> and <c>va_code</c> keep the seed's names.</summary>
internal sealed record OrderView(
    Guid Id,
    long Total,
    string? VaCode,
    string? Bank,
    string Status,
    int CategoryId,
    SeatView? Seat,
    DateTimeOffset ExpiresAt,
    DateTimeOffset? PaidAt,
    Tickets.TicketLink? Ticket = null);

internal sealed record OrderEnvelope(OrderView Data);
