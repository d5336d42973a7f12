using ConcertTicket.Infrastructure;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace ConcertTicket.Categories;

/// <summary>
/// Recomputes the categories (with free seats) from PostgreSQL every Categories:RefreshSeconds and writes them to
/// Redis. With several instances running, a short Redis lock lets one of them do it per period, so the database
/// pays for one refresh whatever the number of instances.
/// </summary>
internal sealed partial class CategoryCacheRefresher(
    IConnectionMultiplexer redis,
    CategoryQueries queries,
    IOptions<CategoriesOptions> options,
    TimeProvider time,
    ILogger<CategoryCacheRefresher> logger) : BackgroundService
{
    private readonly string _instance = $"{Environment.MachineName}:{Environment.ProcessId}:{Guid.NewGuid():N}";

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.RefreshPeriod, time);
        do
        {
            try
            {
                await RunOnceAsync(stoppingToken);
            }
            catch (Exception e) when (e is not OperationCanceledException || !stoppingToken.IsCancellationRequested)
            {
                LogFailed(logger, e.Message);
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }

    /// <summary>One refresh; false when another instance holds this period's lock.</summary>
    public async Task<bool> RunOnceAsync(CancellationToken ct)
    {
        using var activity = Telemetry.Categories.StartActivity("categories.refresh");
        var db = redis.GetDatabase();
        // The lock lives a little less than a period, so that the next period's refresh is never skipped.
        var lockTtl = options.Value.RefreshPeriod * 0.9;
        if (!await db.StringSetAsync(RedisKeys.CategoriesRefreshLock, _instance, lockTtl, When.NotExists))
        {
            activity?.SetTag("categories.refresh.skipped", true);
            return false;
        }
        var list = await queries.ListAsync(ct);
        var body = CategoryCache.Serialize(list);
        await db.HashSetAsync(RedisKeys.Categories,
        [
            new HashEntry("body", body),
            new HashEntry("generated_at", time.GetUtcNow().ToUnixTimeMilliseconds()),
        ]);
        activity?.SetTag("categories.count", list.Count);
        return true;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Categories cache refresh failed, retrying next period: {Reason}")]
    private static partial void LogFailed(ILogger logger, string reason);
}
