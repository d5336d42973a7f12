using System.Net;
using System.Text.Json;
using ConcertTicket.Tests.Infrastructure;
using ConcertTicket.Tickets;
using Microsoft.Extensions.DependencyInjection;

namespace ConcertTicket.Tests.Tickets;

[Collection(LiveServersGroup.Name)]
public sealed class TicketTests(LiveServers stack)
{
    [Fact]
    public async Task A_paid_order_has_one_ticket_whose_code_verifies_offline_and_stays_the_same()
    {
        var category = await Sale.CreateCategoryAsync(stack.DataSource, seats: 3, TicketSale.Price);
        await using var app = await TestApp.StartAsync(stack);
        var email = Sale.Email();
        var orderId = await TicketSale.OrderAsync(app, category, email);

        var pending = (await TestApp.JsonAsync(await app.Client.GetAsync($"/orders/{orderId}"))).GetProperty("data");
        Assert.Equal(JsonValueKind.Null, pending.GetProperty("ticket").ValueKind);
        Assert.Equal(0L, await Sale.ScalarAsync<long>(stack.DataSource, "SELECT count(*) FROM tickets WHERE order_id = $1", orderId));

        Assert.Equal(HttpStatusCode.OK, (await Callbacks.PostAsync(app, orderId, "settlement", TicketSale.Price)).StatusCode);
        var code = await TicketSale.CodeAsync(app, orderId);
        Assert.Equal(code, await TicketSale.CodeAsync(app, orderId));
        Assert.Equal(1L, await Sale.ScalarAsync<long>(stack.DataSource, "SELECT count(*) FROM tickets WHERE order_id = $1", orderId));
        // Its row is also the e-mail's outbox entry, due at once.
        Assert.True(await Sale.ScalarAsync<bool>(stack.DataSource,
            "SELECT email_sent_at IS NULL AND email_next_attempt_at <= now() FROM tickets WHERE order_id = $1", orderId));

        var keys = await TestApp.JsonAsync(await app.Client.GetAsync("/tickets/public-key"));
        Assert.True(TicketSale.VerifiesWith(keys, code));
        var payload = TicketSale.Payload(code);
        Assert.Equal(orderId, payload.GetProperty("oid").GetGuid());
        Assert.Equal(1, payload.GetProperty("row").GetInt32());
        Assert.Equal(1, payload.GetProperty("column").GetInt32());
        Assert.StartsWith("TEST ", payload.GetProperty("category").GetString(), StringComparison.Ordinal);
        Assert.True(payload.TryGetProperty("concert", out _) && payload.TryGetProperty("iat", out _));

        var ticket = (await TestApp.JsonAsync(await app.Client.GetAsync($"/tickets/{code}"))).GetProperty("data");
        Assert.Equal(payload.GetProperty("tid").GetGuid(), ticket.GetProperty("ticket_id").GetGuid());
        Assert.Equal("valid", ticket.GetProperty("status").GetString());
        Assert.Equal(email[0] + "***@example.com", ticket.GetProperty("holder").GetString());
        Assert.Equal(JsonValueKind.Null, ticket.GetProperty("checked_in_at").ValueKind);
        await Sale.AssertInvariantsAsync(stack.DataSource);
    }

    [Fact]
    public async Task A_browser_following_the_e_mails_link_gets_the_ticket_as_a_page_and_api_clients_keep_the_json()
    {
        var category = await Sale.CreateCategoryAsync(stack.DataSource, seats: 2, TicketSale.Price);
        await using var app = await TestApp.StartAsync(stack);
        var (_, email, code) = await TicketSale.PaidAsync(app, category);

        var asBrowser = new HttpRequestMessage(HttpMethod.Get, $"/tickets/{code}");
        asBrowser.Headers.TryAddWithoutValidation("Accept", "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8");
        var page = await app.Client.SendAsync(asBrowser);
        var html = await page.Content.ReadAsStringAsync();
        var asApi = new HttpRequestMessage(HttpMethod.Get, $"/tickets/{code}");
        asApi.Headers.TryAddWithoutValidation("Accept", "*/*");
        var json = await app.Client.SendAsync(asApi);

        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Equal("text/html", page.Content.Headers.ContentType?.MediaType);
        Assert.Contains("default-src 'none'", page.Headers.GetValues("Content-Security-Policy").Single(), StringComparison.Ordinal);
        Assert.Contains($"src=\"/tickets/{code}/qr.svg\"", html, StringComparison.Ordinal);
        Assert.Contains("row 1, seat 1", html, StringComparison.Ordinal);
        Assert.Contains("data-ticket-status=\"valid\"", html, StringComparison.Ordinal);
        Assert.Contains(email[0] + "***@example.com", html, StringComparison.Ordinal);
        Assert.DoesNotContain(email, html, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("<script", html, StringComparison.OrdinalIgnoreCase);
        Assert.Equal("application/json", json.Content.Headers.ContentType?.MediaType);
        Assert.Equal("valid", (await TestApp.JsonAsync(json)).GetProperty("data").GetProperty("status").GetString());
    }

    [Fact]
    public async Task A_tampered_code_is_invalid_ticket_and_a_well_signed_unknown_one_is_unknown_ticket()
    {
        var category = await Sale.CreateCategoryAsync(stack.DataSource, seats: 2, TicketSale.Price);
        await using var app = await TestApp.StartAsync(stack);
        var (orderId, _, code) = await TicketSale.PaidAsync(app, category);

        // One byte of the payload changed: the row, from 1 to 2.
        var parts = code.Split('.');
        var payload = System.Text.Encoding.UTF8.GetString(TicketSale.Base64UrlDecode(parts[1])).Replace("\"row\":1", "\"row\":2", StringComparison.Ordinal);
        var tampered = parts[0] + "." + System.Buffers.Text.Base64Url.EncodeToString(System.Text.Encoding.UTF8.GetBytes(payload)) + "." + parts[2];
        Assert.NotEqual(code, tampered);
        foreach (var bad in new[] { tampered, "not-a-ticket", code[..^2] + (code[^2] == 'A' ? "BB" : "AA"), "a.b.c" })
        {
            var response = await app.Client.GetAsync($"/tickets/{Uri.EscapeDataString(bad)}");
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            Assert.Equal("invalid_ticket", await TestApp.ProblemCodeAsync(response));
            Assert.Equal(HttpStatusCode.BadRequest, (await app.Client.GetAsync($"/tickets/{Uri.EscapeDataString(bad)}/qr.png")).StatusCode);
        }

        var signer = app.Services.GetRequiredService<TicketCode>();
        var stranger = signer.Sign(new TicketClaims(Guid.NewGuid(), orderId, "c", "VIP", 1, 1, DateTimeOffset.UtcNow));
        var unknown = await app.Client.GetAsync($"/tickets/{stranger}");
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        Assert.Equal("unknown_ticket", await TestApp.ProblemCodeAsync(unknown));
    }

    [Fact]
    public async Task The_QR_images_carry_the_code()
    {
        var category = await Sale.CreateCategoryAsync(stack.DataSource, seats: 1, TicketSale.Price);
        await using var app = await TestApp.StartAsync(stack);
        var (_, _, code) = await TicketSale.PaidAsync(app, category);

        var png = await app.Client.GetAsync($"/tickets/{code}/qr.png");
        Assert.Equal(HttpStatusCode.OK, png.StatusCode);
        Assert.Equal("image/png", png.Content.Headers.ContentType?.MediaType);
        Assert.Equal(code, TicketSale.DecodeQr(await png.Content.ReadAsByteArrayAsync()));

        var svg = await app.Client.GetAsync($"/tickets/{code}/qr.svg");
        Assert.Equal("image/svg+xml", svg.Content.Headers.ContentType?.MediaType);
        Assert.Contains("<svg", await svg.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task After_a_key_rotation_old_tickets_verify_while_their_key_is_listed()
    {
        var category = await Sale.CreateCategoryAsync(stack.DataSource, seats: 2, TicketSale.Price);
        var oldKey = LiveServers.NewTicketKey();
        var newKey = LiveServers.NewTicketKey();
        string oldCode;
        await using (var before = await TestApp.StartAsync(stack, $"--Tickets:SigningKey={oldKey}"))
        {
            (_, _, oldCode) = await TicketSale.PaidAsync(before, category);
        }
        using var old = System.Security.Cryptography.ECDsa.Create();
        old.ImportFromPem(oldKey);
        var oldPublic = old.ExportSubjectPublicKeyInfoPem();

        await using (var rotated = await TestApp.StartAsync(stack, $"--Tickets:SigningKey={newKey}", $"--Tickets:PreviousPublicKeys:0={oldPublic}"))
        {
            var keys = await TestApp.JsonAsync(await rotated.Client.GetAsync("/tickets/public-key"));
            Assert.Equal(2, keys.GetProperty("keys").GetArrayLength());
            Assert.True(TicketSale.VerifiesWith(keys, oldCode));
            Assert.Equal(HttpStatusCode.OK, (await rotated.Client.GetAsync($"/tickets/{oldCode}")).StatusCode);
            var (_, _, newCode) = await TicketSale.PaidAsync(rotated, category);
            Assert.NotEqual(TicketSale.Payload(oldCode).GetProperty("tid").GetGuid(), TicketSale.Payload(newCode).GetProperty("tid").GetGuid());
            Assert.NotEqual(oldCode.Split('.')[0], newCode.Split('.')[0]);
            Assert.True(TicketSale.VerifiesWith(keys, newCode));
        }

        await using var forgotten = await TestApp.StartAsync(stack, $"--Tickets:SigningKey={newKey}");
        Assert.Equal(HttpStatusCode.BadRequest, (await forgotten.Client.GetAsync($"/tickets/{oldCode}")).StatusCode);
    }

    [Theory]
    [InlineData("refund")]
    [InlineData("partial_refund")]
    [InlineData("chargeback")]
    public async Task Money_returned_revokes_the_ticket_and_gives_the_seat_back(string transactionStatus)
    {
        var category = await Sale.CreateCategoryAsync(stack.DataSource, seats: 1, TicketSale.Price);
        await using var app = await TestApp.StartAsync(stack);
        var (orderId, _, code) = await TicketSale.PaidAsync(app, category);
        Assert.Equal(0, await Sale.FreeSeatsAsync(stack.DataSource, category));

        var refund = await Callbacks.PostAsync(app, orderId, transactionStatus, TicketSale.Price);
        Assert.Equal(HttpStatusCode.OK, refund.StatusCode);
        var data = (await TestApp.JsonAsync(refund)).GetProperty("data");
        Assert.Equal("refunded", data.GetProperty("status").GetString());
        Assert.True(data.GetProperty("changed").GetBoolean());
        var again = (await TestApp.JsonAsync(await Callbacks.PostAsync(app, orderId, transactionStatus, TicketSale.Price))).GetProperty("data");
        Assert.False(again.GetProperty("changed").GetBoolean());

        Assert.Equal("refunded", await Sale.StatusAsync(stack.DataSource, orderId));
        Assert.Equal(1, await Sale.FreeSeatsAsync(stack.DataSource, category));
        var ticket = (await TestApp.JsonAsync(await app.Client.GetAsync($"/tickets/{code}"))).GetProperty("data");
        Assert.Equal("revoked", ticket.GetProperty("status").GetString());
        var order = (await TestApp.JsonAsync(await app.Client.GetAsync($"/orders/{orderId}"))).GetProperty("data");
        Assert.Equal("refunded", order.GetProperty("status").GetString());
        Assert.Equal(JsonValueKind.Null, order.GetProperty("ticket").ValueKind);

        // The seat is on sale again, and its next ticket has a code of its own.
        var (_, _, next) = await TicketSale.PaidAsync(app, category);
        Assert.NotEqual(code, next);
        await Sale.AssertInvariantsAsync(stack.DataSource);
    }

    [Fact]
    public async Task Late_money_that_gets_a_seat_gets_a_ticket_and_late_money_without_one_does_not()
    {
        var category = await Sale.CreateCategoryAsync(stack.DataSource, seats: 1, TicketSale.Price);
        await using var app = await TestApp.StartAsync(stack);
        var first = await TicketSale.OrderAsync(app, category, Sale.Email());
        await Sale.ExpireHoldAsync(stack.DataSource, first);
        await Workers.Expiry(stack.DataSource).RunOnceAsync(CancellationToken.None);
        var second = await TicketSale.OrderAsync(app, category, Sale.Email());
        await Sale.ExpireHoldAsync(stack.DataSource, second);
        await Workers.Expiry(stack.DataSource).RunOnceAsync(CancellationToken.None);

        await Callbacks.PostAsync(app, first, "settlement", TicketSale.Price);
        await Callbacks.PostAsync(app, second, "settlement", TicketSale.Price);

        Assert.Equal("paid", await Sale.StatusAsync(stack.DataSource, first));
        Assert.Equal("refund_required", await Sale.StatusAsync(stack.DataSource, second));
        Assert.NotNull(await TicketSale.CodeAsync(app, first));
        Assert.Equal(0L, await Sale.ScalarAsync<long>(stack.DataSource, "SELECT count(*) FROM tickets WHERE order_id = $1", second));
        await Sale.AssertInvariantsAsync(stack.DataSource);
    }
}
