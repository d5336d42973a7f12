using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using ConcertTicket.Expiry;
using ConcertTicket.Orders;
using ConcertTicket.Payments;
using ConcertTicket.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;

namespace ConcertTicket.Tests.Payments;

/// <summary>The Midtrans gateway over real HTTP against a local stand-in that answers as Midtrans documents.</summary>
[Collection(LiveServersGroup.Name)]
public sealed class MidtransGatewayTests(LiveServers stack)
{
    private async Task<(MidtransStandIn Midtrans, TestApp App, int Category)> StartAsync(long price = 3_800_000, params string[] extra)
    {
        var midtrans = await MidtransStandIn.StartAsync();
        var category = await Sale.CreateCategoryAsync(stack.DataSource, seats: 3, price);
        var app = await TestApp.StartAsync(stack,
        [
            "--Payment:Gateway=Midtrans", $"--Payment:Midtrans:BaseUrl={midtrans.BaseUrl}",
            "--Payment:Midtrans:TimeoutSeconds=1", "--Payment:ServerKey=SB-Mid-server-abc123cde456",
            "--Order:HoldSeconds=900", .. extra,
        ]);
        return (midtrans, app, category);
    }

    [Fact]
    public async Task The_charge_is_the_documented_bank_transfer_request_and_its_va_number_is_returned()
    {
        var (midtrans, app, category) = await StartAsync(price: 3_800_000);
        await using var _ = midtrans;
        await using var __ = app;

        var response = await app.PostOrderAsync(Sale.Email(), category);

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var data = (await TestApp.JsonAsync(response)).GetProperty("data");
        Assert.Equal("812785002530231", data.GetProperty("va_code").GetString());
        var request = Assert.Single(midtrans.Requests);
        Assert.Equal("POST", request.Method);
        Assert.Equal("/v2/charge", request.Path);
        Assert.Equal("Basic U0ItTWlkLXNlcnZlci1hYmMxMjNjZGU0NTY6", request.Headers["Authorization"]);
        Assert.Contains("application/json", request.Headers["Accept"], StringComparison.Ordinal);
        Assert.StartsWith("application/json", request.Headers["Content-Type"], StringComparison.Ordinal);
        Assert.Equal(Encoding.UTF8.GetByteCount(request.Body), long.Parse(request.Headers["Content-Length"], CultureInfo.InvariantCulture));
        Assert.False(request.Headers.TryGetValue("Transfer-Encoding", out var encoding), $"Transfer-Encoding: {encoding}");
        Assert.Equal(data.GetProperty("id").GetString(), request.Headers["Idempotency-Key"]);
        var body = JsonDocument.Parse(request.Body).RootElement;
        Assert.Equal("bank_transfer", body.GetProperty("payment_type").GetString());
        Assert.Equal(data.GetProperty("id").GetString(), body.GetProperty("transaction_details").GetProperty("order_id").GetString());
        Assert.Equal(JsonValueKind.Number, body.GetProperty("transaction_details").GetProperty("gross_amount").ValueKind);
        Assert.Equal(3_800_000, body.GetProperty("transaction_details").GetProperty("gross_amount").GetInt64());
        Assert.Equal("bri", body.GetProperty("bank_transfer").GetProperty("bank").GetString());
        var expiry = body.GetProperty("custom_expiry");
        Assert.Equal(900, expiry.GetProperty("expiry_duration").GetInt64());
        Assert.Equal("second", expiry.GetProperty("unit").GetString());
        Assert.Matches(@"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2} \+0700$", expiry.GetProperty("order_time").GetString());
    }

    [Fact]
    public async Task A_permata_charge_reads_the_top_level_permata_va_number()
    {
        var (midtrans, app, category) = await StartAsync(extra: "--Payment:Midtrans:Bank=permata");
        await using var _ = midtrans;
        await using var __ = app;
        midtrans.Answer = r => (200, $$"""
            {"status_code":"201","status_message":"Success, PERMATA VA transaction is successful",
             "transaction_id":"6fd88567-62da-43ff-8fe6-5717e430ffc7","order_id":"{{MidtransStandIn.OrderIdFromBody(r.Body)}}",
             "gross_amount":"3800000.00","payment_type":"bank_transfer","transaction_status":"pending",
             "fraud_status":"accept","permata_va_number":"8562000087926752"}
            """, TimeSpan.Zero);

        var response = await app.PostOrderAsync(Sale.Email(), category);

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        Assert.Equal("8562000087926752", (await TestApp.JsonAsync(response)).GetProperty("data").GetProperty("va_code").GetString());
        Assert.Equal("permata", JsonDocument.Parse(Assert.Single(midtrans.Requests).Body).RootElement
            .GetProperty("bank_transfer").GetProperty("bank").GetString());
    }

    public static TheoryData<string, int> Failures => new()
    {
        { "in-body 406", 502 },
        { "in-body 500", 502 },
        { "HTTP 500", 503 },
        { "HTTP 401", 502 },
        { "not JSON", 502 },
        { "timeout", 503 },
    };

    [Theory]
    [MemberData(nameof(Failures))]
    public async Task A_gateway_failure_answers_payment_unavailable_and_leaves_no_seat_held(string failure, int expectedStatus)
    {
        var (midtrans, app, category) = await StartAsync();
        await using var _ = midtrans;
        await using var __ = app;
        midtrans.Answer = _ => failure switch
        {
            "in-body 406" => (200, """{"status_code":"406","status_message":"The request could not be processed due to duplicate order_id"}""", TimeSpan.Zero),
            "in-body 500" => (200, """{"status_code":"500","status_message":"Sorry, we encountered internal server error. We will fix this soon."}""", TimeSpan.Zero),
            "HTTP 500" => (500, """{"status_code":"500","status_message":"internal server error"}""", TimeSpan.Zero),
            "HTTP 401" => (401, """{"status_code":"401","status_message":"Access denied due to unauthorized transaction"}""", TimeSpan.Zero),
            "not JSON" => (200, "<html>bad gateway</html>", TimeSpan.Zero),
            _ => (200, MidtransStandIn.SuccessBody("late"), TimeSpan.FromSeconds(3)),
        };
        var email = Sale.Email();

        var response = await app.PostOrderAsync(email, category);

        Assert.Equal(expectedStatus, (int)response.StatusCode);
        Assert.Equal("payment_unavailable", await TestApp.ProblemCodeAsync(response));
        Assert.Equal(3, await Sale.FreeSeatsAsync(stack.DataSource, category));
        Assert.Equal("cancelled", await Sale.ScalarAsync<string>(stack.DataSource, "SELECT status FROM orders WHERE email = $1", email));
        // The fan can try again at once.
        midtrans.Answer = r => (200, MidtransStandIn.SuccessBody(MidtransStandIn.OrderIdFromBody(r.Body)), TimeSpan.Zero);
        Assert.Equal(HttpStatusCode.Created, (await app.PostOrderAsync(email, category)).StatusCode);
        await Sale.AssertInvariantsAsync(stack.DataSource);
    }

    [Fact]
    public async Task The_void_worker_asks_midtrans_to_expire_cancelled_orders_and_retries_until_it_is_done()
    {
        var (midtrans, app, category) = await StartAsync();
        await using var _ = midtrans;
        await using var __ = app;
        var created = await app.PostOrderAsync(Sale.Email(), category);
        var orderId = (await TestApp.JsonAsync(created)).GetProperty("data").GetProperty("id").GetGuid();
        // Cancelled, as after a charge that timed out here but may have gone through at Midtrans.
        Assert.True(await app.Services.GetRequiredService<OrderStore>().CancelAsync(orderId, "test", CancellationToken.None));
        var voids = new GatewayVoidWorker(stack.DataSource, app.Services.GetRequiredService<IPaymentGateway>(),
            TimeProvider.System, NullLogger<GatewayVoidWorker>.Instance);

        const string attempts = "SELECT coalesce(max(attempts), -1) FROM gateway_voids WHERE order_id = $1";

        // Other tests' ended orders share the queue: pass until this order's turn has come.
        midtrans.Answer = _ => (503, """{"status_code":"503","status_message":"unavailable"}""", TimeSpan.Zero);
        for (var pass = 0; pass < 100 && await Sale.ScalarAsync<int>(stack.DataSource, attempts, orderId) == 0; pass++)
        {
            await voids.RunOnceAsync(CancellationToken.None);
        }
        Assert.Equal(1, await Sale.ScalarAsync<int>(stack.DataSource, attempts, orderId));

        await Sale.ExecuteAsync(stack.DataSource, "UPDATE gateway_voids SET next_attempt_at = now() WHERE order_id = $1", orderId);
        midtrans.Answer = r => (200, $$"""{"status_code":"407","status_message":"Success, transaction is expired","order_id":"{{orderId}}","transaction_status":"expire"}""", TimeSpan.Zero);
        for (var pass = 0; pass < 100 && await Sale.ScalarAsync<int>(stack.DataSource, attempts, orderId) > 0; pass++)
        {
            await voids.RunOnceAsync(CancellationToken.None);
        }

        Assert.Equal(0, await Sale.ScalarAsync<long>(stack.DataSource, "SELECT count(*) FROM gateway_voids WHERE order_id = $1", orderId));
        Assert.Equal(2, midtrans.Requests.Count(r => r.Path == $"/v2/{orderId}/expire" && r.Method == "POST"));
    }

    [Fact]
    public async Task A_retried_order_whose_first_charge_never_returned_asks_midtrans_again_with_the_same_idempotency_key()
    {
        var (midtrans, app, category) = await StartAsync();
        await using var _ = midtrans;
        await using var __ = app;
        var key = Guid.NewGuid().ToString();
        var email = Sale.Email();
        midtrans.Answer = r => (200, MidtransStandIn.SuccessBody(MidtransStandIn.OrderIdFromBody(r.Body), "11112222333344"), TimeSpan.Zero);
        var first = await app.PostOrderAsync(email, category, key);
        var orderId = (await TestApp.JsonAsync(first)).GetProperty("data").GetProperty("id").GetString();
        // As if the process had died before recording the VA.
        await Sale.ExecuteAsync(stack.DataSource, "UPDATE orders SET va_number = NULL WHERE id = $1", Guid.Parse(orderId!));

        var retry = await app.PostOrderAsync(email, category, key);

        Assert.Equal(HttpStatusCode.Created, retry.StatusCode);
        Assert.Equal("11112222333344", (await TestApp.JsonAsync(retry)).GetProperty("data").GetProperty("va_code").GetString());
        Assert.All(midtrans.Requests, r => Assert.Equal(orderId, r.Headers["Idempotency-Key"]));
        Assert.Equal(2, midtrans.Requests.Count);
        await Sale.AssertInvariantsAsync(stack.DataSource);
    }
}
