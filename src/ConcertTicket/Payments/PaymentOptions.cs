namespace ConcertTicket.Payments;

internal sealed class PaymentOptions
{
    public const string Section = "Payment";

    /// <summary><c>Fake</c> (local runs, load tests) or <c>Midtrans</c>; required outside Development.</summary>
    public string Gateway { get; set; } = "Fake";

    /// <summary>The Midtrans server key: authenticates charges and signs notifications. Never logged.</summary>
    public string ServerKey { get; set; } = "";

    public MidtransOptions Midtrans { get; set; } = new();

    public FakeGatewayOptions Fake { get; set; } = new();

    public bool UsesMidtrans => string.Equals(Gateway, "Midtrans", StringComparison.OrdinalIgnoreCase);

    public static readonly string[] Banks = ["bca", "bni", "bri", "cimb", "permata"];

    public static string GatewayRequired(string environment) =>
        $"Payment:Gateway is required outside Development (environment {environment}): Fake or Midtrans (environment variable Payment__Gateway).";

    public IEnumerable<string> Validate()
    {
        // Empty is "not set": Fake in Development, and GatewayRequired's one line elsewhere (AddPayments).
        if (!string.IsNullOrEmpty(Gateway) && !UsesMidtrans && !string.Equals(Gateway, "Fake", StringComparison.OrdinalIgnoreCase))
            yield return $"Payment:Gateway must be Fake or Midtrans (got '{Gateway}').";
        if (string.IsNullOrWhiteSpace(ServerKey))
            yield return "Payment:ServerKey is required: it verifies payment notifications (environment variable Payment__ServerKey).";
        if (!Banks.Contains(Midtrans.Bank))
            yield return $"Payment:Midtrans:Bank must be one of {string.Join(", ", Banks)} (got '{Midtrans.Bank}').";
        if (!Uri.TryCreate(Midtrans.BaseUrl, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
            yield return $"Payment:Midtrans:BaseUrl must be an absolute http(s) URL (got '{Midtrans.BaseUrl}').";
        if (Midtrans.TimeoutSeconds is < 1 or > 80)
            yield return $"Payment:Midtrans:TimeoutSeconds must be between 1 and 80 (got {Midtrans.TimeoutSeconds}).";
        if (Fake.LatencyMs is < 0 or > 60_000)
            yield return $"Payment:Fake:LatencyMs must be between 0 and 60000 (got {Fake.LatencyMs}).";
        if (Fake.FailureRate is < 0 or > 1)
            yield return $"Payment:Fake:FailureRate must be between 0 and 1 (got {Fake.FailureRate}).";
    }
}

internal sealed class MidtransOptions
{
    public string BaseUrl { get; set; } = "https://api.sandbox.midtrans.com";

    /// <summary>The Virtual Account's bank; the seed used BRI.</summary>
    public string Bank { get; set; } = "bri";

    /// <summary>A checkout waits this long for a charge; Midtrans's own SDK waits 80 s, far too long for a sale.</summary>
    public int TimeoutSeconds { get; set; } = 10;

    /// <summary>
    /// Confirm a settlement notification with GET /v2/{order_id}/status before paying the order, as Midtrans's own
    /// SDKs do: a well-signed notification Midtrans does not confirm pays nothing.
    /// </summary>
    public bool VerifyNotifications { get; set; } = true;

    /// <summary>The confirmation must fit in Midtrans's 5 s wait for our answer.</summary>
    public TimeSpan VerifyTimeout => TimeSpan.FromSeconds(Math.Min(TimeoutSeconds, 3));
}

internal sealed class FakeGatewayOptions
{
    /// <summary>Simulated gateway latency, like the seed's load-test mode (100 ms).</summary>
    public int LatencyMs { get; set; } = 100;

    /// <summary>Share of charges that fail (0..1), to exercise the failure path.</summary>
    public double FailureRate { get; set; }
}
