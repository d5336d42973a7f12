using Microsoft.Extensions.Options;

namespace ConcertTicket.Queue;

/// <summary>
/// The latencies of this instance's recent POST /orders, and a worker that publishes their p95 to Redis each
/// second, where the admitter (on whichever instance) reads every instance's figure to pace admission.
/// </summary>
internal sealed class OrderLatency(TimeProvider time)
{
    private const int Capacity = 4096;
    private static readonly TimeSpan Window = TimeSpan.FromSeconds(5);
    private readonly (long At, double Ms)[] _samples = new (long, double)[Capacity];
    private readonly Lock _lock = new();
    private int _next;
    private int _count;

    public void Record(double milliseconds)
    {
        var at = time.GetTimestamp();
        lock (_lock)
        {
            _samples[_next] = (at, milliseconds);
            _next = (_next + 1) % Capacity;
            if (_count < Capacity) _count++;
        }
    }

    /// <returns>The p95 of the last few seconds' orders, or null when there were none.</returns>
    public double? RecentP95()
    {
        var recent = new List<double>();
        lock (_lock)
        {
            for (var i = 0; i < _count; i++)
            {
                var (at, ms) = _samples[i];
                if (time.GetElapsedTime(at) <= Window) recent.Add(ms);
            }
        }
        if (recent.Count == 0) return null;
        recent.Sort();
        return recent[(int)Math.Ceiling(recent.Count * 0.95) - 1];
    }
}

internal sealed partial class OrderLatencyPublisher(
    OrderLatency latency, QueueStore store, TimeProvider time, ILogger<OrderLatencyPublisher> logger) : BackgroundService
{
    private readonly string _instance = $"{Environment.MachineName}:{Environment.ProcessId}:{Guid.NewGuid().ToString("N")[..8]}";

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(1), time);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            try
            {
                await PublishOnceAsync();
            }
            catch (Exception e) when (!stoppingToken.IsCancellationRequested)
            {
                LogFailed(logger, e.Message);
            }
        }
    }

    public async Task PublishOnceAsync()
    {
        if (latency.RecentP95() is { } p95) await store.PublishLatencyAsync(_instance, p95, time.GetUtcNow());
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Queue: publishing the order latency failed: {Reason}")]
    private static partial void LogFailed(ILogger logger, string reason);
}
