namespace ConcertTicket.Payments;

internal sealed record ChargeRequest(Guid OrderId, long Amount, string Bank, DateTimeOffset OrderTime, TimeSpan Expiry);

internal enum ChargeFailure
{
    /// <summary>The gateway answered with an error (HTTP or in-body status code).</summary>
    Rejected,

    /// <summary>The gateway did not answer in time or could not be reached.</summary>
    Unreachable,
}

internal sealed record ChargeResult(string? VaNumber, string? TransactionId, ChargeFailure? Failure, string? Reason)
{
    public bool Succeeded => Failure is null;

    public static ChargeResult Success(string vaNumber, string? transactionId) => new(vaNumber, transactionId, null, null);

    public static ChargeResult Failed(ChargeFailure failure, string reason) => new(null, null, failure, reason);
}

internal enum VoidResult
{
    /// <summary>The transaction is expired or cancelled at the gateway, or never existed there.</summary>
    Done,

    /// <summary>Try again later.</summary>
    Retry,
}

/// <summary>What the gateway says about an order's payment (GET /v2/{order_id}/status), reduced to what we act on.</summary>
internal enum PaymentState
{
    /// <summary>settlement, or capture with fraud_status accept: the money is there.</summary>
    Paid,

    /// <summary>pending, authorize, or a capture under fraud challenge: not paid yet, still payable.</summary>
    Pending,

    /// <summary>expire, cancel, deny or failure: it can no longer be paid.</summary>
    Ended,

    /// <summary>refund, partial_refund, chargeback, partial_chargeback: paid once, money (partly) returned.</summary>
    Reversed,

    /// <summary>The gateway never saw the order (status_code 404): no payment.</summary>
    Unknown,

    /// <summary>No answer in time, or an error answer: nothing is known.</summary>
    Unanswered,
}

/// <param name="Transaction">The gateway's answer, in a notification's shape (null when it did not answer).</param>
internal sealed record GatewayStatus(PaymentState State, MidtransTransaction? Transaction, string? Reason = null)
{
    public static GatewayStatus Unanswered(string reason) => new(PaymentState.Unanswered, null, reason);

    /// <summary>The one mapping from Midtrans's transaction_status (and fraud_status) to a payment state.</summary>
    public static PaymentState Classify(string? transactionStatus, string? fraudStatus) =>
        transactionStatus?.ToLowerInvariant() switch
        {
            "settlement" => PaymentState.Paid,
            "capture" when string.Equals(fraudStatus, "accept", StringComparison.OrdinalIgnoreCase) => PaymentState.Paid,
            "expire" or "cancel" or "deny" or "failure" => PaymentState.Ended,
            "refund" or "partial_refund" or "chargeback" or "partial_chargeback" => PaymentState.Reversed,
            _ => PaymentState.Pending,
        };
}

/// <summary>
/// The payment gateway: a bank-transfer Virtual Account per order, expiring it when the hold ends, and asking what
/// became of an order's payment (reconciliation, notification verification).
/// </summary>
internal interface IPaymentGateway
{
    Task<ChargeResult> ChargeAsync(ChargeRequest request, CancellationToken ct);

    Task<VoidResult> ExpireAsync(Guid orderId, CancellationToken ct);

    /// <summary>GET /v2/{order_id}/status. Never throws for a gateway failure (that is <see cref="PaymentState.Unanswered"/>); ct cancels.</summary>
    Task<GatewayStatus> GetStatusAsync(Guid orderId, CancellationToken ct);
}
