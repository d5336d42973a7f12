using ConcertTicket.Payments;

namespace ConcertTicket.Orders;

/// <summary>A pending order ended by the gateway's word (a payment notification), counted like any cancellation.</summary>
internal sealed class OrderCancellation(OrderStore store, OrderMetrics metrics) : IOrderCancellation
{
    public async Task<bool> CancelAsync(Guid orderId, int categoryId, string transactionStatus, CancellationToken ct)
    {
        var cancelled = await store.CancelAsync(orderId, "gateway: " + transactionStatus, ct);
        if (cancelled) metrics.Cancelled(categoryId, "gateway_" + transactionStatus);
        return cancelled;
    }
}
