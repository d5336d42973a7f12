using System.Net;
using ConcertTicket.Tests.Infrastructure;

namespace ConcertTicket.Tests.Queue;

[Collection(LiveServersGroup.Name)]
public sealed class FairnessTests(LiveServers stack)
{
    private const int Fans = 1000;

    [Fact]
    public async Task Fans_who_join_before_the_opening_are_admitted_in_a_shuffled_order()
    {
        var name = QueueFans.NewName();
        var joined = new List<Guid>();
        await using (var before = await TestApp.StartAsync(stack, stack.Args(QueueFans.Args(name, DateTimeOffset.UtcNow.AddHours(1)))))
        {
            for (var i = 0; i < Fans; i++)
            {
                var (status, data) = await QueueFans.JoinAsync(before.Client, Sale.Email("early"));
                Assert.Equal(HttpStatusCode.Created, status);
                Assert.Equal("waiting", data.GetProperty("status").GetString());
                joined.Add(data.GetProperty("id").GetGuid());
            }
            var early = await QueueFans.EntryAsync(before.Client, joined[0]);
            Assert.True(early.GetProperty("estimated_wait_seconds").GetInt32() >= 3000, "the wait counts the time to the opening");
        }

        // The same queue once the opening has passed: the admitter lets everyone in, lowest places first.
        await using var after = await TestApp.StartAsync(stack, stack.Args(QueueFans.Args(name, DateTimeOffset.UtcNow.AddHours(-1))));
        var admitted = await QueueFans.AdmitAsync(after, Fans);

        Assert.Equal(joined.Order(), admitted.Order());
        // Kendall's tau between join order and admission order: about 0 for a shuffle (its standard deviation at
        // 1,000 fans is about 0.02), 1 for join order.
        var tau = KendallTau(joined, admitted);
        Assert.InRange(tau, -0.15, 0.15);
        Assert.True(joined.Take(100).Count(admitted.Take(100).Contains) < 40, "the first to join are not the first admitted");
    }

    [Fact]
    public async Task Fans_who_join_after_the_opening_are_admitted_in_arrival_order()
    {
        var name = QueueFans.NewName();
        await using var app = await TestApp.StartAsync(stack, stack.Args(QueueFans.Args(name, DateTimeOffset.UtcNow.AddHours(-1))));
        var joined = new List<Guid>();
        for (var i = 0; i < Fans; i++)
        {
            var (status, data) = await QueueFans.JoinAsync(app.Client, Sale.Email("late"));
            Assert.Equal(HttpStatusCode.Created, status);
            Assert.Equal(i + 1, data.GetProperty("position").GetInt64());
            Assert.Equal(i, data.GetProperty("ahead").GetInt64());
            joined.Add(data.GetProperty("id").GetGuid());
        }

        var admitted = new List<Guid>();
        while (admitted.Count < Fans) admitted.AddRange(await QueueFans.AdmitAsync(app, 37));

        Assert.Equal(joined, admitted);
    }

    [Fact]
    public async Task Joining_again_returns_the_same_entry_with_200_and_never_a_better_place()
    {
        var name = QueueFans.NewName();
        await using var app = await TestApp.StartAsync(stack, stack.Args(QueueFans.Args(name, DateTimeOffset.UtcNow.AddHours(-1))));
        var email = Sale.Email();
        var (created, first) = await QueueFans.JoinAsync(app.Client, email);
        for (var i = 0; i < 5; i++) await QueueFans.JoinAsync(app.Client, Sale.Email("other"));

        var (again, second) = await QueueFans.JoinAsync(app.Client, "  " + email.ToUpperInvariant() + " ");

        Assert.Equal(HttpStatusCode.Created, created);
        Assert.Equal(HttpStatusCode.OK, again);
        Assert.Equal(first.GetProperty("id").GetGuid(), second.GetProperty("id").GetGuid());
        Assert.Equal(1, second.GetProperty("position").GetInt64());
        var response = await app.Client.GetAsync($"/queue/{first.GetProperty("id").GetGuid()}");
        Assert.True(response.Headers.RetryAfter?.Delta?.TotalSeconds >= 1);
        var poll = (await TestApp.JsonAsync(response)).GetProperty("data").GetProperty("poll_after_seconds").GetInt32();
        Assert.Equal(poll, (int)response.Headers.RetryAfter!.Delta!.Value.TotalSeconds);
    }

    [Fact]
    public async Task Fans_far_back_are_told_to_poll_less_often_than_fans_near_the_front()
    {
        var name = QueueFans.NewName();
        await using var app = await TestApp.StartAsync(stack, stack.Args(QueueFans.Args(name, DateTimeOffset.UtcNow.AddHours(-1), "--Queue:AdmitPerSecond=1")));
        var ids = new List<Guid>();
        for (var i = 0; i < 200; i++) ids.Add((await QueueFans.JoinAsync(app.Client, Sale.Email())).Data.GetProperty("id").GetGuid());

        var front = await QueueFans.EntryAsync(app.Client, ids[0]);
        var back = await QueueFans.EntryAsync(app.Client, ids[^1]);

        Assert.Equal(1, front.GetProperty("poll_after_seconds").GetInt32());
        Assert.Equal(20, back.GetProperty("poll_after_seconds").GetInt32());
        Assert.True(back.GetProperty("estimated_wait_seconds").GetInt32() > front.GetProperty("estimated_wait_seconds").GetInt32());
    }

    [Fact]
    public async Task Without_the_queue_its_endpoints_answer_queue_disabled_and_orders_need_no_token()
    {
        var category = await Sale.CreateCategoryAsync(stack.DataSource, seats: 1);
        await using var app = await TestApp.StartAsync(stack);

        var join = await QueueFans.JoinAsync(app.Client, Sale.Email());
        var info = await app.Client.GetAsync("/queue");
        var order = await app.PostOrderAsync(Sale.Email(), category);

        Assert.Equal(HttpStatusCode.NotFound, join.Status);
        Assert.Equal("queue_disabled", join.Data.GetProperty("code").GetString());
        Assert.Equal("queue_disabled", await TestApp.ProblemCodeAsync(info));
        Assert.Equal(HttpStatusCode.Created, order.StatusCode);
    }

    private static double KendallTau(IReadOnlyList<Guid> first, IReadOnlyList<Guid> second)
    {
        var rank = second.Select((id, i) => (id, i)).ToDictionary(p => p.id, p => p.i);
        var r = first.Select(id => rank[id]).ToArray();
        long concordant = 0, discordant = 0;
        for (var i = 0; i < r.Length; i++)
        {
            for (var j = i + 1; j < r.Length; j++)
            {
                if (r[j] > r[i]) concordant++;
                else discordant++;
            }
        }
        return (concordant - discordant) / (double)(concordant + discordant);
    }
}
