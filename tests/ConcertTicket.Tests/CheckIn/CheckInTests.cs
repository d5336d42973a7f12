using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using ConcertTicket.Tests.Infrastructure;
using ConcertTicket.Tests.Tickets;
using Microsoft.Extensions.DependencyInjection;

namespace ConcertTicket.Tests.CheckIn;

[Collection(LiveServersGroup.Name)]
public sealed class CheckInTests(LiveServers stack)
{
    private static Task<HttpResponseMessage> CheckInAsync(TestApp app, string code, string? token = LiveServers.NorthGateToken)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "/checkin") { Content = JsonContent.Create(new { code }) };
        if (token is not null) request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return app.Client.SendAsync(request);
    }

    private static async Task<JsonElement> BatchAsync(TestApp app, object[] scans, string token = LiveServers.SouthGateToken)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "/checkin/batch") { Content = JsonContent.Create(new { scans }) };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        var response = await app.Client.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return (await TestApp.JsonAsync(response)).GetProperty("data").GetProperty("results");
    }

    [Fact]
    public async Task A_ticket_is_admitted_once_then_refused_with_when_and_where()
    {
        var category = await Sale.CreateCategoryAsync(stack.DataSource, seats: 1, TicketSale.Price);
        await using var app = await TestApp.StartAsync(stack);
        var (_, _, code) = await TicketSale.PaidAsync(app, category);

        Assert.Equal(HttpStatusCode.Unauthorized, (await CheckInAsync(app, code, token: null)).StatusCode);
        var wrong = await CheckInAsync(app, code, token: "not-a-gate-token-at-all");
        Assert.Equal(HttpStatusCode.Unauthorized, wrong.StatusCode);
        Assert.Equal("invalid_gate_token", await TestApp.ProblemCodeAsync(wrong));

        var admitted = await CheckInAsync(app, code);
        Assert.Equal(HttpStatusCode.OK, admitted.StatusCode);
        var data = (await TestApp.JsonAsync(admitted)).GetProperty("data");
        Assert.Equal("admitted", data.GetProperty("result").GetString());
        Assert.Equal("north", data.GetProperty("gate").GetString());
        Assert.Equal(1, data.GetProperty("seat").GetProperty("row").GetInt32());

        var again = await CheckInAsync(app, code, LiveServers.SouthGateToken);
        Assert.Equal(HttpStatusCode.Conflict, again.StatusCode);
        Assert.Equal("already_checked_in", await TestApp.ProblemCodeAsync(again));
        Assert.Contains("gate north", (await TestApp.JsonAsync(again)).GetProperty("detail").GetString(), StringComparison.Ordinal);

        var ticket = (await TestApp.JsonAsync(await app.Client.GetAsync($"/tickets/{code}"))).GetProperty("data");
        Assert.Equal("checked_in", ticket.GetProperty("status").GetString());
        Assert.Equal("north", ticket.GetProperty("checked_in_gate").GetString());

        var tampered = code[..^3] + (code[^3] == 'x' ? "yyy" : "xxx");
        var invalid = await CheckInAsync(app, tampered);
        Assert.Equal(HttpStatusCode.BadRequest, invalid.StatusCode);
        Assert.Equal("invalid_ticket", await TestApp.ProblemCodeAsync(invalid));
    }

    [Fact]
    public async Task A_well_signed_code_naming_a_real_order_but_another_ticket_id_admits_nobody()
    {
        var category = await Sale.CreateCategoryAsync(stack.DataSource, seats: 1, TicketSale.Price);
        await using var app = await TestApp.StartAsync(stack);
        var (orderId, _, code) = await TicketSale.PaidAsync(app, category);
        // Tickets are found by their order (the key); the ticket id must agree as well.
        var stranger = app.Services.GetRequiredService<ConcertTicket.Tickets.TicketCode>()
            .Sign(new ConcertTicket.Tickets.TicketClaims(Guid.NewGuid(), orderId, "c", "VIP", 1, 1, DateTimeOffset.UtcNow));

        var refused = await CheckInAsync(app, stranger);
        Assert.Equal(HttpStatusCode.NotFound, refused.StatusCode);
        Assert.Equal("unknown_ticket", await TestApp.ProblemCodeAsync(refused));
        var batch = await BatchAsync(app, [new { code = stranger, gate = "south", scanned_at = DateTimeOffset.UtcNow }]);
        Assert.Equal("unknown_ticket", batch[0].GetProperty("result").GetString());

        Assert.Equal(HttpStatusCode.OK, (await CheckInAsync(app, code)).StatusCode);
    }

    [Fact]
    public async Task Sixteen_gates_scanning_one_ticket_at_once_admit_it_once()
    {
        var category = await Sale.CreateCategoryAsync(stack.DataSource, seats: 1, TicketSale.Price);
        await using var app = await TestApp.StartAsync(stack);
        var (_, _, code) = await TicketSale.PaidAsync(app, category);

        using var start = new ManualResetEventSlim();
        var scans = Enumerable.Range(0, 16).Select(i => Task.Run(async () =>
        {
            start.Wait();
            return await CheckInAsync(app, code, i % 2 == 0 ? LiveServers.NorthGateToken : LiveServers.SouthGateToken);
        })).ToList();
        start.Set();
        var statuses = (await Task.WhenAll(scans)).Select(r => r.StatusCode).ToList();

        Assert.Equal(1, statuses.Count(s => s == HttpStatusCode.OK));
        Assert.Equal(15, statuses.Count(s => s == HttpStatusCode.Conflict));
    }

    [Fact]
    public async Task A_revoked_ticket_is_refused_with_410()
    {
        var category = await Sale.CreateCategoryAsync(stack.DataSource, seats: 1, TicketSale.Price);
        await using var app = await TestApp.StartAsync(stack);
        var (orderId, _, code) = await TicketSale.PaidAsync(app, category);
        Assert.Equal(HttpStatusCode.OK, (await Callbacks.PostAsync(app, orderId, "refund", TicketSale.Price)).StatusCode);

        var response = await CheckInAsync(app, code);
        Assert.Equal(HttpStatusCode.Gone, response.StatusCode);
        Assert.Equal("ticket_revoked", await TestApp.ProblemCodeAsync(response));
        var batch = await BatchAsync(app, [new { code, gate = "north", scanned_at = "2026-12-01T19:00:00Z" }]);
        Assert.Equal("ticket_revoked", batch[0].GetProperty("result").GetString());
    }

    [Fact]
    public async Task Uploaded_scans_each_get_a_result_and_the_earliest_scan_wins()
    {
        var category = await Sale.CreateCategoryAsync(stack.DataSource, seats: 3, TicketSale.Price);
        await using var app = await TestApp.StartAsync(stack);
        var (_, _, a) = await TicketSale.PaidAsync(app, category);
        var (_, _, b) = await TicketSale.PaidAsync(app, category);

        // b was admitted online first; the offline scanner at the south gate saw it earlier.
        Assert.Equal(HttpStatusCode.OK, (await CheckInAsync(app, b)).StatusCode);
        object[] scans =
        [
            new { code = a, gate = "south", scanned_at = "2020-01-01T19:05:00+07:00" },
            new { code = a, gate = "north", scanned_at = "2020-01-01T19:01:00+07:00" },
            new { code = "not-a-ticket", gate = "south", scanned_at = "2020-01-01T19:02:00+07:00" },
            new { code = b, gate = "south", scanned_at = "2020-01-01T19:00:00+07:00" },
        ];
        var results = await BatchAsync(app, scans);

        Assert.Equal(["already_checked_in", "admitted", "invalid_ticket", "admitted"],
            results.EnumerateArray().Select(r => r.GetProperty("result").GetString()));
        Assert.Equal([0, 1, 2, 3], results.EnumerateArray().Select(r => r.GetProperty("index").GetInt32()));
        Assert.Equal("north", results[0].GetProperty("gate").GetString());
        Assert.Equal(DateTimeOffset.Parse("2020-01-01T12:01:00Z", System.Globalization.CultureInfo.InvariantCulture),
            results[0].GetProperty("checked_in_at").GetDateTimeOffset());
        var ticketB = (await TestApp.JsonAsync(await app.Client.GetAsync($"/tickets/{b}"))).GetProperty("data");
        Assert.Equal("south", ticketB.GetProperty("checked_in_gate").GetString());

        // The same upload again (a retry after a lost answer) gives the same answers.
        var retried = await BatchAsync(app, scans);
        Assert.Equal(results.EnumerateArray().Select(r => r.GetProperty("result").GetString()),
            retried.EnumerateArray().Select(r => r.GetProperty("result").GetString()));

        // A later scan never replaces an earlier one.
        var late = await BatchAsync(app, [new { code = a, gate = "south", scanned_at = "2020-01-01T20:00:00+07:00" }]);
        Assert.Equal("already_checked_in", late[0].GetProperty("result").GetString());
        Assert.Equal("north", late[0].GetProperty("gate").GetString());
    }

    [Fact]
    public async Task A_batch_with_a_malformed_scan_or_an_unknown_gate_is_validation_failed()
    {
        await using var app = await TestApp.StartAsync(stack);
        foreach (var scans in new object[][]
        {
            [new { code = "x", gate = "nowhere", scanned_at = "2026-12-01T19:00:00Z" }],
            [new { code = "x", scanned_at = "yesterday" }],
            [],
        })
        {
            var request = new HttpRequestMessage(HttpMethod.Post, "/checkin/batch") { Content = JsonContent.Create(new { scans }) };
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", LiveServers.NorthGateToken);
            var response = await app.Client.SendAsync(request);
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            Assert.Equal("validation_failed", await TestApp.ProblemCodeAsync(response));
        }
    }
}
