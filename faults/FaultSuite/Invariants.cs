using System.Globalization;
using Npgsql;
using NpgsqlTypes;

namespace FaultSuite;

internal sealed record Check(string Name, bool Ok, string Detail);

/// <summary>Seats and orders summed over the sale, for the report.</summary>
internal sealed record SaleTotals(long Capacity, long Free, long Held, long Sold, IReadOnlyDictionary<string, long> OrdersByStatus)
{
    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"seats: {Capacity} = {Free} free + {Held} held + {Sold} sold; orders: {string.Join(", ", OrdersByStatus.Select(kv => $"{kv.Value} {kv.Key}"))}");
}

/// <summary>
/// The sale's invariants, read from PostgreSQL with plain SQL. Each query is one statement, so it sees one
/// consistent snapshot even while the service is writing.
/// </summary>
internal static class Invariants
{
    public static async Task<(List<Check> Checks, SaleTotals Totals)> CheckAsync(string connectionString, int holdSeconds,
        Recorder? recorder)
    {
        // No pool: the server may just have been restarted, and a pooled connection would be a dead one.
        var builder = new NpgsqlConnectionStringBuilder(connectionString) { Pooling = false, Timeout = 10, CommandTimeout = 60 };
        await using var connection = new NpgsqlConnection(builder.ConnectionString);
        await OpenWithRetryAsync(connection);
        var checks = new List<Check>();

        var categories = new List<(int Id, string Name, long Capacity, long Free, long Held, long Sold)>();
        await using (var command = new NpgsqlCommand("""
            SELECT c.id, c.name, count(s.id),
                   count(s.id) FILTER (WHERE s.order_id IS NULL),
                   count(s.id) FILTER (WHERE o.status = 'pending'),
                   count(s.id) FILTER (WHERE o.status = 'paid')
            FROM categories c
            LEFT JOIN seats s ON s.category_id = c.id
            LEFT JOIN orders o ON o.id = s.order_id
            GROUP BY c.id, c.name ORDER BY c.id
            """, connection))
        await using (var reader = await command.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync())
            {
                categories.Add((reader.GetInt32(0), reader.GetString(1), reader.GetInt64(2), reader.GetInt64(3), reader.GetInt64(4), reader.GetInt64(5)));
            }
        }
        var unbalanced = categories.Where(c => c.Capacity != c.Free + c.Held + c.Sold).ToList();
        checks.Add(new Check("free + held + sold = capacity, per category", unbalanced.Count == 0,
            unbalanced.Count == 0
                ? $"{categories.Count} categories balance"
                : string.Join("; ", unbalanced.Select(c => $"{c.Name}: {c.Capacity} != {c.Free} + {c.Held} + {c.Sold}"))));

        var twoActive = await ScalarAsync(connection, """
            SELECT count(*) FROM (
                SELECT concert_id, lower(btrim(email)) FROM orders WHERE status IN ('pending', 'paid')
                GROUP BY concert_id, lower(btrim(email)) HAVING count(*) > 1
            ) e
            """);
        checks.Add(new Check("at most one active order per email (trimmed, lower-cased) per concert", twoActive == 0, $"{twoActive} emails with more than one"));

        // Aggregated once: one pass over the held seats instead of a lookup per order.
        var wrongSeat = await ScalarAsync(connection, """
            WITH held AS (SELECT order_id, count(*) AS n, min(id) AS seat FROM seats WHERE order_id IS NOT NULL GROUP BY order_id)
            SELECT count(*) FROM orders o LEFT JOIN held h ON h.order_id = o.id
            WHERE o.status IN ('pending', 'paid') AND (h.n IS DISTINCT FROM 1 OR h.seat IS DISTINCT FROM o.seat_id)
            """);
        checks.Add(new Check("every paid (and pending) order holds exactly one seat, its own", wrongSeat == 0,
            $"{wrongSeat} active orders without exactly their own seat"));

        var shared = await ScalarAsync(connection, """
            SELECT (SELECT count(*) FROM (
                        SELECT seat_id FROM orders WHERE status IN ('pending', 'paid') GROUP BY seat_id HAVING count(*) > 1) d)
                 + (SELECT count(*) FROM seats s LEFT JOIN orders o ON o.id = s.order_id
                    WHERE s.order_id IS NOT NULL AND (o.id IS NULL OR o.status NOT IN ('pending', 'paid')))
                 + (SELECT count(*) FROM seats s JOIN orders o ON o.id = s.order_id WHERE o.seat_id IS DISTINCT FROM s.id)
            """);
        checks.Add(new Check("no seat held by two orders, by an ended one, or by one that names another seat", shared == 0, $"{shared} seats"));

        // A process killed while asking Midtrans about a batch of due orders (Reconciliation/AskingExpiry) leaves them
        // leased until the lease ends (twice the status timeout + 30 s); then any instance expires them. Those wait by
        // design; the final phase finds them ended.
        var overdue = await ScalarAsync(connection, string.Create(CultureInfo.InvariantCulture,
            $"SELECT count(*) FROM orders WHERE status = 'pending' AND created_at < now() - interval '{holdSeconds + 2} seconds' AND (expiry_leased_until IS NULL OR expiry_leased_until <= now())"));
        checks.Add(new Check($"no pending order older than the hold + 2 s ({holdSeconds + 2} s), but for a live asking lease", overdue == 0, $"{overdue} overdue"));

        if (recorder is not null)
        {
            checks.AddRange(await MoneyAndOrdersAsync(connection, recorder));
        }

        var byStatus = new SortedDictionary<string, long>(StringComparer.Ordinal);
        await using (var command = new NpgsqlCommand("SELECT status, count(*) FROM orders GROUP BY status", connection))
        await using (var reader = await command.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync()) byStatus[reader.GetString(0)] = reader.GetInt64(1);
        }
        var totals = new SaleTotals(categories.Sum(c => c.Capacity), categories.Sum(c => c.Free), categories.Sum(c => c.Held),
            categories.Sum(c => c.Sold), byStatus);
        return (checks, totals);
    }

    /// <summary>What the clients were told against what the data holds: no order and no payment lost, none invented.</summary>
    private static async Task<List<Check>> MoneyAndOrdersAsync(NpgsqlConnection connection, Recorder recorder)
    {
        var checks = new List<Check>();
        var settled = recorder.SettlementsOk.Keys.ToArray();
        var notPaid = new List<string>();
        await using (var command = new NpgsqlCommand("""
            SELECT s.id, o.status FROM unnest($1) AS s (id) LEFT JOIN orders o ON o.id = s.id
            WHERE o.status IS DISTINCT FROM 'paid' AND o.status IS DISTINCT FROM 'refund_required'
            """, connection))
        {
            command.Parameters.Add(new NpgsqlParameter<Guid[]> { TypedValue = settled, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Uuid });
            await using var reader = await command.ExecuteReaderAsync();
            while (await reader.ReadAsync())
            {
                notPaid.Add($"{reader.GetGuid(0)}: {(reader.IsDBNull(1) ? "missing" : reader.GetString(1))}");
            }
        }
        checks.Add(new Check("every signed settlement answered 200 led to a paid or refund_required order", notPaid.Count == 0,
            notPaid.Count == 0 ? $"{settled.Length} settlements, all paid or refund_required" : string.Join("; ", notPaid.Take(5))));

        var sent = recorder.SettlementsSent.Keys.ToArray();
        var unpaidMoney = await ScalarAsync(connection, """
            SELECT count(*) FROM orders WHERE status IN ('paid', 'refund_required') AND id <> ALL ($1)
            """, new NpgsqlParameter<Guid[]> { TypedValue = sent, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Uuid });
        checks.Add(new Check("no order paid without a signed settlement (forgeries changed nothing)", unpaidMoney == 0,
            $"{unpaidMoney} paid or refund_required orders nobody paid"));

        var created = recorder.Created.Keys.ToArray();
        var lost = await ScalarAsync(connection, """
            SELECT count(*) FROM unnest($1) AS c (id) WHERE NOT EXISTS (SELECT 1 FROM orders o WHERE o.id = c.id)
            """, new NpgsqlParameter<Guid[]> { TypedValue = created, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Uuid });
        checks.Add(new Check("every order answered 201 exists", lost == 0, $"{created.Length} orders created, {lost} missing"));
        return checks;
    }

    private static async Task OpenWithRetryAsync(NpgsqlConnection connection)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await connection.OpenAsync();
                return;
            }
            catch (NpgsqlException) when (attempt < 20)
            {
                await Task.Delay(500);
            }
        }
    }

    private static async Task<long> ScalarAsync(NpgsqlConnection connection, string sql, params NpgsqlParameter[] parameters)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        command.Parameters.AddRange(parameters);
        return Convert.ToInt64(await command.ExecuteScalarAsync(), CultureInfo.InvariantCulture);
    }
}
