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

    /// <summary>Every status an order can have, as the API writes it.</summary>
    public static readonly string[] Statuses =
        [OrderStatus.Pending, OrderStatus.Paid, OrderStatus.Expired, OrderStatus.Cancelled, OrderStatus.RefundRequired];

    public static void Schemas(IDictionary<string, IOpenApiSchema> schemas)
    {
        OpenApiText.Schema(schemas, "CreateOrderRequest", "The body of POST /orders.", new()
        {
            ["email"] = "The fan's email: one ticket per email. Trimmed and compared case-insensitively; at most 254 characters.",
            ["category_id"] = "The category to take a seat from (GET /categories).",
        });
        OpenApiText.Schema(schemas, "OrderResponse", "An order.", new() { ["data"] = "The order." });
        OpenApiText.Schema(schemas, "Order", "An order and the seat it holds.", new()
        {
            ["id"] = "The order's id; also Midtrans's `order_id`.",
            ["total"] = "The amount to pay, in whole rupiah (IDR).",
            ["va_code"] = "The Virtual Account number to pay to; null while the gateway has not answered yet.",
            ["bank"] = "The Virtual Account's bank (`bca`, `bni`, `bri`, `cimb` or `permata`).",
            ["status"] = "`pending` until paid; `paid`; `expired` (not paid in time); `cancelled` (the payment failed or was cancelled); `refund_required` (paid after the hold ended with no seat left to give).",
            ["category_id"] = "The seat's category.",
            ["seat"] = "The seat, while the order holds it (pending or paid); null once the order ended.",
            ["expires_at"] = "When an unpaid order ends and its seat goes back on sale.",
            ["paid_at"] = "When the payment was settled; null until then.",
        });
        OpenApiText.Schema(schemas, "Seat", "A seat of the category's grid.", new() { ["row"] = "Row, from 1.", ["column"] = "Column, from 1." });
        OpenApiText.Enum(schemas, "Order", "status", Statuses);
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
