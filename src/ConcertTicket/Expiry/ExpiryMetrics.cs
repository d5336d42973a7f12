using System.Diagnostics.Metrics;
using ConcertTicket.Orders;

namespace ConcertTicket.Expiry;

/// <summary>
/// How late the expiry worker is: the age past its deadline of the oldest overdue order at the last pass (0 when
/// nothing was overdue), measured from the batch the pass already reads, so it costs no query. The expired orders
/// themselves are counted by <see cref="OrderMetrics"/>.
/// </summary>
internal sealed class ExpiryMetrics
{
    public const string MeterName = "ConcertTicket.Expiry";

    private readonly OrderMetrics _orders;
    private readonly Counter<long> _passes;
    private double _lagSeconds;

    public ExpiryMetrics(IMeterFactory meters, OrderMetrics orders)
    {
        _orders = orders;
        var meter = meters.Create(MeterName);
        meter.CreateObservableGauge("concert_ticket.expiry.lag", () => Volatile.Read(ref _lagSeconds), "s",
            "How far past its deadline the oldest overdue pending order was at the expiry worker's last pass.");
        // A pass counter that stops moving is how a stuck worker shows: the lag gauge keeps its last value.
        _passes = meter.CreateCounter<long>("concert_ticket.expiry.passes", "{pass}", "Expiry worker passes (batches).");
    }

    /// <summary>Records one pass: what it expired, and how late the oldest of them was.</summary>
    public void Pass(IReadOnlyList<ExpiredOrder> expired, DateTimeOffset now)
    {
        _passes.Add(1);
        var oldest = now;
        foreach (var order in expired)
        {
            _orders.Expired(order.CategoryId);
            if (order.ExpiresAt < oldest) oldest = order.ExpiresAt;
        }
        Volatile.Write(ref _lagSeconds, (now - oldest).TotalSeconds);
    }
}
