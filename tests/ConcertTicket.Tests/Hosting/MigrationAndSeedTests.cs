using ConcertTicket.Infrastructure;
using ConcertTicket.Tests.Infrastructure;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace ConcertTicket.Tests.Hosting;

[Collection(LiveServersGroup.Name)]
public sealed class MigrationAndSeedTests(LiveServers stack)
{
    [Fact]
    public async Task Migrations_apply_to_an_empty_database_in_order_and_a_second_run_applies_nothing()
    {
        var connectionString = await stack.CreateDatabaseAsync("ct_migrate_" + Guid.NewGuid().ToString("N")[..8]);
        await using var db = NpgsqlDataSource.Create(connectionString);
        var migrator = new Migrator(db, NullLogger<Migrator>.Instance);
        var files = Directory.GetFiles(Migrator.MigrationsDirectory, "*.sql").Select(f => Path.GetFileNameWithoutExtension(f)!).Order(StringComparer.Ordinal).ToList();

        var first = await migrator.MigrateAsync(CancellationToken.None);
        var second = await migrator.MigrateAsync(CancellationToken.None);

        Assert.Equal(files, first);
        Assert.Empty(second);
        Assert.Equal(files.Count, await Sale.ScalarAsync<long>(db, "SELECT count(*) FROM schema_migrations"));
        Assert.True(await Sale.ScalarAsync<bool>(db, "SELECT to_regclass('orders') IS NOT NULL"));
    }

    [Fact]
    public async Task Concurrent_migrate_runs_apply_each_migration_once()
    {
        var connectionString = await stack.CreateDatabaseAsync("ct_migrate_" + Guid.NewGuid().ToString("N")[..8]);
        await using var db = NpgsqlDataSource.Create(connectionString);

        var runs = await Task.WhenAll(Enumerable.Range(0, 3).Select(_ =>
            new Migrator(db, NullLogger<Migrator>.Instance).MigrateAsync(CancellationToken.None)));

        var files = Directory.GetFiles(Migrator.MigrationsDirectory, "*.sql").Length;
        Assert.Equal(files, runs.Sum(r => r.Count));
    }

    [Fact]
    public async Task Seed_loads_the_seed_sale_once_and_a_second_run_changes_nothing()
    {
        var connectionString = await stack.CreateDatabaseAsync("ct_seed_" + Guid.NewGuid().ToString("N")[..8]);
        await using var db = NpgsqlDataSource.Create(connectionString);
        await new Migrator(db, NullLogger<Migrator>.Instance).MigrateAsync(CancellationToken.None);
        var seeder = new Seeder(db);

        var first = await seeder.SeedAsync(CancellationToken.None);
        var second = await seeder.SeedAsync(CancellationToken.None);

        Assert.False(first.AlreadySeeded);
        Assert.Equal(5, first.Categories);
        Assert.Equal(75_000, first.Seats);
        Assert.True(second.AlreadySeeded);
        Assert.Equal(75_000, await Sale.ScalarAsync<long>(db, "SELECT count(*) FROM seats"));
        await using var command = db.CreateCommand("""
            SELECT c.name, c.price, count(*), max(s.row_no), max(s.col_no)
            FROM categories c JOIN seats s ON s.category_id = c.id GROUP BY c.id ORDER BY c.id
            """);
        await using var reader = await command.ExecuteReaderAsync();
        var rows = new List<(string, long, long, int, int)>();
        while (await reader.ReadAsync()) rows.Add((reader.GetString(0), reader.GetInt64(1), reader.GetInt64(2), reader.GetInt32(3), reader.GetInt32(4)));
        Assert.Equal(
        [
            ("VIP", 3_800_000L, 15_000L, 150, 100), ("PLATINUM", 3_400_000L, 15_000L, 150, 100),
            ("CAT 1", 2_900_000L, 15_000L, 150, 100), ("CAT 2", 2_600_000L, 15_000L, 150, 100),
            ("CAT 3", 2_100_000L, 15_000L, 150, 100),
        ], rows);
        // New categories after the seed get fresh ids.
        Assert.Equal(6, await Sale.ScalarAsync<int>(db, "INSERT INTO categories (concert_id, name, price) SELECT min(id), 'X', 1 FROM concerts RETURNING id"));
    }

    [Fact]
    public async Task The_claim_uses_the_partial_index_of_free_seats_not_a_table_scan()
    {
        var plan = string.Join("\n", await PlanAsync(stack.DataSource, """
            EXPLAIN SELECT s.id FROM seats s WHERE s.category_id = 1 AND s.order_id IS NULL ORDER BY s.id LIMIT 1 FOR UPDATE SKIP LOCKED
            """));
        Assert.Contains("seats_free_by_category", plan, StringComparison.Ordinal);
        Assert.DoesNotContain("Seq Scan", plan, StringComparison.Ordinal);
    }

    private static async Task<List<string>> PlanAsync(NpgsqlDataSource db, string sql)
    {
        await using var command = db.CreateCommand(sql);
        await using var reader = await command.ExecuteReaderAsync();
        var lines = new List<string>();
        while (await reader.ReadAsync()) lines.Add(reader.GetString(0));
        return lines;
    }
}
