using System.Diagnostics;
using System.Globalization;
using ConcertTicket.Expiry;
using ConcertTicket.Reconciliation;
using ConcertTicket.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Xunit.Abstractions;

namespace ConcertTicket.Tests.Reconciliation;

/// <summary>Runs only when CONCERT_TICKET_BENCH=1: a measurement for docs/benchmarks.md, not a test.</summary>
public sealed class MeasurementFactAttribute : FactAttribute
{
    public MeasurementFactAttribute()
    {
        if (Environment.GetEnvironmentVariable("CONCERT_TICKET_BENCH") != "1") Skip = "a measurement: set CONCERT_TICKET_BENCH=1";
    }
}

/// <summary>
/// Expiries per second with the status question (the stand-in answering in 50 ms) and without it: N due orders with
/// a VA, expired by the worker's RunOnceAsync until none is left. Prints the numbers; asserts only the outcome.
/// </summary>
[Collection(LiveServersGroup.Name)]
public sealed class ExpiryThroughputMeasurement(LiveServers stack, ITestOutputHelper output)
{
    private const int Orders = 4096;

    [MeasurementFact]
    public async Task Expiries_per_second_with_and_without_asking_midtrans()
    {
        await using var midtrans = await MidtransStandIn.StartAsync();
        midtrans.SlowDelay = TimeSpan.FromMilliseconds(50);
        midtrans.Mode = GatewayMode.Slow;
        await using var app = await TestApp.StartAsync(stack,
            "--Payment:Gateway=Midtrans", $"--Payment:Midtrans:BaseUrl={midtrans.BaseUrl}", "--Payment:ServerKey=k");

        var plain = Workers.Expiry(stack.DataSource);
        await DueOrdersAsync(midtrans);
        var without = await MeasureAsync(plain);

        var asking = new ExpiryWorker(stack.DataSource, TimeProvider.System, app.Services.GetRequiredService<ExpiryMetrics>(),
            NullLogger<ExpiryWorker>.Instance, ActivatorUtilities.CreateInstance<AskingExpiry>(app.Services));
        await DueOrdersAsync(midtrans);
        var with = await MeasureAsync(asking);

        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{Orders} due orders: without the status check {without.Seconds:0.000} s ({Orders / without.Seconds:0} expiries/s); with it, stand-in answering in 50 ms, Concurrency 128, BatchSize 512: {with.Seconds:0.000} s ({Orders / with.Seconds:0} expiries/s)"));
        Assert.Equal(Orders, without.Expired);
        Assert.Equal(Orders, with.Expired);
        await Sale.AssertInvariantsAsync(stack.DataSource);
    }

    private static async Task<(double Seconds, int Expired)> MeasureAsync(ExpiryWorker worker)
    {
        var started = Stopwatch.GetTimestamp();
        var expired = 0;
        while (true)
        {
            var batch = await worker.RunOnceAsync(CancellationToken.None);
            if (batch.Count == 0) break;
            expired += batch.Count;
        }
        return (Stopwatch.GetElapsedTime(started).TotalSeconds, expired);
    }

    /// <summary>
    /// The callback alone (not the seed's whole scenario): N settlement notifications, 64 at a time, through the
    /// in-process server, with verification off and on (the stand-in answering the status API in 20 ms).
    /// </summary>
    [MeasurementFact]
    public async Task Settlement_notifications_per_second_with_and_without_verification()
    {
        const string key = "SB-Mid-server-abc123cde456";
        await using var midtrans = await MidtransStandIn.StartAsync();
        midtrans.SlowDelay = TimeSpan.FromMilliseconds(20);
        midtrans.Mode = GatewayMode.Slow;
        foreach (var verify in new[] { false, true })
        {
            await using var app = await TestApp.StartAsync(stack,
                "--Payment:Gateway=Midtrans", $"--Payment:Midtrans:BaseUrl={midtrans.BaseUrl}", $"--Payment:ServerKey={key}",
                $"--Payment:Midtrans:VerifyNotifications={verify}");
            var ids = await DueOrdersAsync(midtrans, due: false, midtransStatus: "settlement");
            var latencies = new double[ids.Count];
            var started = Stopwatch.GetTimestamp();
            await Parallel.ForEachAsync(Enumerable.Range(0, ids.Count), new ParallelOptions { MaxDegreeOfParallelism = 64 }, async (i, _) =>
            {
                var one = Stopwatch.GetTimestamp();
                using var response = await Callbacks.PostAsync(app, Callbacks.Notification(ids[i], "settlement", 1_000_000, key: key));
                latencies[i] = Stopwatch.GetElapsedTime(one).TotalMilliseconds;
                Assert.Equal(System.Net.HttpStatusCode.OK, response.StatusCode);
            });
            var seconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
            Array.Sort(latencies);
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"verification {(verify ? "on" : "off")}: {ids.Count} settlements in {seconds:0.000} s ({ids.Count / seconds:0}/s), p50 {latencies[ids.Count / 2]:0.0} ms, p95 {latencies[ids.Count * 95 / 100]:0.0} ms"));
            Assert.Equal(ids.Count, await Sale.ScalarAsync<long>(stack.DataSource, "SELECT count(*) FROM orders WHERE id = ANY ($1) AND status = 'paid'", ids.ToArray()));
        }
        await Sale.AssertInvariantsAsync(stack.DataSource);
    }

    /// <summary>N pending orders of a fresh category, each holding its seat, with a VA, due now; pending at Midtrans.</summary>
    private async Task<List<Guid>> DueOrdersAsync(MidtransStandIn midtrans, bool due = true, string midtransStatus = "pending")
    {
        var category = await Sale.CreateCategoryAsync(stack.DataSource, Orders);
        await Sale.ExecuteAsync(stack.DataSource, """
            WITH o AS (
                INSERT INTO orders (id, email, category_id, seat_id, total, status, va_number, bank, expires_at)
                SELECT gen_random_uuid(), 'bench-' || s.id || '-' || gen_random_uuid() || '@example.com', s.category_id, s.id,
                       1000000, 'pending', '8127', 'bri', now() + make_interval(secs => $2)
                FROM seats s WHERE s.category_id = $1
                RETURNING id, seat_id
            )
            UPDATE seats SET order_id = o.id FROM o WHERE seats.id = o.seat_id
            """, category, due ? -1.0 : 900.0);
        await using var command = stack.DataSource.CreateCommand("SELECT id FROM orders WHERE category_id = $1");
        command.Parameters.Add(new Npgsql.NpgsqlParameter<int> { TypedValue = category });
        await using var reader = await command.ExecuteReaderAsync();
        var ids = new List<Guid>();
        while (await reader.ReadAsync()) ids.Add(reader.GetGuid(0));
        foreach (var id in ids) midtrans.SetTransaction(id, 1_000_000, midtransStatus);
        return ids;
    }
}
