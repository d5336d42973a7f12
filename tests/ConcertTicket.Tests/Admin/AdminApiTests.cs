using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using ConcertTicket.Admin;
using ConcertTicket.Tests.Concerts;
using ConcertTicket.Tests.Infrastructure;
using ConcertTicket.Tests.Tickets;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace ConcertTicket.Tests.Admin;

/// <summary>The admin API: its keys, concerts, the audit, the sale's figures, orders and refunds.</summary>
[Collection(LiveServersGroup.Name)]
public sealed class AdminApiTests(LiveServers stack)
{
    [Fact]
    public async Task Admin_endpoints_answer_401_without_a_key_or_with_a_wrong_one_and_accept_every_configured_key()
    {
        await using var sale = await OwnSale.CreateAsync(stack);
        await using (var app = await sale.StartAppAsync(stack, $"--Admin:ApiKeys:next={OwnSale.SecondKey}"))
        {
            var none = await app.Client.GetAsync("/admin/concerts");
            Assert.Equal(HttpStatusCode.Unauthorized, none.StatusCode);
            Assert.Equal("unauthorized", await TestApp.ProblemCodeAsync(none));
            Assert.StartsWith("Bearer", none.Headers.WwwAuthenticate.ToString(), StringComparison.Ordinal);
            var wrong = await app.Client.SendAsync(OwnSale.Admin(HttpMethod.Get, "/admin/concerts", key: OwnSale.AdminKey + "x"));
            Assert.Equal(HttpStatusCode.Unauthorized, wrong.StatusCode);
            var basic = new HttpRequestMessage(HttpMethod.Get, "/admin/concerts");
            basic.Headers.TryAddWithoutValidation("Authorization", "Basic " + OwnSale.AdminKey);
            Assert.Equal(HttpStatusCode.Unauthorized, (await app.Client.SendAsync(basic)).StatusCode);
            Assert.Equal(HttpStatusCode.OK, (await app.Client.SendAsync(OwnSale.Admin(HttpMethod.Get, "/admin/concerts"))).StatusCode);
            Assert.Equal(HttpStatusCode.OK, (await app.Client.SendAsync(OwnSale.Admin(HttpMethod.Get, "/admin/concerts", key: OwnSale.SecondKey))).StatusCode);
            // The page itself needs no key: it asks for one.
            Assert.Equal(HttpStatusCode.OK, (await app.Client.GetAsync("/admin/")).StatusCode);
        }

        // Rotated: the old key removed, only the new one configured.
        await using (var app = await TestApp.StartAsync(stack, $"--ConnectionStrings:Postgres={sale.ConnectionString}", $"--Admin:ApiKeys:next={OwnSale.SecondKey}"))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, (await app.Client.SendAsync(OwnSale.Admin(HttpMethod.Get, "/admin/concerts"))).StatusCode);
            var (id, _) = await OwnSale.CreateConcertAsyncWithKey(app, OwnSale.SecondKey);
            Assert.Equal("next", await Sale.ScalarAsync<string>(sale.DataSource,
                "SELECT actor FROM admin_audit WHERE concert_id = $1 AND action = 'concert.create'", id));
        }
    }

    [Fact]
    public async Task A_concert_is_created_with_its_seats_and_audited_and_a_bad_one_gets_the_fields_named()
    {
        await using var sale = await OwnSale.CreateAsync(stack);
        await using var app = await sale.StartAppAsync(stack);
        var response = await app.Client.SendAsync(OwnSale.Admin(HttpMethod.Post, "/admin/concerts", new
        {
            name = "Irregular",
            venue = "Club",
            starts_at = "2027-03-01T19:00:00+07:00",
            time_zone = "Asia/Jakarta",
            sale_opens_at = "2027-01-01T10:00:00+07:00",
            sale_closes_at = "2027-03-01T18:00:00+07:00",
            categories = new object[]
            {
                new { name = "VIP", price = 3_800_000, rows = 3, columns = 4 },
                new { name = "BALCONY", price = 900_000, seats = new[] { new { row = 1, column = 1 }, new { row = 1, column = 3 }, new { row = 2, column = 2 } } },
            },
        }));
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var data = (await TestApp.JsonAsync(response)).GetProperty("data");
        Assert.Equal("draft", data.GetProperty("state").GetString());
        var id = data.GetProperty("id").GetInt32();
        Assert.Equal($"/admin/concerts/{id}", response.Headers.Location?.ToString());
        Assert.Equal([12, 3], data.GetProperty("categories").EnumerateArray().Select(c => c.GetProperty("seats").GetInt32()));
        Assert.Equal(15L, await Sale.ScalarAsync<long>(sale.DataSource, "SELECT count(*) FROM seats WHERE concert_id = $1", id));
        Assert.Equal(1L, await Sale.ScalarAsync<long>(sale.DataSource,
            "SELECT count(*) FROM admin_audit WHERE concert_id = $1 AND action = 'concert.create' AND actor = 'main' AND (detail->>'seats')::int = 15", id));

        var bad = await app.Client.SendAsync(OwnSale.Admin(HttpMethod.Post, "/admin/concerts", new
        {
            name = "",
            starts_at = "next tuesday",
            time_zone = "Mars/Olympus",
            state = "selling",
            categories = new object[] { new { name = "A", price = -1, rows = 2, columns = 2 }, new { name = "B", price = 5 } },
        }));
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        Assert.Equal("validation_failed", await TestApp.ProblemCodeAsync(bad));
        var errors = (await TestApp.JsonAsync(bad)).GetProperty("errors").EnumerateObject().Select(p => p.Name).ToList();
        Assert.Equal(["categories[0].price", "categories[1]", "name", "starts_at", "state", "time_zone"], errors.Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task Patch_changes_the_window_and_state_audits_each_change_and_refuses_what_a_state_does_not_allow()
    {
        await using var sale = await OwnSale.CreateAsync(stack);
        await using var app = await sale.StartAppAsync(stack);
        var (id, categories) = await OwnSale.CreateConcertAsync(app, state: "draft");

        var priced = await app.Client.SendAsync(OwnSale.Admin(HttpMethod.Patch, $"/admin/concerts/{id}",
            new { categories = new[] { new { id = categories[0], price = 1_234_000 } }, venue = "Arena" }));
        Assert.Equal(HttpStatusCode.OK, priced.StatusCode);
        var data = (await TestApp.JsonAsync(priced)).GetProperty("data");
        Assert.Equal(1_234_000, data.GetProperty("categories")[0].GetProperty("price").GetInt64());
        Assert.Equal("Arena", data.GetProperty("venue").GetString());

        var opened = await app.Client.SendAsync(OwnSale.Admin(HttpMethod.Patch, $"/admin/concerts/{id}",
            new { state = "on_sale", sale_closes_at = "2099-01-01T00:00:00Z" }));
        Assert.Equal(HttpStatusCode.OK, opened.StatusCode);
        var late = await app.Client.SendAsync(OwnSale.Admin(HttpMethod.Patch, $"/admin/concerts/{id}",
            new { categories = new[] { new { id = categories[0], price = 1 } } }));
        Assert.Equal("concert_not_draft", await TestApp.ProblemCodeAsync(late));
        var badWindow = await app.Client.SendAsync(OwnSale.Admin(HttpMethod.Patch, $"/admin/concerts/{id}", new { sale_opens_at = "2100-01-01T00:00:00Z" }));
        Assert.Equal("validation_failed", await TestApp.ProblemCodeAsync(badWindow));
        Assert.Equal(HttpStatusCode.OK, (await app.Client.SendAsync(OwnSale.Admin(HttpMethod.Patch, $"/admin/concerts/{id}", new { state = "closed" }))).StatusCode);
        var reopen = await app.Client.SendAsync(OwnSale.Admin(HttpMethod.Patch, $"/admin/concerts/{id}", new { state = "on_sale" }));
        Assert.Equal("invalid_state_change", await TestApp.ProblemCodeAsync(reopen));
        Assert.Equal("unknown_concert", await TestApp.ProblemCodeAsync(
            await app.Client.SendAsync(OwnSale.Admin(HttpMethod.Patch, "/admin/concerts/999999", new { state = "paused" }))));

        var actions = await ActionsAsync(sale, id);
        Assert.Equal(["concert.create", "concert.update", "concert.state.on_sale", "concert.state.closed"], actions);
    }

    [Fact]
    public async Task A_drafts_layout_is_changed_by_patch_as_a_grid_or_a_list_of_seats_and_fixed_once_on_sale()
    {
        await using var sale = await OwnSale.CreateAsync(stack);
        await using var app = await sale.StartAppAsync(stack);
        var (id, categories) = await OwnSale.CreateConcertAsync(app, state: "draft", rows: 2, columns: 5, categories: 2);
        async Task<(long Seats, long Price)> CategoryAsync(int category) => (
            await Sale.ScalarAsync<long>(sale.DataSource, "SELECT count(*) FROM seats WHERE category_id = $1", category),
            await Sale.ScalarAsync<long>(sale.DataSource, "SELECT price FROM categories WHERE id = $1", category));

        var grid = await app.Client.SendAsync(OwnSale.Admin(HttpMethod.Patch, $"/admin/concerts/{id}",
            new { categories = new object[] { new { id = categories[0], rows = 3, columns = 4 } } }));
        var list = await app.Client.SendAsync(OwnSale.Admin(HttpMethod.Patch, $"/admin/concerts/{id}",
            new { categories = new object[] { new { id = categories[1], price = 2_500_000, seats = new[] { new { row = 1, column = 7 }, new { row = 2, column = 9 } } } } }));
        var half = await app.Client.SendAsync(OwnSale.Admin(HttpMethod.Patch, $"/admin/concerts/{id}",
            new { categories = new object[] { new { id = categories[0], rows = 3 } } }));
        var nothing = await app.Client.SendAsync(OwnSale.Admin(HttpMethod.Patch, $"/admin/concerts/{id}",
            new { categories = new object[] { new { id = categories[0] } } }));

        Assert.Equal((HttpStatusCode.OK, HttpStatusCode.OK), (grid.StatusCode, list.StatusCode));
        Assert.Equal((12L, 1_000_000L), await CategoryAsync(categories[0]));
        Assert.Equal((2L, 2_500_000L), await CategoryAsync(categories[1]));
        Assert.Equal(["1:7", "2:9"], (await Sale.ScalarAsync<string[]>(sale.DataSource,
            "SELECT array_agg(row_no || ':' || col_no ORDER BY row_no) FROM seats WHERE category_id = $1", categories[1])));
        Assert.Equal(12, (await TestApp.JsonAsync(list)).GetProperty("data").GetProperty("categories")[0].GetProperty("seats").GetInt32());
        Assert.Equal("validation_failed", await TestApp.ProblemCodeAsync(half));
        Assert.Contains("categories[0].columns", (await TestApp.JsonAsync(half)).GetProperty("errors").EnumerateObject().Select(e => e.Name));
        Assert.Equal("validation_failed", await TestApp.ProblemCodeAsync(nothing));

        Assert.Equal(HttpStatusCode.OK, (await app.Client.SendAsync(OwnSale.Admin(HttpMethod.Patch, $"/admin/concerts/{id}", new { state = "on_sale" }))).StatusCode);
        var late = await app.Client.SendAsync(OwnSale.Admin(HttpMethod.Patch, $"/admin/concerts/{id}",
            new { categories = new object[] { new { id = categories[0], rows = 1, columns = 1 } } }));
        Assert.Equal("concert_not_draft", await TestApp.ProblemCodeAsync(late));
        Assert.Equal((12L, 1_000_000L), await CategoryAsync(categories[0]));
        Assert.Equal(HttpStatusCode.Created, (await app.PostOrderAsync(Sale.Email(), categories[1])).StatusCode);
        await Sale.AssertInvariantsAsync(sale.DataSource);
    }

    [Fact]
    public async Task The_sale_figures_follow_orders_and_payments_and_a_refund_is_recorded_once_and_closes_the_order()
    {
        await using var sale = await OwnSale.CreateAsync(stack);
        await using var app = await sale.StartAppAsync(stack);
        var (id, categories) = await OwnSale.CreateConcertAsync(app, rows: 1, columns: 10);
        var paid = await TestApp.JsonAsync(await app.PostOrderAsync(Sale.Email(), categories[0]));
        var paidId = Guid.Parse(paid.GetProperty("data").GetProperty("id").GetString()!);
        await app.PostOrderAsync(Sale.Email(), categories[0]);
        Assert.Equal(HttpStatusCode.OK, (await Callbacks.PostAsync(app, paidId, "settlement", 1_000_000)).StatusCode);
        // A late payment with no seat left, as the settlement of an expired order ends when the category sold out.
        var refundEmail = Sale.Email();
        var refund = await TestApp.JsonAsync(await app.PostOrderAsync(refundEmail, categories[0]));
        var refundId = Guid.Parse(refund.GetProperty("data").GetProperty("id").GetString()!);
        await Sale.ExecuteAsync(sale.DataSource, """
            WITH o AS (UPDATE orders SET status = 'refund_required', paid_at = now(), ended_at = now() WHERE id = $1 RETURNING seat_id)
            UPDATE seats SET order_id = NULL WHERE id = (SELECT seat_id FROM o)
            """, refundId);

        var before = (await TestApp.JsonAsync(await app.Client.SendAsync(OwnSale.Admin(HttpMethod.Get, $"/admin/concerts/{id}/sale")))).GetProperty("data");
        Assert.Equal(0, before.GetProperty("categories")[0].GetProperty("checked_in").GetInt32());
        var gate = new HttpRequestMessage(HttpMethod.Post, "/checkin") { Content = JsonContent.Create(new { code = await TicketSale.CodeAsync(app, paidId) }) };
        gate.Headers.Authorization = new AuthenticationHeaderValue("Bearer", LiveServers.NorthGateToken);
        Assert.Equal(HttpStatusCode.OK, (await app.Client.SendAsync(gate)).StatusCode);

        var figures = (await TestApp.JsonAsync(await app.Client.SendAsync(OwnSale.Admin(HttpMethod.Get, $"/admin/concerts/{id}/sale")))).GetProperty("data");
        var category = figures.GetProperty("categories")[0];
        Assert.Equal((8, 1, 1, 1, 1_000_000L), (category.GetProperty("free").GetInt32(), category.GetProperty("held").GetInt32(),
            category.GetProperty("paid").GetInt32(), category.GetProperty("checked_in").GetInt32(), category.GetProperty("revenue").GetInt64()));
        Assert.Equal(3, figures.GetProperty("per_minute").EnumerateArray().Sum(m => m.GetProperty("orders").GetInt32()));
        // Two payments: the settled order's and the late one that found no seat (its money is the refund to make).
        Assert.Equal(2, figures.GetProperty("per_minute").EnumerateArray().Sum(m => m.GetProperty("payments").GetInt32()));
        Assert.Equal(refundId.ToString(), Assert.Single(figures.GetProperty("refunds_to_make").EnumerateArray()).GetProperty("order_id").GetString());

        var listed = await TestApp.JsonAsync(await app.Client.SendAsync(OwnSale.Admin(HttpMethod.Get, $"/admin/orders?concert_id={id}&status=refund_required")));
        Assert.Equal(refundEmail, Assert.Single(listed.GetProperty("data").EnumerateArray()).GetProperty("email").GetString());
        var page = await TestApp.JsonAsync(await app.Client.SendAsync(OwnSale.Admin(HttpMethod.Get, $"/admin/orders?concert_id={id}&page_size=2")));
        Assert.Equal(2, page.GetProperty("data").GetArrayLength());
        Assert.True(page.GetProperty("has_more").GetBoolean());
        Assert.Equal("validation_failed", await TestApp.ProblemCodeAsync(
            await app.Client.SendAsync(OwnSale.Admin(HttpMethod.Get, "/admin/orders?status=lost"))));

        Assert.Equal("refund_not_required", await TestApp.ProblemCodeAsync(
            await app.Client.SendAsync(OwnSale.Admin(HttpMethod.Post, $"/admin/orders/{paidId}/refund", new { reference = "TRF-1" }))));
        var recorded = await app.Client.SendAsync(OwnSale.Admin(HttpMethod.Post, $"/admin/orders/{refundId}/refund", new { reference = "TRF-2" }));
        Assert.Equal(HttpStatusCode.OK, recorded.StatusCode);
        var recordedOrder = (await TestApp.JsonAsync(recorded)).GetProperty("data");
        Assert.Equal(("TRF-2", "refunded"), (recordedOrder.GetProperty("refund_reference").GetString(), recordedOrder.GetProperty("status").GetString()));
        Assert.Equal(refundEmail, Assert.Single((await TestApp.JsonAsync(await app.Client.SendAsync(OwnSale.Admin(HttpMethod.Get,
            $"/admin/orders?concert_id={id}&status=refunded")))).GetProperty("data").EnumerateArray()).GetProperty("email").GetString());
        Assert.Equal("refund_not_required", await TestApp.ProblemCodeAsync(
            await app.Client.SendAsync(OwnSale.Admin(HttpMethod.Post, $"/admin/orders/{refundId}/refund", new { reference = "TRF-3" }))));
        Assert.Equal("unknown_order", await TestApp.ProblemCodeAsync(
            await app.Client.SendAsync(OwnSale.Admin(HttpMethod.Post, $"/admin/orders/{Guid.NewGuid()}/refund", new { reference = "TRF-4" }))));
        Assert.Equal("TRF-2", await Sale.ScalarAsync<string>(sale.DataSource,
            "SELECT detail->>'reference' FROM admin_audit WHERE order_id = $1 AND action = 'order.refund' AND actor = 'main'", refundId));
        var after = (await TestApp.JsonAsync(await app.Client.SendAsync(OwnSale.Admin(HttpMethod.Get, $"/admin/concerts/{id}/sale")))).GetProperty("data");
        Assert.Equal(0, after.GetProperty("refunds_to_make").GetArrayLength());
        Assert.Equal(System.Text.Json.JsonValueKind.Null, after.GetProperty("queue").ValueKind);
        await Sale.AssertInvariantsAsync(sale.DataSource);
    }

    [Fact]
    public async Task With_the_waiting_room_on_the_sale_figures_and_the_dashboard_show_its_line_and_admissions()
    {
        await using var sale = await OwnSale.CreateAsync(stack);
        await using var app = await sale.StartAppAsync(stack, Queue.QueueFans.Args(Queue.QueueFans.NewName()));
        var (id, _) = await OwnSale.CreateConcertAsync(app);
        for (var i = 0; i < 3; i++) Assert.Equal(HttpStatusCode.Created, (await Queue.QueueFans.JoinAsync(app.Client, Sale.Email())).Status);
        Assert.Single(await Queue.QueueFans.AdmitAsync(app, 1));

        var figures = (await TestApp.JsonAsync(await app.Client.SendAsync(OwnSale.Admin(HttpMethod.Get, $"/admin/concerts/{id}/sale")))).GetProperty("data");
        var dashboard = await TestApp.JsonAsync(await app.Client.SendAsync(OwnSale.Admin(HttpMethod.Get, "/admin/dashboard")));

        foreach (var queue in new[] { figures.GetProperty("queue"), dashboard.GetProperty("queue") })
        {
            Assert.True(queue.GetProperty("available").GetBoolean());
            Assert.Equal((2L, 1L, false), (queue.GetProperty("waiting").GetInt64(), queue.GetProperty("admitted").GetInt64(),
                queue.GetProperty("sold_out").GetBoolean()));
        }
    }

    [Fact]
    public async Task A_concert_created_through_the_api_sells_out_under_concurrent_orders_with_no_seat_sold_twice()
    {
        await using var sale = await OwnSale.CreateAsync(stack);
        await using var app = await sale.StartAppAsync(stack, "--Protection:OrdersPerIpPerMinute=0");
        var (_, categories) = await OwnSale.CreateConcertAsync(app, rows: 4, columns: 5);

        var responses = await Task.WhenAll(Enumerable.Range(0, 40).Select(_ => app.PostOrderAsync(Sale.Email(), categories[0])));

        Assert.Equal(20, responses.Count(r => r.StatusCode == HttpStatusCode.Created));
        Assert.Equal(20, responses.Count(r => r.StatusCode == HttpStatusCode.Conflict));
        Assert.Equal(0L, await Sale.FreeSeatsAsync(sale.DataSource, categories[0]));
        Assert.Equal(20L, await Sale.ScalarAsync<long>(sale.DataSource,
            "SELECT count(DISTINCT seat_id) FROM orders WHERE category_id = $1 AND status = 'pending'", categories[0]));
        await Sale.AssertInvariantsAsync(sale.DataSource);
    }

    [Fact]
    public async Task Many_dashboards_polling_at_once_cost_one_query_per_refresh_period()
    {
        await using var sale = await OwnSale.CreateAsync(stack);
        await using var app = await sale.StartAppAsync(stack, "--Admin:DashboardRefreshMilliseconds=2000");
        var dashboard = app.Services.GetRequiredService<AdminDashboard>();

        var answers = await Task.WhenAll(Enumerable.Range(0, 50).Select(_ =>
            app.Client.SendAsync(OwnSale.Admin(HttpMethod.Get, "/admin/dashboard"))));

        Assert.All(answers, a => Assert.Equal(HttpStatusCode.OK, a.StatusCode));
        Assert.Equal(1, dashboard.QueryCount);
        var snapshot = await TestApp.JsonAsync(answers[0]);
        Assert.Equal("The Concert", Assert.Single(snapshot.GetProperty("concerts").EnumerateArray()).GetProperty("name").GetString());
    }

    [Fact]
    public async Task Admin_keys_never_appear_in_logs_or_responses_even_at_trace_level()
    {
        await using var sale = await OwnSale.CreateAsync(stack);
        var logs = new CapturedLogs();
        await using var app = await TestApp.StartAsync(stack, b => b.Logging.AddProvider(logs),
            $"--ConnectionStrings:Postgres={sale.ConnectionString}", $"--Admin:ApiKeys:main={OwnSale.AdminKey}",
            "--Logging:LogLevel:Default=Trace", "--Logging:LogLevel:Microsoft=Trace", "--Logging:LogLevel:System=Trace");
        var bodies = new List<string>();
        foreach (var key in new[] { OwnSale.AdminKey, OwnSale.AdminKey + "-wrong" })
        {
            bodies.Add(await (await app.Client.SendAsync(OwnSale.Admin(HttpMethod.Get, "/admin/concerts", key: key))).Content.ReadAsStringAsync());
            bodies.Add(await (await app.Client.SendAsync(OwnSale.Admin(HttpMethod.Post, "/admin/concerts", new { name = "x" }, key))).Content.ReadAsStringAsync());
        }
        bodies.Add(await app.Client.GetStringAsync("/openapi/v1.json"));

        Assert.NotEmpty(logs.Texts);
        Assert.DoesNotContain(logs.Texts, e => e.Contains(OwnSale.AdminKey, StringComparison.Ordinal));
        Assert.DoesNotContain(logs.Lines, l => l.Contains(OwnSale.AdminKey, StringComparison.Ordinal));
        Assert.DoesNotContain(bodies, b => b.Contains(OwnSale.AdminKey, StringComparison.Ordinal));
        Assert.Equal(0L, await Sale.ScalarAsync<long>(sale.DataSource,
            "SELECT count(*) FROM admin_audit WHERE detail::text LIKE '%' || $1 || '%' OR actor LIKE '%' || $1 || '%'", OwnSale.AdminKey));
    }

    private static async Task<List<string>> ActionsAsync(OwnSale sale, int concertId)
    {
        await using var command = sale.DataSource.CreateCommand("SELECT action FROM admin_audit WHERE concert_id = $1 ORDER BY id");
        command.Parameters.Add(new Npgsql.NpgsqlParameter<int> { TypedValue = concertId });
        await using var reader = await command.ExecuteReaderAsync();
        var actions = new List<string>();
        while (await reader.ReadAsync()) actions.Add(reader.GetString(0));
        return actions;
    }
}
