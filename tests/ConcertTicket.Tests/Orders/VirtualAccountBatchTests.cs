using ConcertTicket.Orders;
using ConcertTicket.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace ConcertTicket.Tests.Orders;

/// <summary>The VAs of orders placed together are written together, and each caller learns about its own order.</summary>
[Collection(LiveServersGroup.Name)]
public sealed class VirtualAccountBatchTests(LiveServers stack)
{
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Orders_that_wait_while_a_batch_is_written_go_together_in_the_next_one()
    {
        await using var app = await TestApp.StartAsync(stack);
        var store = app.Services.GetRequiredService<OrderStore>();
        var orders = await PendingOrdersAsync(41);
        var batchesBefore = store.VirtualAccounts.BatchesWritten;

        // The first order's row is locked, so the first batch (that order alone) waits while the others queue.
        await using var connection = await stack.DataSource.OpenConnectionAsync();
        await using var transaction = await connection.BeginTransactionAsync();
        await using (var lockRow = new NpgsqlCommand("SELECT 1 FROM orders WHERE id = $1 FOR UPDATE", connection, transaction))
        {
            lockRow.Parameters.AddWithValue(orders[0]);
            await lockRow.ExecuteScalarAsync();
        }
        var first = store.RecordVirtualAccountAsync(new VirtualAccountRecord(orders[0], "va-0", "tx-0"));
        await WaitUntilAsync(() => store.VirtualAccounts.BatchesStarted > batchesBefore);
        var rest = await Task.WhenAll(orders.Skip(1).Select((id, i) =>
            Task.Run(() => new { Id = id, Recorded = store.RecordVirtualAccountAsync(new VirtualAccountRecord(id, $"va-{i + 1}", null)) })));
        Assert.All(rest, r => Assert.False(r.Recorded.IsCompleted));
        await transaction.CommitAsync();

        Assert.True(await first.WaitAsync(Limit));
        Assert.All(await Task.WhenAll(rest.Select(r => r.Recorded)).WaitAsync(Limit), Assert.True);
        Assert.Equal(2, store.VirtualAccounts.BatchesWritten - batchesBefore);
        for (var i = 0; i < orders.Count; i++)
        {
            Assert.Equal($"va-{i}", await Sale.ScalarAsync<string>(stack.DataSource, "SELECT va_number FROM orders WHERE id = $1", orders[i]));
        }
    }

    [Fact]
    public async Task An_order_that_ended_meanwhile_is_not_recorded_and_its_batch_mates_are()
    {
        await using var app = await TestApp.StartAsync(stack);
        var store = app.Services.GetRequiredService<OrderStore>();
        var orders = await PendingOrdersAsync(3);
        Assert.True(await store.CancelAsync(orders[1], "test", CancellationToken.None));

        var results = await Task.WhenAll(orders.Select(id => store.RecordVirtualAccountAsync(new VirtualAccountRecord(id, "va-" + id, "tx"))))
            .WaitAsync(Limit);

        Assert.Equal([true, false, true], results);
        Assert.True(await Sale.ScalarAsync<bool>(stack.DataSource, "SELECT va_number IS NULL FROM orders WHERE id = $1", orders[1]));
        Assert.Equal("va-" + orders[2], await Sale.ScalarAsync<string>(stack.DataSource, "SELECT va_number FROM orders WHERE id = $1", orders[2]));
    }

    [Fact]
    public async Task A_failed_batch_fails_each_of_its_callers_and_the_next_order_is_written()
    {
        // A database that refuses connections: every statement fails quickly.
        await using var app = await TestApp.StartAsync(stack, "--ConnectionStrings:Postgres=Host=127.0.0.1;Port=1;Username=postgres;Timeout=1");
        var store = app.Services.GetRequiredService<OrderStore>();

        var attempts = Enumerable.Range(0, 5).Select(_ => store.RecordVirtualAccountAsync(new VirtualAccountRecord(Guid.NewGuid(), "va", null))).ToArray();

        foreach (var attempt in attempts)
        {
            await Assert.ThrowsAnyAsync<Exception>(() => attempt.WaitAsync(Limit));
        }
        // The writer did not stop with the failure: a later order starts a new batch.
        var batches = store.VirtualAccounts.BatchesStarted;
        await Assert.ThrowsAnyAsync<Exception>(() => store.RecordVirtualAccountAsync(new VirtualAccountRecord(Guid.NewGuid(), "va", null)).WaitAsync(Limit));
        Assert.Equal(batches + 1, store.VirtualAccounts.BatchesStarted);
    }

    private async Task<List<Guid>> PendingOrdersAsync(int count)
    {
        var category = await Sale.CreateCategoryAsync(stack.DataSource, count);
        var ids = new List<Guid>();
        for (var i = 0; i < count; i++)
        {
            var id = Guid.CreateVersion7();
            await Sale.ExecuteAsync(stack.DataSource, """
                WITH seat AS (
                    UPDATE seats SET order_id = $1
                    WHERE id = (SELECT id FROM seats WHERE category_id = $3 AND order_id IS NULL ORDER BY id LIMIT 1)
                    RETURNING id, category_id)
                INSERT INTO orders (id, email, category_id, seat_id, total, expires_at)
                SELECT $1, $2, category_id, id, 1, now() + interval '1 minute' FROM seat
                """, id, Sale.Email(), category);
            ids.Add(id);
        }

        return ids;
    }

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        var until = DateTime.UtcNow + Limit;
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < until, "the condition did not come true");
            await Task.Delay(10);
        }
    }
}
