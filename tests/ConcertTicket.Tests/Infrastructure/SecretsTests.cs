using System.Net;
using System.Text;
using ConcertTicket.Tests.Infrastructure;
using Microsoft.Extensions.Logging;

namespace ConcertTicket.Tests.Infrastructure;

[Collection(LiveServersGroup.Name)]
public sealed class SecretsTests(LiveServers stack)
{
    [Fact]
    public async Task The_server_key_never_appears_in_logs_errors_or_responses_even_at_trace_level()
    {
        const string serverKey = "SB-Mid-server-very-secret-9f8e7d";
        var basicAuth = Convert.ToBase64String(Encoding.UTF8.GetBytes(serverKey + ":"));
        await using var midtrans = await MidtransStandIn.StartAsync();
        var logs = new CapturedLogs();
        var category = await Sale.CreateCategoryAsync(stack.DataSource, seats: 3, price: 1_000_000);
        await using var app = await TestApp.StartAsync(stack, b => b.Logging.AddProvider(logs),
            "--Payment:Gateway=Midtrans", $"--Payment:Midtrans:BaseUrl={midtrans.BaseUrl}", $"--Payment:ServerKey={serverKey}",
            "--Logging:LogLevel:Default=Trace", "--Logging:LogLevel:Microsoft=Trace", "--Logging:LogLevel:System=Trace");
        var bodies = new List<string>();

        var created = await app.PostOrderAsync(Sale.Email(), category);
        bodies.Add(await created.Content.ReadAsStringAsync());
        var orderId = (await TestApp.JsonAsync(created)).GetProperty("data").GetProperty("id").GetGuid();
        var signed = Callbacks.Notification(orderId, "settlement", 1_000_000, key: serverKey);
        var forged = Callbacks.Notification(orderId, "settlement", 1_000_000, key: "wrong");
        var mismatch = Callbacks.Notification(orderId, "settlement", 1_000_000, grossAmount: "5.00", key: serverKey);
        foreach (var n in new[] { forged, mismatch, signed })
        {
            bodies.Add(await (await Callbacks.PostAsync(app, n)).Content.ReadAsStringAsync());
        }
        midtrans.Answer = _ => (500, """{"status_code":"500","status_message":"boom"}""", TimeSpan.Zero);
        var failed = await app.PostOrderAsync(Sale.Email(), category);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, failed.StatusCode);
        bodies.Add(await failed.Content.ReadAsStringAsync());
        bodies.Add(await (await app.Client.GetAsync("/openapi/v1.json")).Content.ReadAsStringAsync());

        Assert.NotEmpty(logs.Texts);
        Assert.Contains(midtrans.Requests, r => r.Headers["Authorization"] == "Basic " + basicAuth);
        foreach (var text in logs.Texts.Concat(bodies))
        {
            Assert.DoesNotContain(serverKey, text, StringComparison.Ordinal);
            Assert.DoesNotContain(basicAuth, text, StringComparison.Ordinal);
        }
    }
}
