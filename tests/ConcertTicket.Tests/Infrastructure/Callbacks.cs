using System.Net.Http.Json;
using ConcertTicket.Payments;

namespace ConcertTicket.Tests.Infrastructure;

/// <summary>Midtrans HTTP notifications as Midtrans posts them, signed with the test server key unless told otherwise.</summary>
internal static class Callbacks
{
    public static Dictionary<string, string> Notification(Guid orderId, string transactionStatus, long total,
        string? statusCode = null, string? grossAmount = null, string? fraudStatus = "accept", string key = LiveServers.ServerKey)
    {
        statusCode ??= transactionStatus switch
        {
            "settlement" or "capture" or "refund" or "partial_refund" => "200",
            "pending" => "201",
            "deny" => "202",
            _ => "202",
        };
        grossAmount ??= $"{total}.00";
        var body = new Dictionary<string, string>
        {
            ["transaction_time"] = "2026-11-27 10:00:00",
            ["transaction_status"] = transactionStatus,
            ["transaction_id"] = Guid.NewGuid().ToString(),
            ["status_message"] = "midtrans payment notification",
            ["status_code"] = statusCode,
            ["signature_key"] = MidtransSignature.Compute(orderId.ToString(), statusCode, grossAmount, key),
            ["settlement_time"] = "2026-11-27 10:00:05",
            ["payment_type"] = "bank_transfer",
            ["order_id"] = orderId.ToString(),
            ["merchant_id"] = "G812785002",
            ["gross_amount"] = grossAmount,
            ["currency"] = "IDR",
            ["expiry_time"] = "2026-11-27 10:15:00",
        };
        if (fraudStatus is not null) body["fraud_status"] = fraudStatus;
        return body;
    }

    public static Task<HttpResponseMessage> PostAsync(TestApp app, Dictionary<string, string> notification) =>
        app.Client.PostAsJsonAsync("/payments/callback", notification);

    public static Task<HttpResponseMessage> PostAsync(TestApp app, Guid orderId, string transactionStatus, long total) =>
        PostAsync(app, Notification(orderId, transactionStatus, total));
}
