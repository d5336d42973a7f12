using System.Net;
using System.Text.Json;
using ConcertTicket.Expiry;
using ConcertTicket.Payments;
using ConcertTicket.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace ConcertTicket.Tests.Observability;

[Collection(LiveServersGroup.Name)]
public sealed class LoggingTests(LiveServers stack)
{
    [Fact]
    public async Task No_log_line_of_orders_callbacks_and_expiry_contains_a_raw_email()
    {
        var category = await Sale.CreateCategoryAsync(stack.DataSource, seats: 2, price: 1_000_000);
        var logs = new CapturedLogs();
        await using var app = await Harness.StartTracedAsync(stack, new SpanCollection(), logs, args: Harness.AllLogs);
        // Mixed case on purpose: the service stores the lower-cased form, and neither may leak.
        string[] emails = [Sale.Email("Paid.Fan"), Sale.Email("Late.Fan"), Sale.Email("Sold.Out")];

        var paid = await Harness.CreatedOrderIdAsync(await app.Client.SendAsync(Harness.OrderRequest(emails[0], category, idempotencyKey: "k-" + Guid.NewGuid())));
        Assert.Equal(HttpStatusCode.Conflict, (await app.PostOrderAsync(emails[0], category)).StatusCode);
        var late = await Harness.CreatedOrderIdAsync(await app.PostOrderAsync(emails[1], category));
        Assert.Equal(HttpStatusCode.Conflict, (await app.PostOrderAsync(emails[2], category)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await Harness.PostCallbackAsync(app, paid, 1_000_000)).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await Harness.PostCallbackAsync(app, late, 1_000_000, signature: new string('0', 128))).StatusCode);
        await Sale.ExpireHoldAsync(stack.DataSource, late);
        await new ExpiryWorker(app.Services.GetRequiredService<NpgsqlDataSource>(), TimeProvider.System,
            app.Services.GetRequiredService<ExpiryMetrics>(), app.Services.GetRequiredService<ILogger<ExpiryWorker>>()).RunOnceAsync(CancellationToken.None);
        Assert.Equal(HttpStatusCode.OK, (await Harness.PostCallbackAsync(app, late, 1_000_000)).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await app.Client.PostAsync("/orders",
            new StringContent($$"""{"email":"{{emails[2]}}","category_id":"x"}""", System.Text.Encoding.UTF8, "application/json"))).StatusCode);

        var lines = logs.Lines;
        Assert.True(lines.Count > 20, $"only {lines.Count} lines were logged");
        foreach (var line in lines)
        {
            using var _ = JsonDocument.Parse(line);
            foreach (var email in emails)
            {
                Assert.DoesNotContain(email, line, StringComparison.OrdinalIgnoreCase);
                Assert.DoesNotContain(email.Split('@')[0], line, StringComparison.OrdinalIgnoreCase);
            }
        }
        // The service's own lines show the masked form.
        Assert.Contains(logs.Entries, e => e.TryGetProperty("event", out var name) && name.GetString() == "OrderPlaced"
            && e.GetProperty("email").GetString() == "p***@example.com");
    }

    [Fact]
    public async Task A_request_log_line_carries_the_incoming_trace_id_and_the_order_fields()
    {
        var category = await Sale.CreateCategoryAsync(stack.DataSource, seats: 2);
        var logs = new CapturedLogs();
        // Tracing off, as in production without a collector: the ids still come from the request's traceparent.
        await using var app = await TestApp.StartAsync(stack, b => b.Logging.AddProvider(logs), "--Logging:LogLevel:ConcertTicket=Information");

        var orderId = await Harness.CreatedOrderIdAsync(await app.Client.SendAsync(
            Harness.OrderRequest(Sale.Email(), category, Harness.NewTraceparent(out var traceId))));

        var placed = Assert.Single(logs.Entries, e => e.TryGetProperty("event", out var name) && name.GetString() == "OrderPlaced");
        Assert.Equal(traceId.ToHexString(), placed.GetProperty("trace_id").GetString());
        Assert.Equal(16, placed.GetProperty("span_id").GetString()!.Length);
        Assert.Equal(orderId.ToString(), placed.GetProperty("order_id").GetString());
        Assert.Equal("created", placed.GetProperty("outcome").GetString());
        Assert.Equal(category, placed.GetProperty("category_id").GetInt32());
        Assert.True(placed.GetProperty("duration_ms").GetDouble() > 0);
        Assert.Equal("/orders", placed.GetProperty("scope").GetProperty("request_path").GetString());
    }

    [Fact]
    public async Task Sold_out_and_duplicate_orders_log_no_error_or_warning()
    {
        var category = await Sale.CreateCategoryAsync(stack.DataSource, seats: 1);
        var logs = new CapturedLogs();
        await using var app = await TestApp.StartAsync(stack, b => b.Logging.AddProvider(logs), Harness.AllLogs);
        var email = Sale.Email();

        await Harness.CreatedOrderIdAsync(await app.PostOrderAsync(email, category));
        Assert.Equal(HttpStatusCode.Conflict, (await app.PostOrderAsync(email, category)).StatusCode);
        Assert.Equal(HttpStatusCode.Conflict, (await app.PostOrderAsync(Sale.Email(), category)).StatusCode);

        Assert.DoesNotContain(logs.Entries, e => e.GetProperty("level").GetString() is "warning" or "error" or "critical");
        Assert.Equal(2, logs.Entries.Count(e => e.TryGetProperty("event", out var name) && name.GetString() == "OrderRejected"
            && e.GetProperty("level").GetString() == "debug"));
    }

    [Fact]
    public async Task An_unhandled_exception_is_logged_as_an_error_with_its_trace_id()
    {
        var category = await Sale.CreateCategoryAsync(stack.DataSource, seats: 1);
        var logs = new CapturedLogs();
        await using var app = await TestApp.StartAsync(stack, b =>
        {
            b.Logging.AddProvider(logs);
            b.Services.AddSingleton<IPaymentGateway, BrokenGateway>();
        });

        var response = await app.Client.SendAsync(Harness.OrderRequest(Sale.Email(), category, Harness.NewTraceparent(out var traceId)));

        Assert.Equal(HttpStatusCode.InternalServerError, response.StatusCode);
        var error = Assert.Single(logs.Entries, e => e.GetProperty("level").GetString() == "error");
        Assert.StartsWith("Microsoft.AspNetCore.Diagnostics", error.GetProperty("category").GetString(), StringComparison.Ordinal);
        Assert.Equal(traceId.ToHexString(), error.GetProperty("trace_id").GetString());
        Assert.Contains("BrokenGateway", error.GetProperty("exception").GetString(), StringComparison.Ordinal);
    }

    private sealed class BrokenGateway : IPaymentGateway
    {
        public Task<ChargeResult> ChargeAsync(ChargeRequest request, CancellationToken ct) =>
            throw new InvalidOperationException("a bug in " + nameof(BrokenGateway));

        public Task<VoidResult> ExpireAsync(Guid orderId, CancellationToken ct) => Task.FromResult(VoidResult.Done);

        public Task<GatewayStatus> GetStatusAsync(Guid orderId, CancellationToken ct) =>
            Task.FromResult(new GatewayStatus(PaymentState.Unknown, null));
    }
}
