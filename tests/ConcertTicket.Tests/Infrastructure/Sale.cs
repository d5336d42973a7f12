using Npgsql;

namespace ConcertTicket.Tests.Infrastructure;

/// <summary>Test data and the inventory invariants, written as plain SQL against the real database.</summary>
internal static class Sale
{
    /// <summary>A new category of the seeded concert with <paramref name="seats"/> free seats, for one test alone.</summary>
    public static async Task<int> CreateCategoryAsync(NpgsqlDataSource db, int seats, long price = 1_000_000)
    {
        await using var command = db.CreateCommand("""
            WITH c AS (
                INSERT INTO categories (concert_id, name, price)
                SELECT min(id), 'TEST ' || gen_random_uuid(), $2 FROM concerts
                RETURNING id
            ), s AS (
                INSERT INTO seats (category_id, row_no, col_no)
                SELECT c.id, 1 + (n - 1) / 100, 1 + (n - 1) % 100 FROM c, generate_series(1, $1) AS n
            )
            SELECT id FROM c
            """);
        command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = seats });
        command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = price });
        return (int)(await command.ExecuteScalarAsync())!;
    }

    public static string Email(string tag = "fan") => $"{tag}-{Guid.NewGuid():N}@example.com";

    public static async Task<T> ScalarAsync<T>(NpgsqlDataSource db, string sql, params object[] parameters)
    {
        await using var command = db.CreateCommand(sql);
        foreach (var p in parameters) command.Parameters.Add(new NpgsqlParameter { Value = p });
        return (T)(await command.ExecuteScalarAsync())!;
    }

    public static async Task ExecuteAsync(NpgsqlDataSource db, string sql, params object[] parameters)
    {
        await using var command = db.CreateCommand(sql);
        foreach (var p in parameters) command.Parameters.Add(new NpgsqlParameter { Value = p });
        await command.ExecuteNonQueryAsync();
    }

    public static Task<long> FreeSeatsAsync(NpgsqlDataSource db, int categoryId) =>
        ScalarAsync<long>(db, "SELECT count(*) FROM seats WHERE category_id = $1 AND order_id IS NULL", categoryId);

    public static Task<string> StatusAsync(NpgsqlDataSource db, Guid orderId) =>
        ScalarAsync<string>(db, "SELECT status FROM orders WHERE id = $1", orderId);

    /// <summary>Makes an order's hold end now, as if its time had passed.</summary>
    public static Task ExpireHoldAsync(NpgsqlDataSource db, Guid orderId) =>
        ExecuteAsync(db, "UPDATE orders SET expires_at = now() - interval '1 second' WHERE id = $1", orderId);

    /// <summary>
    /// The inventory invariants, over the whole database: per category free + held + sold = capacity; every
    /// pending or paid order holds exactly its own seat; no seat is held by an order that ended; at most one
    /// active order per email per concert; every paid order has a ticket and only paid orders have a usable one.
    /// </summary>
    public static async Task AssertInvariantsAsync(NpgsqlDataSource db)
    {
        var violations = new List<string>();
        await using (var command = db.CreateCommand("""
            SELECT c.id,
                   count(s.id) AS capacity,
                   count(s.id) FILTER (WHERE s.order_id IS NULL) AS free,
                   count(s.id) FILTER (WHERE o.status = 'pending') AS held,
                   count(s.id) FILTER (WHERE o.status = 'paid') AS sold
            FROM categories c
            LEFT JOIN seats s ON s.category_id = c.id
            LEFT JOIN orders o ON o.id = s.order_id
            GROUP BY c.id
            HAVING count(s.id) <> count(s.id) FILTER (WHERE s.order_id IS NULL)
                 + count(s.id) FILTER (WHERE o.status = 'pending') + count(s.id) FILTER (WHERE o.status = 'paid')
            """))
        await using (var reader = await command.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync())
            {
                violations.Add($"category {reader.GetInt32(0)}: capacity {reader.GetInt64(1)} != free {reader.GetInt64(2)} + held {reader.GetInt64(3)} + sold {reader.GetInt64(4)}");
            }
        }
        var badActive = await ScalarAsync<long>(db, """
            SELECT count(*) FROM orders o
            WHERE o.status IN ('pending', 'paid')
              AND (SELECT count(*) FROM seats s WHERE s.order_id = o.id) <> 1
               OR o.status IN ('pending', 'paid')
              AND NOT EXISTS (SELECT 1 FROM seats s WHERE s.id = o.seat_id AND s.order_id = o.id)
            """);
        if (badActive > 0) violations.Add($"{badActive} active orders do not hold exactly their own seat");
        var heldByEnded = await ScalarAsync<long>(db, """
            SELECT count(*) FROM seats s
            LEFT JOIN orders o ON o.id = s.order_id
            WHERE s.order_id IS NOT NULL AND (o.id IS NULL OR o.status NOT IN ('pending', 'paid'))
            """);
        if (heldByEnded > 0) violations.Add($"{heldByEnded} seats are held by orders that ended or do not exist");
        // The other direction: a held seat's order names that seat (seats.order_id and orders.seat_id agree).
        var seatDisowned = await ScalarAsync<long>(db, """
            SELECT count(*) FROM seats s JOIN orders o ON o.id = s.order_id
            WHERE o.seat_id IS DISTINCT FROM s.id
            """);
        if (seatDisowned > 0) violations.Add($"{seatDisowned} held seats whose order names another seat");
        // Grouped by the normal form, not the stored text: the rule holds even if a writer skipped normalising.
        var twoActive = await ScalarAsync<long>(db, """
            SELECT count(*) FROM (
                SELECT concert_id, lower(btrim(email)) FROM orders WHERE status IN ('pending', 'paid')
                GROUP BY concert_id, lower(btrim(email)) HAVING count(*) > 1
            ) e
            """);
        if (twoActive > 0) violations.Add($"{twoActive} emails have more than one active order for one concert");
        var ticketless = await ScalarAsync<long>(db, """
            SELECT count(*) FROM orders o
            WHERE o.status = 'paid' AND NOT EXISTS (SELECT 1 FROM tickets t WHERE t.order_id = o.id AND t.status <> 'revoked')
            """);
        if (ticketless > 0) violations.Add($"{ticketless} paid orders have no ticket");
        var unpaidTickets = await ScalarAsync<long>(db, """
            SELECT count(*) FROM tickets t JOIN orders o ON o.id = t.order_id
            WHERE t.status <> 'revoked' AND o.status <> 'paid'
            """);
        if (unpaidTickets > 0) violations.Add($"{unpaidTickets} tickets are valid for orders that are not paid");
        Assert.True(violations.Count == 0, string.Join("\n", violations));
    }
}
