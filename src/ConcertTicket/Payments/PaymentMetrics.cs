using System.Diagnostics;
using System.Diagnostics.Metrics;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace ConcertTicket.Payments;

/// <summary>
/// The payment gateway's latency and failures, for charges (checkout) and voids (expiring a VA), whichever gateway
/// is configured: <see cref="MeteredPaymentGateway"/> wraps it.
/// </summary>
internal sealed class PaymentMetrics
{
    public const string MeterName = "ConcertTicket.Payments";

    private readonly Histogram<double> _duration;
    private readonly Counter<long> _failures;

    public PaymentMetrics(IMeterFactory meters)
    {
        var meter = meters.Create(MeterName);
        _duration = meter.CreateHistogram("concert_ticket.payment_gateway.duration", "s",
            "Payment gateway call latency, by operation (charge, void) and outcome.",
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
}

internal static class PaymentMetricsSetup
{
    /// <summary>Wraps whichever <see cref="IPaymentGateway"/> AddPayments registered; call after it.</summary>
    public static IHostApplicationBuilder AddPaymentGatewayMetrics(this IHostApplicationBuilder builder)
    {
        var inner = builder.Services.LastOrDefault(d => d.ServiceType == typeof(IPaymentGateway))
            ?? throw new InvalidOperationException("AddPayments must register the payment gateway first.");
        builder.Services.Replace(ServiceDescriptor.Describe(typeof(IPaymentGateway),
            services => new MeteredPaymentGateway(Create(services, inner), services.GetRequiredService<PaymentMetrics>()),
            inner.Lifetime));
        return builder;
    }

    private static IPaymentGateway Create(IServiceProvider services, ServiceDescriptor descriptor) => (IPaymentGateway)(
        descriptor.ImplementationInstance
        ?? descriptor.ImplementationFactory?.Invoke(services)
        ?? ActivatorUtilities.CreateInstance(services, descriptor.ImplementationType!));
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
}
