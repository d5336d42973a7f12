using System.Globalization;
using System.Text.Json;
using ConcertTicket.Infrastructure;
using ConcertTicket.Orders;
using ConcertTicket.Tickets;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;

namespace ConcertTicket.Payments;

internal sealed record CallbackResult(Guid OrderId, string Status, bool Changed);

internal sealed record CallbackEnvelope(CallbackResult Data);

/// <summary>
/// POST /payments/callback: Midtrans's HTTP notification. Acts only on a verified signature and a matching amount;
/// idempotent and order-proof (a late pending or expire never undoes a settlement), and answers 200 to anything
/// valid that needs no change, so Midtrans stops retrying.
/// </summary>
internal static partial class CallbackEndpoints
{
    public static IEndpointRouteBuilder MapPaymentCallbacks(this IEndpointRouteBuilder app)
    {
        app.MapPost("/payments/callback", HandleAsync)
            .WithTags("Payments")
            .WithName("PaymentCallback")
            .WithSummary("Midtrans HTTP notification (signed)")
            .Accepts<MidtransTransaction>("application/json")
            .WithDescription("Called by Midtrans, not by clients. Acts only on a valid signature_key and a gross_amount equal to the order's total; idempotent, and a late expire never undoes a payment.")
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
        HttpRequest request, OrderStore orders, PaymentStore payments, IOptions<PaymentOptions> options,
        IOptions<ApiOptions> apiOptions, OrderMetrics metrics, TicketRevocation revocation, ILoggerFactory loggers, CancellationToken ct)
    {
        var logger = loggers.CreateLogger("ConcertTicket.Payments.Callback");
        var (document, problem) = await JsonBody.ReadAsync(request, apiOptions, ct);
        if (problem is not null) return problem;
        MidtransTransaction? n;
        using (document)
        {
            try
            {
                // Unknown members are ignored: Midtrans adds fields over time.
                n = document!.Deserialize(AppJsonContext.Default.MidtransTransaction);
            }
            catch (JsonException e)
            {
                return Problems.Create(400, "invalid_json", "The notification's fields have the wrong types.", e.Message);
            }
        }
        if (n is null) return Problems.Create(400, "invalid_json", "The body is not valid JSON.", "Expected a JSON object.");

        using var activity = Telemetry.Payments.StartActivity("callback.verify");
        activity?.SetTag("order.id", n.OrderId);
        activity?.SetTag("payment.transaction_status", n.TransactionStatus);
        if (n.OrderId is null || n.StatusCode is null || n.GrossAmount is null
            || !MidtransSignature.IsValid(n.OrderId, n.StatusCode, n.GrossAmount, options.Value.ServerKey, n.SignatureKey))
        {
            LogRejected(logger, n.OrderId, n.SignatureKey is null ? "missing signature" : "invalid signature");
            activity?.SetTag("callback.outcome", "invalid_signature");
            return Problems.Create(401, "invalid_signature", "The notification's signature is missing or wrong.",
                "signature_key must be SHA-512(order_id + status_code + gross_amount + server key).");
        }
        if (string.IsNullOrEmpty(n.TransactionStatus))
        {
            return Problems.Validation("transaction_status is required.",
                new Dictionary<string, string[]> { ["transaction_status"] = ["is required"] });
        }

        if (!Guid.TryParse(n.OrderId, out var orderId)) return UnknownOrder();
        // An amount that is not a number can match no order's total: it is answered as a mismatch.
        if (!decimal.TryParse(n.GrossAmount, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var amount))
            amount = -1;

        var status = n.TransactionStatus.ToLowerInvariant();
        var paid = status == "settlement" || (status == "capture" && string.Equals(n.FraudStatus, "accept", StringComparison.OrdinalIgnoreCase));
        bool changed;
        string now;
        if (paid)
        {
            // The hot path: one statement checks the amount and pays a pending order.
            var settlement = await payments.SettleAsync(orderId, amount, n.TransactionId, ct);
            if (settlement.Outcome == SettlementOutcome.UnknownOrder) return UnknownOrder();
            if (settlement.Outcome == SettlementOutcome.AmountMismatch) return AmountMismatch(settlement.Total);
            changed = settlement.Outcome is SettlementOutcome.Paid or SettlementOutcome.PaidLate or SettlementOutcome.RefundRequired;
            now = settlement.Status!;
            if (settlement.Outcome == SettlementOutcome.RefundRequired) LogRefundRequired(logger, orderId);
            metrics.Settled(settlement.CategoryId, settlement.Outcome);
            activity?.SetTag("callback.outcome", settlement.Outcome.ToString());
        }
        else
        {
            var order = await orders.GetAsync(orderId, ct);
            if (order is null) return UnknownOrder();
            if (amount != order.Total) return AmountMismatch(order.Total);
            changed = false;
            now = order.Status;
            if (status is "expire" or "cancel" or "deny" or "failure")
            {
                // Only a pending order ends here: a late expire never undoes a settlement.
                changed = await orders.CancelAsync(orderId, "gateway: " + status, ct);
                if (changed)
                {
                    now = OrderStatus.Cancelled;
                    metrics.Cancelled(order.CategoryId, "gateway_" + status);
                }
                activity?.SetTag("callback.outcome", changed ? "cancelled" : "no_change");
            }
            else if (TicketRevocation.IsMoneyReturned(status) && order.Status == OrderStatus.Paid)
            {
                // Money back for a paid order: its ticket is revoked and its seat goes back on sale (Tickets/TicketRevocation).
                changed = await revocation.RefundAsync(orderId, status, ct) is not null;
                if (changed) now = OrderStatus.Refunded;
                else now = await payments.GetStatusAsync(orderId, ct) ?? now;
                activity?.SetTag("callback.outcome", changed ? "refunded" : "no_change");
            }
            else if (status is "refund" or "partial_refund")
            {
                changed = await payments.RecordRefundAsync(orderId, status, ct);
                activity?.SetTag("callback.outcome", changed ? "refund_recorded" : "no_change");
            }
            else
            {
                // pending, authorize, a capture under fraud challenge, or a status Midtrans adds later: nothing to do.
                activity?.SetTag("callback.outcome", "no_change");
            }

            // Unchanged while it looked pending: a twin notification or the expiry got there first, so read what it is now.
            if (!changed && order.Status == OrderStatus.Pending) now = await payments.GetStatusAsync(orderId, ct) ?? now;
        }
        LogHandled(logger, orderId, status, now, changed);
        return TypedResults.Ok(new CallbackEnvelope(new CallbackResult(orderId, now, changed)));

        ProblemHttpResult UnknownOrder()
        {
            LogUnknownOrder(logger, n.OrderId);
            activity?.SetTag("callback.outcome", "unknown_order");
            return Problems.Create(404, "unknown_order", "No such order.", $"Order '{n.OrderId}' does not exist here.");
        }

        ProblemHttpResult AmountMismatch(long total)
        {
            LogAmountMismatch(logger, orderId, n.GrossAmount, total);
            activity?.SetTag("callback.outcome", "amount_mismatch");
            return Problems.Create(422, "amount_mismatch", "The amount does not match the order.",
                $"gross_amount {n.GrossAmount} is not the order's total {total}.");
        }
    }

    [LoggerMessage(EventName = "CallbackRejected", Level = LogLevel.Warning, Message = "Payment callback rejected for order {OrderId}: {Reason}")]
    private static partial void LogRejected(ILogger logger, string? orderId, string reason);

    [LoggerMessage(EventName = "CallbackUnknownOrder", Level = LogLevel.Warning, Message = "Signed payment callback for unknown order {OrderId}")]
    private static partial void LogUnknownOrder(ILogger logger, string? orderId);

    [LoggerMessage(EventName = "CallbackAmountMismatch", Level = LogLevel.Warning, Message = "Payment callback for order {OrderId} has gross_amount {GrossAmount}, the order's total is {Total}")]
    private static partial void LogAmountMismatch(ILogger logger, Guid orderId, string? grossAmount, long total);

    [LoggerMessage(EventName = "RefundRequired", Level = LogLevel.Warning, Message = "Order {OrderId} was paid after its hold ended and no seat is left: refund required")]
    private static partial void LogRefundRequired(ILogger logger, Guid orderId);

    [LoggerMessage(EventName = "CallbackHandled", Level = LogLevel.Information, Message = "Payment callback {TransactionStatus} for order {OrderId}: {OrderStatus} (changed: {Changed})")]
    private static partial void LogHandled(ILogger logger, Guid orderId, string transactionStatus, string orderStatus, bool changed);
}
