using System.Text.Json;
using System.Text.Json.Nodes;
using ConcertTicket.Categories;
using ConcertTicket.Orders;
using ConcertTicket.Payments;

namespace ConcertTicket.Infrastructure;

/// <summary>
/// The OpenAPI document's examples, made from the service's own records and serialized by its own JSON context,
/// so an example can never use a member name the service does not write.
/// </summary>
internal static class OpenApiExamples
{
    /// <summary>The example order; requests.http uses the same id, and its callback signature is made for it.</summary>
    public static readonly Guid OrderId = Guid.Parse("0193a0c4-5e6f-7a8b-9c0d-1e2f3a4b5c6d");

    /// <summary>The server key scripts/run.sh and docker-compose.yml configure; never a real Midtrans key.</summary>
    public const string LocalServerKey = "local-dev-server-key";

    public const long VipPrice = 3_800_000;

    private static readonly DateTimeOffset CreatedAt = new(2026, 12, 1, 10, 0, 0, TimeSpan.Zero);

    public static string VaNumber => FakeGateway.VaNumberFor(OrderId);

    public static JsonNode Categories() => JsonSerializer.SerializeToNode(new CategoryList(
        [
            new CategoryView(1, "VIP", VipPrice, 14_873),
            new CategoryView(2, "PLATINUM", 3_400_000, 15_000),
            new CategoryView(3, "CAT 1", 2_900_000, 0),
        ]), AppJsonContext.Default.CategoryList)!;

    public static JsonNode CreateOrderRequest() => new JsonObject { ["email"] = "fan@example.com", ["category_id"] = 1 };

    public static JsonNode PendingOrder() => Order(OrderStatus.Pending, new SeatView(12, 34), paidAt: null);

    public static JsonNode PaidOrder() => Order(OrderStatus.Paid, new SeatView(12, 34), CreatedAt.AddMinutes(7));

    public static JsonNode ExpiredOrder() => Order(OrderStatus.Expired, seat: null, paidAt: null);

    private static JsonNode Order(string status, SeatView? seat, DateTimeOffset? paidAt) =>
        JsonSerializer.SerializeToNode(new OrderEnvelope(new OrderView(
            OrderId, VipPrice, VaNumber, "bri", status, 1, seat, CreatedAt.AddMinutes(15), paidAt)),
            AppJsonContext.Default.OrderEnvelope)!;

    /// <summary>A settlement notification as Midtrans sends it, signed with <see cref="LocalServerKey"/>.</summary>
    public static JsonNode SettlementNotification() => Notification("settlement", "200", "Success, transaction is found");

    public static JsonNode ExpireNotification() => Notification("expire", "202", "Success, transaction is found");

    private static JsonObject Notification(string transactionStatus, string statusCode, string message)
    {
        var orderId = OrderId.ToString();
        var grossAmount = VipPrice.ToString("0.00", System.Globalization.CultureInfo.InvariantCulture);
        var notification = new MidtransTransaction
        {
            TransactionTime = "2026-12-01 17:00:00",
            TransactionStatus = transactionStatus,
            TransactionId = "be03df7d-2f97-4c8c-a53c-8959f1b67295",
            StatusMessage = message,
            StatusCode = statusCode,
            SignatureKey = MidtransSignature.Compute(orderId, statusCode, grossAmount, LocalServerKey),
            SettlementTime = transactionStatus == "settlement" ? "2026-12-01 17:07:00" : null,
            PaymentType = "bank_transfer",
            OrderId = orderId,
            MerchantId = "G812785002",
            GrossAmount = grossAmount,
            FraudStatus = "accept",
            Currency = "IDR",
            VaNumbers = [new MidtransVaNumber("bri", VaNumber)],
        };
        var node = JsonSerializer.SerializeToNode(notification, AppJsonContext.Default.MidtransTransaction)!.AsObject();
        // Midtrans leaves out what does not apply (no permata_va_number for a BRI account).
        foreach (var name in node.Where(p => p.Value is null).Select(p => p.Key).ToList()) node.Remove(name);
        return node;
    }

    public static JsonNode CallbackAnswer(string status, bool changed) => JsonSerializer.SerializeToNode(
        new CallbackEnvelope(new CallbackResult(OrderId, status, changed)), AppJsonContext.Default.CallbackEnvelope)!;
}
