using System.Text.Json.Serialization;
using ConcertTicket.Categories;
using ConcertTicket.Orders;
using ConcertTicket.Payments;

namespace ConcertTicket.Infrastructure;

/// <summary>All JSON the service reads and writes, source-generated, in snake_case like the seed and Midtrans.</summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower,
    DefaultIgnoreCondition = JsonIgnoreCondition.Never,
    NumberHandling = JsonNumberHandling.Strict)]
[JsonSerializable(typeof(CategoryList))]
[JsonSerializable(typeof(OrderEnvelope))]
[JsonSerializable(typeof(CallbackEnvelope))]
[JsonSerializable(typeof(MidtransChargeRequest))]
[JsonSerializable(typeof(MidtransTransaction))]
internal sealed partial class AppJsonContext : JsonSerializerContext;
