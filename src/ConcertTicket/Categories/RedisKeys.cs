using StackExchange.Redis;

namespace ConcertTicket.Categories;

/// <summary>The Redis keys of the categories answer (the only keys the service uses).</summary>
internal static class RedisKeys
{
    /// <summary>Hash with the categories response body and when it was computed.</summary>
    public static readonly RedisKey Categories = "concert-ticket:categories:v1";

    /// <summary>Held by the one instance that recomputes the categories this period.</summary>
    public static readonly RedisKey CategoriesRefreshLock = "concert-ticket:categories:refresh-lock";
}
