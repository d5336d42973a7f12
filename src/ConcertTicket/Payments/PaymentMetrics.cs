using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace ConcertTicket.Payments;

/// <summary>
/// The payment gateway's latency and failures, for charges (checkout) and voids (expiring a VA), whichever gateway
/// is configured (<see cref="MeteredPaymentGateway"/> wraps it); and what payment notifications did to orders.
/// </summary>
internal sealed class PaymentMetrics
{
    public const string MeterName = "ConcertTicket.Payments";

    /// <summary>Settlements are transitions of the order state machine: counted on the orders' meter, beside them.</summary>
    private const string OrdersMeterName = "ConcertTicket.Orders";

    private readonly Histogram<double> _duration;
    private readonly Counter<long> _failures;
    private readonly Counter<long> _paid;
    private readonly Counter<long> _refundRequired;

    public PaymentMetrics(IMeterFactory meters)
    {
        var orders = meters.Create(OrdersMeterName);
        _paid = orders.CreateCounter<long>("concert_ticket.orders.paid", "{order}",
            "Orders paid; late=true when the money came after the hold ended and a seat was still free.");
        _refundRequired = orders.CreateCounter<long>("concert_ticket.orders.refund_required", "{order}",
            "Orders paid after their hold ended with no seat left to give: the fan must be refunded.");
        var meter = meters.Create(MeterName);
        _duration = meter.CreateHistogram("concert_ticket.payment_gateway.duration", "s",
            "Payment gateway call latency, by operation (charge, void, status) and outcome.",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10] });
        _failures = meter.CreateCounter<long>("concert_ticket.payment_gateway.failures", "{call}",
            "Failed payment gateway calls, by operation and reason (rejected, unreachable, retry, exception).");
    }

    public void Record(string operation, TimeSpan elapsed, string outcome)
    {
        var tags = new TagList { { "operation", operation }, { "outcome", outcome } };
        _duration.Record(elapsed.TotalSeconds, tags);
        if (outcome != "success") _failures.Add(1, new TagList { { "operation", operation }, { "reason", outcome } });
    }

    /// <summary>A payment notification's effect: paid (on time or late), or refund required.</summary>
    public void Settled(int categoryId, SettlementOutcome outcome)
    {
        var category = new KeyValuePair<string, object?>("category.id", categoryId);
        switch (outcome)
        {
            case SettlementOutcome.Paid: _paid.Add(1, new TagList { category, { "late", false } }); break;
            case SettlementOutcome.PaidLate: _paid.Add(1, new TagList { category, { "late", true } }); break;
            case SettlementOutcome.RefundRequired: _refundRequired.Add(1, category); break;
        }
    }
}

/// <summary>Times every gateway call and classifies its outcome; the spans stay at the call sites.</summary>
internal sealed class MeteredPaymentGateway(IPaymentGateway inner, PaymentMetrics metrics) : IPaymentGateway
{
    public async Task<ChargeResult> ChargeAsync(ChargeRequest request, CancellationToken ct)
    {
        var started = Stopwatch.GetTimestamp();
        var outcome = "exception";
        try
        {
            var result = await inner.ChargeAsync(request, ct);
            outcome = result.Failure switch
            {
                null => "success",
                ChargeFailure.Unreachable => "unreachable",
                _ => "rejected",
            };
            return result;
        }
        finally
        {
            metrics.Record("charge", Stopwatch.GetElapsedTime(started), outcome);
        }
    }

    public async Task<VoidResult> ExpireAsync(Guid orderId, CancellationToken ct)
    {
        var started = Stopwatch.GetTimestamp();
        var outcome = "exception";
        try
        {
            var result = await inner.ExpireAsync(orderId, ct);
            outcome = result == VoidResult.Done ? "success" : "retry";
            return result;
        }
        finally
        {
            metrics.Record("void", Stopwatch.GetElapsedTime(started), outcome);
        }
    }

    public async Task<GatewayStatus> GetStatusAsync(Guid orderId, CancellationToken ct)
    {
        var started = Stopwatch.GetTimestamp();
        var outcome = "exception";
        try
        {
            var result = await inner.GetStatusAsync(orderId, ct);
            outcome = result.State == PaymentState.Unanswered ? "unreachable" : "success";
            return result;
        }
        finally
        {
            metrics.Record("status", Stopwatch.GetElapsedTime(started), outcome);
        }
    }
}
