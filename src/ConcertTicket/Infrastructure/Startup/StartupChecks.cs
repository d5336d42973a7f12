using Npgsql;
using StackExchange.Redis;

namespace ConcertTicket.Infrastructure;

internal static class StartupChecks
{
    /// <summary>Fails with one clear line when PostgreSQL or Redis cannot be reached, or the schema is missing.</summary>
    public static async Task EnsureReachableAsync(IServiceProvider services, CancellationToken ct)
    {
        var dataSource = services.GetRequiredService<NpgsqlDataSource>();
        await EnsurePostgresAsync(dataSource, requireSchema: true, ct);

        var redis = services.GetRequiredService<IConnectionMultiplexer>();
        try
        {
            await redis.GetDatabase().PingAsync();
        }
        catch (Exception e) when (e is RedisException or TimeoutException)
        {
            throw new DependencyUnavailableException(
                $"cannot reach Redis at {Redis.Describe(redis)} (ConnectionStrings:Redis): {FirstLine(e.Message)}", e);
        }
    }

    public static async Task EnsurePostgresAsync(NpgsqlDataSource dataSource, bool requireSchema, CancellationToken ct)
    {
        try
        {
            await using var connection = await dataSource.OpenConnectionAsync(ct);
            if (!requireSchema) return;
            await using var command = new NpgsqlCommand("SELECT to_regclass('orders') IS NOT NULL", connection);
            if (await command.ExecuteScalarAsync(ct) is not true)
            {
                throw new DependencyUnavailableException(
                    $"PostgreSQL at {Postgres.Describe(dataSource)} has no schema yet: run 'concert-ticket migrate' and 'concert-ticket seed' first.");
            }
        }
        catch (Exception e) when (e is NpgsqlException or TimeoutException)
        {
            throw new DependencyUnavailableException(
                $"cannot reach PostgreSQL at {Postgres.Describe(dataSource)} (ConnectionStrings:Postgres): {FirstLine(Reason(e))}", e);
        }
    }

    private static string Reason(Exception e) =>
        e.InnerException is { } inner && e is NpgsqlException { SqlState: null } ? inner.Message : e.Message;

    private static string FirstLine(string text) => text.Split('\n', 2)[0].Trim();
}
