using System.Globalization;
using ConcertTicket.Infrastructure;
using ConcertTicket.Tickets;
using Microsoft.Extensions.Options;

namespace ConcertTicket.Payments;

internal enum NotificationOutcome
{
    /// <summary>Valid and acted on (or nothing to do); the order's status is in the result.</summary>
    Handled,

    UnknownOrder,

    /// <summary>gross_amount is not the order's total: nothing changed.</summary>
    AmountMismatch,

    /// <summary>The settlement could not be confirmed with Midtrans (no answer): Midtrans should send it again.</summary>
    NotConfirmed,
}

/// <param name="Total">The order's total, for an amount mismatch.</param>
/// <param name="Effect">What the notification did, for the trace (callback.outcome).</param>
internal sealed record NotificationResult(
    NotificationOutcome Outcome, Guid OrderId = default, string? OrderStatus = null, bool Changed = false,
    long Total = 0, string Effect = "");

/// <summary>
/// Applies a Midtrans notification whose signature the endpoint verified: settles, cancels or records a refund.
/// Idempotent and order-proof: a late pending or expire never undoes a settlement, and a repeat changes nothing.
/// </summary>
internal sealed partial class PaymentNotifications(
    PaymentStore payments, IOrderCancellation orders, TicketRevocation revocation, PaymentMetrics metrics,
    ILoggerFactory loggers, IPaymentGateway gateway, IOptions<PaymentOptions> options)
{
    private readonly ILogger _logger = loggers.CreateLogger(LogCategory);

    /// <summary>The callback's log category, as before the logic left the endpoint.</summary>
    public const string LogCategory = "ConcertTicket.Payments.Callback";

    /// <summary>
    /// A notification from the callback: with Payment:Midtrans:VerifyNotifications (and the Midtrans gateway), a
    /// settlement is first confirmed with GET /v2/{order_id}/status, and Midtrans's answer is applied instead of the
    /// notification, so a well-signed settlement Midtrans does not know pays nothing. No answer → NotConfirmed (5xx).
    /// </summary>
    public async Task<NotificationResult> ApplyNotificationAsync(MidtransTransaction notification, CancellationToken ct)
    {
        var o = options.Value;
        if (!o.UsesMidtrans || !o.Midtrans.VerifyNotifications || !Guid.TryParse(notification.OrderId, out var orderId)
            || GatewayStatus.Classify(notification.TransactionStatus, notification.FraudStatus) != PaymentState.Paid)
            return await ApplyAsync(notification, ct);

        GatewayStatus status;
        using (var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct))
        {
            timeout.CancelAfter(o.Midtrans.VerifyTimeout);
            try
            {
                status = await gateway.GetStatusAsync(orderId, timeout.Token);
            }
            catch (OperationCanceledException) when (!ct.IsCancellationRequested)
            {
                status = GatewayStatus.Unanswered("no answer in time");
            }
        }
        switch (status.State)
        {
            case PaymentState.Unanswered:
                LogNotConfirmed(_logger, orderId, status.Reason);
                return new NotificationResult(NotificationOutcome.NotConfirmed, orderId, Effect: "not_confirmed");
            case PaymentState.Paid:
                return await ApplyAsync(status.Transaction! with { OrderId = notification.OrderId }, ct);
        }
        // Midtrans does not confirm it: its own word (pending, expire...) is applied; a 404 changes nothing.
        LogDenied(_logger, orderId, status.Transaction?.TransactionStatus ?? "not found");
        var result = status.State == PaymentState.Unknown || status.Transaction?.TransactionStatus is null
            ? await CurrentAsync(orderId, ct)
            : await ApplyAsync(status.Transaction with { OrderId = notification.OrderId }, ct);
        return result with { Effect = "denied_by_midtrans:" + result.Effect };
    }

    private async Task<NotificationResult> CurrentAsync(Guid orderId, CancellationToken ct)
    {
        var order = await payments.FindAsync(orderId, ct);
        return order is null
            ? new NotificationResult(NotificationOutcome.UnknownOrder, Effect: "unknown_order")
            : new NotificationResult(NotificationOutcome.Handled, orderId, order.Status, false, order.Total, "no_change");
    }

    /// <summary>Applies a notification, or Midtrans's status answer, without asking Midtrans.</summary>
    public async Task<NotificationResult> ApplyAsync(MidtransTransaction notification, CancellationToken ct)
    {
        if (!Guid.TryParse(notification.OrderId, out var orderId)) return UnknownOrder(notification);
        // An amount that is not a number can match no order's total: it is answered as a mismatch.
        if (!decimal.TryParse(notification.GrossAmount, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var amount))
            amount = -1;

        var transactionStatus = notification.TransactionStatus!.ToLowerInvariant();
        // Money in goes through the batched pay statement, which applies MoneyStates' Pay and ClaimLate rows itself.
        var paid = MoneyStates.EventOf(transactionStatus, notification.FraudStatus) == MoneyEvent.Paid;
        var result = paid
            ? await SettleAsync(notification, orderId, amount, ct)
            : await ApplyOtherAsync(notification, orderId, amount, transactionStatus, ct);
        if (result.Outcome == NotificationOutcome.Handled)
            LogHandled(_logger, orderId, transactionStatus, result.OrderStatus!, result.Changed);
        return result;
    }

    /// <summary>The hot path: one statement checks the amount and pays a pending order.</summary>
    private async Task<NotificationResult> SettleAsync(MidtransTransaction notification, Guid orderId, decimal amount, CancellationToken ct)
    {
        var settlement = await payments.SettleAsync(orderId, amount, notification.TransactionId, ct);
        switch (settlement.Outcome)
        {
            case SettlementOutcome.UnknownOrder: return UnknownOrder(notification);
            case SettlementOutcome.AmountMismatch: return AmountMismatch(notification, orderId, settlement.Total);
            case SettlementOutcome.RefundRequired: LogRefundRequired(_logger, orderId); break;
        }
        metrics.Settled(settlement.CategoryId, settlement.Outcome);
        var changed = settlement.Outcome is SettlementOutcome.Paid or SettlementOutcome.PaidLate or SettlementOutcome.RefundRequired;
        return new NotificationResult(NotificationOutcome.Handled, orderId, settlement.Status, changed,
            settlement.Total, settlement.Outcome.ToString());
    }

    private async Task<NotificationResult> ApplyOtherAsync(MidtransTransaction notification, Guid orderId, decimal amount,
        string transactionStatus, CancellationToken ct)
    {
        var order = await payments.FindAsync(orderId, ct);
        if (order is null) return UnknownOrder(notification);
        if (amount != order.Total) return AmountMismatch(notification, orderId, order.Total);

        var changed = false;
        var orderStatus = order.Status;
        string effect;
        switch (MoneyStates.Decide(order.Status, MoneyStates.EventOf(transactionStatus, notification.FraudStatus)))
        {
            case MoneyAction.Cancel:
                // Only a pending order ends here (the statement re-checks): a late expire never undoes a settlement.
                changed = await orders.CancelAsync(orderId, order.CategoryId, transactionStatus, ct);
                if (changed) orderStatus = OrderStatus.Cancelled;
                effect = changed ? "cancelled" : "no_change";
                break;
            case MoneyAction.Revoke:
                // Money back for a paid order: its ticket is revoked and its seat goes back on sale (Tickets/TicketRevocation).
                changed = await revocation.RefundAsync(orderId, transactionStatus, ct) is not null;
                if (changed) orderStatus = OrderStatus.Refunded;
                else orderStatus = await payments.GetStatusAsync(orderId, ct) ?? orderStatus;
                effect = changed ? "refunded" : "no_change";
                break;
            case MoneyAction.RecordReversal:
                changed = await payments.RecordRefundAsync(orderId, transactionStatus, ct);
                effect = changed ? "refund_recorded" : "no_change";
                break;
            case MoneyAction.Flag:
                LogFlagged(_logger, orderId, transactionStatus, order.Status);
                effect = "flagged";
                break;
            default:
                // pending, authorize, a capture under fraud challenge, a status Midtrans adds later, or one that
                // would move the order backwards: nothing to do.
                effect = "no_change";
                break;
        }

        // Unchanged while it looked pending: a twin notification or the expiry got there first, so read what it is now.
        if (!changed && order.Status == OrderStatus.Pending) orderStatus = await payments.GetStatusAsync(orderId, ct) ?? orderStatus;
        return new NotificationResult(NotificationOutcome.Handled, orderId, orderStatus, changed, order.Total, effect);
    }

    private NotificationResult UnknownOrder(MidtransTransaction notification)
    {
        LogUnknownOrder(_logger, notification.OrderId);
        return new NotificationResult(NotificationOutcome.UnknownOrder, Effect: "unknown_order");
    }

    private NotificationResult AmountMismatch(MidtransTransaction notification, Guid orderId, long total)
    {
        LogAmountMismatch(_logger, orderId, notification.GrossAmount, total);
        return new NotificationResult(NotificationOutcome.AmountMismatch, orderId, Total: total, Effect: "amount_mismatch");
    }

    [LoggerMessage(EventName = "MoneyFlagged", Level = LogLevel.Warning, Message = "Midtrans reports {TransactionStatus} for order {OrderId}, which is {OrderStatus} here and never held that money: a person should check it")]
    private static partial void LogFlagged(ILogger logger, Guid orderId, string transactionStatus, string orderStatus);

    [LoggerMessage(EventName = "CallbackNotConfirmed", Level = LogLevel.Warning, Message = "Settlement notification for order {OrderId} could not be confirmed with Midtrans ({Reason}): answered 503 so that Midtrans retries")]
    private static partial void LogNotConfirmed(ILogger logger, Guid orderId, string? reason);

    [LoggerMessage(EventName = "CallbackDenied", Level = LogLevel.Warning, Message = "Signed settlement notification for order {OrderId} not confirmed by Midtrans, which reports {MidtransStatus}: not paid")]
    private static partial void LogDenied(ILogger logger, Guid orderId, string midtransStatus);

    [LoggerMessage(EventName = "CallbackUnknownOrder", Level = LogLevel.Warning, Message = "Signed payment callback for unknown order {OrderId}")]
    private static partial void LogUnknownOrder(ILogger logger, string? orderId);

    [LoggerMessage(EventName = "CallbackAmountMismatch", Level = LogLevel.Warning, Message = "Payment callback for order {OrderId} has gross_amount {GrossAmount}, the order's total is {Total}")]
    private static partial void LogAmountMismatch(ILogger logger, Guid orderId, string? grossAmount, long total);

    [LoggerMessage(EventName = "RefundRequired", Level = LogLevel.Warning, Message = "Order {OrderId} was paid after its hold ended and no seat is left: refund required")]
    private static partial void LogRefundRequired(ILogger logger, Guid orderId);

    [LoggerMessage(EventName = "CallbackHandled", Level = LogLevel.Information, Message = "Payment callback {TransactionStatus} for order {OrderId}: {OrderStatus} (changed: {Changed})")]
    private static partial void LogHandled(ILogger logger, Guid orderId, string transactionStatus, string orderStatus, bool changed);
}

/// <summary>
/// Ends a pending order and frees its seat when the gateway reports its payment expired, cancelled, denied or
/// failed. Orders implements it (Orders/OrderCancellation.cs), so Payments needs no type of Orders.
/// </summary>
internal interface IOrderCancellation
{
    /// <returns>True when this call ended the order (it was pending).</returns>
    Task<bool> CancelAsync(Guid orderId, int categoryId, string transactionStatus, CancellationToken ct);
}
