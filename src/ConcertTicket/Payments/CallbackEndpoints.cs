using System.Text.Json;
using ConcertTicket.Infrastructure;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;

namespace ConcertTicket.Payments;

internal sealed record CallbackResult(Guid OrderId, string Status, bool Changed);

internal sealed record CallbackEnvelope(CallbackResult Data);

/// <summary>
/// POST /payments/callback: Midtrans's HTTP notification. Reads the body and verifies the signature;
/// <see cref="PaymentNotifications"/> applies it. Answers 200 to anything valid that needs no change, so Midtrans
/// stops retrying.
/// </summary>
internal static partial class CallbackEndpoints
{
    public static IEndpointRouteBuilder MapPaymentCallbacks(this IEndpointRouteBuilder app)
    {
        app.MapPost("/payments/callback", HandleAsync)
            .WithTags("Payments")
            .WithName("PaymentCallback")
            .WithOpenApiText(CallbackOpenApi.PaymentCallback, CallbackOpenApi.Schemas)
            .WithSummary("Midtrans HTTP notification (signed)")
            .Accepts<MidtransTransaction>("application/json")
            .WithDescription("Called by Midtrans, not by clients. Acts only on a valid signature_key and a gross_amount equal to the order's total; with Payment:Midtrans:VerifyNotifications a settlement is confirmed with Midtrans's status API first (503 when Midtrans does not answer, so that it retries); idempotent, and a late expire never undoes a payment.")
            .Produces<CallbackEnvelope>()
            .ProducesProblemCodes(StatusCodes.Status400BadRequest, "invalid_json", "validation_failed")
            .ProducesProblemCodes(StatusCodes.Status401Unauthorized, "invalid_signature")
            .ProducesProblemCodes(StatusCodes.Status404NotFound, "unknown_order")
            .ProducesProblemCodes(StatusCodes.Status413PayloadTooLarge, "payload_too_large")
            .ProducesProblemCodes(StatusCodes.Status415UnsupportedMediaType, "unsupported_media_type")
            .ProducesProblemCodes(StatusCodes.Status422UnprocessableEntity, "amount_mismatch")
            .ProducesProblemCodes(StatusCodes.Status503ServiceUnavailable, "dependency_unavailable");
        return app;
    }

    private static async Task<Results<Ok<CallbackEnvelope>, ProblemHttpResult>> HandleAsync(
        HttpRequest request, PaymentNotifications notifications, IOptions<PaymentOptions> options,
        IOptions<ApiOptions> apiOptions, ILoggerFactory loggers, CancellationToken ct)
    {
        var (document, problem) = await JsonBody.ReadAsync(request, apiOptions, ct);
        if (problem is not null) return problem;
        MidtransTransaction? notification;
        using (document)
        {
            try
            {
                // Unknown members are ignored: Midtrans adds fields over time.
                notification = document!.Deserialize(AppJsonContext.Default.MidtransTransaction);
            }
            catch (JsonException e)
            {
                return Problems.Create(400, "invalid_json", "The notification's fields have the wrong types.", e.Message);
            }
        }
        if (notification is null) return Problems.Of(400, "invalid_json", "Expected a JSON object.");

        using var activity = Telemetry.Payments.StartActivity("callback.verify");
        activity?.SetTag("order.id", notification.OrderId);
        activity?.SetTag("payment.transaction_status", notification.TransactionStatus);
        if (notification.OrderId is null || notification.StatusCode is null || notification.GrossAmount is null
            || !MidtransSignature.IsValid(notification.OrderId, notification.StatusCode, notification.GrossAmount,
                options.Value.ServerKey, notification.SignatureKey))
        {
            LogRejected(loggers.CreateLogger(PaymentNotifications.LogCategory), notification.OrderId,
                notification.SignatureKey is null ? "missing signature" : "invalid signature");
            activity?.SetTag("callback.outcome", "invalid_signature");
            return Problems.Of(401, "invalid_signature",
                "signature_key must be SHA-512(order_id + status_code + gross_amount + server key).");
        }
        if (string.IsNullOrEmpty(notification.TransactionStatus))
        {
            return Problems.Validation("transaction_status is required.",
                new Dictionary<string, string[]> { ["transaction_status"] = ["is required"] });
        }

        var result = await notifications.ApplyNotificationAsync(notification, ct);
        activity?.SetTag("callback.outcome", result.Effect);
        return result.Outcome switch
        {
            NotificationOutcome.Handled => TypedResults.Ok(new CallbackEnvelope(
                new CallbackResult(result.OrderId, result.OrderStatus!, result.Changed))),
            NotificationOutcome.UnknownOrder => Problems.Of(404, "unknown_order",
                $"Order '{notification.OrderId}' does not exist here."),
            NotificationOutcome.AmountMismatch => Problems.Of(422, "amount_mismatch",
                $"gross_amount {notification.GrossAmount} is not the order's total {result.Total}."),
            NotificationOutcome.NotConfirmed => Problems.Of(503, "dependency_unavailable",
                "The payment could not be confirmed with Midtrans (its status API did not answer); send the notification again."),
            _ => throw new InvalidOperationException($"Unhandled outcome {result.Outcome}"),
        };
    }

    [LoggerMessage(EventName = "CallbackRejected", Level = LogLevel.Warning, Message = "Payment callback rejected for order {OrderId}: {Reason}")]
    private static partial void LogRejected(ILogger logger, string? orderId, string reason);
}
