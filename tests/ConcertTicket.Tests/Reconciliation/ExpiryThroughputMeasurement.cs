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
            $"{Orders} due orders: without the status check {without.Seconds:0.000} s ({Orders / without.Seconds:0} expiries/s); with it, stand-in answering in 50 ms, Concurrency 32, BatchSize 256: {with.Seconds:0.000} s ({Orders / with.Seconds:0} expiries/s)"));
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

    /// <summary>N pending orders of a fresh category, each holding its seat, with a VA, due now; pending at Midtrans.</summary>
    private async Task DueOrdersAsync(MidtransStandIn midtrans)
    {
        var category = await Sale.CreateCategoryAsync(stack.DataSource, Orders);
        await Sale.ExecuteAsync(stack.DataSource, """
            WITH o AS (
                INSERT INTO orders (id, email, category_id, seat_id, total, status, va_number, bank, expires_at)
                SELECT gen_random_uuid(), 'bench-' || s.id || '-' || gen_random_uuid() || '@example.com', s.category_id, s.id,
                       1000000, 'pending', '8127', 'bri', now() - interval '1 second'
                FROM seats s WHERE s.category_id = $1
                RETURNING id, seat_id
            )
            UPDATE seats SET order_id = o.id FROM o WHERE seats.id = o.seat_id
            """, category);
        await using var command = stack.DataSource.CreateCommand("SELECT id FROM orders WHERE category_id = $1");
        command.Parameters.Add(new Npgsql.NpgsqlParameter<int> { TypedValue = category });
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync()) midtrans.SetTransaction(reader.GetGuid(0), 1_000_000, "pending");
    }
}
