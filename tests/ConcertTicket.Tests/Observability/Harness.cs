using System.Collections;
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;
using ConcertTicket.Infrastructure;
using ConcertTicket.Payments;
using ConcertTicket.Tests.Infrastructure;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using OpenTelemetry.Exporter;
using OpenTelemetry.Trace;

namespace ConcertTicket.Tests.Observability;

/// <summary>The in-memory exporter's target: spans end on many threads.</summary>
internal sealed class SpanCollection : ICollection<Activity>
{
    private readonly List<Activity> _spans = [];

    public int Count { get { lock (_spans) return _spans.Count; } }

    public bool IsReadOnly => false;

    public void Add(Activity item) { lock (_spans) _spans.Add(item); }

    public void Clear() { lock (_spans) _spans.Clear(); }

    public bool Contains(Activity item) { lock (_spans) return _spans.Contains(item); }

    public void CopyTo(Activity[] array, int arrayIndex) { lock (_spans) _spans.CopyTo(array, arrayIndex); }

    public bool Remove(Activity item) { lock (_spans) return _spans.Remove(item); }

    public IEnumerator<Activity> GetEnumerator() => Snapshot().GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    public List<Activity> Snapshot() { lock (_spans) return [.. _spans]; }

    /// <summary>The server span ends after the response is on its way, so wait for it.</summary>
    public async Task<List<Activity>> WaitForAsync(Func<List<Activity>, bool> done)
    {
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (true)
        {
            var spans = Snapshot();
            if (done(spans) || DateTime.UtcNow > deadline) return spans;
            await Task.Delay(20);
        }
    }
}

internal static class Harness
{
    /// <summary>The app with tracing on and every span kept in <paramref name="spans"/>.</summary>
    public static Task<TestApp> StartTracedAsync(LiveServers stack, SpanCollection spans, CapturedLogs? logs = null,
        Action<WebApplicationBuilder>? configure = null, params string[] args) =>
        TestApp.StartAsync(stack, builder =>
        {
            builder.Services.ConfigureOpenTelemetryTracerProvider(t => t.AddInMemoryExporter(spans));
            if (logs is not null) builder.Logging.AddProvider(logs);
            configure?.Invoke(builder);
        }, ["--Telemetry:Tracing=true", .. args]);

    /// <summary>Logs of every category at every level, captured.</summary>
    public static readonly string[] AllLogs =
    [
        "--Logging:LogLevel:Default=Trace",
        "--Logging:LogLevel:Microsoft.AspNetCore=Trace",
        "--Logging:LogLevel:Npgsql=Trace",
        "--Logging:LogLevel:System.Net.Http.HttpClient=Trace",
    ];

    public static HttpRequestMessage OrderRequest(string email, int categoryId, string? traceparent = null, string? idempotencyKey = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "/orders")
        {
            Content = JsonContent.Create(new { email, category_id = categoryId }),
        };
        if (traceparent is not null) request.Headers.Add("traceparent", traceparent);
        if (idempotencyKey is not null) request.Headers.Add("Idempotency-Key", idempotencyKey);
        return request;
    }

    public static string NewTraceparent(out ActivityTraceId traceId)
    {
        traceId = ActivityTraceId.CreateRandom();
        return $"00-{traceId.ToHexString()}-{ActivitySpanId.CreateRandom().ToHexString()}-01";
    }

    /// <summary>Midtrans's notification for an order, signed with the test server key.</summary>
    public static Task<HttpResponseMessage> PostCallbackAsync(TestApp app, Guid orderId, long total,
        string transactionStatus = "settlement", string? signature = null)
    {
        var gross = total.ToString(CultureInfo.InvariantCulture) + ".00";
        var id = orderId.ToString();
        return app.Client.PostAsJsonAsync("/payments/callback", new Dictionary<string, string>
        {
            ["order_id"] = id,
            ["status_code"] = "200",
            ["gross_amount"] = gross,
            ["transaction_status"] = transactionStatus,
            ["transaction_id"] = "tx-" + id,
            ["signature_key"] = signature ?? MidtransSignature.Compute(id, "200", gross, LiveServers.ServerKey),
        });
    }

    public static async Task<Guid> CreatedOrderIdAsync(HttpResponseMessage response)
    {
        Assert.Equal(System.Net.HttpStatusCode.Created, response.StatusCode);
        return (await TestApp.JsonAsync(response)).GetProperty("data").GetProperty("id").GetGuid();
    }

    public static IEnumerable<KeyValuePair<string, object?>> AllTags(Activity span) =>
        span.TagObjects.Concat(span.Events.SelectMany(e => e.Tags));
}

/// <summary>A real HTTP server on a loopback port, standing in for an OTLP collector.</summary>
internal sealed class LoopbackServer : IAsyncDisposable
{
    private readonly WebApplication _app;

    private LoopbackServer(WebApplication app) => _app = app;

    public string BaseUrl => _app.Urls.First();

    public ConcurrentQueue<(string Path, Dictionary<string, string> Headers, byte[] Body)> Requests { get; } = new();

    public static async Task<LoopbackServer> StartAsync(Func<HttpContext, byte[], Task> respond)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var server = new LoopbackServer(app);
        app.Run(async context =>
        {
            using var body = new MemoryStream();
            await context.Request.Body.CopyToAsync(body);
            // Kestrel reuses the header collection after the request: keep a copy.
            var headers = context.Request.Headers.ToDictionary(h => h.Key, h => h.Value.ToString(), StringComparer.OrdinalIgnoreCase);
            server.Requests.Enqueue((context.Request.Path.Value ?? "", headers, body.ToArray()));
            await respond(context, body.ToArray());
        });
        await app.StartAsync();
        return server;
    }

    /// <summary>An OTLP/HTTP collector that accepts everything (an empty protobuf message is a valid response).</summary>
    public static Task<LoopbackServer> StartOtlpSinkAsync() => StartAsync((context, _) =>
    {
        context.Response.ContentType = "application/x-protobuf";
        return Task.CompletedTask;
    });

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
