using System.Net;
using System.Net.Http.Json;
using System.Text;
using ConcertTicket.Tests.Infrastructure;

namespace ConcertTicket.Tests.Orders;

[Collection(LiveServersGroup.Name)]
public sealed class CreateOrderTests(LiveServers stack)
{
    [Fact]
    public async Task Order_claims_a_seat_and_answers_201_with_the_seed_fields_and_a_virtual_account()
    {
        var category = await Sale.CreateCategoryAsync(stack.DataSource, seats: 5, price: 3_800_000);
        await using var app = await TestApp.StartAsync(stack, "--Order:HoldSeconds=900");
        var before = DateTimeOffset.UtcNow;

        var response = await app.PostOrderAsync(Sale.Email(), category);

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var data = (await TestApp.JsonAsync(response)).GetProperty("data");
        var id = data.GetProperty("id").GetGuid();
        Assert.Equal($"/orders/{id}", response.Headers.Location?.OriginalString);
        Assert.Equal(3_800_000, data.GetProperty("total").GetInt64());
        Assert.Matches("^[0-9]{10,}$", data.GetProperty("va_code").GetString());
        Assert.Equal("pending", data.GetProperty("status").GetString());
        Assert.Equal(category, data.GetProperty("category_id").GetInt32());
        Assert.Equal(1, data.GetProperty("seat").GetProperty("row").GetInt32());
        Assert.Equal(1, data.GetProperty("seat").GetProperty("column").GetInt32());
        var expiresAt = data.GetProperty("expires_at").GetDateTimeOffset();
        Assert.InRange(expiresAt, before.AddSeconds(890), DateTimeOffset.UtcNow.AddSeconds(910));
        Assert.Equal(4, await Sale.FreeSeatsAsync(stack.DataSource, category));
        await Sale.AssertInvariantsAsync(stack.DataSource);
    }

    [Fact]
    public async Task Get_order_shows_status_seat_va_total_and_deadline_and_404_for_unknown_ids()
    {
        var category = await Sale.CreateCategoryAsync(stack.DataSource, seats: 2);
        await using var app = await TestApp.StartAsync(stack);
        var created = (await TestApp.JsonAsync(await app.PostOrderAsync(Sale.Email(), category))).GetProperty("data");

        var response = await app.Client.GetAsync($"/orders/{created.GetProperty("id").GetGuid()}");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var data = (await TestApp.JsonAsync(response)).GetProperty("data");
        foreach (var field in new[] { "id", "total", "va_code", "status", "category_id", "expires_at" })
        {
            Assert.Equal(created.GetProperty(field).ToString(), data.GetProperty(field).ToString());
        }
        Assert.Equal(created.GetProperty("seat").ToString(), data.GetProperty("seat").ToString());

        var unknown = await app.Client.GetAsync($"/orders/{Guid.NewGuid()}");
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        Assert.Equal("unknown_order", await TestApp.ProblemCodeAsync(unknown));
        var garbage = await app.Client.GetAsync("/orders/not-a-uuid");
        Assert.Equal(HttpStatusCode.NotFound, garbage.StatusCode);
        Assert.Equal("unknown_order", await TestApp.ProblemCodeAsync(garbage));
    }

    [Fact]
    public async Task A_second_order_for_the_same_email_in_any_case_or_spacing_is_409_already_ordered()
    {
        var category = await Sale.CreateCategoryAsync(stack.DataSource, seats: 5);
        await using var app = await TestApp.StartAsync(stack);
        var email = Sale.Email("Fan");

        Assert.Equal(HttpStatusCode.Created, (await app.PostOrderAsync(email, category)).StatusCode);
        var again = await app.PostOrderAsync("  " + email.ToUpperInvariant() + " ", category);

        Assert.Equal(HttpStatusCode.Conflict, again.StatusCode);
        Assert.Equal("already_ordered", await TestApp.ProblemCodeAsync(again));
        Assert.Equal(4, await Sale.FreeSeatsAsync(stack.DataSource, category));
        await Sale.AssertInvariantsAsync(stack.DataSource);
    }

    [Fact]
    public async Task An_order_for_a_sold_out_category_is_409_sold_out_and_for_an_unknown_one_404()
    {
        var category = await Sale.CreateCategoryAsync(stack.DataSource, seats: 1);
        await using var app = await TestApp.StartAsync(stack);
        Assert.Equal(HttpStatusCode.Created, (await app.PostOrderAsync(Sale.Email(), category)).StatusCode);

        var soldOut = await app.PostOrderAsync(Sale.Email(), category);
        Assert.Equal(HttpStatusCode.Conflict, soldOut.StatusCode);
        Assert.Equal("sold_out", await TestApp.ProblemCodeAsync(soldOut));

        var unknown = await app.PostOrderAsync(Sale.Email(), 999_999);
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        Assert.Equal("unknown_category", await TestApp.ProblemCodeAsync(unknown));
        await Sale.AssertInvariantsAsync(stack.DataSource);
    }

    [Fact]
    public async Task A_body_over_the_configured_limit_is_413()
    {
        await using var app = await TestApp.StartAsync(stack, "--Api:MaxRequestBodyBytes=1024");
        var body = $"{{\"email\": \"a@example.com\", \"category_id\": 1, \"pad\": \"{new string('x', 2000)}\"}}";

        var response = await app.Client.PostAsync("/orders", new StringContent(body, Encoding.UTF8, "application/json"));

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Equal("payload_too_large", await TestApp.ProblemCodeAsync(response));
    }

    [Fact]
    public async Task Validation_problems_name_each_bad_field()
    {
        await using var app = await TestApp.StartAsync(stack);

        var response = await app.Client.PostAsJsonAsync("/orders", new { email = "nope", category_id = "x" });

        var problem = await TestApp.JsonAsync(response);
        var errors = problem.GetProperty("errors");
        Assert.True(errors.TryGetProperty("email", out _));
        Assert.True(errors.TryGetProperty("category_id", out _));
    }

    [Fact]
    public async Task Two_hundred_concurrent_orders_for_the_last_fifty_seats_create_exactly_fifty()
    {
        var category = await Sale.CreateCategoryAsync(stack.DataSource, seats: 50);
        await using var app = await TestApp.StartAsync(stack, "--Payment:Fake:LatencyMs=5");

        var responses = await Task.WhenAll(Enumerable.Range(0, 200).Select(_ => app.PostOrderAsync(Sale.Email(), category)));

        Assert.Equal(50, responses.Count(r => r.StatusCode == HttpStatusCode.Created));
        var rejected = responses.Where(r => r.StatusCode != HttpStatusCode.Created).ToList();
        Assert.Equal(150, rejected.Count);
        foreach (var r in rejected) Assert.Equal("sold_out", await TestApp.ProblemCodeAsync(r));
        var seats = new HashSet<string>();
        foreach (var r in responses.Where(r => r.StatusCode == HttpStatusCode.Created))
        {
            Assert.True(seats.Add((await TestApp.JsonAsync(r)).GetProperty("data").GetProperty("seat").ToString()));
        }
        Assert.Equal(0, await Sale.FreeSeatsAsync(stack.DataSource, category));
        await Sale.AssertInvariantsAsync(stack.DataSource);
    }

    [Fact]
    public async Task Fifty_concurrent_orders_from_one_email_create_exactly_one()
    {
        var category = await Sale.CreateCategoryAsync(stack.DataSource, seats: 100);
        // The per-email rate limit would answer most of them first: this is about the database's guarantee.
        await using var app = await TestApp.StartAsync(stack, "--Protection:OrdersPerEmailPerMinute=0");
        var email = Sale.Email();

        var responses = await Task.WhenAll(Enumerable.Range(0, 50).Select(i =>
            app.PostOrderAsync(i % 2 == 0 ? email : email.ToUpperInvariant(), category)));

        Assert.Equal(1, responses.Count(r => r.StatusCode == HttpStatusCode.Created));
        foreach (var r in responses.Where(r => r.StatusCode != HttpStatusCode.Created))
        {
            Assert.Equal(HttpStatusCode.Conflict, r.StatusCode);
            Assert.Equal("already_ordered", await TestApp.ProblemCodeAsync(r));
        }
        Assert.Equal(99, await Sale.FreeSeatsAsync(stack.DataSource, category));
        await Sale.AssertInvariantsAsync(stack.DataSource);
    }

    [Fact]
    public async Task A_retried_post_with_the_same_idempotency_key_returns_the_same_order()
    {
        var category = await Sale.CreateCategoryAsync(stack.DataSource, seats: 10);
        await using var app = await TestApp.StartAsync(stack);
        var email = Sale.Email();
        var key = Guid.NewGuid().ToString();

        var responses = await Task.WhenAll(Enumerable.Range(0, 5).Select(_ => app.PostOrderAsync(email, category, key)));

        Assert.All(responses, r => Assert.Equal(HttpStatusCode.Created, r.StatusCode));
        var bodies = await Task.WhenAll(responses.Select(TestApp.JsonAsync));
        Assert.Single(bodies.Select(b => b.GetProperty("data").GetProperty("id").GetGuid()).Distinct());
        Assert.Single(bodies.Select(b => b.GetProperty("data").GetProperty("va_code").GetString()).Distinct());
        Assert.Equal(9, await Sale.FreeSeatsAsync(stack.DataSource, category));

        var otherEmail = await app.PostOrderAsync(Sale.Email(), category, key);
        Assert.Equal(HttpStatusCode.UnprocessableEntity, otherEmail.StatusCode);
        Assert.Equal("idempotency_key_reused", await TestApp.ProblemCodeAsync(otherEmail));
        var withoutKey = await app.PostOrderAsync(email, category);
        Assert.Equal("already_ordered", await TestApp.ProblemCodeAsync(withoutKey));
        await Sale.AssertInvariantsAsync(stack.DataSource);
    }

    [Fact]
    public async Task A_failing_gateway_answers_502_payment_unavailable_and_releases_the_seat_at_once()
    {
        var category = await Sale.CreateCategoryAsync(stack.DataSource, seats: 3);
        await using var app = await TestApp.StartAsync(stack, "--Payment:Fake:FailureRate=1");
        var email = Sale.Email();

        var response = await app.PostOrderAsync(email, category);

        Assert.Equal(HttpStatusCode.BadGateway, response.StatusCode);
        Assert.Equal("payment_unavailable", await TestApp.ProblemCodeAsync(response));
        Assert.Equal(3, await Sale.FreeSeatsAsync(stack.DataSource, category));
        Assert.Equal("cancelled", await Sale.ScalarAsync<string>(stack.DataSource,
            "SELECT status FROM orders WHERE email = $1", email.ToLowerInvariant()));
        await Sale.AssertInvariantsAsync(stack.DataSource);
    }
}
