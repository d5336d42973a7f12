using System.Net;
using ConcertTicket.Tests.Infrastructure;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;

namespace ConcertTicket.Tests.Infrastructure;

[Collection(LiveServersGroup.Name)]
public sealed class ProtectionTests(LiveServers stack)
{
    /// <summary>TestServer has no socket: every request comes "from" this address, as if through a real connection.</summary>
    private sealed class FromAddress(string ip) : IStartupFilter
    {
        public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
        {
            app.Use((context, following) =>
            {
                context.Connection.RemoteIpAddress = IPAddress.Parse(ip);
                return following(context);
            });
            next(app);
        };
    }

    private static async Task<HttpResponseMessage> PostFromAsync(TestApp app, string email, int category, string? forwardedFor)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "/orders")
        {
            Content = System.Net.Http.Json.JsonContent.Create(new { email, category_id = category }),
        };
        if (forwardedFor is not null) request.Headers.Add("X-Forwarded-For", forwardedFor);
        return await app.Client.SendAsync(request);
    }

    [Fact]
    public async Task Orders_over_the_per_email_limit_get_429_with_retry_after_and_change_nothing()
    {
        var category = await Sale.CreateCategoryAsync(stack.DataSource, seats: 5);
        await using var app = await TestApp.StartAsync(stack, "--Protection:OrdersPerEmailPerMinute=2");
        var email = Sale.Email();
        await app.PostOrderAsync(email, category);
        await app.PostOrderAsync(email, category);

        var third = await app.PostOrderAsync(email.ToUpperInvariant(), category);

        Assert.Equal(HttpStatusCode.TooManyRequests, third.StatusCode);
        Assert.Equal("rate_limited", await TestApp.ProblemCodeAsync(third));
        Assert.True(third.Headers.RetryAfter?.Delta > TimeSpan.Zero);
        Assert.Equal(4, await Sale.FreeSeatsAsync(stack.DataSource, category));
        Assert.Equal(HttpStatusCode.Created, (await app.PostOrderAsync(Sale.Email(), category)).StatusCode);
    }

    [Fact]
    public async Task The_client_ip_comes_from_x_forwarded_for_only_behind_a_configured_proxy()
    {
        var category = await Sale.CreateCategoryAsync(stack.DataSource, seats: 10);
        void FromProxy(WebApplicationBuilder b) => b.Services.AddSingleton<IStartupFilter>(new FromAddress("127.0.0.1"));

        await using (var behindProxy = await TestApp.StartAsync(stack, FromProxy,
            "--Protection:OrdersPerIpPerMinute=2", "--Protection:KnownProxies:0=127.0.0.1"))
        {
            Assert.Equal(HttpStatusCode.Created, (await PostFromAsync(behindProxy, Sale.Email(), category, "203.0.113.7")).StatusCode);
            Assert.Equal(HttpStatusCode.Created, (await PostFromAsync(behindProxy, Sale.Email(), category, "203.0.113.7")).StatusCode);
            var limited = await PostFromAsync(behindProxy, Sale.Email(), category, "203.0.113.7");
            Assert.Equal(HttpStatusCode.TooManyRequests, limited.StatusCode);
            Assert.Equal("rate_limited", await TestApp.ProblemCodeAsync(limited));
            Assert.NotNull(limited.Headers.RetryAfter);
            // Another fan behind the same proxy has a budget of their own.
            Assert.Equal(HttpStatusCode.Created, (await PostFromAsync(behindProxy, Sale.Email(), category, "203.0.113.8")).StatusCode);
        }

        // Without a configured proxy the header is the client's own claim and is ignored.
        await using var direct = await TestApp.StartAsync(stack, FromProxy, "--Protection:OrdersPerIpPerMinute=2");
        await PostFromAsync(direct, Sale.Email(), category, "198.51.100.1");
        await PostFromAsync(direct, Sale.Email(), category, "198.51.100.2");
        Assert.Equal(HttpStatusCode.TooManyRequests, (await PostFromAsync(direct, Sale.Email(), category, "198.51.100.3")).StatusCode);
        await Sale.AssertInvariantsAsync(stack.DataSource);
    }

    [Fact]
    public async Task Beyond_the_concurrency_limit_and_its_queue_orders_get_an_immediate_503_overloaded()
    {
        var category = await Sale.CreateCategoryAsync(stack.DataSource, seats: 20);
        await using var app = await TestApp.StartAsync(stack,
            "--Protection:OrdersConcurrency=2", "--Protection:OrdersQueue=1", "--Payment:Fake:LatencyMs=1500");

        var responses = await Task.WhenAll(Enumerable.Range(0, 10).Select(_ => app.PostOrderAsync(Sale.Email(), category)));

        var created = responses.Count(r => r.StatusCode == HttpStatusCode.Created);
        var overloaded = responses.Where(r => r.StatusCode == HttpStatusCode.ServiceUnavailable).ToList();
        Assert.InRange(created, 2, 3);
        Assert.Equal(10 - created, overloaded.Count);
        foreach (var r in overloaded)
        {
            Assert.Equal("overloaded", await TestApp.ProblemCodeAsync(r));
            Assert.NotNull(r.Headers.RetryAfter);
        }
        Assert.Equal(20 - created, await Sale.FreeSeatsAsync(stack.DataSource, category));
    }

    [Fact]
    public async Task Responses_carry_security_headers()
    {
        await using var app = await TestApp.StartAsync(stack);

        var response = await app.Client.GetAsync("/categories");

        Assert.Equal("nosniff", response.Headers.GetValues("X-Content-Type-Options").Single());
        Assert.Equal("DENY", response.Headers.GetValues("X-Frame-Options").Single());
        Assert.Equal("no-referrer", response.Headers.GetValues("Referrer-Policy").Single());
        Assert.Contains("default-src 'none'", response.Headers.GetValues("Content-Security-Policy").Single(), StringComparison.Ordinal);
        Assert.False(response.Headers.Contains("Server"));
    }
}
