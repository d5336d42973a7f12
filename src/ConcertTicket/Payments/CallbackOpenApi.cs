using System.Text.Json;
using System.Text.Json.Nodes;
using ConcertTicket.Infrastructure;
using ConcertTicket.Orders;
using Microsoft.OpenApi;

namespace ConcertTicket.Payments;

/// <summary>POST /payments/callback in the OpenAPI document: signed example notifications and the answers.</summary>
internal static class CallbackOpenApi
{
    public static void PaymentCallback(OpenApiOperation operation)
    {
        OpenApiText.Body(operation,
            "Midtrans's HTTP notification. Unknown members are ignored. The examples are signed with the local server key `local-dev-server-key` (scripts/sign-callback.sh makes them for another order).",
            ("settlement", Notification("settlement", "200", "Success, transaction is found")),
            ("expire", Notification("expire", "202", "Success, transaction is found")));
        OpenApiText.Success(operation, "200",
            "Accepted: `status` is the order's status now, `changed` whether this notification changed it. Repeats and notifications that change nothing also get 200, so that Midtrans stops retrying.",
            ("paid", Answer(OrderStatus.Paid, changed: true)),
            ("repeat", Answer(OrderStatus.Paid, changed: false)));
    }

    /// <summary>A notification as Midtrans sends it, signed with <see cref="OpenApiExamples.LocalServerKey"/>.</summary>
    private static JsonObject Notification(string transactionStatus, string statusCode, string message)
    {
        var orderId = OpenApiExamples.OrderId.ToString();
        var grossAmount = OpenApiExamples.VipPrice.ToString("0.00", System.Globalization.CultureInfo.InvariantCulture);
        var notification = new MidtransTransaction
        {
            TransactionTime = "2026-12-01 17:00:00",
            TransactionStatus = transactionStatus,
            TransactionId = "be03df7d-2f97-4c8c-a53c-8959f1b67295",
            StatusMessage = message,
            StatusCode = statusCode,
            SignatureKey = MidtransSignature.Compute(orderId, statusCode, grossAmount, OpenApiExamples.LocalServerKey),
            SettlementTime = transactionStatus == "settlement" ? "2026-12-01 17:07:00" : null,
            PaymentType = "bank_transfer",
            OrderId = orderId,
            MerchantId = "G812785002",
            GrossAmount = grossAmount,
            FraudStatus = "accept",
            Currency = "IDR",
            VaNumbers = [new MidtransVaNumber("bri", OpenApiExamples.VaNumber)],
        };
        var node = JsonSerializer.SerializeToNode(notification, AppJsonContext.Default.MidtransTransaction)!.AsObject();
        // Midtrans leaves out what does not apply (no permata_va_number for a BRI account).
        foreach (var name in node.Where(p => p.Value is null).Select(p => p.Key).ToList()) node.Remove(name);
        return node;
    }

    private static JsonNode Answer(string status, bool changed) => JsonSerializer.SerializeToNode(
        new CallbackEnvelope(new CallbackResult(OpenApiExamples.OrderId, status, changed)), AppJsonContext.Default.CallbackEnvelope)!;
}
