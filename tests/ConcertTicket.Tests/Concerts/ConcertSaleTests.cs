using System.Net;
using ConcertTicket.Categories;
using ConcertTicket.Concerts;
using ConcertTicket.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace ConcertTicket.Tests.Concerts;

/// <summary>Several concerts on one database: one ticket per email per concert, the sale window and state, the public reads.</summary>
[Collection(LiveServersGroup.Name)]
public sealed class ConcertSaleTests(LiveServers stack)
{
    [Fact]
    public async Task An_email_buys_one_ticket_for_each_of_two_concerts_and_is_refused_a_second_for_either()
    {
        await using var sale = await OwnSale.CreateAsync(stack);
        await using var app = await sale.StartAppAsync(stack);
        var (_, first) = await OwnSale.CreateConcertAsync(app, categories: 2);
        var (_, second) = await OwnSale.CreateConcertAsync(app);
        var email = Sale.Email();

        Assert.Equal(HttpStatusCode.Created, (await app.PostOrderAsync(email, first[0])).StatusCode);
        Assert.Equal(HttpStatusCode.Created, (await app.PostOrderAsync(email, second[0])).StatusCode);
        var again = await app.PostOrderAsync(email, first[1]);
        Assert.Equal(HttpStatusCode.Conflict, again.StatusCode);
        Assert.Equal("already_ordered", await TestApp.ProblemCodeAsync(again));
        var againSecond = await app.PostOrderAsync(email.ToUpperInvariant(), second[0]);
        Assert.Equal("already_ordered", await TestApp.ProblemCodeAsync(againSecond));

        Assert.Equal(2L, await Sale.ScalarAsync<long>(sale.DataSource,
            "SELECT count(DISTINCT concert_id) FROM orders WHERE email = $1 AND status = 'pending'", email));
        await Sale.AssertInvariantsAsync(sale.DataSource);
    }

    [Fact]
    public async Task A_paused_sale_refuses_orders_and_resumes()
    {
        await using var sale = await OwnSale.CreateAsync(stack);
        await using var app = await sale.StartAppAsync(stack);
        var (id, categories) = await OwnSale.CreateConcertAsync(app);

        Assert.Equal(HttpStatusCode.OK, (await app.Client.SendAsync(OwnSale.Admin(HttpMethod.Patch, $"/admin/concerts/{id}", new { state = "paused" }))).StatusCode);
        var refused = await app.PostOrderAsync(Sale.Email(), categories[0]);
        Assert.Equal(HttpStatusCode.Conflict, refused.StatusCode);
        Assert.Equal("sale_paused", await TestApp.ProblemCodeAsync(refused));

        Assert.Equal(HttpStatusCode.OK, (await app.Client.SendAsync(OwnSale.Admin(HttpMethod.Patch, $"/admin/concerts/{id}", new { state = "on_sale" }))).StatusCode);
        Assert.Equal(HttpStatusCode.Created, (await app.PostOrderAsync(Sale.Email(), categories[0])).StatusCode);
        await Sale.AssertInvariantsAsync(sale.DataSource);
    }

    [Fact]
    public async Task Orders_are_taken_from_the_opening_instant_until_the_closing_instant_excluded()
    {
        await using var sale = await OwnSale.CreateAsync(stack);
        await using var app = await sale.StartAppAsync(stack);
        var (id, categories) = await OwnSale.CreateConcertAsync(app, opens: "2099-01-01T00:00:00Z");

        var early = await app.PostOrderAsync(Sale.Email(), categories[0]);
        Assert.Equal("sale_not_open", await TestApp.ProblemCodeAsync(early));

        // The edges, on the database's clock: opening now is open; closing at a past instant is closed.
        await Sale.ExecuteAsync(sale.DataSource, "UPDATE concerts SET sale_opens_at = clock_timestamp(), sale_closes_at = NULL WHERE id = $1", id);
        Assert.Equal(HttpStatusCode.Created, (await app.PostOrderAsync(Sale.Email(), categories[0])).StatusCode);
        await Sale.ExecuteAsync(sale.DataSource, "UPDATE concerts SET sale_closes_at = clock_timestamp() WHERE id = $1", id);
        var late = await app.PostOrderAsync(Sale.Email(), categories[0]);
        Assert.Equal("sale_closed", await TestApp.ProblemCodeAsync(late));

        var (draft, draftCategories) = await OwnSale.CreateConcertAsync(app, state: "draft");
        Assert.Equal("sale_not_open", await TestApp.ProblemCodeAsync(await app.PostOrderAsync(Sale.Email(), draftCategories[0])));
        Assert.Equal(HttpStatusCode.OK, (await app.Client.SendAsync(OwnSale.Admin(HttpMethod.Patch, $"/admin/concerts/{draft}", new { state = "closed" }))).StatusCode);
        Assert.Equal("sale_closed", await TestApp.ProblemCodeAsync(await app.PostOrderAsync(Sale.Email(), draftCategories[0])));
        await Sale.AssertInvariantsAsync(sale.DataSource);
    }

    [Fact]
    public async Task Public_reads_list_concerts_on_sale_and_coming_and_each_ones_categories_in_the_seed_shape()
    {
        await using var sale = await OwnSale.CreateAsync(stack);
        await using var app = await sale.StartAppAsync(stack);
        var seedCategories = await app.Services.GetRequiredService<CategoryQueries>().ListAsync(CancellationToken.None);
        Assert.All(seedCategories, c => Assert.Null(c.ConcertId));

        var (onSale, onSaleCategories) = await OwnSale.CreateConcertAsync(app);
        var (coming, _) = await OwnSale.CreateConcertAsync(app, opens: "2099-01-01T00:00:00Z");
        var (draft, _) = await OwnSale.CreateConcertAsync(app, state: "draft");
        await app.PostOrderAsync(Sale.Email(), onSaleCategories[0]);
        app.Services.GetRequiredService<ConcertCatalog>().Invalidate();

        var list = await TestApp.JsonAsync(await app.Client.GetAsync("/concerts"));
        var ids = list.GetProperty("data").EnumerateArray().Select(c => c.GetProperty("id").GetInt32()).ToList();
        Assert.Contains(onSale, ids);
        Assert.Contains(coming, ids);
        Assert.DoesNotContain(draft, ids);
        Assert.Equal(HttpStatusCode.NotFound, (await app.Client.GetAsync($"/concerts/{draft}")).StatusCode);
        Assert.Equal("unknown_concert", await TestApp.ProblemCodeAsync(await app.Client.GetAsync($"/concerts/{draft}/categories")));
        var concert = (await TestApp.JsonAsync(await app.Client.GetAsync($"/concerts/{onSale}"))).GetProperty("data");
        Assert.Equal("on_sale", concert.GetProperty("state").GetString());
        Assert.Equal("Asia/Jakarta", concert.GetProperty("time_zone").GetString());

        var categories = (await TestApp.JsonAsync(await app.Client.GetAsync($"/concerts/{onSale}/categories"))).GetProperty("data");
        var category = Assert.Single(categories.EnumerateArray());
        Assert.Equal(["id", "name", "price", "total"], category.EnumerateObject().Select(p => p.Name));
        Assert.Equal(9, category.GetProperty("total").GetInt32());

        // GET /categories with several concerts: the categories on sale now, each with its concert.
        var several = await app.Services.GetRequiredService<CategoryQueries>().ListAsync(CancellationToken.None);
        Assert.Contains(several, c => c.Id == onSaleCategories[0] && c.ConcertId == onSale && c.Total == 9);
        Assert.DoesNotContain(several, c => c.ConcertId == coming || c.ConcertId == draft);
        Assert.Equal(seedCategories.Count + 1, several.Count);
    }
}
