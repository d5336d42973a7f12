using System.Net;

namespace ConcertTicket.Infrastructure;

internal sealed class ProtectionOptions
{
    public const string Section = "Protection";

    /// <summary>POST /orders per client IP per minute; 0 turns the limit off (load tests come from one IP).</summary>
    public int OrdersPerIpPerMinute { get; set; } = 600;

    /// <summary>POST /orders per email per minute: a fan retrying is fine, a bot cycling is not.</summary>
    public int OrdersPerEmailPerMinute { get; set; } = 10;

    /// <summary>POST /orders running at once in this instance; more wait in a bounded queue.</summary>
    public int OrdersConcurrency { get; set; } = 512;

    /// <summary>How many POST /orders may wait for a slot; beyond that the answer is an immediate 503.</summary>
    public int OrdersQueue { get; set; } = 4096;

    /// <summary>Reverse proxies whose X-Forwarded-For is trusted (IP addresses); no others.</summary>
    public string[] KnownProxies { get; set; } = [];

    public IEnumerable<string> Validate()
    {
        foreach (var e in OptionsValidation.Range("Protection:OrdersPerIpPerMinute", OrdersPerIpPerMinute, 0, 1_000_000)) yield return e;
        foreach (var e in OptionsValidation.Range("Protection:OrdersPerEmailPerMinute", OrdersPerEmailPerMinute, 0, 1_000_000)) yield return e;
        foreach (var e in OptionsValidation.Range("Protection:OrdersConcurrency", OrdersConcurrency, 1, 100_000)) yield return e;
        foreach (var e in OptionsValidation.Range("Protection:OrdersQueue", OrdersQueue, 0, 1_000_000)) yield return e;
        foreach (var proxy in KnownProxies)
        {
            if (!IPAddress.TryParse(proxy, out _)) yield return $"Protection:KnownProxies has '{proxy}', which is not an IP address.";
        }
    }
}
