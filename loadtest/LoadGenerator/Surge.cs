using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace LoadGenerator;

/// <summary>
/// The on-sale surge (issue 15): an open model, fans arriving at a steady rate whatever the service's answers. With
/// --queue each fan joins the waiting room, polls as told (poll_after_seconds), orders once admitted with the
/// admission token, and 3 of 4 pay; without it each fan orders on arrival. Reports errors, the p95 of POST /orders
/// overall and per minute, the p95 of GET /queue/{id}, the time until every fan was served, and how far admission
/// order is from join order for fans who joined after the opening.
/// </summary>
/// <remarks>
/// It uses HttpClient (one pooled client for every fan): the surge measures the service's fairness and latency at a
/// given arrival rate, not its ceiling, for which loadgen's own HTTP/1.1 engine exists.
/// </remarks>
internal static class Surge
{
    public const string Usage = """
        loadgen surge: 20,000 fans arriving over 10 s (an open model), each joining the waiting room (--queue) or
        ordering at once, then paying 3 of 4.

          --base-url URL       the service (default http://127.0.0.1:8080)
          --fans N             fans (default 20000)
          --arrival D          over how long they arrive, evenly (default 10s)
          --queue              join POST /queue, poll, order with the Admission-Token (else order on arrival)
          --opens-at ISO       the sale's Queue:OpensAt: only fans who joined after it count in the order check
          --categories N       categories 1..N to order from (default 5)
          --server-key KEY     signs the settlements (default loadtest-server-key)
          --connections N      the client's connection limit (default 2048)
          --label TEXT         the name on the summary line
        """;

    private sealed class Fan
    {
        public int Number;
        public long JoinedAtMs = -1;
        public long AdmittedUntilMs = -1;
        public string Outcome = "";
    }

    public static async Task<int> RunAsync(string[] args)
    {
        var o = ParseArgs(args);
        if (o is null)
        {
            Console.Out.WriteLine(Usage);
            return 2;
        }
        using var http = new HttpClient(new SocketsHttpHandler
        {
            MaxConnectionsPerServer = o.Connections,
            PooledConnectionIdleTimeout = TimeSpan.FromMinutes(5),
        })
        { BaseAddress = o.BaseUrl, Timeout = TimeSpan.FromSeconds(60) };
        var errors = new ConcurrentDictionary<string, int>();
        var orderLatency = new ConcurrentBag<(long AtMs, double Ms)>();
        var pollLatency = new ConcurrentBag<double>();
        var fans = Enumerable.Range(0, o.Fans).Select(i => new Fan { Number = i }).ToArray();
        var run = Stopwatch.StartNew();
        var startedAt = DateTimeOffset.UtcNow;
        var prefix = Guid.NewGuid().ToString("N")[..8];
        var tasks = new List<Task>(o.Fans);
        var interval = o.Arrival.TotalMilliseconds / o.Fans;
        for (var i = 0; i < o.Fans; i++)
        {
            var due = i * interval;
            var wait = due - run.Elapsed.TotalMilliseconds;
            if (wait > 1) await Task.Delay(TimeSpan.FromMilliseconds(wait));
            var fan = fans[i];
            tasks.Add(Task.Run(() => FanAsync(fan)));
        }
        await Task.WhenAll(tasks);
        var served = run.Elapsed;

        async Task FanAsync(Fan fan)
        {
            var email = $"surge-{prefix}-{fan.Number}@loadtest.example";
            try
            {
                string? token = null;
                if (o.Queue)
                {
                    var join = await http.PostAsJsonAsync("/queue", new { email });
                    if (!join.IsSuccessStatusCode) { Error(errors, "POST /queue " + (int)join.StatusCode); fan.Outcome = "error"; return; }
                    fan.JoinedAtMs = (long)run.Elapsed.TotalMilliseconds;
                    var entry = Data(await join.Content.ReadAsStringAsync());
                    var id = entry.GetProperty("id").GetString();
                    while (true)
                    {
                        var status = entry.GetProperty("status").GetString();
                        if (status == "admitted")
                        {
                            token = entry.GetProperty("admission_token").GetString();
                            fan.AdmittedUntilMs = entry.GetProperty("admitted_until").GetDateTimeOffset().ToUnixTimeMilliseconds();
                            break;
                        }
                        if (status is "sold_out" or "expired") { fan.Outcome = status; return; }
                        await Task.Delay(TimeSpan.FromSeconds(entry.GetProperty("poll_after_seconds").GetInt32()));
                        var started = Stopwatch.GetTimestamp();
                        var poll = await http.GetAsync($"/queue/{id}");
                        pollLatency.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
                        if (!poll.IsSuccessStatusCode) { Error(errors, "GET /queue/{id} " + (int)poll.StatusCode); continue; }
                        entry = Data(await poll.Content.ReadAsStringAsync());
                    }
                }
                for (var attempt = 0; attempt < o.Categories; attempt++)
                {
                    var category = 1 + (fan.Number + attempt) % o.Categories;
                    using var request = new HttpRequestMessage(HttpMethod.Post, "/orders")
                    {
                        Content = JsonContent.Create(new { email, category_id = category }),
                    };
                    if (token is not null) request.Headers.Add("Admission-Token", token);
                    var started = Stopwatch.GetTimestamp();
                    var order = await http.SendAsync(request);
                    orderLatency.Add(((long)run.Elapsed.TotalMilliseconds, Stopwatch.GetElapsedTime(started).TotalMilliseconds));
                    if (order.StatusCode == HttpStatusCode.Conflict) { fan.Outcome = "sold_out"; continue; }
                    if (order.StatusCode != HttpStatusCode.Created) { Error(errors, "POST /orders " + (int)order.StatusCode); fan.Outcome = "error"; return; }
                    var data = Data(await order.Content.ReadAsStringAsync());
                    fan.Outcome = "ordered";
                    if (fan.Number % 4 == 3) return;
                    var orderId = data.GetProperty("id").GetString()!;
                    var amount = data.GetProperty("total").GetInt64().ToString(CultureInfo.InvariantCulture) + ".00";
                    var paid = await http.PostAsJsonAsync("/payments/callback", new Dictionary<string, string>
                    {
                        ["order_id"] = orderId,
                        ["status_code"] = "200",
                        ["gross_amount"] = amount,
                        ["transaction_status"] = "settlement",
                        ["fraud_status"] = "accept",
                        ["transaction_id"] = Guid.NewGuid().ToString(),
                        ["signature_key"] = MidtransSignature.Compute(orderId, "200", amount, o.ServerKey),
                    });
                    if (!paid.IsSuccessStatusCode) Error(errors, "POST /payments/callback " + (int)paid.StatusCode);
                    else fan.Outcome = "paid";
                    return;
                }
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException or JsonException)
            {
                Error(errors, e.GetType().Name);
                fan.Outcome = "error";
            }
        }

        var latencies = orderLatency.ToList();
        var minutes = latencies.GroupBy(l => l.AtMs / 60_000).OrderBy(g => g.Key)
            .Select(g => string.Create(CultureInfo.InvariantCulture, $"min {g.Key + 1}: p95 {P95(g.Select(x => x.Ms))} ms ({g.Count()})"));
        var opensAtMs = o.OpensAt is { } opens ? (long)(opens - startedAt).TotalMilliseconds : long.MinValue;
        var (inverted, pairs) = Inversions(fans.Where(f => f.AdmittedUntilMs >= 0 && f.JoinedAtMs > opensAtMs + 100).ToList());
        var outcomes = fans.GroupBy(f => f.Outcome).OrderBy(g => g.Key).Select(g => $"{(g.Key == "" ? "none" : g.Key)} {g.Count()}");
        var w = Console.Out;
        w.WriteLine($"surge {o.Label}: {o.Fans} fans over {o.Arrival.TotalSeconds:0.#} s, queue {(o.Queue ? "on" : "off")}");
        w.WriteLine($"  errors: {errors.Values.Sum()} ({string.Join(", ", errors.OrderBy(e => e.Key).Select(e => $"{e.Key}: {e.Value}"))})");
        w.WriteLine($"  outcomes: {string.Join(", ", outcomes)}");
        w.WriteLine($"  POST /orders p95: {P95(latencies.Select(l => l.Ms))} ms over {latencies.Count}; {string.Join("; ", minutes)}");
        if (o.Queue) w.WriteLine($"  GET /queue/{{id}} p95: {P95(pollLatency)} ms over {pollLatency.Count} polls ({pollLatency.Count / (double)o.Fans:0.#} per fan)");
        w.WriteLine($"  every fan served after: {served.TotalSeconds:0.0} s");
        if (o.Queue) w.WriteLine($"  admission order vs join order (fans who joined after the opening, joins >= 100 ms apart): {inverted} of {pairs} sampled pairs inverted");
        return 0;
    }

    /// <summary>Pairs of fans whose joins were acknowledged at least 100 ms apart, admitted in the other order.</summary>
    private static (long Inverted, long Pairs) Inversions(List<Fan> fans)
    {
        var random = new Random(1);
        long inverted = 0, pairs = 0;
        for (var n = 0; n < 200_000 && fans.Count > 1; n++)
        {
            var a = fans[random.Next(fans.Count)];
            var b = fans[random.Next(fans.Count)];
            if (Math.Abs(a.JoinedAtMs - b.JoinedAtMs) < 100) continue;
            var (first, second) = a.JoinedAtMs < b.JoinedAtMs ? (a, b) : (b, a);
            pairs++;
            if (first.AdmittedUntilMs > second.AdmittedUntilMs) inverted++;
        }
        return (inverted, pairs);
    }

    private static void Error(ConcurrentDictionary<string, int> errors, string what) => errors.AddOrUpdate(what, 1, (_, n) => n + 1);

    private static JsonElement Data(string json) => JsonDocument.Parse(json).RootElement.GetProperty("data").Clone();

    private static string P95(IEnumerable<double> values)
    {
        var sorted = values.Order().ToList();
        return sorted.Count == 0 ? "-" : sorted[(int)Math.Ceiling(sorted.Count * 0.95) - 1].ToString("0", CultureInfo.InvariantCulture);
    }

    private sealed record Options(Uri BaseUrl, int Fans, TimeSpan Arrival, bool Queue, DateTimeOffset? OpensAt, int Categories,
        string ServerKey, int Connections, string Label);

    private static Options? ParseArgs(string[] args)
    {
        var values = new Dictionary<string, string>();
        var queue = false;
        for (var i = 0; i < args.Length; i++)
        {
            if (args[i] == "--queue") { queue = true; continue; }
            if (!args[i].StartsWith("--", StringComparison.Ordinal) || i + 1 >= args.Length) return null;
            values[args[i][2..]] = args[++i];
        }
        string Get(string name, string fallback) => values.TryGetValue(name, out var v) ? v : fallback;
        return new Options(
            new Uri(Get("base-url", "http://127.0.0.1:8080")),
            int.Parse(Get("fans", "20000"), CultureInfo.InvariantCulture),
            TimeSpan.FromSeconds(double.Parse(Get("arrival", "10s").TrimEnd('s'), CultureInfo.InvariantCulture)),
            queue,
            values.TryGetValue("opens-at", out var opens) ? DateTimeOffset.Parse(opens, CultureInfo.InvariantCulture) : null,
            int.Parse(Get("categories", "5"), CultureInfo.InvariantCulture),
            Get("server-key", "loadtest-server-key"),
            int.Parse(Get("connections", "2048"), CultureInfo.InvariantCulture),
            Get("label", queue ? "queue-on" : "queue-off"));
    }
}
