using Npgsql;

namespace ConcertTicket.Infrastructure;

/// <summary>Applies db/migrations/*.sql in name order, each once, each in its own transaction, and records it.</summary>
internal sealed partial class Migrator(NpgsqlDataSource dataSource, ILogger<Migrator> logger)
{
    // Two `migrate` runs at once (several instances starting) must not both apply a file.
    private const long AdvisoryLockKey = 0x4354_4D49_4752; // "CTMIGR"

    private const string CreateHistorySql = """
        CREATE TABLE IF NOT EXISTS schema_migrations (
            version    text        PRIMARY KEY,
            applied_at timestamptz NOT NULL DEFAULT now()
        )
        """;

    public static string MigrationsDirectory => Path.Combine(AppContext.BaseDirectory, "db", "migrations");

    public async Task<IReadOnlyList<string>> MigrateAsync(CancellationToken ct)
    {
        var files = Directory.GetFiles(MigrationsDirectory, "*.sql").Order(StringComparer.Ordinal).ToList();
        await StartupChecks.EnsurePostgresAsync(dataSource, requireSchema: false, ct);
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await ExecuteAsync(connection, $"SELECT pg_advisory_lock({AdvisoryLockKey})", ct);
        try
        {
            await ExecuteAsync(connection, CreateHistorySql, ct);
            var applied = new HashSet<string>(StringComparer.Ordinal);
            await using (var read = new NpgsqlCommand("SELECT version FROM schema_migrations", connection))
            await using (var reader = await read.ExecuteReaderAsync(ct))
            {
                while (await reader.ReadAsync(ct)) applied.Add(reader.GetString(0));
            }

            var done = new List<string>();
            foreach (var file in files)
            {
                var version = Path.GetFileNameWithoutExtension(file);
                if (applied.Contains(version)) continue;
                await using var transaction = await connection.BeginTransactionAsync(ct);
                await using (var apply = new NpgsqlCommand(await File.ReadAllTextAsync(file, ct), connection, transaction))
                {
                    await apply.ExecuteNonQueryAsync(ct);
                }
                await using (var record = new NpgsqlCommand("INSERT INTO schema_migrations (version) VALUES ($1)", connection, transaction))
                {
                    record.Parameters.Add(new NpgsqlParameter<string> { TypedValue = version });
                    await record.ExecuteNonQueryAsync(ct);
                }
                await transaction.CommitAsync(ct);
                LogApplied(logger, version);
                done.Add(version);
            }
            return done;
        }
        finally
        {
            await ExecuteAsync(connection, $"SELECT pg_advisory_unlock({AdvisoryLockKey})", CancellationToken.None);
        }
    }

    private static async Task ExecuteAsync(NpgsqlConnection connection, string sql, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync(ct);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Applied migration {Migration}")]
    private static partial void LogApplied(ILogger logger, string migration);
}
