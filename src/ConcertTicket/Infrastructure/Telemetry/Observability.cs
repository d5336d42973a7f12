using ConcertTicket.Payments;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging.Console;
using Npgsql;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace ConcertTicket.Infrastructure;

internal static class Observability
{
    /// <summary>
    /// JSON logs on stdout joined to traces; OpenTelemetry traces exported by OTLP when an endpoint is configured
    /// (Telemetry:OtlpEndpoint or OTEL_EXPORTER_OTLP_ENDPOINT); metrics for Prometheus on /metrics. See
    /// docs/observability.md.
    /// </summary>
    public static IHostApplicationBuilder AddObservability(this IHostApplicationBuilder builder, bool web)
    {
        var settings = TelemetryOptions.Read(builder.Configuration);
        builder.Services.AddSingleton(settings);

        builder.Logging.ClearProviders();
        builder.Services.TryAddEnumerable(ServiceDescriptor.Singleton<ConsoleFormatter, JsonLinesFormatter>());
        // A person reads the console in Development (scripts/run.sh): single readable lines there, JSON elsewhere;
        // Logging:Console:FormatterName chooses in any environment.
        var development = builder.Environment.IsDevelopment();
        builder.Logging.AddConsole(o => o.FormatterName ??= development ? ConsoleFormatterNames.Simple : JsonLinesFormatter.FormatterName);
        if (development)
        {
            builder.Services.Configure<SimpleConsoleFormatterOptions>(o =>
            {
                o.SingleLine = true;
                o.TimestampFormat = "HH:mm:ss ";
            });
        }
        // The formatter reads the ids from Activity.Current itself; the host's default would add them as a scope too.
        builder.Logging.Configure(o => o.ActivityTrackingOptions = ActivityTrackingOptions.None);

        var otel = builder.Services.AddOpenTelemetry()
            .ConfigureResource(r => r.AddService(Telemetry.ServiceName));
        if (settings.Metrics)
        {
            otel.WithMetrics(metrics =>
            {
                metrics.AddRuntimeInstrumentation().AddHttpClientInstrumentation().AddMeter("ConcertTicket.*");
                // Request duration and Kestrel's connections; not AddAspNetCoreInstrumentation(), which also turns on
                // per-request routing and memory-pool counters nobody reads.
                if (web) metrics.AddMeter("Microsoft.AspNetCore.Hosting", "Microsoft.AspNetCore.Server.Kestrel", "Microsoft.AspNetCore.Diagnostics").AddPrometheusExporter();
                if (settings.OtlpMetrics) metrics.AddOtlpExporter((o, _) => settings.ConfigureExporter(o, "v1/metrics"));
            });
        }
        if (settings.Tracing == true)
        {
            otel.WithTracing(tracing =>
            {
                // Without a ratio the SDK's default applies (parent-based always-on), or OTEL_TRACES_SAMPLER if set.
                if (settings.SamplingRatio is { } ratio)
                {
                    tracing.SetSampler(new ParentBasedSampler(new TraceIdRatioBasedSampler(ratio)));
                }
                tracing.AddSource(Telemetry.SourceNames)
                    .AddAspNetCoreInstrumentation(o => o.Filter = c => !c.Request.Path.StartsWithSegments("/metrics")
                        && !c.Request.Path.StartsWithSegments("/health"))
                    .AddHttpClientInstrumentation()
                    .AddNpgsql()
                    .AddRedisInstrumentation();
                // Tests set Telemetry:Tracing=true with no endpoint and add their own in-memory exporter.
                if (settings.ExportsTraces) tracing.AddOtlpExporter(o => settings.ConfigureExporter(o, "v1/traces"));
            });
        }
        return builder;
    }

    /// <summary>/metrics in the Prometheus text format, when metrics are on.</summary>
    public static IEndpointRouteBuilder MapMetrics(this IEndpointRouteBuilder app)
    {
        if (app.ServiceProvider.GetRequiredService<TelemetryOptions>().Metrics) app.MapPrometheusScrapingEndpoint("/metrics").OnManagementPort();
        return app;
    }
}
