using System.Net;
using ConcertTicket.Expiry;
using ConcertTicket.Tests.Infrastructure;
using Microsoft.Extensions.Logging.Abstractions;

namespace ConcertTicket.Tests.Expiry;

[Collection(LiveServersGroup.Name)]
public sealed class ExpiryWorkerTests(LiveServers stack)
{
    private ExpiryWorker Worker() => Workers.Expiry(stack.DataSource);

    private static async Task<Guid> OrderAsync(TestApp app, int category)
    {
        var response = await app.PostOrderAsync(Sale.Email(), category);
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return (await TestApp.JsonAsync(response)).GetProperty("data").GetProperty("id").GetGuid();
    }

    [Fact]
    public async Task Overdue_pending_orders_expire_and_free_their_seats_without_a_gateway_call_while_others_stay()
    {
        var category = await Sale.CreateCategoryAsync(stack.DataSource, seats: 3);
        await using var app = await TestApp.StartAsync(stack);
        var due = await OrderAsync(app, category);
        var notDue = await OrderAsync(app, category);
        await Sale.ExpireHoldAsync(stack.DataSource, due);

        var expired = await Worker().RunOnceAsync(CancellationToken.None);

        Assert.Contains(expired, e => e.OrderId == due && e.CategoryId == category);
        Assert.DoesNotContain(expired, e => e.OrderId == notDue);
        Assert.Equal("expired", await Sale.StatusAsync(stack.DataSource, due));
        Assert.Equal("pending", await Sale.StatusAsync(stack.DataSource, notDue));
        Assert.Equal(2, await Sale.FreeSeatsAsync(stack.DataSource, category));
        // The VA expires at Midtrans at the same deadline (custom_expiry): no void is queued for it.
        Assert.Equal(0, await Sale.ScalarAsync<long>(stack.DataSource, "SELECT count(*) FROM gateway_voids WHERE order_id = $1", due));
        var view = (await TestApp.JsonAsync(await app.Client.GetAsync($"/orders/{due}"))).GetProperty("data");
        Assert.Equal("expired", view.GetProperty("status").GetString());
        await Sale.AssertInvariantsAsync(stack.DataSource);
    }

    [Fact]
    public async Task An_order_whose_process_died_before_the_gateway_answered_expires_like_any_other()
    {
        var category = await Sale.CreateCategoryAsync(stack.DataSource, seats: 1);
        var orderId = Guid.CreateVersion7();
        // What a crash between the claim and the charge leaves behind: a pending order without a VA number.
        await Sale.ExecuteAsync(stack.DataSource, """
            WITH s AS (UPDATE seats SET order_id = $1 WHERE category_id = $2 RETURNING id)
            INSERT INTO orders (id, email, category_id, seat_id, total, expires_at)
            SELECT $1, $3, $2, s.id, 1, now() - interval '1 second' FROM s
            """, orderId, category, Sale.Email());

        await Worker().RunOnceAsync(CancellationToken.None);

        Assert.Equal("expired", await Sale.StatusAsync(stack.DataSource, orderId));
        Assert.Equal(1, await Sale.FreeSeatsAsync(stack.DataSource, category));
        await Sale.AssertInvariantsAsync(stack.DataSource);
    }

    [Fact]
    public async Task Several_workers_at_once_expire_each_order_exactly_once()
    {
        const int orders = 300;
        var category = await Sale.CreateCategoryAsync(stack.DataSource, orders);
        await Sale.ExecuteAsync(stack.DataSource, """
            WITH s AS (
                SELECT id, row_number() OVER (ORDER BY id) AS n FROM seats WHERE category_id = $1
            ), o AS (
                INSERT INTO orders (id, email, category_id, seat_id, total, expires_at)
                SELECT gen_random_uuid(), 'bulk-' || s.n || '-' || $2 || '@example.com', $1, s.id, 1, now() - interval '1 second' FROM s
                RETURNING id, seat_id
            )
            UPDATE seats SET order_id = o.id FROM o WHERE seats.id = o.seat_id
            """, category, Guid.NewGuid().ToString("N"));

        var results = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => Task.Run(async () =>
        {
            var mine = new List<ExpiredOrder>();
            var worker = Worker();
            while (true)
            {
                var batch = await worker.RunOnceAsync(CancellationToken.None);
                if (batch.Count == 0) break;
                mine.AddRange(batch.Where(e => e.CategoryId == category));
            }
            return mine;
        })));

        var all = results.SelectMany(r => r).Select(e => e.OrderId).ToList();
        Assert.Equal(orders, all.Count);
        Assert.Equal(orders, all.Distinct().Count());
        Assert.Equal(orders, await Sale.FreeSeatsAsync(stack.DataSource, category));
        await Sale.AssertInvariantsAsync(stack.DataSource);
    }
}
