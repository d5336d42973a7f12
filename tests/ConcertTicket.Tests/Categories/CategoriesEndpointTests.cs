using System.Net;
using ConcertTicket.Categories;
using ConcertTicket.Infrastructure;
using ConcertTicket.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace ConcertTicket.Tests.Categories;

[Collection(LiveServersGroup.Name)]
public sealed class CategoriesEndpointTests(LiveServers stack)
{
    private CategoryCacheRefresher Refresher(TestApp app) => new(
        stack.Redis, app.Services.GetRequiredService<CategoryQueries>(),
        app.Services.GetRequiredService<IOptions<CategoriesOptions>>(), TimeProvider.System,
        NullLogger<CategoryCacheRefresher>.Instance);

    private async Task ClearCacheAsync()
    {
        await stack.Redis.GetDatabase().KeyDeleteAsync([RedisKeys.Categories, RedisKeys.CategoriesRefreshLock]);
    }

    [Fact]
    public async Task Categories_answer_the_seed_shape_ordered_by_id_with_free_seats_as_total()
    {
        await ClearCacheAsync();
        await using var app = await TestApp.StartAsync(stack);
        Assert.True(await Refresher(app).RunOnceAsync(CancellationToken.None));

        var response = await app.Client.GetAsync("/categories");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        Assert.False(response.Headers.Contains(CategoryEndpoints.StaleHeader));
        var data = (await TestApp.JsonAsync(response)).GetProperty("data").EnumerateArray().ToList();
        var ids = data.Select(c => c.GetProperty("id").GetInt32()).ToList();
        Assert.Equal(ids.Order(), ids);
        var seeded = data.Take(5).Select(c => (c.GetProperty("name").GetString(), c.GetProperty("price").GetInt64())).ToList();
        Assert.Equal([("VIP", 3_800_000L), ("PLATINUM", 3_400_000L), ("CAT 1", 2_900_000L), ("CAT 2", 2_600_000L), ("CAT 3", 2_100_000L)], seeded);
        foreach (var c in data)
        {
            Assert.Equal(["id", "name", "price", "total"], c.EnumerateObject().Select(p => p.Name));
            var free = await Sale.FreeSeatsAsync(stack.DataSource, c.GetProperty("id").GetInt32());
            Assert.Equal(free, c.GetProperty("total").GetInt32());
        }
    }

    [Fact]
    public async Task Refresher_writes_the_new_totals_after_seats_change()
    {
        await ClearCacheAsync();
        var category = await Sale.CreateCategoryAsync(stack.DataSource, seats: 10);
        await using var app = await TestApp.StartAsync(stack, "--Categories:RefreshSeconds=1");
        var refresher = Refresher(app);
        Assert.True(await refresher.RunOnceAsync(CancellationToken.None));
        Assert.Equal(10, await TotalInRedisAsync(app, category));

        Assert.Equal(HttpStatusCode.Created, (await app.PostOrderAsync(Sale.Email(), category)).StatusCode);
        Assert.Equal(HttpStatusCode.Created, (await app.PostOrderAsync(Sale.Email(), category)).StatusCode);
        await stack.Redis.GetDatabase().KeyDeleteAsync(RedisKeys.CategoriesRefreshLock);
        Assert.True(await refresher.RunOnceAsync(CancellationToken.None));

        Assert.Equal(8, await TotalInRedisAsync(app, category));
        await Sale.AssertInvariantsAsync(stack.DataSource);
    }

    [Fact]
    public async Task A_second_instance_skips_the_refresh_while_the_first_holds_the_period_lock()
    {
        await ClearCacheAsync();
        await using var app = await TestApp.StartAsync(stack, "--Categories:RefreshSeconds=30");
        var first = Refresher(app);
        var second = Refresher(app);

        var results = await Task.WhenAll(Enumerable.Range(0, 8).Select(i =>
            (i % 2 == 0 ? first : second).RunOnceAsync(CancellationToken.None)));

        Assert.Equal(1, results.Count(r => r));
    }

    [Fact]
    public async Task The_in_process_copy_is_served_until_one_refresh_period_has_passed()
    {
        await ClearCacheAsync();
        var category = await Sale.CreateCategoryAsync(stack.DataSource, seats: 3);
        await using var app = await TestApp.StartAsync(stack, "--Categories:RefreshSeconds=1");
        var refresher = Refresher(app);
        await refresher.RunOnceAsync(CancellationToken.None);
        Assert.Equal(3, await TotalFromApiAsync(app, category));

        await app.PostOrderAsync(Sale.Email(), category);
        await stack.Redis.GetDatabase().KeyDeleteAsync(RedisKeys.CategoriesRefreshLock);
        await refresher.RunOnceAsync(CancellationToken.None);
        await Task.Delay(TimeSpan.FromSeconds(1.2));

        Assert.Equal(2, await TotalFromApiAsync(app, category));
    }

    private static async Task<int> TotalInRedisAsync(TestApp app, int category)
    {
        var cache = app.Services.GetRequiredService<CategoryCache>();
        cache.Invalidate();
        var snapshot = await cache.GetAsync(CancellationToken.None);
        Assert.NotNull(snapshot);
        return TotalOf(System.Text.Json.JsonDocument.Parse(snapshot.Body).RootElement, category);
    }

    private static async Task<int> TotalFromApiAsync(TestApp app, int category)
    {
        var response = await app.Client.GetAsync("/categories");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return TotalOf(await TestApp.JsonAsync(response), category);
    }

    private static int TotalOf(System.Text.Json.JsonElement body, int category) =>
        body.GetProperty("data").EnumerateArray().Single(c => c.GetProperty("id").GetInt32() == category)
            .GetProperty("total").GetInt32();
}
