using System.Buffers.Binary;
using System.IO.Hashing;
using Microsoft.Extensions.Options;

namespace ConcertTicket.Payments;

/// <summary>
/// The gateway for local runs and load tests (the seed's <c>-tags loadtest</c>): waits Payment:Fake:LatencyMs,
/// fails Payment:Fake:FailureRate of the charges, and hands out a VA number derived from the order id, so a
/// retried charge gets the same number, as Midtrans's Idempotency-Key would give.
/// </summary>
internal sealed class FakeGateway(IOptions<PaymentOptions> options, TimeProvider time) : IPaymentGateway
{
    public async Task<ChargeResult> ChargeAsync(ChargeRequest request, CancellationToken ct)
    {
        var fake = options.Value.Fake;
        if (fake.LatencyMs > 0) await Task.Delay(TimeSpan.FromMilliseconds(fake.LatencyMs), time, ct);
        if (fake.FailureRate > 0 && Random.Shared.NextDouble() < fake.FailureRate)
            return ChargeResult.Failed(ChargeFailure.Rejected, "fake gateway: simulated failure");
        return ChargeResult.Success(VaNumberFor(request.OrderId), "fake-" + request.OrderId.ToString("N"));
    }

    public async Task<VoidResult> ExpireAsync(Guid orderId, CancellationToken ct)
    {
        var fake = options.Value.Fake;
        if (fake.LatencyMs > 0) await Task.Delay(TimeSpan.FromMilliseconds(fake.LatencyMs), time, ct);
        return VoidResult.Done;
    }

    /// <summary>
    /// The fake takes no money, so every order it charged is still pending there; the status call waits like the
    /// others, so reconciliation can be measured against it.
    /// </summary>
    public async Task<GatewayStatus> GetStatusAsync(Guid orderId, CancellationToken ct)
    {
        var fake = options.Value.Fake;
        if (fake.LatencyMs > 0) await Task.Delay(TimeSpan.FromMilliseconds(fake.LatencyMs), time, ct);
        return new GatewayStatus(PaymentState.Pending, new MidtransTransaction
        {
            OrderId = orderId.ToString(), StatusCode = "201", TransactionStatus = "pending",
            TransactionId = "fake-" + orderId.ToString("N"),
        });
    }

    /// <summary>'8' and 17 digits from a 64-bit hash of the order id: 18 digits, like a BRI VA number.</summary>
    internal static string VaNumberFor(Guid orderId)
    {
        Span<byte> bytes = stackalloc byte[16];
        orderId.TryWriteBytes(bytes);
        var hash = BinaryPrimitives.ReadUInt64LittleEndian(XxHash64.Hash(bytes));
        return "8" + (hash % 100_000_000_000_000_000UL).ToString("D17", System.Globalization.CultureInfo.InvariantCulture);
    }
}
