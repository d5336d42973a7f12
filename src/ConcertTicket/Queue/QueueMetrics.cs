using System.Diagnostics.Metrics;

namespace ConcertTicket.Queue;

/// <summary>
/// The waiting room's dashboard: fans joining, fans admitted (a counter: its rate is admissions per second), and,
/// from the instance whose admitter holds the lease, the line's length, the position being served and the rate
/// the admitter aims for.
/// </summary>
internal sealed class QueueMetrics
{
    public const string MeterName = "ConcertTicket.Queue";

    private readonly Counter<long> _joined;
    private readonly Counter<long> _admitted;
    private volatile Snapshot? _snapshot;

    private sealed record Snapshot(long Waiting, long Served, double Rate);

    public QueueMetrics(IMeterFactory meters)
    {
        var meter = meters.Create(MeterName);
        _joined = meter.CreateCounter<long>("concert_ticket.queue.joined", "{fan}",
            "POST /queue by result: created (a new place) or existing (the same entry again).");
        _admitted = meter.CreateCounter<long>("concert_ticket.queue.admitted", "{fan}",
            "Fans admitted to order; its rate is the admissions per second.");
        meter.CreateObservableGauge("concert_ticket.queue.length", () => Observe(s => s.Waiting), "{fan}",
            "Fans waiting in the line (reported by the instance that runs the admitter).");
        meter.CreateObservableGauge("concert_ticket.queue.served", () => Observe(s => s.Served), "{fan}",
            "The position being served: how many fans have been admitted since the queue began.");
        meter.CreateObservableGauge("concert_ticket.queue.admit_rate", () => ObserveRate(), "{fan}/s",
            "Admissions per second the admitter aims for now (adapted to the order path's latency, below Queue:AdmitPerSecond).");
    }

    public void Joined(bool created) => _joined.Add(1, new KeyValuePair<string, object?>("result", created ? "created" : "existing"));

    public void Admitted(int count) => _admitted.Add(count);

    /// <summary>Called by the admitter each tick while it holds the lease; null when it lost it.</summary>
    public void Report(long waiting, long served, double rate) => _snapshot = new Snapshot(waiting, served, rate);

    public void StopReporting() => _snapshot = null;

    private IEnumerable<Measurement<long>> Observe(Func<Snapshot, long> value)
    {
        if (_snapshot is { } s) yield return new Measurement<long>(value(s));
    }

    private IEnumerable<Measurement<double>> ObserveRate()
    {
        if (_snapshot is { } s) yield return new Measurement<double>(s.Rate);
    }
}
