using System.Net;
using ConcertTicket.Categories;
using ConcertTicket.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace ConcertTicket.Tests.Categories;

/// <summary>GET /categories and readiness while Redis (a private redis-server of the test's own) goes down and comes back.</summary>
[Collection(LiveServersGroup.Name)]
public sealed class CategoriesOutageTests(LiveServers stack)
{
    /// <returns>False when this period's refresh was already done.</returns>
    private static Task<bool> RefreshAsync(TestApp app) =>
        new CategoryCacheRefresher(app.Services.GetRequiredService<IConnectionMultiplexer>(),
            app.Services.GetRequiredService<CategoryQueries>(), app.Services.GetRequiredService<IOptions<CategoriesOptions>>(),
            TimeProvider.System, NullLogger<CategoryCacheRefresher>.Instance).RunOnceAsync(CancellationToken.None);

    private static bool IsStale(HttpResponseMessage r) =>
        r.Headers.TryGetValues(CategoryEndpoints.StaleHeader, out var v) && v.Single() == "true";

    [Fact]
    public async Task When_redis_goes_down_categories_answer_the_last_value_marked_stale_and_recover_when_it_returns()
    {
        using var redis = OwnRedis.Start();
        await using var app = await TestApp.StartAsync(stack, $"--ConnectionStrings:Redis={redis.Configuration}", "--Categories:RefreshSeconds=1");
        Assert.True(await RefreshAsync(app));
        var fresh = await app.Client.GetAsync("/categories");
        Assert.Equal(HttpStatusCode.OK, fresh.StatusCode);
        Assert.False(IsStale(fresh));
        var body = await fresh.Content.ReadAsStringAsync();

        redis.Stop();
        await Task.Delay(TimeSpan.FromSeconds(1.2));
        var stale = await app.Client.GetAsync("/categories");

        Assert.Equal(HttpStatusCode.OK, stale.StatusCode);
        Assert.True(IsStale(stale));
        Assert.Equal(body, await stale.Content.ReadAsStringAsync());
        var ready = await app.Client.GetAsync("/health/ready");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, ready.StatusCode);
        Assert.Equal("Unhealthy", (await TestApp.JsonAsync(ready)).GetProperty("checks").GetProperty("redis").GetProperty("status").GetString());

        redis.StartAgain();
        var deadline = DateTime.UtcNow.AddSeconds(30);
        HttpResponseMessage recovered;
        do
        {
            await Task.Delay(500);
            try
            {
                await RefreshAsync(app);
            }
            catch (RedisException)
            {
                // Still reconnecting.
            }
            recovered = await app.Client.GetAsync("/categories");
        }
        while (IsStale(recovered) && DateTime.UtcNow < deadline);
        Assert.False(IsStale(recovered));
        Assert.Equal(HttpStatusCode.OK, (await app.Client.GetAsync("/health/ready")).StatusCode);
    }

    [Fact]
    public async Task With_redis_down_from_the_start_categories_come_from_postgres_marked_stale()
    {
        using var redis = OwnRedis.Start();
        redis.Stop();
        await using var app = await TestApp.StartAsync(stack, $"--ConnectionStrings:Redis={redis.Configuration}");

        var response = await app.Client.GetAsync("/categories");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.True(IsStale(response));
        Assert.Equal("VIP", (await TestApp.JsonAsync(response)).GetProperty("data")[0].GetProperty("name").GetString());
    }

    [Fact]
    public async Task With_redis_and_postgres_down_and_nothing_known_categories_are_503_with_a_problem()
    {
        using var redis = OwnRedis.Start();
        redis.Stop();
        await using var app = await TestApp.StartAsync(stack, $"--ConnectionStrings:Redis={redis.Configuration}",
            "--ConnectionStrings:Postgres=Host=127.0.0.1;Port=1;Username=postgres;Timeout=1");

        var response = await app.Client.GetAsync("/categories");

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.Equal("categories_unavailable", await TestApp.ProblemCodeAsync(response));
        Assert.NotNull(response.Headers.RetryAfter);
    }

    [Fact]
    public async Task Health_is_alive_and_readiness_checks_postgres_and_redis()
    {
        await using var app = await TestApp.StartAsync(stack);

        var health = await app.Client.GetAsync("/health");
        var ready = await app.Client.GetAsync("/health/ready");

        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
        Assert.Equal("Healthy", (await TestApp.JsonAsync(health)).GetProperty("status").GetString());
        Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
        var checks = (await TestApp.JsonAsync(ready)).GetProperty("checks");
        Assert.Equal("Healthy", checks.GetProperty("postgres").GetProperty("status").GetString());
        Assert.Equal("Healthy", checks.GetProperty("redis").GetProperty("status").GetString());
    }

    [Fact]
    public async Task With_postgres_down_readiness_is_503_and_an_order_is_a_quick_503_with_retry_after()
    {
        await using var app = await TestApp.StartAsync(stack, "--ConnectionStrings:Postgres=Host=127.0.0.1;Port=1;Username=postgres;Timeout=1");

        var ready = await app.Client.GetAsync("/health/ready");
        var order = await app.PostOrderAsync(Sale.Email(), 1);

        Assert.Equal(HttpStatusCode.ServiceUnavailable, ready.StatusCode);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, order.StatusCode);
        Assert.Equal("dependency_unavailable", await TestApp.ProblemCodeAsync(order));
        Assert.NotNull(order.Headers.RetryAfter);
    }
}
