using System.Globalization;
using OpenTelemetry.Exporter;

namespace ConcertTicket.Infrastructure;

/// <summary>
/// The Telemetry section. Read once while the host is built, because it decides what gets registered; the standard
/// OTEL_* environment variables work too and these keys take precedence over them.
/// </summary>
internal sealed class TelemetryOptions
{
    public const string Section = "Telemetry";

    /// <summary>OTLP collector for traces, e.g. http://jaeger:4317 (gRPC) or http://jaeger:4318 (HTTP/protobuf).</summary>
    public string? OtlpEndpoint { get; set; }

    /// <summary><c>grpc</c> or <c>http/protobuf</c>; defaults to OTEL_EXPORTER_OTLP_PROTOCOL, else gRPC.</summary>
    public string? OtlpProtocol { get; set; }

    /// <summary>Record traces; by default only when an OTLP endpoint is configured, so that without one it costs nothing.</summary>
    public bool? Tracing { get; set; }

    /// <summary>Share of new traces recorded (parent-based: a sampled caller's decision is kept). Default 1.</summary>
    public double? SamplingRatio { get; set; }

    /// <summary>Collect metrics and serve them on /metrics.</summary>
    public bool Metrics { get; set; } = true;

    /// <summary>Also push metrics by OTLP (for serve-worker, which has no /metrics).</summary>
    public bool OtlpMetrics { get; set; }

    /// <summary>The seats gauges re-count at most this often, and only while someone scrapes.</summary>
    public int SeatsGaugeSeconds { get; set; } = 15;

    public TimeSpan SeatsGaugePeriod => TimeSpan.FromSeconds(SeatsGaugeSeconds);

    /// <summary>An OTLP endpoint is configured here or by the OTEL_* environment variables.</summary>
    public bool ExportsTraces { get; private set; }

    /// <summary>The settings with the OTEL_* environment variables folded in, validated.</summary>
    public static TelemetryOptions Read(IConfiguration configuration)
    {
        var options = configuration.GetSection(Section).Get<TelemetryOptions>() ?? new TelemetryOptions();
        if (options.SamplingRatio is null && configuration["OTEL_TRACES_SAMPLER"] is null
            && double.TryParse(configuration["OTEL_TRACES_SAMPLER_ARG"], NumberStyles.Float, CultureInfo.InvariantCulture, out var arg))
        {
            // The SDK reads OTEL_TRACES_SAMPLER_ARG only together with OTEL_TRACES_SAMPLER; alone it means a ratio.
            options.SamplingRatio = arg;
        }
        var errors = options.Validate().ToList();
        if (errors.Count > 0) throw new Microsoft.Extensions.Options.OptionsValidationException(Section, typeof(TelemetryOptions), errors);
        options.ExportsTraces = options.OtlpEndpoint is not null
            || !string.IsNullOrWhiteSpace(configuration["OTEL_EXPORTER_OTLP_ENDPOINT"])
            || !string.IsNullOrWhiteSpace(configuration["OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"]);
        options.Tracing ??= options.ExportsTraces;
        return options;
    }

    public IEnumerable<string> Validate()
    {
        if (OtlpEndpoint is not null
            && (!Uri.TryCreate(OtlpEndpoint, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https")))
            yield return $"Telemetry:OtlpEndpoint must be an absolute http(s) URL (got '{OtlpEndpoint}').";
        if (OtlpProtocol is not null && ParseProtocol(OtlpProtocol) is null)
            yield return $"Telemetry:OtlpProtocol must be grpc or http/protobuf (got '{OtlpProtocol}').";
        if (SamplingRatio is < 0 or > 1 or double.NaN)
            yield return $"Telemetry:SamplingRatio must be between 0 and 1 (got {SamplingRatio}).";
        if (SeatsGaugeSeconds is < 1 or > 3600)
            yield return $"Telemetry:SeatsGaugeSeconds must be between 1 and 3600 (got {SeatsGaugeSeconds}).";
    }

    public static OtlpExportProtocol? ParseProtocol(string value) => value.Trim().ToLowerInvariant() switch
    {
        "grpc" => OtlpExportProtocol.Grpc,
        "http/protobuf" or "http" => OtlpExportProtocol.HttpProtobuf,
        _ => null,
    };

    /// <summary>
    /// Points an OTLP exporter at <see cref="OtlpEndpoint"/>. A base URL given in code is used as-is by the exporter,
    /// so for HTTP the signal's path is added here, as the SDK does for OTEL_EXPORTER_OTLP_ENDPOINT.
    /// </summary>
    public void ConfigureExporter(OtlpExporterOptions exporter, string signalPath)
    {
        if (OtlpProtocol is not null) exporter.Protocol = ParseProtocol(OtlpProtocol)!.Value;
        if (OtlpEndpoint is null) return;
        var endpoint = new Uri(OtlpEndpoint);
        if (exporter.Protocol == OtlpExportProtocol.HttpProtobuf && endpoint.AbsolutePath is "/" or "")
        {
            endpoint = new Uri(endpoint, signalPath);
        }
        exporter.Endpoint = endpoint;
    }
}
