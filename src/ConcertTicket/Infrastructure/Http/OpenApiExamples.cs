using ConcertTicket.Payments;

namespace ConcertTicket.Infrastructure;

/// <summary>
/// The facts the OpenAPI examples share (one order, its price, its Virtual Account). Each feature's examples are
/// made in its *OpenApi.cs from the service's own records and serialized by its own JSON context, so an example
/// can never use a member name the service does not write.
/// </summary>
internal static class OpenApiExamples
{
    /// <summary>The example order; requests.http uses the same id, and its callback signature is made for it.</summary>
    public static readonly Guid OrderId = Guid.Parse("0193a0c4-5e6f-7a8b-9c0d-1e2f3a4b5c6d");

    /// <summary>The server key scripts/run.sh and docker-compose.yml configure; never a real Midtrans key.</summary>
    public const string LocalServerKey = "local-dev-server-key";

    public const long VipPrice = 3_800_000;

    public static readonly DateTimeOffset CreatedAt = new(2026, 12, 1, 10, 0, 0, TimeSpan.Zero);

    public static string VaNumber => FakeGateway.VaNumberFor(OrderId);
}
