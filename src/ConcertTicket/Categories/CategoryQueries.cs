using ConcertTicket.Infrastructure;
using Npgsql;

namespace ConcertTicket.Categories;

/// <summary>The SQL of the categories feature.</summary>
internal sealed class CategoryQueries(NpgsqlDataSource dataSource, PostgresDeadline deadline)
{
    // Counts free seats through the partial index of free seats (an index-only scan), not the whole table. With one
    // concert: all its categories, the seed's shape. With several: the categories of the concerts on sale now, each
    // with its concert_id (GET /concerts/{id}/categories has any concert's).
    internal const string ListSql = """
        WITH several AS (SELECT count(*) > 1 AS yes FROM concerts)
        SELECT c.id, c.name, c.price,
               (SELECT count(*) FROM seats s WHERE s.category_id = c.id AND s.order_id IS NULL)::int AS total,
               CASE WHEN several.yes THEN c.concert_id END
        FROM categories c JOIN concerts k ON k.id = c.concert_id, several
        WHERE NOT several.yes
           OR k.state = 'on_sale' AND (k.sale_opens_at IS NULL OR k.sale_opens_at <= now())
              AND (k.sale_closes_at IS NULL OR now() < k.sale_closes_at)
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
            list.Add(new CategoryView(reader.GetInt32(0), reader.GetString(1), reader.GetInt64(2), reader.GetInt32(3),
                reader.IsDBNull(4) ? null : reader.GetInt32(4)));
        }
        return list;
    }
}
