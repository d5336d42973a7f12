using ConcertTicket.Queue;
using ConcertTicket.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace ConcertTicket.Tests.Queue;

/// <summary>
/// The admitter's pace against the real Redis and PostgreSQL, on a clock the test moves: it grows by a twentieth of
/// Queue:AdmitPerSecond each second while the published order latency is on target, halves when it is not, never
/// exceeds the ceiling, publishes what it decided, and admits that many fans a second.
/// </summary>
[Collection(LiveServersGroup.Name)]
public sealed class AdmitterPacingTests(LiveServers stack)
{
    [Fact]
    public async Task The_rate_grows_while_orders_are_fast_halves_when_they_are_slow_and_paces_the_admissions()
    {
        var category = await Sale.CreateCategoryAsync(stack.DataSource, seats: 2000);
        await using var app = await TestApp.StartAsync(stack, stack.Args(QueueFans.Args(QueueFans.NewName(), extra:
            ["--Queue:AdmitPerSecond=20", "--Queue:TargetOrderLatencyMs=250", $"--Queue:CategoryIds:0={category}"])));
        for (var i = 0; i < 300; i++) await QueueFans.JoinAsync(app.Client, Sale.Email());
        var store = app.Services.GetRequiredService<QueueStore>();
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var admitter = NewAdmitter(app, clock);

        async Task<(double Rate, int Admitted)> SecondAsync(double p95Ms)
        {
            await store.PublishLatencyAsync("test-instance", p95Ms, clock.GetUtcNow());
            clock.Advance(TimeSpan.FromSeconds(1));
            var admitted = await admitter.RunOnceAsync(CancellationToken.None);
            return (admitter.Rate, admitted.Count);
        }

        await admitter.RunOnceAsync(CancellationToken.None); // takes the lease; the first pace is a quarter of the ceiling
        Assert.True(admitter.IsLeader);
        var fast = new List<(double Rate, int Admitted)>();
        for (var i = 0; i < 17; i++) fast.Add(await SecondAsync(100));
        var slow = await SecondAsync(900);
        var published = (await store.FiguresAsync()).AdmitPerSecond;

        // +1 a second (20 / 20) from 6 (a quarter of the ceiling, plus one), up to the ceiling of 20 and no further.
        Assert.Equal([7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 20, 20, 20], fast.Select(s => s.Rate));
        Assert.All(fast, s => Assert.InRange(s.Admitted, s.Rate - 1, s.Rate));
        Assert.Equal(10, slow.Rate);
        Assert.Equal(10, published);
        var served = (await store.FiguresAsync()).Admitted;
        Assert.Equal(fast.Sum(s => s.Admitted) + slow.Admitted, served);
    }

    [Fact]
    public async Task Fans_holding_unused_admissions_never_outnumber_the_free_seats()
    {
        var category = await Sale.CreateCategoryAsync(stack.DataSource, seats: 5);
        await using var app = await TestApp.StartAsync(stack, stack.Args(QueueFans.Args(QueueFans.NewName(), extra:
            ["--Queue:AdmitPerSecond=20", $"--Queue:CategoryIds:0={category}"])));
        var emails = new Dictionary<Guid, string>();
        for (var i = 0; i < 20; i++)
        {
            var email = Sale.Email();
            emails[(await QueueFans.JoinAsync(app.Client, email)).Data.GetProperty("id").GetGuid()] = email;
        }
        var store = app.Services.GetRequiredService<QueueStore>();
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var admitter = NewAdmitter(app, clock);
        async Task<IReadOnlyList<Guid>> SecondAsync(double seconds = 1)
        {
            clock.Advance(TimeSpan.FromSeconds(seconds));
            return await admitter.RunOnceAsync(CancellationToken.None);
        }
        await admitter.RunOnceAsync(CancellationToken.None);

        var first = await SecondAsync();
        var whileAllUnused = await SecondAsync();
        // One admitted fan orders: a seat is held, an admission used; free seats and unused admissions both drop by one.
        var token = (await QueueFans.EntryAsync(app.Client, first[0])).GetProperty("admission_token").GetString();
        Assert.Equal(System.Net.HttpStatusCode.Created, (await QueueFans.OrderAsync(app, emails[first[0]], category, token)).StatusCode);
        var afterAnOrder = await SecondAsync();
        // The other four admissions run out unused (Queue:AdmissionSeconds, 600): their seats are for the next fans.
        var afterTheyRanOut = await SecondAsync(601);

        Assert.Equal([5, 0, 0, 4], new[] { first.Count, whileAllUnused.Count, afterAnOrder.Count, afterTheyRanOut.Count });
        Assert.Equal(4, await store.OutstandingAdmissionsAsync(clock.GetUtcNow()));
        await Sale.AssertInvariantsAsync(stack.DataSource);
    }

    /// <summary>An admitter on the app's Redis, PostgreSQL and options, on a clock the test moves.</summary>
    private static Admitter NewAdmitter(TestApp app, TimeProvider clock) =>
        new(app.Services.GetRequiredService<QueueStore>(), app.Services.GetRequiredService<StockQueries>(),
            app.Services.GetRequiredService<QueueMetrics>(), app.Services.GetRequiredService<IOptions<QueueOptions>>(),
            clock, NullLogger<Admitter>.Instance);
}
