using ConcertTicket.Infrastructure;
using Npgsql;

namespace ConcertTicket.Categories;

/// <summary>The SQL of the categories feature.</summary>
internal sealed class CategoryQueries(NpgsqlDataSource dataSource, PostgresDeadline deadline)
{
    // Counts free seats through the partial index of free seats (an index-only scan), not the whole table.
    private const string ListSql = """
        SELECT c.id, c.name, c.price, coalesce(f.free, 0)::int AS total
        FROM categories c
        LEFT JOIN (
            SELECT category_id, count(*) AS free FROM seats WHERE order_id IS NULL GROUP BY category_id
        ) f ON f.category_id = c.id
        ORDER BY c.id
        """;

    public Task<List<CategoryView>> ListAsync(CancellationToken ct) => deadline.RunAsync(ListCoreAsync, ct);

    private async Task<List<CategoryView>> ListCoreAsync(CancellationToken ct)
    {
        await using var command = dataSource.CreateCommand(ListSql);
        await using var reader = await command.ExecuteReaderAsync(ct);
        var list = new List<CategoryView>();
        while (await reader.ReadAsync(ct))
        {
            list.Add(new CategoryView(reader.GetInt32(0), reader.GetString(1), reader.GetInt64(2), reader.GetInt32(3)));
        }
        return list;
    }
}
