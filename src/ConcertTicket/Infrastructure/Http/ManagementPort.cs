using System.Text.RegularExpressions;

namespace ConcertTicket.Infrastructure;

/// <summary>
/// With Api:ManagementUrls set, the operators' endpoints (/metrics, /health, /health/ready) are served only on those
/// addresses and the API only on the others; each side answers 404 for the other's paths. The side is told by the
/// port the connection came in on, not by the Host header, which a client chooses. Unset, every endpoint is served
/// everywhere, as before.
/// </summary>
internal static partial class ManagementPort
{
    private sealed class ManagementEndpoint
    {
        public static readonly ManagementEndpoint Instance = new();
    }

    /// <summary>The ports of Api:ManagementUrls; empty when unset.</summary>
    public static IReadOnlySet<int> Ports(ApiOptions options) =>
        Entries(options).Select(Port).Where(p => p > 0).ToHashSet();

    public static IEnumerable<string> Validate(ApiOptions options)
    {
        // Port 0 would bind a random port the filter cannot know; a missing port would mean 80 by accident.
        foreach (var url in Entries(options).Where(u => Port(u) <= 0))
        {
            yield return $"Api:ManagementUrls has '{url}', which is not an http(s) URL with an explicit, non-zero port.";
        }
    }

    private static string[] Entries(ApiOptions options) =>
        options.ManagementUrls?.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries) ?? [];

    /// <summary>The port of a Kestrel URL (its host may be <c>+</c> or <c>*</c>, which <see cref="Uri"/> rejects), or 0.</summary>
    private static int Port(string url) =>
        UrlPattern().Match(url) is { Success: true } m && int.TryParse(m.Groups[1].ValueSpan, out var port) && port is > 0 and < 65536
            ? port
            : 0;

    [GeneratedRegex(@"^https?://(?:\[[^\]/]+\]|[^/:\[\]]+):(\d+)/?$")]
    private static partial Regex UrlPattern();

    /// <summary>Listens on the public URLs and the management ones; the public ones as the host would otherwise use.</summary>
    public static void Listen(WebApplicationBuilder builder, string defaultUrl)
    {
        var management = builder.Configuration[$"{ApiOptions.Section}:{nameof(ApiOptions.ManagementUrls)}"];
        var urls = builder.Configuration["urls"];
        if (string.IsNullOrEmpty(urls)) urls = builder.Configuration["ASPNETCORE_URLS"];
        if (string.IsNullOrEmpty(urls)) urls = defaultUrl;
        builder.WebHost.UseUrls(string.IsNullOrWhiteSpace(management) ? urls : $"{urls};{management}");
    }

    /// <summary>Marks an operators' endpoint.</summary>
    public static TBuilder OnManagementPort<TBuilder>(this TBuilder endpoint) where TBuilder : IEndpointConventionBuilder =>
        endpoint.WithMetadata(ManagementEndpoint.Instance);

    public static WebApplication UseManagementPort(this WebApplication app, ApiOptions options)
    {
        var ports = Ports(options);
        if (ports.Count == 0) return app;
        app.Use((context, next) =>
        {
            var onManagementPort = ports.Contains(context.Connection.LocalPort);
            var forManagement = context.GetEndpoint()?.Metadata.GetMetadata<ManagementEndpoint>() is not null;
            if (onManagementPort == forManagement) return next(context);
            // Answered as an unknown path (status code pages write the not_found problem).
            context.SetEndpoint(null);
            context.Response.StatusCode = StatusCodes.Status404NotFound;
            return Task.CompletedTask;
        });
        return app;
    }
}
