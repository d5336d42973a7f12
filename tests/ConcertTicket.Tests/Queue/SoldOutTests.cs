using System.Net;
using ConcertTicket.Queue;
using ConcertTicket.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace ConcertTicket.Tests.Queue;

[Collection(LiveServersGroup.Name)]
public sealed class SoldOutTests(LiveServers stack)
{
    [Fact]
    public async Task Waiting_fans_keep_waiting_while_seats_are_held_and_see_sold_out_once_every_seat_is_paid()
    {
        var category = await Sale.CreateCategoryAsync(stack.DataSource, seats: 2);
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var app = await TestApp.StartAsync(stack, b => b.Services.AddSingleton<TimeProvider>(clock),
            stack.Args(QueueFans.Args(QueueFans.NewName(), extra: $"--Queue:CategoryIds:0={category}")));
        var admitter = app.Services.GetRequiredService<Admitter>();
        var emails = Enumerable.Range(0, 3).Select(_ => Sale.Email()).ToList();
        var ids = new List<Guid>();
        foreach (var email in emails) ids.Add((await QueueFans.JoinAsync(app.Client, email)).Data.GetProperty("id").GetGuid());
        await app.Services.GetRequiredService<QueueStore>().AdmitAsync(2, clock.GetUtcNow().AddMinutes(10), DateTimeOffset.MinValue);
        var orders = new List<(Guid Id, long Total)>();
        for (var i = 0; i < 2; i++)
        {
            var token = (await QueueFans.EntryAsync(app.Client, ids[i])).GetProperty("admission_token").GetString();
            var order = await QueueFans.OrderAsync(app, emails[i], category, token);
            Assert.Equal(HttpStatusCode.Created, order.StatusCode);
            var data = (await TestApp.JsonAsync(order)).GetProperty("data");
            orders.Add((data.GetProperty("id").GetGuid(), data.GetProperty("total").GetInt64()));
        }

        // Both seats held: nothing to sell now, but a hold may expire, so the third fan waits and is not admitted.
        Assert.Empty(await admitter.RunOnceAsync(CancellationToken.None));
        Assert.Equal("waiting", (await QueueFans.EntryAsync(app.Client, ids[2])).GetProperty("status").GetString());

        foreach (var (id, total) in orders) Assert.Equal(HttpStatusCode.OK, (await Callbacks.PostAsync(app, id, "settlement", total)).StatusCode);
        clock.Advance(TimeSpan.FromSeconds(2));
        Assert.Empty(await admitter.RunOnceAsync(CancellationToken.None));

        var third = await QueueFans.EntryAsync(app.Client, ids[2]);
        Assert.Equal("sold_out", third.GetProperty("status").GetString());
        Assert.True((await TestApp.JsonAsync(await app.Client.GetAsync("/queue"))).GetProperty("data").GetProperty("sold_out").GetBoolean());
        await Sale.AssertInvariantsAsync(stack.DataSource);
    }
}
