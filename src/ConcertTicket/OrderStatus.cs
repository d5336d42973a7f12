namespace ConcertTicket;

/// <summary>
/// The states of an order, as stored and as the API shows them. Shared by Orders (which claims and ends orders) and
/// Payments (which settles them), so neither feature imports the other's types for it.
/// </summary>
internal static class OrderStatus
{
    /// <summary>Holds its seat until paid or until <c>expires_at</c>.</summary>
    public const string Pending = "pending";

    /// <summary>Paid: the seat is the fan's.</summary>
    public const string Paid = "paid";

    /// <summary>Not paid within the hold window; the seat went back on sale.</summary>
    public const string Expired = "expired";

    /// <summary>Ended before payment (the gateway failed, or reported the payment cancelled/denied).</summary>
    public const string Cancelled = "cancelled";

    /// <summary>Money arrived after the hold ended and no seat was left to give: the fan must be refunded.</summary>
    public const string RefundRequired = "refund_required";

    /// <summary>Paid, then refunded or charged back: the ticket is revoked and the seat went back on sale.</summary>
    public const string Refunded = "refunded";
}
