using ConcertTicket.Infrastructure;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using StackExchange.Redis;

namespace ConcertTicket.Tests.Infrastructure;

/// <summary>
/// The real PostgreSQL and Redis that scripts/test.sh starts. One fresh database per test run, migrated and seeded
/// by the service's own migrator and seeder; tests isolate themselves with their own categories and emails.
/// </summary>
public sealed class LiveServers : IAsyncLifetime
{
    public string ServerConnectionString { get; } = Environment.GetEnvironmentVariable("CONCERT_TICKET_TEST_POSTGRES")
        ?? throw new InvalidOperationException("CONCERT_TICKET_TEST_POSTGRES is not set: run the tests with scripts/test.sh.");

    public string RedisConfiguration { get; } = Environment.GetEnvironmentVariable("CONCERT_TICKET_TEST_REDIS")
        ?? throw new InvalidOperationException("CONCERT_TICKET_TEST_REDIS is not set: run the tests with scripts/test.sh.");

    public string DatabaseName { get; } = "ct_test_" + Guid.NewGuid().ToString("N")[..12];

    public string ConnectionString { get; private set; } = "";

    internal NpgsqlDataSource DataSource { get; private set; } = null!;

    internal IConnectionMultiplexer Redis { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        ConnectionString = await CreateDatabaseAsync(DatabaseName);
        // The tests' own checks get a generous command timeout: on a loaded machine the invariant queries over every
        // seat may take seconds, and a slow check is not what the tests are about.
        DataSource = NpgsqlDataSource.Create(new NpgsqlConnectionStringBuilder(Postgres.WithDefaults(ConnectionString)) { CommandTimeout = 120 }.ConnectionString);
        await new Migrator(DataSource, NullLogger<Migrator>.Instance).MigrateAsync(CancellationToken.None);
        await new Seeder(DataSource).SeedAsync(CancellationToken.None);
        Redis = await ConnectionMultiplexer.ConnectAsync(RedisConfiguration);
    }

    /// <summary>Creates an empty database on the test server and returns its connection string.</summary>
    public async Task<string> CreateDatabaseAsync(string name)
    {
        await using (var admin = new NpgsqlConnection(ServerConnectionString))
        {
            await admin.OpenAsync();
            await using var create = new NpgsqlCommand($"CREATE DATABASE \"{name}\"", admin);
            await create.ExecuteNonQueryAsync();
        }
        return new NpgsqlConnectionStringBuilder(ServerConnectionString) { Database = name }.ConnectionString;
    }

    /// <summary>Configuration overrides that point the service at this stack.</summary>
    public string[] Args(params string[] extra) =>
    [
        $"--ConnectionStrings:Postgres={ConnectionString}",
        $"--ConnectionStrings:Redis={RedisConfiguration}",
        "--Payment:Gateway=Fake",
        $"--Payment:ServerKey={ServerKey}",
        "--Payment:Fake:LatencyMs=0",
        "--Logging:LogLevel:Default=Warning",
        $"--Tickets:SigningKey={TicketSigningKey}",
        $"--CheckIn:Gates:north={NorthGateToken}",
        $"--CheckIn:Gates:south={SouthGateToken}",
        .. extra,
    ];

    public const string ServerKey = "test-server-key";

    /// <summary>A P-256 key made for this test run, as the service reads it (PKCS#8 PEM).</summary>
    public static readonly string TicketSigningKey = NewTicketKey();

    public const string NorthGateToken = "north-gate-token-for-tests";

    public const string SouthGateToken = "south-gate-token-for-tests";

    public static string NewTicketKey()
    {
        using var key = System.Security.Cryptography.ECDsa.Create(System.Security.Cryptography.ECCurve.NamedCurves.nistP256);
        return key.ExportPkcs8PrivateKeyPem();
    }

    public async Task DisposeAsync()
    {
        await DataSource.DisposeAsync();
        await Redis.DisposeAsync();
        NpgsqlConnection.ClearAllPools();
    }
}

[CollectionDefinition(Name)]
public sealed class LiveServersGroup : ICollectionFixture<LiveServers>
{
    // One collection: the tests share one database and one Redis and run one class at a time.
    public const string Name = "stack";
}
