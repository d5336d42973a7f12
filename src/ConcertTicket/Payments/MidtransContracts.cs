namespace ConcertTicket.Payments;

// Midtrans Core API bodies (snake_case, like the AppJsonContext's naming policy).

internal sealed record MidtransTransactionDetails(string OrderId, long GrossAmount);

internal sealed record MidtransBankTransfer(string Bank);

internal sealed record MidtransCustomExpiry(string OrderTime, long ExpiryDuration, string Unit);

internal sealed record MidtransChargeRequest(
    string PaymentType,
    MidtransTransactionDetails TransactionDetails,
    MidtransBankTransfer BankTransfer,
    MidtransCustomExpiry CustomExpiry);

internal sealed record MidtransVaNumber(string? Bank, string? VaNumber);

/// <summary>The answer to charge, status, expire and cancel; also the shape of an HTTP notification.</summary>
internal sealed record MidtransTransaction
{
    public string? StatusCode { get; init; }
    public string? StatusMessage { get; init; }
    public string? TransactionId { get; init; }
    public string? OrderId { get; init; }
    public string? GrossAmount { get; init; }
    public string? TransactionStatus { get; init; }
    public string? FraudStatus { get; init; }
    public string? PaymentType { get; init; }
    public string? SignatureKey { get; init; }
    public string? TransactionTime { get; init; }
    public string? SettlementTime { get; init; }
    public string? Currency { get; init; }
    public string? MerchantId { get; init; }
    public IReadOnlyList<MidtransVaNumber>? VaNumbers { get; init; }
    public string? PermataVaNumber { get; init; }
}
