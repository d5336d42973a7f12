using System.Globalization;
using ConcertTicket.Infrastructure;
using ConcertTicket.Tickets;

namespace ConcertTicket.Payments;

internal enum NotificationOutcome
{
    /// <summary>Valid and acted on (or nothing to do); the order's status is in the result.</summary>
    Handled,

    UnknownOrder,

    /// <summary>gross_amount is not the order's total: nothing changed.</summary>
    AmountMismatch,
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
    PaymentStore payments, IOrderCancellation orders, TicketRevocation revocation, PaymentMetrics metrics, ILoggerFactory loggers)
{
    private readonly ILogger _logger = loggers.CreateLogger(LogCategory);

    /// <summary>The callback's log category, as before the logic left the endpoint.</summary>
    public const string LogCategory = "ConcertTicket.Payments.Callback";

    public async Task<NotificationResult> ApplyAsync(MidtransTransaction notification, CancellationToken ct)
    {
        if (!Guid.TryParse(notification.OrderId, out var orderId)) return UnknownOrder(notification);
        // An amount that is not a number can match no order's total: it is answered as a mismatch.
        if (!decimal.TryParse(notification.GrossAmount, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var amount))
            amount = -1;

        var transactionStatus = notification.TransactionStatus!.ToLowerInvariant();
        var paid = transactionStatus == "settlement"
            || (transactionStatus == "capture" && string.Equals(notification.FraudStatus, "accept", StringComparison.OrdinalIgnoreCase));
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
        if (transactionStatus is "expire" or "cancel" or "deny" or "failure")
        {
            // Only a pending order ends here: a late expire never undoes a settlement.
            changed = await orders.CancelAsync(orderId, order.CategoryId, transactionStatus, ct);
            if (changed) orderStatus = OrderStatus.Cancelled;
            effect = changed ? "cancelled" : "no_change";
        }
        else if (TicketRevocation.IsMoneyReturned(transactionStatus) && order.Status == OrderStatus.Paid)
        {
            // Money back for a paid order: its ticket is revoked and its seat goes back on sale (Tickets/TicketRevocation).
            changed = await revocation.RefundAsync(orderId, transactionStatus, ct) is not null;
            orderStatus = changed ? OrderStatus.Refunded : await payments.GetStatusAsync(orderId, ct) ?? orderStatus;
            effect = changed ? "refunded" : "no_change";
        }
        else if (transactionStatus is "refund" or "partial_refund")
        {
            changed = await payments.RecordRefundAsync(orderId, transactionStatus, ct);
            effect = changed ? "refund_recorded" : "no_change";
        }
        else
        {
            // pending, authorize, a capture under fraud challenge, or a status Midtrans adds later: nothing to do.
            effect = "no_change";
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
