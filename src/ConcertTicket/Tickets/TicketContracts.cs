using System.Text.Json.Serialization;
using ConcertTicket.Orders;

namespace ConcertTicket.Tickets;

/// <summary>A paid order's ticket, as GET /orders/{id} shows it.</summary>
internal sealed record TicketLink(string Code, string Url)
{
    public static TicketLink For(string code) => new(code, "/tickets/" + code);
}

/// <summary>A ticket as the fan and the door see it.</summary>
internal sealed record TicketView(
    Guid TicketId,
    Guid OrderId,
    string Concert,
    string Category,
    SeatView Seat,
    string Holder,
    string Status,
    DateTimeOffset? CheckedInAt,
    string? CheckedInGate);

internal sealed record TicketEnvelope(TicketView Data);

[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower,
    DefaultIgnoreCondition = JsonIgnoreCondition.Never,
    NumberHandling = JsonNumberHandling.Strict)]
[JsonSerializable(typeof(TicketEnvelope))]
[JsonSerializable(typeof(JwkSet))]
[JsonSerializable(typeof(ConcertTicket.CheckIn.CheckInRequest))]
[JsonSerializable(typeof(ConcertTicket.CheckIn.CheckInEnvelope))]
[JsonSerializable(typeof(ConcertTicket.CheckIn.CheckInBatchRequest))]
[JsonSerializable(typeof(ConcertTicket.CheckIn.CheckInBatchEnvelope))]
internal sealed partial class TicketJsonContext : JsonSerializerContext;
