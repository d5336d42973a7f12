using Microsoft.Extensions.Options;

namespace ConcertTicket.Queue;

/// <summary>
/// Lets waiting fans in, in place order, at the pace the order path can serve. Every instance runs one, but only
/// the holder of a Redis lease admits: the lease is taken with SET NX PX, renewed each tick by a script that checks
/// the owner, and expires Queue:LeaseSeconds after its instance dies, when another instance takes it over.
/// </summary>
/// <remarks>
/// The pace is additive-increase, multiplicative-decrease on the p95 of POST /orders that each instance publishes:
/// above Queue:TargetOrderLatencyMs the rate halves, below it the rate grows by a twentieth of the ceiling per
/// second, never above Queue:AdmitPerSecond. Admission pauses while no seat is free (held seats may come back) and
/// stops, marking the line sold out, once nothing is free or held. Fans holding an admission they have not used yet
/// never outnumber the free seats.
/// </remarks>
internal sealed partial class Admitter(
    QueueStore store,
    StockQueries stock,
    QueueMetrics metrics,
    IOptions<QueueOptions> options,
    TimeProvider time,
    ILogger<Admitter> logger) : BackgroundService
{
    private static readonly TimeSpan AdjustPeriod = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan LatencyWindow = TimeSpan.FromSeconds(5);

    private readonly string _owner = $"{Environment.MachineName}:{Environment.ProcessId}:{Guid.NewGuid().ToString("N")[..8]}";
    private double _rate = Math.Max(1, options.Value.AdmitPerSecond / 4);
    private double _budget;
    private long _lastTick;
    private DateTimeOffset _lastAdjust = DateTimeOffset.MinValue;
    private DateTimeOffset _lastStock = DateTimeOffset.MinValue;
    private Stock? _stock;
    private bool _leader;

    public string Owner => _owner;

    public bool IsLeader => _leader;

    public double Rate => _rate;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.Tick, time);
        try
        {
            do
            {
                try
                {
                    await RunOnceAsync(stoppingToken);
                }
                catch (Exception e) when (!stoppingToken.IsCancellationRequested)
                {
                    LogTickFailed(logger, e.Message);
                }
            }
            while (await timer.WaitForNextTickAsync(stoppingToken));
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        finally
        {
            // A clean stop hands over at once; a crash hands over when the lease expires.
            if (_leader) await store.ReleaseLeaseAsync(_owner);
        }
    }

    /// <returns>The entries admitted in this tick (none when another instance holds the lease).</returns>
    public async Task<IReadOnlyList<Guid>> RunOnceAsync(CancellationToken ct)
    {
        var o = options.Value;
        var wasLeader = _leader;
        _leader = await store.HoldLeaseAsync(_owner, o.Lease);
        if (!_leader)
        {
            if (wasLeader) LogLeaseLost(logger, _owner);
            metrics.StopReporting();
            return [];
        }
        if (!wasLeader)
        {
            LogLeaseTaken(logger, _owner);
            _lastTick = time.GetTimestamp();
            _budget = 0;
        }

        var now = time.GetUtcNow();
        if (_stock is null || now - _lastStock >= AdjustPeriod)
        {
            _stock = await stock.ReadAsync(ct);
            _lastStock = now;
            await store.SetSoldOutAsync(_stock.SoldOut);
        }
        if (now - _lastAdjust >= AdjustPeriod)
        {
            await AdjustRateAsync(now, o);
            _lastAdjust = now;
        }
        var (waiting, served) = await store.StatsAsync();
        metrics.Report(waiting, served, _rate);

        var elapsed = time.GetElapsedTime(_lastTick).TotalSeconds;
        _lastTick = time.GetTimestamp();
        if (now < o.Opening || _stock.Free == 0 || waiting == 0)
        {
            _budget = 0;
            return [];
        }
        // At most a second's worth at once, so a slow tick does not turn into a burst.
        _budget = Math.Min(_budget + _rate * elapsed, Math.Max(1, _rate));
        // Never more fans holding an unused admission than seats free: the next ones wait for a seat to come back
        // (an admission used or run out) instead of being let in to find the category sold out.
        var room = _stock.Free - await store.OutstandingAdmissionsAsync(now);
        var count = (int)Math.Min(_budget, Math.Max(0, room));
        if (count == 0) return [];
        using var activity = Infrastructure.Telemetry.Queue.StartActivity("queue.admit");
        var admitted = await store.AdmitAsync(count, now + o.Admission, o.Opening);
        activity?.SetTag("queue.admitted", admitted.Count);
        activity?.SetTag("queue.rate", _rate);
        _budget -= count;
        metrics.Admitted(admitted.Count);
        return admitted;
    }

    private async Task AdjustRateAsync(DateTimeOffset now, QueueOptions o)
    {
        var latencies = await store.RecentLatenciesAsync(now - LatencyWindow);
        var p95 = latencies.Count == 0 ? 0 : latencies.Max();
        _rate = p95 > o.TargetOrderLatencyMs
            ? Math.Max(1, _rate / 2)
            : Math.Min(o.AdmitPerSecond, _rate + Math.Max(1, o.AdmitPerSecond / 20));
        _rate = Math.Min(_rate, o.AdmitPerSecond);
        await store.PublishRateAsync(_rate);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Queue: this instance ({Owner}) now runs the admitter")]
    private static partial void LogLeaseTaken(ILogger logger, string owner);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Queue: this instance ({Owner}) lost the admitter's lease")]
    private static partial void LogLeaseLost(ILogger logger, string owner);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Queue: an admitter tick failed: {Reason}")]
    private static partial void LogTickFailed(ILogger logger, string reason);
}
