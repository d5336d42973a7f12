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

/// <summary>The payment gateway: a bank-transfer Virtual Account per order, and expiring it when the hold ends.</summary>
internal interface IPaymentGateway
{
    Task<ChargeResult> ChargeAsync(ChargeRequest request, CancellationToken ct);

    Task<VoidResult> ExpireAsync(Guid orderId, CancellationToken ct);
}
