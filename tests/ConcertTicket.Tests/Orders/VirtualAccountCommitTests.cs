using ConcertTicket.Infrastructure;
using ConcertTicket.Orders;
using ConcertTicket.Tests.Infrastructure;
using Npgsql;

namespace ConcertTicket.Tests.Orders;

/// <summary>Recording the VA is the one commit of an order that does not wait for its WAL flush.</summary>
[Collection(LiveServersGroup.Name)]
public sealed class VirtualAccountCommitTests(LiveServers stack)
{
    [Fact]
    public async Task Recording_the_virtual_account_commits_without_waiting_for_the_flush_and_only_that_transaction()
    {
        await using var db = NpgsqlDataSource.Create(Postgres.WithDefaults(stack.ConnectionString));
        var category = await Sale.CreateCategoryAsync(stack.DataSource, 1);
        var orderId = Guid.CreateVersion7();
        await Sale.ExecuteAsync(stack.DataSource, """
            WITH seat AS (UPDATE seats SET order_id = $1 WHERE category_id = $3 RETURNING id, category_id)
            INSERT INTO orders (id, email, category_id, seat_id, total, expires_at)
            SELECT $1, $2, category_id, id, 1, now() + interval '1 minute' FROM seat
            """, orderId, Sale.Email(), category);
        await using var connection = await db.OpenConnectionAsync();
        // The test server runs with synchronous_commit off for speed; a production session has it on.
        await using (var on = new NpgsqlCommand("SET synchronous_commit = on", connection)) await on.ExecuteNonQueryAsync();

        await using (var transaction = await connection.BeginTransactionAsync())
        {
            await using var update = new NpgsqlCommand(OrderStore.SetVirtualAccountsSql, connection, transaction);
            update.Parameters.Add(new NpgsqlParameter<Guid[]> { TypedValue = [orderId] });
            update.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = ["8808123"] });
            update.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = ["tx-1"] });
            Assert.Equal(1, await update.ExecuteNonQueryAsync());
            Assert.Equal("off", await ShowAsync(connection, transaction));
            await transaction.CommitAsync();
        }

        Assert.Equal("on", await ShowAsync(connection, null));
        Assert.Equal("8808123", await Sale.ScalarAsync<string>(stack.DataSource, "SELECT va_number FROM orders WHERE id = $1", orderId));
    }

    private static async Task<string> ShowAsync(NpgsqlConnection connection, NpgsqlTransaction? transaction)
    {
        await using var show = new NpgsqlCommand("SHOW synchronous_commit", connection, transaction);
        return (string)(await show.ExecuteScalarAsync())!;
    }
}
