using System.Threading.RateLimiting;

namespace ConcertTicket.Orders;

/// <summary>Per-email limit, checked once the body is read (the email is in it), in this instance.</summary>
internal sealed class EmailRateLimiter(int perMinute) : IDisposable
{
    private readonly PartitionedRateLimiter<string>? _limiter = perMinute == 0 ? null :
        PartitionedRateLimiter.Create<string, string>(email => RateLimitPartition.GetFixedWindowLimiter(email,
            _ => new FixedWindowRateLimiterOptions { PermitLimit = perMinute, Window = TimeSpan.FromMinutes(1), QueueLimit = 0 }));

    /// <returns>Null when allowed, else how long to wait.</returns>
    public TimeSpan? TryAcquire(string email)
    {
        if (_limiter is null) return null;
        using var lease = _limiter.AttemptAcquire(email);
        if (lease.IsAcquired) return null;
        return lease.TryGetMetadata(MetadataName.RetryAfter, out var retryAfter) ? retryAfter : TimeSpan.FromMinutes(1);
    }

    public void Dispose() => _limiter?.Dispose();
}
