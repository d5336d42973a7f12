using Microsoft.Extensions.Options;
using Npgsql;

namespace ConcertTicket.Queue;

/// <summary>Seats free and held (by pending orders) over the sale's categories.</summary>
internal sealed record Stock(long Free, long Held)
{
    /// <summary>Nothing free and nothing held that could come back: no waiting fan can buy anything.</summary>
    public bool SoldOut => Free == 0 && Held == 0;
}

/// <summary>The one question the admitter asks PostgreSQL, about once a second, from one instance.</summary>
internal sealed class StockQueries(NpgsqlDataSource dataSource, IOptions<QueueOptions> options)
{
    // Per category through the partial indexes of free seats and pending orders, as the seats gauges count them.
    private const string StockSql = """
        SELECT coalesce(sum((SELECT count(*) FROM seats s WHERE s.category_id = c.id AND s.order_id IS NULL)), 0)::bigint,
               coalesce(sum((SELECT count(*) FROM orders o WHERE o.category_id = c.id AND o.status = 'pending')), 0)::bigint
        FROM categories c
        WHERE cardinality($1) = 0 OR c.id = ANY ($1)
        """;

    public async Task<Stock> ReadAsync(CancellationToken ct)
    {
        await using var command = dataSource.CreateCommand(StockSql);
        command.Parameters.Add(new NpgsqlParameter<int[]> { TypedValue = options.Value.CategoryIds });
        await using var reader = await command.ExecuteReaderAsync(ct);
        await reader.ReadAsync(ct);
        return new Stock(reader.GetInt64(0), reader.GetInt64(1));
    }
}
