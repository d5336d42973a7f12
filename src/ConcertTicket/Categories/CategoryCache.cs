using System.Text.Json;
using ConcertTicket.Infrastructure;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace ConcertTicket.Categories;

/// <summary>The categories answer as served: the JSON body, when it was computed, and whether it is stale.</summary>
internal sealed record CategorySnapshot(byte[] Body, DateTimeOffset GeneratedAt, bool Stale);

/// <summary>
/// Serves GET /categories from Redis through an in-process copy that is never older than one refresh period, so
/// the hottest endpoint of a sale costs one Redis read per period per instance instead of one per request.
/// When Redis is unreachable it answers from the last value it has, else from PostgreSQL, marked stale.
/// </summary>
internal sealed partial class CategoryCache(
    IConnectionMultiplexer redis,
    CategoryQueries queries,
    IOptions<CategoriesOptions> options,
    TimeProvider time,
    ILogger<CategoryCache> logger)
{
    private static readonly RedisValue[] Fields = ["body", "generated_at"];

    private sealed record Entry(CategorySnapshot Snapshot, long FetchedAt);

    private Entry? _entry;
    private Task<CategorySnapshot>? _refresh;

    private TimeSpan Period => options.Value.RefreshPeriod;

    /// <summary>The current answer; null when neither Redis nor PostgreSQL can give one.</summary>
    public async ValueTask<CategorySnapshot?> GetAsync(CancellationToken ct)
    {
        var entry = Volatile.Read(ref _entry);
        if (entry is not null && time.GetElapsedTime(entry.FetchedAt) < Period) return entry.Snapshot;
        try
        {
            return await SharedRefresh().WaitAsync(ct);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            LogUnavailable(logger, e.Message);
            return null;
        }
    }

    /// <summary>One refresh at a time; concurrent requests wait for the same one.</summary>
    private Task<CategorySnapshot> SharedRefresh()
    {
        var current = Volatile.Read(ref _refresh);
        if (current is { IsCompleted: false }) return current;
        var next = new Task<Task<CategorySnapshot>>(RefreshAsync);
        var won = Interlocked.CompareExchange(ref _refresh, next.Unwrap(), current);
        if (won != current) return won!;
        next.Start(TaskScheduler.Default);
        return Volatile.Read(ref _refresh)!;
    }

    private async Task<CategorySnapshot> RefreshAsync()
    {
        var fetchedAt = time.GetTimestamp();
        CategorySnapshot snapshot;
        try
        {
            var values = await redis.GetDatabase().HashGetAsync(RedisKeys.Categories, Fields);
            if (values[0].IsNull)
            {
                // Nothing cached yet (no refresher has run): compute it, as the refresher would.
                snapshot = await FromPostgresAsync(stale: false);
            }
            else
            {
                var generatedAt = DateTimeOffset.FromUnixTimeMilliseconds((long)values[1]);
                // A value that no refresher has renewed for a few periods means the refreshers are down.
                var stale = time.GetUtcNow() - generatedAt > 3 * Period;
                snapshot = new CategorySnapshot((byte[])values[0]!, generatedAt, stale);
            }
        }
        catch (Exception e) when (e is RedisException or TimeoutException)
        {
            LogRedisDown(logger, e.Message);
            var last = Volatile.Read(ref _entry);
            snapshot = last is not null
                ? last.Snapshot with { Stale = true }
                : await FromPostgresAsync(stale: true);
        }
        Volatile.Write(ref _entry, new Entry(snapshot, fetchedAt));
        return snapshot;
    }

    private async Task<CategorySnapshot> FromPostgresAsync(bool stale)
    {
        var list = await queries.ListAsync(CancellationToken.None);
        return new CategorySnapshot(Serialize(list), time.GetUtcNow(), stale);
    }

    public static byte[] Serialize(List<CategoryView> list) =>
        JsonSerializer.SerializeToUtf8Bytes(new CategoryList(list), AppJsonContext.Default.CategoryList);

    /// <summary>The value this instance serves now, if it has one (for the cache-age gauge).</summary>
    public CategorySnapshot? Current => Volatile.Read(ref _entry)?.Snapshot;

    /// <summary>Forgets the in-process copy (tests, and an instance that just refreshed Redis itself).</summary>
    public void Invalidate() => Volatile.Write(ref _entry, null);

    public TimeSpan AgeOf(CategorySnapshot snapshot) => time.GetUtcNow() - snapshot.GeneratedAt;

    [LoggerMessage(Level = LogLevel.Warning, Message = "Categories cache: Redis is unreachable, serving a stale answer ({Reason})")]
    private static partial void LogRedisDown(ILogger logger, string reason);

    [LoggerMessage(Level = LogLevel.Error, Message = "Categories: neither Redis nor PostgreSQL could answer ({Reason})")]
    private static partial void LogUnavailable(ILogger logger, string reason);

}
