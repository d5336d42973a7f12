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

    public static void Schemas(IDictionary<string, IOpenApiSchema> schemas)
    {
        OpenApiText.Schema(schemas, "MidtransNotification", "Midtrans's HTTP notification (and transaction status). Only the members below are read; others are ignored.", new()
        {
            ["order_id"] = "The order's id.",
            ["status_code"] = "`200` settlement, `201` pending, `202` cancel or expire; part of the signature.",
            ["gross_amount"] = "The amount as Midtrans sends it (`3800000.00`); must equal the order's total. Part of the signature, exactly as sent.",
            ["signature_key"] = "Lowercase hex SHA-512 of order_id + status_code + gross_amount + the server key.",
            ["transaction_status"] = "`settlement` (or `capture` with `fraud_status` `accept`) pays the order; `expire`, `cancel`, `deny` and `failure` end a pending order; `refund` and `partial_refund` are recorded; others change nothing.",
            ["fraud_status"] = "`accept`, `challenge` or `deny`; a `capture` counts as paid only when `accept`.",
            ["transaction_id"] = "Midtrans's id of the transaction, recorded with the payment.",
        });
        OpenApiText.Schema(schemas, "CallbackResponse", "The answer to a notification.", new() { ["data"] = "What the notification did." });
        OpenApiText.Schema(schemas, "CallbackResult", "What a notification did.", new()
        {
            ["order_id"] = "The order.",
            ["status"] = "The order's status after the notification.",
            ["changed"] = "Whether this notification changed the order (false for repeats and late notices).",
        });
        OpenApiText.Enum(schemas, "CallbackResult", "status", OrdersOpenApi.Statuses);
        if (schemas.TryGetValue("MidtransNotification", out var found) && found is OpenApiSchema notification)
        {
            notification.Required = new HashSet<string> { "order_id", "status_code", "gross_amount", "signature_key", "transaction_status" };
        }
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
