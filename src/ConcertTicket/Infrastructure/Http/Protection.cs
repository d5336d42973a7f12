using System.Globalization;
using System.Net;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.HttpOverrides;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Extensions.Options;

namespace ConcertTicket.Infrastructure;

/// <summary>
/// Abuse limits on POST /orders (per client IP and a concurrency limit; the per-email one is Orders' <c>EmailRateLimiter</c> with a bounded queue), the
/// client IP taken from X-Forwarded-For only when the request comes from a configured proxy, and security headers.
/// Over a limit the client gets 429 (or 503 when the instance is saturated) with Retry-After, never a timeout.
/// </summary>
internal static class Protection
{
    private const string OrdersPartition = "orders";

    private sealed class LimitedEndpoint
    {
        public static readonly LimitedEndpoint Instance = new();
    }

    public static IHostApplicationBuilder AddProtection(this IHostApplicationBuilder builder)
    {
        builder.Services.AddValidatedOptions<ProtectionOptions>(ProtectionOptions.Section, o => o.Validate());
        var options = builder.Configuration.GetSection(ProtectionOptions.Section).Get<ProtectionOptions>() ?? new ProtectionOptions();
        builder.Services.Configure<ForwardedHeadersOptions>(o =>
        {
            o.ForwardedHeaders = ForwardedHeaders.XForwardedFor | ForwardedHeaders.XForwardedProto;
            // The defaults trust loopback; trust only what the operator names.
            o.KnownProxies.Clear();
            o.KnownIPNetworks.Clear();
#pragma warning disable ASPDEPR005 // The obsolete list still holds loopback unless cleared too.
            o.KnownNetworks.Clear();
#pragma warning restore ASPDEPR005
            foreach (var proxy in options.KnownProxies) o.KnownProxies.Add(IPAddress.Parse(proxy));
        });
        builder.Services.AddRateLimiter(limiter =>
        {
            // Per client IP first (the global limiter runs before any endpoint's), then a concurrency slot with a
            // bounded queue; both only for endpoints marked with RequireOrderLimits.
            limiter.GlobalLimiter = PartitionedRateLimiter.Create<HttpContext, string>(context =>
                !IsLimited(context) || options.OrdersPerIpPerMinute == 0
                    ? RateLimitPartition.GetNoLimiter("")
                    // A bucket of a minute's budget that refills steadily: a burst is fine, a sustained flood is not.
                    : RateLimitPartition.GetTokenBucketLimiter(ClientIp(context), _ => new TokenBucketRateLimiterOptions
                    {
                        TokenLimit = options.OrdersPerIpPerMinute,
                        TokensPerPeriod = 1,
                        ReplenishmentPeriod = TimeSpan.FromMinutes(1) / options.OrdersPerIpPerMinute,
                        QueueLimit = 0,
                    }));
            limiter.AddConcurrencyLimiter(OrdersPartition, o =>
            {
                o.PermitLimit = options.OrdersConcurrency;
                o.QueueLimit = options.OrdersQueue;
                o.QueueProcessingOrder = QueueProcessingOrder.OldestFirst;
            });
            limiter.OnRejected = async (context, ct) =>
            {
                var http = context.HttpContext;
                var saturated = !context.Lease.TryGetMetadata(MetadataName.RetryAfter, out var retryAfter);
                var seconds = saturated ? 1 : Math.Max(1, (int)Math.Ceiling(retryAfter.TotalSeconds));
                http.Response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
                var problem = saturated
                    ? Problems.Of(503, "overloaded", "Too many orders are being placed right now; retry in a second.")
                    : Problems.Of(429, "rate_limited", $"Too many orders from this client; retry in {seconds} s.");
                await problem.ExecuteAsync(http);
            };
        });
        return builder;
    }

    public static WebApplication UseProtection(this WebApplication app)
    {
        // With no known proxy the middleware would trust every sender's X-Forwarded-For: leave it out then.
        if (app.Services.GetRequiredService<IOptions<ProtectionOptions>>().Value.KnownProxies.Length > 0)
        {
            app.UseForwardedHeaders();
        }
        app.Use((context, next) =>
        {
            var headers = context.Response.Headers;
            headers.XContentTypeOptions = "nosniff";
            headers.XFrameOptions = "DENY";
            headers["Referrer-Policy"] = "no-referrer";
            // The API serves JSON only; the reference page under /scalar loads its own script and styles.
            if (!context.Request.Path.StartsWithSegments("/scalar"))
            {
                headers.ContentSecurityPolicy = "default-src 'none'; frame-ancestors 'none'";
            }
            return next(context);
        });
        app.UseRateLimiter();
        return app;
    }

    /// <summary>Puts an endpoint under the order limits (per client IP, then a concurrency slot).</summary>
    public static RouteHandlerBuilder RequireOrderLimits(this RouteHandlerBuilder endpoint) =>
        endpoint.WithMetadata(LimitedEndpoint.Instance).RequireRateLimiting(OrdersPartition);

    private static bool IsLimited(HttpContext context) =>
        context.GetEndpoint()?.Metadata.GetMetadata<LimitedEndpoint>() is not null;

    private static string ClientIp(HttpContext context) => context.Connection.RemoteIpAddress?.ToString() ?? "unknown";
}
