namespace ConcertTicket.Payments;

/// <summary>What the gateway says happened to the money, reduced to the events the order's state machine knows.</summary>
internal enum MoneyEvent
{
    /// <summary>settlement, or capture with fraud_status accept.</summary>
    Paid,

    /// <summary>pending, authorize, a capture under fraud challenge, or a status Midtrans adds later.</summary>
    Pending,

    /// <summary>expire, cancel, deny, failure.</summary>
    Ended,

    Refund,
    PartialRefund,
    Chargeback,
    PartialChargeback,
}

/// <summary>What a notification (or a status answer) does to an order.</summary>
internal enum MoneyAction
{
    /// <summary>Nothing changes (a repeat, or a message that would move the order backwards).</summary>
    None,

    /// <summary>pending → paid (PaymentStore.PaySql).</summary>
    Pay,

    /// <summary>expired/cancelled → paid with a free seat of its category, else refund_required (PaymentStore.ClaimSeatForLatePaymentSql).</summary>
    ClaimLate,

    /// <summary>pending → cancelled, its seat freed (IOrderCancellation).</summary>
    Cancel,

    /// <summary>
    /// paid → refunded: the money of a paid order went (partly) back, so its ticket is revoked and its seat goes back on
    /// sale, in one statement (Tickets/TicketRevocation.RefundSql).
    /// </summary>
    Revoke,

    /// <summary>Money owed or already returned went back: refund_status records which (PaymentStore.RecordRefundSql).</summary>
    RecordReversal,

    /// <summary>Midtrans reports money moving for an order that never held it here: logged for a person, nothing changed.</summary>
    Flag,
}

/// <summary>
/// The money state machine of an order, in one table: current order status × gateway event → action. Every pair is
/// listed (MoneyStatesTests checks the table is total and runs each pair against the database).
/// </summary>
internal static class MoneyStates
{
    public static readonly string[] Statuses =
        [OrderStatus.Pending, OrderStatus.Paid, OrderStatus.Expired, OrderStatus.Cancelled, OrderStatus.RefundRequired, OrderStatus.Refunded];

    private static readonly Dictionary<(string Status, MoneyEvent Event), MoneyAction> Table = new()
    {
        [(OrderStatus.Pending, MoneyEvent.Paid)] = MoneyAction.Pay,
        [(OrderStatus.Pending, MoneyEvent.Pending)] = MoneyAction.None,
        [(OrderStatus.Pending, MoneyEvent.Ended)] = MoneyAction.Cancel,
        [(OrderStatus.Pending, MoneyEvent.Refund)] = MoneyAction.Flag,
        [(OrderStatus.Pending, MoneyEvent.PartialRefund)] = MoneyAction.Flag,
        [(OrderStatus.Pending, MoneyEvent.Chargeback)] = MoneyAction.Flag,
        [(OrderStatus.Pending, MoneyEvent.PartialChargeback)] = MoneyAction.Flag,

        [(OrderStatus.Paid, MoneyEvent.Paid)] = MoneyAction.None,
        [(OrderStatus.Paid, MoneyEvent.Pending)] = MoneyAction.None,
        [(OrderStatus.Paid, MoneyEvent.Ended)] = MoneyAction.None,
        [(OrderStatus.Paid, MoneyEvent.Refund)] = MoneyAction.Revoke,
        [(OrderStatus.Paid, MoneyEvent.PartialRefund)] = MoneyAction.Revoke,
        [(OrderStatus.Paid, MoneyEvent.Chargeback)] = MoneyAction.Revoke,
        [(OrderStatus.Paid, MoneyEvent.PartialChargeback)] = MoneyAction.Revoke,

        [(OrderStatus.Expired, MoneyEvent.Paid)] = MoneyAction.ClaimLate,
        [(OrderStatus.Expired, MoneyEvent.Pending)] = MoneyAction.None,
        [(OrderStatus.Expired, MoneyEvent.Ended)] = MoneyAction.None,
        [(OrderStatus.Expired, MoneyEvent.Refund)] = MoneyAction.Flag,
        [(OrderStatus.Expired, MoneyEvent.PartialRefund)] = MoneyAction.Flag,
        [(OrderStatus.Expired, MoneyEvent.Chargeback)] = MoneyAction.Flag,
        [(OrderStatus.Expired, MoneyEvent.PartialChargeback)] = MoneyAction.Flag,

        [(OrderStatus.Cancelled, MoneyEvent.Paid)] = MoneyAction.ClaimLate,
        [(OrderStatus.Cancelled, MoneyEvent.Pending)] = MoneyAction.None,
        [(OrderStatus.Cancelled, MoneyEvent.Ended)] = MoneyAction.None,
        [(OrderStatus.Cancelled, MoneyEvent.Refund)] = MoneyAction.Flag,
        [(OrderStatus.Cancelled, MoneyEvent.PartialRefund)] = MoneyAction.Flag,
        [(OrderStatus.Cancelled, MoneyEvent.Chargeback)] = MoneyAction.Flag,
        [(OrderStatus.Cancelled, MoneyEvent.PartialChargeback)] = MoneyAction.Flag,

        // The money is owed back: Midtrans reporting it returned is the refund being done.
        [(OrderStatus.RefundRequired, MoneyEvent.Paid)] = MoneyAction.None,
        [(OrderStatus.RefundRequired, MoneyEvent.Pending)] = MoneyAction.None,
        [(OrderStatus.RefundRequired, MoneyEvent.Ended)] = MoneyAction.None,
        [(OrderStatus.RefundRequired, MoneyEvent.Refund)] = MoneyAction.RecordReversal,
        [(OrderStatus.RefundRequired, MoneyEvent.PartialRefund)] = MoneyAction.RecordReversal,
        [(OrderStatus.RefundRequired, MoneyEvent.Chargeback)] = MoneyAction.RecordReversal,
        [(OrderStatus.RefundRequired, MoneyEvent.PartialChargeback)] = MoneyAction.RecordReversal,

        // Refunded: the ticket is revoked and the seat is back on sale; later messages are recorded, never undo it.
        [(OrderStatus.Refunded, MoneyEvent.Paid)] = MoneyAction.None,
        [(OrderStatus.Refunded, MoneyEvent.Pending)] = MoneyAction.None,
        [(OrderStatus.Refunded, MoneyEvent.Ended)] = MoneyAction.None,
        [(OrderStatus.Refunded, MoneyEvent.Refund)] = MoneyAction.RecordReversal,
        [(OrderStatus.Refunded, MoneyEvent.PartialRefund)] = MoneyAction.RecordReversal,
        [(OrderStatus.Refunded, MoneyEvent.Chargeback)] = MoneyAction.RecordReversal,
        [(OrderStatus.Refunded, MoneyEvent.PartialChargeback)] = MoneyAction.RecordReversal,
    };

    public static MoneyAction Decide(string status, MoneyEvent moneyEvent) =>
        Table.TryGetValue((status, moneyEvent), out var action) ? action : MoneyAction.None;

    public static bool IsListed(string status, MoneyEvent moneyEvent) => Table.ContainsKey((status, moneyEvent));

    /// <summary>Midtrans's transaction_status (and fraud_status) as an event.</summary>
    public static MoneyEvent EventOf(string transactionStatus, string? fraudStatus) => transactionStatus.ToLowerInvariant() switch
    {
        "settlement" => MoneyEvent.Paid,
        "capture" when string.Equals(fraudStatus, "accept", StringComparison.OrdinalIgnoreCase) => MoneyEvent.Paid,
        "expire" or "cancel" or "deny" or "failure" => MoneyEvent.Ended,
        "refund" => MoneyEvent.Refund,
        "partial_refund" => MoneyEvent.PartialRefund,
        "chargeback" => MoneyEvent.Chargeback,
        "partial_chargeback" => MoneyEvent.PartialChargeback,
        _ => MoneyEvent.Pending,
    };
}
