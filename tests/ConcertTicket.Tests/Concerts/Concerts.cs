using System.Net.Http.Headers;
using System.Net.Http.Json;
using ConcertTicket.Infrastructure;
using ConcertTicket.Tests.Infrastructure;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace ConcertTicket.Tests.Concerts;

/// <summary>
/// A database of its own (migrated and seeded) for tests that add concerts: with several concerts GET /categories
/// changes shape, which the shared database's tests must not see.
/// </summary>
internal sealed class OwnSale : IAsyncDisposable
{
    public const string AdminKey = "test-admin-key-0123456789";
    public const string SecondKey = "test-admin-key-rotated-9876543210";

    private OwnSale(string connectionString, NpgsqlDataSource dataSource)
    {
        ConnectionString = connectionString;
        DataSource = dataSource;
    }

    public string ConnectionString { get; }

    public NpgsqlDataSource DataSource { get; }

    public static async Task<OwnSale> CreateAsync(LiveServers stack)
    {
        var connectionString = await stack.CreateDatabaseAsync("ct_concerts_" + Guid.NewGuid().ToString("N")[..8]);
        // A generous command timeout for the seed and the checks, as LiveServers has: the machine is shared.
        var dataSource = NpgsqlDataSource.Create(new NpgsqlConnectionStringBuilder(Postgres.WithDefaults(connectionString)) { CommandTimeout = 120 }.ConnectionString);
        await new Migrator(dataSource, NullLogger<Migrator>.Instance).MigrateAsync(CancellationToken.None);
        await new Seeder(dataSource).SeedAsync(CancellationToken.None);
        return new OwnSale(connectionString, dataSource);
    }

    /// <summary>The app on this database, with the admin key "main" (and any extra arguments).</summary>
    public Task<TestApp> StartAppAsync(LiveServers stack, params string[] args) =>
        TestApp.StartAsync(stack, [$"--ConnectionStrings:Postgres={ConnectionString}", $"--Admin:ApiKeys:main={AdminKey}", .. args]);

    public static HttpRequestMessage Admin(HttpMethod method, string path, object? body = null, string key = AdminKey)
    {
        var request = new HttpRequestMessage(method, path);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
        if (body is not null) request.Content = JsonContent.Create(body);
        return request;
    }

    /// <summary>A concert created through the admin API; returns its id and its categories' ids.</summary>
    public static Task<(int Id, int[] Categories)> CreateConcertAsyncWithKey(TestApp app, string key) =>
        CreateConcertAsync(app, key: key);

    public static async Task<(int Id, int[] Categories)> CreateConcertAsync(TestApp app, string state = "on_sale",
        int rows = 2, int columns = 5, int categories = 1, string? opens = null, string? closes = null, string key = AdminKey)
    {
        var body = new Dictionary<string, object?>
        {
            ["name"] = "Show " + Guid.NewGuid().ToString("N")[..6],
            ["venue"] = "Hall",
            ["starts_at"] = "2027-03-01T19:00:00+07:00",
            ["time_zone"] = "Asia/Jakarta",
            ["state"] = state,
            ["categories"] = Enumerable.Range(1, categories)
                .Select(i => new { name = "CAT " + i, price = 1_000_000L * i, rows, columns }).ToArray(),
        };
        if (opens is not null) body["sale_opens_at"] = opens;
        if (closes is not null) body["sale_closes_at"] = closes;
        var response = await app.Client.SendAsync(Admin(HttpMethod.Post, "/admin/concerts", body, key));
        Assert.Equal(System.Net.HttpStatusCode.Created, response.StatusCode);
        var data = (await TestApp.JsonAsync(response)).GetProperty("data");
        return (data.GetProperty("id").GetInt32(),
            [.. data.GetProperty("categories").EnumerateArray().Select(c => c.GetProperty("id").GetInt32())]);
    }

    public async ValueTask DisposeAsync() => await DataSource.DisposeAsync();
}
