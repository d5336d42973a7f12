using System.Text.Json;
using System.Text.Json.Nodes;
using ConcertTicket.Infrastructure;
using Microsoft.OpenApi;

namespace ConcertTicket.Orders;

/// <summary>POST /orders and GET /orders/{id} in the OpenAPI document: descriptions, the Idempotency-Key, examples.</summary>
internal static class OrdersOpenApi
{
    public static void CreateOrder(OpenApiOperation operation)
    {
        DescribeIdempotencyKey(operation);
        OpenApiText.Body(operation, "The fan's email (one ticket per email, compared case-insensitively) and the seat category.",
            ("order", new JsonObject { ["email"] = "fan@example.com", ["category_id"] = 1 }));
        var created = OpenApiText.Success(operation, "201",
            "The order holds a seat until `expires_at`; pay `total` to the Virtual Account `va_code` at `bank` before then. A retry with the same `Idempotency-Key` answers 201 with the same order.",
            ("pending", PendingOrder()));
        created.Headers = new Dictionary<string, IOpenApiHeader>
        {
            ["Location"] = OpenApiText.Header(JsonSchemaType.String, "The order's URL.", "/orders/" + OpenApiExamples.OrderId),
        };
    }

    public static void GetOrder(OpenApiOperation operation)
    {
        if (OpenApiText.Parameter(operation, "id") is { } id)
        {
            id.Description = "The order's id, from the 201 answer of POST /orders.";
            id.Example = OpenApiExamples.OrderId.ToString();
        }
        OpenApiText.Success(operation, "200", "The order as it is now.",
            ("pending", PendingOrder()), ("paid", Order(OrderStatus.Paid, new SeatView(12, 34), OpenApiExamples.CreatedAt.AddMinutes(7))),
            ("expired", Order(OrderStatus.Expired, seat: null, paidAt: null)));
    }

    private static void DescribeIdempotencyKey(OpenApiOperation operation)
    {
        if (OpenApiText.Parameter(operation, OrderEndpoints.IdempotencyKeyHeader) is not { } key) return;
        key.Description = "Makes the request safe to retry (a timeout, a lost answer): a request with a key already used answers with the order that key created, as long as the email and category are the same (else 422 `idempotency_key_reused`). A fresh random value (a UUID) per new order.";
        key.Schema = new OpenApiSchema
        {
            Type = JsonSchemaType.String,
            MinLength = 1,
            MaxLength = OrderEndpoints.MaxIdempotencyKeyLength,
            Pattern = "^[!-~]+$",
            Description = "1 to 64 printable ASCII characters, no spaces.",
        };
        key.Example = "6f1c2b9e-3d4a-4e5f-8a7b-1c2d3e4f5a6b";
    }

    private static JsonNode PendingOrder() => Order(OrderStatus.Pending, new SeatView(12, 34), paidAt: null);

    private static JsonNode Order(string status, SeatView? seat, DateTimeOffset? paidAt) =>
        JsonSerializer.SerializeToNode(new OrderEnvelope(new OrderView(
            OpenApiExamples.OrderId, OpenApiExamples.VipPrice, OpenApiExamples.VaNumber, "bri", status, 1, seat,
            OpenApiExamples.CreatedAt.AddMinutes(15), paidAt)),
            AppJsonContext.Default.OrderEnvelope)!;
}
