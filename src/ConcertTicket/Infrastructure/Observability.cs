using Npgsql;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace ConcertTicket.Infrastructure;

internal static class Observability
{
    /// <summary>
    /// JSON logs on stdout joined to traces, OpenTelemetry traces exported by OTLP when an endpoint is configured
    /// (OTEL_EXPORTER_OTLP_ENDPOINT), and metrics for Prometheus on /metrics.
    /// </summary>
    public static IHostApplicationBuilder AddObservability(this IHostApplicationBuilder builder, bool web)
    {
        builder.Logging.ClearProviders();
        builder.Logging.AddJsonConsole(o =>
        {
            o.IncludeScopes = true;
            o.UseUtcTimestamp = true;
            o.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ";
        });
        builder.Logging.Configure(o => o.ActivityTrackingOptions =
            ActivityTrackingOptions.TraceId | ActivityTrackingOptions.SpanId);

        var otlpEndpoint = builder.Configuration["OTEL_EXPORTER_OTLP_ENDPOINT"];
        var otel = builder.Services.AddOpenTelemetry()
            .ConfigureResource(r => r.AddService(Telemetry.ServiceName))
            .WithMetrics(metrics =>
            {
                metrics.AddRuntimeInstrumentation().AddMeter("ConcertTicket.*");
                if (web) metrics.AddAspNetCoreInstrumentation().AddPrometheusExporter();
            });
        if (!string.IsNullOrWhiteSpace(otlpEndpoint))
        {
            otel.WithTracing(tracing => tracing
                .AddSource(Telemetry.SourceNames)
                .AddAspNetCoreInstrumentation(o => o.Filter = c => !c.Request.Path.StartsWithSegments("/metrics")
                    && !c.Request.Path.StartsWithSegments("/health"))
                .AddHttpClientInstrumentation()
                .AddNpgsql()
                .AddRedisInstrumentation()
                .AddOtlpExporter());
        }
        return builder;
    }
}
