using System.Net;
using ConcertTicket.Tests.Infrastructure;

namespace ConcertTicket.Tests.Reconciliation;

/// <summary>Payment:Midtrans:VerifyNotifications: a settlement is confirmed with the stand-in's status API first.</summary>
[Collection(LiveServersGroup.Name)]
public sealed class NotificationVerificationTests(LiveServers stack)
{
    private const string Key = "SB-Mid-server-abc123cde456";

    private async Task<(MidtransStandIn Midtrans, TestApp App, int Category)> StartAsync()
    {
        var midtrans = await MidtransStandIn.StartAsync();
        midtrans.ServerKey = Key;
        var category = await Sale.CreateCategoryAsync(stack.DataSource, seats: 3, price: 1_000_000);
        var app = await TestApp.StartAsync(stack,
            "--Payment:Gateway=Midtrans", $"--Payment:Midtrans:BaseUrl={midtrans.BaseUrl}",
            "--Payment:Midtrans:TimeoutSeconds=1", $"--Payment:ServerKey={Key}");
        midtrans.Notifications = app.Client;
        return (midtrans, app, category);
    }

    private static async Task<Guid> OrderAsync(TestApp app, int category)
    {
        var response = await app.PostOrderAsync(Sale.Email(), category);
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return (await TestApp.JsonAsync(response)).GetProperty("data").GetProperty("id").GetGuid();
    }

    [Fact]
    public async Task A_forged_but_well_signed_settlement_that_midtrans_does_not_confirm_pays_nothing()
    {
        var (midtrans, app, category) = await StartAsync();
        await using var _ = midtrans;
        await using var __ = app;
        var pending = await OrderAsync(app, category);
        var unknown = await OrderAsync(app, category);
        midtrans.Forget(unknown);

        foreach (var id in new[] { pending, unknown })
        {
            var response = await Callbacks.PostAsync(app, Callbacks.Notification(id, "settlement", 1_000_000, key: Key));
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            var data = (await TestApp.JsonAsync(response)).GetProperty("data");
            Assert.Equal("pending", data.GetProperty("status").GetString());
            Assert.False(data.GetProperty("changed").GetBoolean());
            Assert.Equal("pending", await Sale.StatusAsync(stack.DataSource, id));
        }
        Assert.Contains(midtrans.Requests, r => r.Method == "GET" && r.Path == $"/v2/{unknown}/status");
        await Sale.AssertInvariantsAsync(stack.DataSource);
    }

    [Fact]
    public async Task A_settlement_midtrans_confirms_pays_the_order()
    {
        var (midtrans, app, category) = await StartAsync();
        await using var _ = midtrans;
        await using var __ = app;
        var order = await OrderAsync(app, category);

        Assert.Equal(200, await midtrans.PayAsync(order));

        Assert.Equal("paid", await Sale.StatusAsync(stack.DataSource, order));
        await Sale.AssertInvariantsAsync(stack.DataSource);
    }

    [Fact]
    public async Task With_midtrans_unreachable_the_settlement_is_answered_503_and_paid_when_midtrans_sends_it_again()
    {
        var (midtrans, app, category) = await StartAsync();
        await using var _ = midtrans;
        await using var __ = app;
        var order = await OrderAsync(app, category);
        midtrans.Mode = GatewayMode.Drop;

        var first = await midtrans.PayAsync(order);

        Assert.Equal(503, first);
        Assert.Equal("pending", await Sale.StatusAsync(stack.DataSource, order));
        midtrans.Mode = GatewayMode.Normal;
        Assert.Equal(200, await midtrans.PayAsync(order));
        Assert.Equal("paid", await Sale.StatusAsync(stack.DataSource, order));
        await Sale.AssertInvariantsAsync(stack.DataSource);
    }
}
