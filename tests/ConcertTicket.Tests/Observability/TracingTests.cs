using System.Diagnostics;
using System.Net;
using System.Text;
using ConcertTicket.Expiry;
using ConcertTicket.Payments;
using ConcertTicket.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using OpenTelemetry.Trace;

namespace ConcertTicket.Tests.Observability;

[Collection(LiveServersGroup.Name)]
public sealed class TracingTests(LiveServers stack)
{
    [Fact]
    public async Task One_order_yields_one_connected_trace_from_the_request_through_sql_to_the_gateway()
    {
        var category = await Sale.CreateCategoryAsync(stack.DataSource, seats: 5);
        var spans = new SpanCollection();
        await using var app = await Harness.StartTracedAsync(stack, spans);
        var email = Sale.Email();
        var key = "key-" + Guid.NewGuid().ToString("N");

        var orderId = await Harness.CreatedOrderIdAsync(await app.Client.SendAsync(
            Harness.OrderRequest(email, category, Harness.NewTraceparent(out var traceId), key)));

        var trace = (await spans.WaitForAsync(s => s.Any(IsServer))).Where(s => s.TraceId == traceId).ToList();
        var server = Assert.Single(trace, IsServer);
        Assert.Equal("/orders/", server.GetTagItem("http.route"));
        var create = Assert.Single(trace, s => s.OperationName == "orders.create");
        var claim = Assert.Single(trace, s => s.OperationName == "seat.claim");
        var charge = Assert.Single(trace, s => s.OperationName == "gateway.charge");
        Assert.Equal(server.SpanId, create.ParentSpanId);
        Assert.Equal(create.SpanId, claim.ParentSpanId);
        Assert.Equal(create.SpanId, charge.ParentSpanId);
        Assert.Contains(trace, s => s.Source.Name == "Npgsql" && s.ParentSpanId == claim.SpanId);
        // The VA is recorded after the charge: the order waits in a span of its own while a batch writes it, in the
        // batch's own trace, which links back to that span.
        var record = Assert.Single(trace, s => s.OperationName == "virtual_account.record");
        Assert.Equal(create.SpanId, record.ParentSpanId);
        var all = await spans.WaitForAsync(s => s.Any(x => WritesFor(x, record)));
        var write = Assert.Single(all, x => WritesFor(x, record));
        Assert.NotEqual(traceId, write.TraceId);
        Assert.Equal(1, write.GetTagItem("db.operation.batch.size"));
        Assert.Contains(all, s => s.Source.Name == "Npgsql" && s.ParentSpanId == write.SpanId);

        Assert.Equal(orderId, create.GetTagItem("order.id"));
        Assert.Equal(category, create.GetTagItem("order.category_id"));
        Assert.Equal("Created", create.GetTagItem("order.outcome"));
        Assert.Equal(orderId, charge.GetTagItem("order.id"));
        Assert.Equal("success", charge.GetTagItem("gateway.outcome"));
        Assert.Equal(ActivityKind.Client, charge.Kind);

        // No span anywhere carries the fan's email or the idempotency key.
        var values = trace.SelectMany(Harness.AllTags).Select(t => Convert.ToString(t.Value, System.Globalization.CultureInfo.InvariantCulture) ?? "");
        Assert.DoesNotContain(values, v => v.Contains(email, StringComparison.OrdinalIgnoreCase) || v.Contains(key, StringComparison.Ordinal));
        Assert.DoesNotContain(trace, s => s.DisplayName.Contains(email, StringComparison.OrdinalIgnoreCase));
    }

    private static bool WritesFor(Activity span, Activity caller) =>
        span.OperationName == "virtual_accounts.write" && span.Links.Any(l => l.Context.SpanId == caller.SpanId);

    [Fact]
    public async Task The_gateway_call_carries_the_order_trace_context_to_Midtrans()
    {
        var category = await Sale.CreateCategoryAsync(stack.DataSource, seats: 5);
        await using var midtrans = await MidtransStandIn.StartAsync();
        var spans = new SpanCollection();
        await using var app = await Harness.StartTracedAsync(stack, spans, args:
            ["--Payment:Gateway=Midtrans", $"--Payment:Midtrans:BaseUrl={midtrans.BaseUrl}"]);

        await Harness.CreatedOrderIdAsync(await app.Client.SendAsync(
            Harness.OrderRequest(Sale.Email(), category, Harness.NewTraceparent(out var traceId))));

        var received = Assert.Single(midtrans.Requests);
        Assert.Equal("/v2/charge", received.Path);
        var traceparent = received.Headers["traceparent"];
        Assert.StartsWith($"00-{traceId}-", traceparent, StringComparison.Ordinal);
        var trace = await spans.WaitForAsync(s => s.Any(x => x.OperationName == "gateway.charge"));
        var charge = Assert.Single(trace, s => s.OperationName == "gateway.charge");
        var http = Assert.Single(trace, s => s.Source.Name == "System.Net.Http" && s.TraceId == traceId);
        Assert.Equal(charge.SpanId, http.ParentSpanId);
        Assert.Equal($"00-{traceId}-{http.SpanId}-01", traceparent);
        Assert.DoesNotContain("Authorization", http.TagObjects.Select(t => t.Key));
    }

    [Fact]
    public async Task Expiry_and_gateway_void_passes_are_traced_with_their_sql()
    {
        var category = await Sale.CreateCategoryAsync(stack.DataSource, seats: 5);
        var spans = new SpanCollection();
        await using var app = await Harness.StartTracedAsync(stack, spans);
        var orderId = await Harness.CreatedOrderIdAsync(await app.PostOrderAsync(Sale.Email(), category));
        await Sale.ExpireHoldAsync(stack.DataSource, orderId);
        var services = app.Services;

        await new ExpiryWorker(services.GetRequiredService<NpgsqlDataSource>(), TimeProvider.System,
            services.GetRequiredService<ExpiryMetrics>(), NullLogger<ExpiryWorker>.Instance).RunOnceAsync(CancellationToken.None);
        // An expired order's VA expires by itself; a void is queued for cancelled orders, as this one stands for.
        await Sale.ExecuteAsync(stack.DataSource, "INSERT INTO gateway_voids (order_id) VALUES ($1)", orderId);
        await new GatewayVoidWorker(services.GetRequiredService<NpgsqlDataSource>(), services.GetRequiredService<IPaymentGateway>(),
            TimeProvider.System, NullLogger<GatewayVoidWorker>.Instance).RunOnceAsync(CancellationToken.None);

        var all = await spans.WaitForAsync(s => s.Any(x => x.OperationName == "gateway.void.batch"));
        var expiry = Assert.Single(all, s => s.OperationName == "expiry.batch");
        Assert.True((int)expiry.GetTagItem("expiry.count")! >= 1);
        Assert.Contains(all, s => s.Source.Name == "Npgsql" && s.ParentSpanId == expiry.SpanId);
        var batch = Assert.Single(all, s => s.OperationName == "gateway.void.batch");
        var voided = Assert.Single(all, s => s.OperationName == "gateway.void" && Equals(s.GetTagItem("order.id"), orderId));
        Assert.Equal(batch.SpanId, voided.ParentSpanId);
        Assert.Equal("done", voided.GetTagItem("gateway.outcome"));
    }

    [Fact]
    public async Task Sampling_follows_the_ratio_for_new_traces_and_the_caller_for_continued_ones()
    {
        var category = await Sale.CreateCategoryAsync(stack.DataSource, seats: 5);
        var spans = new SpanCollection();
        await using var app = await Harness.StartTracedAsync(stack, spans, args: ["--Telemetry:SamplingRatio=0"]);

        await Harness.CreatedOrderIdAsync(await app.PostOrderAsync(Sale.Email(), category));
        await Harness.CreatedOrderIdAsync(await app.Client.SendAsync(
            Harness.OrderRequest(Sale.Email(), category, Harness.NewTraceparent(out var traceId))));

        var recorded = await spans.WaitForAsync(s => s.Any(IsServer));
        Assert.Contains(recorded, s => s.OperationName == "orders.create");
        Assert.All(recorded, s => Assert.Equal(traceId, s.TraceId));
    }

    [Fact]
    public async Task Without_an_endpoint_tracing_is_not_registered_at_all()
    {
        await using var app = await TestApp.StartAsync(stack);

        Assert.Null(app.Services.GetService<TracerProvider>());
    }

    [Fact]
    public async Task With_an_http_protobuf_endpoint_spans_are_exported_to_its_v1_traces_path()
    {
        var category = await Sale.CreateCategoryAsync(stack.DataSource, seats: 5);
        await using var collector = await LoopbackServer.StartOtlpSinkAsync();
        await using var app = await TestApp.StartAsync(stack,
            $"--Telemetry:OtlpEndpoint={collector.BaseUrl}", "--Telemetry:OtlpProtocol=http/protobuf");

        Assert.Equal(HttpStatusCode.Created, (await app.PostOrderAsync(Sale.Email(), category)).StatusCode);
        await Task.Delay(200);
        Assert.True(app.Services.GetRequiredService<TracerProvider>().ForceFlush(10_000));
        // The sink records a request when its body has been read, which can trail the exporter's flush a little.
        for (var i = 0; i < 100 && !collector.Requests.Any(r => r.Path == "/v1/traces"); i++) await Task.Delay(100);

        var exports = collector.Requests.Where(r => r.Path == "/v1/traces").ToList();
        Assert.NotEmpty(exports);
        Assert.All(exports, e => Assert.Equal("application/x-protobuf", e.Headers["Content-Type"]));
        // Protobuf keeps strings as UTF-8 bytes: the span names are in the body as they are.
        var body = string.Concat(exports.Select(e => Encoding.UTF8.GetString(e.Body)));
        Assert.Contains("orders.create", body, StringComparison.Ordinal);
        Assert.Contains("gateway.charge", body, StringComparison.Ordinal);
        Assert.Contains("concert-ticket", body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_check_in_is_a_span_under_the_request_naming_the_ticket_and_the_gate_never_the_code()
    {
        var category = await Sale.CreateCategoryAsync(stack.DataSource, seats: 2, Tickets.TicketSale.Price);
        var spans = new SpanCollection();
        await using var app = await Harness.StartTracedAsync(stack, spans);
        var (_, _, code) = await Tickets.TicketSale.PaidAsync(app, category);

        var scan = new HttpRequestMessage(HttpMethod.Post, "/checkin") { Content = System.Net.Http.Json.JsonContent.Create(new { code }) };
        scan.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", LiveServers.NorthGateToken);
        scan.Headers.Add("traceparent", Harness.NewTraceparent(out var traceId));
        Assert.Equal(HttpStatusCode.OK, (await app.Client.SendAsync(scan)).StatusCode);

        var trace = (await spans.WaitForAsync(s => s.Any(x => x.TraceId == traceId && IsServer(x)))).Where(s => s.TraceId == traceId).ToList();
        var server = Assert.Single(trace, IsServer);
        var admit = Assert.Single(trace, s => s.OperationName == "checkin.admit");
        Assert.Equal(server.SpanId, admit.ParentSpanId);
        Assert.Equal("north", admit.GetTagItem("checkin.gate"));
        Assert.Equal("Admitted", admit.GetTagItem("checkin.outcome"));
        Assert.NotNull(admit.GetTagItem("ticket.id"));
        Assert.Contains(trace, s => s.Source.Name == "Npgsql" && s.ParentSpanId == admit.SpanId);
        var values = trace.SelectMany(Harness.AllTags).Select(t => Convert.ToString(t.Value, System.Globalization.CultureInfo.InvariantCulture) ?? "");
        Assert.DoesNotContain(values, v => v.Contains(code.Split('.')[2], StringComparison.Ordinal));
    }

    private static bool IsServer(Activity span) => span.Kind == ActivityKind.Server && span.Source.Name == "Microsoft.AspNetCore";
}
