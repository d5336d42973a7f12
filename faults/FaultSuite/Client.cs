using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;

namespace FaultSuite;

internal enum Kind { Categories, Order, Callback, OrderStatus }

/// <summary>One request as the client saw it. Times are ms since the suite started.</summary>
internal readonly record struct Sample(long StartMs, long EndMs, Kind Kind, string Outcome, bool Ok, bool RetryAfter, bool Stale)
{
    public long LatencyMs => EndMs - StartMs;
}

/// <summary>Everything the clients saw, and the orders and payments the data must account for.</summary>
internal sealed class Recorder
{
    private readonly long _start = Stopwatch.GetTimestamp();

    public long NowMs => (long)Stopwatch.GetElapsedTime(_start).TotalMilliseconds;

    public ConcurrentQueue<Sample> Samples { get; } = new();

    /// <summary>Orders answered 201, with their total.</summary>
    public ConcurrentDictionary<Guid, long> Created { get; } = new();

    /// <summary>Orders a signed settlement was sent for (any attempt, any answer).</summary>
    public ConcurrentDictionary<Guid, byte> SettlementsSent { get; } = new();

    /// <summary>Orders whose signed settlement was answered 200, with the status the answer gave.</summary>
    public ConcurrentDictionary<Guid, string> SettlementsOk { get; } = new();

    /// <summary>Settlements that arrived after the hold ended, with the status they led to.</summary>
    public ConcurrentDictionary<Guid, string> LateSettlements { get; } = new();

    /// <summary>Answers that contradict what the suite expected of a valid service (reported and failing).</summary>
    public ConcurrentQueue<string> Surprises { get; } = new();

    public List<Sample> Between(long fromMs, long toMs) =>
        Samples.Where(s => s.StartMs >= fromMs && s.StartMs < toMs).OrderBy(s => s.EndMs).ToList();
}

/// <summary>An answer: status (0 when none came), body, and how the suite classifies it.</summary>
internal sealed record Reply(int Status, string Body, string Outcome, bool Ok)
{
    public JsonElement? Json()
    {
        try
        {
            return Body.Length == 0 ? null : JsonDocument.Parse(Body).RootElement.Clone();
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>A string field of the answer's <c>data</c> object.</summary>
    public string? Data(string name) =>
        Json() is { } json && json.ValueKind == JsonValueKind.Object && json.TryGetProperty("data", out var data)
        && data.ValueKind == JsonValueKind.Object && data.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String
            ? value.GetString()
            : null;
}

/// <summary>The service's HTTP API as a fan's app and Midtrans call it; every request is recorded.</summary>
internal sealed class Api(Recorder recorder, string baseUrl, int connections) : IDisposable
{
    private static readonly int[] Expected = [200, 201, 409];

    private readonly HttpMessageInvoker _http = new(new SocketsHttpHandler
    {
        MaxConnectionsPerServer = connections,
        ConnectTimeout = SuiteOptions.RequestTimeout,
        UseProxy = false,
        UseCookies = false,
        AllowAutoRedirect = false,
    }, disposeHandler: true);

    public string BaseUrl { get; } = baseUrl;

    public async Task<Reply> SendAsync(Kind kind, HttpMethod method, string path, string? json = null, int[]? expected = null)
    {
        using var request = new HttpRequestMessage(method, BaseUrl + path);
        if (json is not null) request.Content = new StringContent(json, Encoding.UTF8, "application/json");
        using var timeout = new CancellationTokenSource(SuiteOptions.RequestTimeout);
        var startMs = recorder.NowMs;
        int status = 0;
        var body = "";
        var retryAfter = false;
        var stale = false;
        string outcome;
        try
        {
            using var response = await _http.SendAsync(request, timeout.Token);
            status = (int)response.StatusCode;
            body = await response.Content.ReadAsStringAsync(timeout.Token);
            retryAfter = response.Headers.RetryAfter is not null;
            stale = response.Headers.TryGetValues("X-Cache-Stale", out var values) && values.Contains("true");
            outcome = status.ToString(CultureInfo.InvariantCulture);
            if (status >= 400 && ProblemCode(body) is { } code) outcome += " " + code;
        }
        catch (OperationCanceledException)
        {
            outcome = "timeout";
        }
        catch (HttpRequestException e)
        {
            outcome = e.HttpRequestError switch
            {
                HttpRequestError.ConnectionError => "connect failed",
                HttpRequestError.ResponseEnded => "connection closed",
                _ => e.InnerException is IOException ? "connection closed" : "http error " + e.HttpRequestError,
            };
        }
        catch (IOException)
        {
            outcome = "connection closed";
        }
        var ok = status != 0 && (expected ?? Expected).Contains(status);
        recorder.Samples.Enqueue(new Sample(startMs, recorder.NowMs, kind, outcome, ok, retryAfter, stale));
        return new Reply(status, body, outcome, ok);
    }

    private static string? ProblemCode(string body)
    {
        try
        {
            using var json = JsonDocument.Parse(body);
            return json.RootElement.TryGetProperty("code", out var code) ? code.GetString() : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    public void Dispose() => _http.Dispose();
}
