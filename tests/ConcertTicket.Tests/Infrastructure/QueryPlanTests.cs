using System.Text.RegularExpressions;
using ConcertTicket.Expiry;
using ConcertTicket.Infrastructure;
using ConcertTicket.Orders;
using ConcertTicket.CheckIn;
using ConcertTicket.Payments;
using ConcertTicket.TicketEmail;
using ConcertTicket.Tickets;
using ConcertTicket.Reconciliation;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace ConcertTicket.Tests.Infrastructure;

/// <summary>
/// A sale starts with empty orders and gateway_voids tables. Prepared statements move to a generic plan after five
/// runs; planned from statistics that say "empty", that plan scanned the whole orders table for every keyed lookup
/// and kept doing so as the table grew (docs/benchmarks.md). These tests plan the service's own SQL the
/// way PostgreSQL caches it, on a freshly migrated, seeded and analysed database.
/// </summary>
[Collection(LiveServersGroup.Name)]
public sealed partial class QueryPlanTests(LiveServers stack)
{
    /// <summary>Each statement of the order path, expiry and voids, with its parameter types.</summary>
    public static TheoryData<string, string, string> Statements => new()
    {
        { "claim", OrderStore.ClaimSql, "uuid, text, int, interval, text, text" },
        { "get order", OrderStore.GetSql, "uuid" },
        { "get by idempotency key", OrderStore.GetByIdempotencyKeySql, "text" },
        { "set virtual accounts", OrderStore.SetVirtualAccountsSql, "uuid[], text[], text[]" },
        { "cancel", OrderStore.CancelSql, "uuid, text" },
        { "pay", PaymentStore.PaySql, "uuid[], bigint[], text[]" },
        { "claim seat for late payment", PaymentStore.ClaimSeatForLatePaymentSql, "uuid, text, boolean" },
        { "mark refund required", PaymentStore.MarkRefundRequiredSql, "uuid, text" },
        { "find notified order", PaymentStore.FindSql, "uuid" },
        { "status", PaymentStore.StatusSql, "uuid" },
        { "record refund", PaymentStore.RecordRefundSql, "uuid, text" },
        { "expire batch", ExpiryWorker.ExpireBatchSql, "int" },
        { "lease voids", GatewayVoidWorker.LeaseSql, "int" },
        { "void done", GatewayVoidWorker.DoneSql, "uuid" },
        { "void retry", GatewayVoidWorker.RetrySql, "uuid, int, text, int" },
        { "ticket by order", TicketStore.ByOrderSql, "uuid" },
        { "ticket by its code's claims", TicketStore.ByClaimsSql, "uuid, uuid" },
        { "tickets by orders", TicketStore.ByOrdersSql, "uuid[]" },
        { "save ticket code", TicketStore.SaveCodeSql, "uuid, text" },
        { "refund revokes", TicketRevocation.RefundSql, "uuid, text" },
        { "check in", CheckInStore.AdmitSql, "uuid, text, text, uuid" },
        { "check-in states", CheckInStore.StateSql, "uuid[]" },
        { "check in batch", CheckInStore.AdmitBatchSql, "uuid[], text[], timestamptz[], text[], uuid[]" },
        { "lease ticket emails", TicketEmailWorker.LeaseSql, "int" },
        { "ticket email sent", TicketEmailWorker.SentSql, "uuid" },
        { "ticket email retry", TicketEmailWorker.RetrySql, "uuid[], text, int, float8" },
        { "ticket email release", TicketEmailWorker.ReleaseSql, "uuid[]" },
        { "lease due orders to ask about", ReconcileStore.LeaseDueSql, "int, double precision" },
        { "expire asked orders", ReconcileStore.ExpireAskedSql, "uuid[], uuid[]" },
        { "pick orders for the sweep", ReconcileStore.PickForSweepSql, "int, double precision, double precision" },
        { "record admin refund", ConcertTicket.Admin.AdminStore.RecordRefundSql, "uuid, text, text, text, text" },
    };

    [Theory]
    [MemberData(nameof(Statements))]
    public async Task The_services_statements_use_indexes_when_the_sale_starts_from_empty_tables(string name, string sql, string types)
    {
        var connectionString = await EmptySaleAsync();
        await using var service = NpgsqlDataSource.Create(Postgres.WithDefaults(connectionString));

        var plan = await GenericPlanAsync(service, sql, types);

        Assert.False(plan.Contains("Seq Scan on orders", StringComparison.Ordinal)
            || plan.Contains("Seq Scan on seats", StringComparison.Ordinal)
            || plan.Contains("Seq Scan on gateway_voids", StringComparison.Ordinal)
            || plan.Contains("Seq Scan on tickets", StringComparison.Ordinal),
            $"{name}: generic plan scans a whole table:\n{plan}");
        var wholeIndexReads = FullIndexScans(plan, await LeadingColumnsAsync(service));
        Assert.True(wholeIndexReads.Count == 0,
            $"{name}: generic plan reads a whole index ({string.Join("; ", wholeIndexReads)}):\n{plan}");
    }

    [Fact]
    public void An_index_condition_on_a_later_column_alone_is_a_whole_index_read()
    {
        // The claim's "has this fan an active order for this concert?" as 0007 first wrote it (the concert joined
        // from a CTE): the email is looked up in (concert_id, email) by its second column, a read of every entry.
        const string plan = """
            Nested Loop Left Join
              CTE existing
                ->  Nested Loop
                      Join Filter: (o.concert_id = category.concert_id)
                      ->  Index Scan using orders_one_active_per_email on orders o
                            Index Cond: (email = $2)
            """;
        var leading = new Dictionary<string, string> { ["orders_one_active_per_email"] = "concert_id" };

        Assert.Equal(["Index Scan using orders_one_active_per_email on orders o"], FullIndexScans(plan, leading));
        Assert.Empty(FullIndexScans(plan.Replace("(email = $2)", "((concert_id = $1) AND (email = $2))", StringComparison.Ordinal), leading));
    }

    /// <summary>Each index's first key column: a btree is searched by it, so a condition without it reads it all.</summary>
    private static async Task<Dictionary<string, string>> LeadingColumnsAsync(NpgsqlDataSource db)
    {
        await using var command = db.CreateCommand("""
            SELECT c.relname, a.attname FROM pg_index i
            JOIN pg_class c ON c.oid = i.indexrelid
            JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = i.indkey[0]
            JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE n.nspname = 'public'
            """);
        var leading = new Dictionary<string, string>();
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync()) leading[reader.GetString(0)] = reader.GetString(1);
        return leading;
    }

    [Fact]
    public void An_index_scan_without_an_index_condition_is_found_in_a_plan()
    {
        // The check above against the plan that made claims read every active order (0003's indexes, planned on
        // an empty table): a "has this fan an active order?" lookup answered by orders_one_active_per_seat.
        const string plan = """
            Nested Loop Left Join
              CTE existing
                ->  Index Scan using orders_one_active_per_seat on orders
                      Filter: (email = $2)
              CTE category
                ->  Index Scan using categories_pkey on categories
                      Index Cond: (id = $3)
            """;

        Assert.Equal(["Index Scan using orders_one_active_per_seat on orders"], FullIndexScans(plan));
    }

    /// <summary>
    /// Index scans of the sale's tables with no Index Cond, or one that leaves out the index's first column: they read
    /// the whole index, as costly as a sequential scan, and on an empty table the planner cannot tell them from a
    /// keyed lookup.
    /// </summary>
    private static List<string> FullIndexScans(string plan, Dictionary<string, string>? leadingColumns = null)
    {
        var lines = plan.Split('\n');
        var found = new List<string>();
        for (var i = 0; i < lines.Length; i++)
        {
            var node = lines[i].Trim().TrimStart('-', '>').Trim();
            if (!IndexScanOfSaleTable().IsMatch(node)) continue;
            var indent = Indent(lines[i]);
            var conditioned = false;
            // The node's own properties: the lines below it, deeper, up to the next node or a shallower line.
            for (var j = i + 1; j < lines.Length && Indent(lines[j]) > indent && !lines[j].TrimStart().StartsWith("->", StringComparison.Ordinal); j++)
            {
                var property = lines[j].TrimStart();
                conditioned |= property.StartsWith("Index Cond:", StringComparison.Ordinal)
                    && (leadingColumns is null || IndexName(node) is not { } index || !leadingColumns.TryGetValue(index, out var first)
                        || Regex.IsMatch(property, $@"\b{Regex.Escape(first)}\b"));
            }
            if (!conditioned) found.Add(node);
        }
        return found;
    }

    private static int Indent(string line) => line.Length - line.TrimStart().Length;

    private static string? IndexName(string node)
    {
        var match = Regex.Match(node, @"using (\S+) on ");
        return match.Success ? match.Groups[1].Value : null;
    }

    [GeneratedRegex(@"^Index (Only )?Scan using \S+ on (orders|seats|gateway_voids|tickets)\b")]
    private static partial Regex IndexScanOfSaleTable();

    [Fact]
    public async Task Without_the_services_session_setting_the_same_lookup_scans_the_whole_table()
    {
        // The control: what the setting prevents does happen on a plain connection.
        var connectionString = await EmptySaleAsync();
        await using var plain = NpgsqlDataSource.Create(connectionString);

        var plan = await GenericPlanAsync(plain, OrderStore.GetSql, "uuid");

        Assert.Contains("Seq Scan on orders", plan, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_claim_and_the_pay_statement_keep_their_locks_on_postgres_fast_path()
    {
        // PostgreSQL 15 keeps a backend's first 16 relation locks (tables and every index the planner opens) in the
        // backend's own fast path; the rest go through the shared lock table, on whose partition locks every pooled
        // connection queues. A join to concerts took the claim to 18, five of them off the fast path (0010). One
        // more index on orders, seats or categories would do it again.
        var connectionString = await EmptySaleAsync();
        await using var service = NpgsqlDataSource.Create(Postgres.WithDefaults(connectionString));
        var orderId = Guid.CreateVersion7();

        var claimSpill = await LocksOffTheFastPathAsync(service, OrderStore.ClaimSql, commit: true,
            orderId, "fastpath@example.com", 1, TimeSpan.FromMinutes(15), null, "bca");
        var total = await Sale.ScalarAsync<long>(service, "SELECT total FROM orders WHERE id = $1", orderId);
        var paySpill = await LocksOffTheFastPathAsync(service, PaymentStore.PaySql, commit: false,
            new[] { orderId }, new[] { total }, new string?[] { null });

        Assert.True(claimSpill.Count == 0, $"the claim takes locks off the fast path: {string.Join(", ", claimSpill)}");
        Assert.True(paySpill.Count == 0, $"the pay statement takes locks off the fast path: {string.Join(", ", paySpill)}");
    }

    /// <summary>Runs the statement unprepared (planned afresh, as a custom plan is) and lists the relations it locked
    /// off the fast path, before its transaction ends.</summary>
    private static async Task<List<string>> LocksOffTheFastPathAsync(NpgsqlDataSource db, string sql, bool commit, params object?[] values)
    {
        await using var connection = await db.OpenConnectionAsync();
        await using var transaction = await connection.BeginTransactionAsync();
        await using (var statement = new NpgsqlCommand(sql, connection, transaction))
        {
            foreach (var value in values) statement.Parameters.Add(new NpgsqlParameter { Value = value ?? DBNull.Value });
            await statement.ExecuteNonQueryAsync();
        }
        await using var locks = new NpgsqlCommand("""
            SELECT DISTINCT relation::regclass::text FROM pg_locks
            WHERE pid = pg_backend_pid() AND locktype = 'relation' AND NOT fastpath AND relation <> 'pg_locks'::regclass
            """, connection, transaction);
        var spilled = new List<string>();
        await using (var reader = await locks.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync()) spilled.Add(reader.GetString(0));
        }
        if (commit) await transaction.CommitAsync();
        else await transaction.RollbackAsync();
        return spilled;
    }

    /// <summary>A new database as a sale's first second: migrated, seeded, no order, statistics fresh.</summary>
    private async Task<string> EmptySaleAsync()
    {
        var connectionString = await stack.CreateDatabaseAsync("ct_plans_" + Guid.NewGuid().ToString("N")[..8]);
        await using var db = NpgsqlDataSource.Create(connectionString);
        await new Migrator(db, NullLogger<Migrator>.Instance).MigrateAsync(CancellationToken.None);
        await new Seeder(db).SeedAsync(CancellationToken.None);
        await Sale.ExecuteAsync(db, "ANALYZE");
        return connectionString;
    }

    /// <summary>The plan PostgreSQL caches for the statement after its first runs (forced, so it needs no runs).</summary>
    private static async Task<string> GenericPlanAsync(NpgsqlDataSource db, string sql, string types)
    {
        await using var connection = await db.OpenConnectionAsync();
        await using (var prepare = new NpgsqlCommand(
            $"SET plan_cache_mode = force_generic_plan; PREPARE statement ({types}) AS {sql}", connection))
        {
            await prepare.ExecuteNonQueryAsync();
        }
        var nulls = string.Join(", ", types.Split(',').Select(_ => "NULL"));
        await using var explain = new NpgsqlCommand($"EXPLAIN (COSTS OFF) EXECUTE statement ({nulls})", connection);
        var lines = new List<string>();
        await using var reader = await explain.ExecuteReaderAsync();
        while (await reader.ReadAsync()) lines.Add(reader.GetString(0));
        return string.Join('\n', lines);
    }
}
