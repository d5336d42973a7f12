using System.Globalization;
using System.Net;
using System.Text.RegularExpressions;
using ConcertTicket.Expiry;
using ConcertTicket.Tests.Infrastructure;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using OpenTelemetry.Exporter;

namespace ConcertTicket.Tests.Observability;

[Collection(LiveServersGroup.Name)]
public sealed partial class MetricsTests(LiveServers stack)
{
    [Fact]
    public async Task Order_counters_move_when_orders_are_created_paid_expired_cancelled_and_refunded()
    {
        var category = await Sale.CreateCategoryAsync(stack.DataSource, seats: 5, price: 1_000_000);
        var tiny = await Sale.CreateCategoryAsync(stack.DataSource, seats: 1, price: 1_000_000);
        await using var app = await StartAsync();
        var before = await ScrapeAsync(app);

        var paidEmail = Sale.Email();
        var paid = await Harness.CreatedOrderIdAsync(await app.PostOrderAsync(paidEmail, category));
        Assert.Equal(HttpStatusCode.OK, (await Harness.PostCallbackAsync(app, paid, 1_000_000)).StatusCode);
        Assert.Equal(HttpStatusCode.Conflict, (await app.PostOrderAsync(paidEmail, category)).StatusCode);
        var expired = await Harness.CreatedOrderIdAsync(await app.PostOrderAsync(Sale.Email(), category));
        var cancelled = await Harness.CreatedOrderIdAsync(await app.PostOrderAsync(Sale.Email(), category));
        Assert.Equal(HttpStatusCode.OK, (await Harness.PostCallbackAsync(app, cancelled, 1_000_000, "cancel")).StatusCode);
        // The only seat of `tiny` goes to a second fan after the first one's hold ends; the first one's late money
        // then finds no seat: refund required.
        var late = await Harness.CreatedOrderIdAsync(await app.PostOrderAsync(Sale.Email(), tiny));
        await Sale.ExpireHoldAsync(stack.DataSource, expired);
        await Sale.ExpireHoldAsync(stack.DataSource, late);
        await ExpireAsync(app);
        await Harness.CreatedOrderIdAsync(await app.PostOrderAsync(Sale.Email(), tiny));
        Assert.Equal(HttpStatusCode.OK, (await Harness.PostCallbackAsync(app, late, 1_000_000)).StatusCode);
        Assert.Equal("refund_required", await Sale.StatusAsync(stack.DataSource, late));

        var after = await ScrapeAsync(app);
        var c = category.ToString(CultureInfo.InvariantCulture);
        var t = tiny.ToString(CultureInfo.InvariantCulture);
        Assert.Equal(3, after.Sum("concert_ticket_orders_created_total", ("category_id", c)));
        Assert.Equal(2, after.Sum("concert_ticket_orders_created_total", ("category_id", t)));
        Assert.Equal(1, after.Sum("concert_ticket_orders_paid_total", ("category_id", c), ("late", "false")));
        Assert.Equal(1, after.Sum("concert_ticket_orders_expired_total", ("category_id", c)));
        Assert.Equal(1, after.Sum("concert_ticket_orders_expired_total", ("category_id", t)));
        Assert.Equal(1, after.Sum("concert_ticket_orders_cancelled_total", ("category_id", c), ("reason", "gateway_cancel")));
        Assert.Equal(1, after.Sum("concert_ticket_orders_refund_required_total", ("category_id", t)));
        Assert.Equal(5, after.Delta(before, "concert_ticket_orders_placements_total", ("outcome", "created")));
        Assert.Equal(1, after.Delta(before, "concert_ticket_orders_placements_total", ("outcome", "already_ordered")));
        // ExpireHoldAsync put the deadlines a second in the past.
        Assert.True(after.Sum("concert_ticket_expiry_lag_seconds") >= 1, after.Text);
        Assert.True(after.Sum("concert_ticket_expiry_passes_total") >= 1);
    }

    [Fact]
    public async Task Http_request_duration_is_labelled_with_the_route_template_and_status()
    {
        await using var app = await StartAsync();
        var id = Guid.NewGuid();

        Assert.Equal(HttpStatusCode.NotFound, (await app.Client.GetAsync($"/orders/{id}")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await app.Client.GetAsync("/categories")).StatusCode);

        var metrics = await ScrapeAsync(app);
        Assert.Equal(1, metrics.Sum("http_server_request_duration_seconds_count",
            ("http_route", "/orders/{id}"), ("http_response_status_code", "404"), ("http_request_method", "GET")));
        Assert.Equal(1, metrics.Sum("http_server_request_duration_seconds_bucket",
            ("http_route", "/categories"), ("http_response_status_code", "200"), ("le", "+Inf")));
        Assert.DoesNotContain(id.ToString(), metrics.Text, StringComparison.Ordinal);
        Assert.True(metrics.Has("dotnet_gc_collections_total") || metrics.Has("dotnet_process_cpu_count"), "runtime metrics");
    }

    [Fact]
    public async Task Seat_gauges_report_free_and_held_seats_per_category()
    {
        var category = await Sale.CreateCategoryAsync(stack.DataSource, seats: 4);
        await using var app = await StartAsync("--Telemetry:SeatsGaugeSeconds=1");
        var label = ("category_id", category.ToString(CultureInfo.InvariantCulture));

        await Harness.CreatedOrderIdAsync(await app.PostOrderAsync(Sale.Email(), category));

        // The counts are renewed in the background after a scrape finds them a period old.
        var metrics = await ScrapeUntilAsync(app, m => m.Sum("concert_ticket_seats_held", label) == 1);
        Assert.Equal(1, metrics.Sum("concert_ticket_seats_held", label));
        Assert.Equal(3, metrics.Sum("concert_ticket_seats_free", label));
    }

    [Fact]
    public async Task Seat_gauges_are_on_the_first_scrape_after_start()
    {
        var category = await Sale.CreateCategoryAsync(stack.DataSource, seats: 3);
        await using var app = await StartAsync();
        var label = ("category_id", category.ToString(CultureInfo.InvariantCulture));

        var first = await ScrapeAsync(app);

        Assert.Equal(3, first.Sum("concert_ticket_seats_free", label));
        Assert.True(first.Has("concert_ticket_seats_held"), "seats held on the first scrape");
    }

    [Fact]
    public async Task Gateway_latency_and_failures_are_measured_by_operation_and_reason()
    {
        var category = await Sale.CreateCategoryAsync(stack.DataSource, seats: 4);
        await using var app = await StartAsync("--Payment:Fake:FailureRate=1");

        Assert.Equal(HttpStatusCode.BadGateway, (await app.PostOrderAsync(Sale.Email(), category)).StatusCode);

        var metrics = await ScrapeAsync(app);
        Assert.Equal(1, metrics.Sum("concert_ticket_payment_gateway_failures_total", ("operation", "charge"), ("reason", "rejected")));
        Assert.Equal(1, metrics.Sum("concert_ticket_payment_gateway_duration_seconds_count", ("operation", "charge"), ("outcome", "rejected")));
        Assert.Equal(1, metrics.Sum("concert_ticket_orders_cancelled_total",
            ("category_id", category.ToString(CultureInfo.InvariantCulture)), ("reason", "charge_failed")));
        Assert.Equal(1, metrics.Sum("concert_ticket_orders_placements_total", ("outcome", "payment_unavailable")));
    }

    [Fact]
    public async Task The_age_of_the_served_categories_answer_is_a_gauge()
    {
        await using var app = await StartAsync();
        Assert.False((await ScrapeAsync(app)).Has("concert_ticket_categories_cache_age_seconds"));

        Assert.Equal(HttpStatusCode.OK, (await app.Client.GetAsync("/categories")).StatusCode);

        var age = (await ScrapeAsync(app)).Sum("concert_ticket_categories_cache_age_seconds");
        Assert.InRange(age, 0, 60);
    }

    [Fact]
    public async Task With_metrics_off_there_is_no_metrics_endpoint()
    {
        await using var app = await TestApp.StartAsync(stack, "--Telemetry:Metrics=false");

        Assert.Equal(HttpStatusCode.NotFound, (await app.Client.GetAsync("/metrics")).StatusCode);
    }

    private Task<TestApp> StartAsync(params string[] args) => TestApp.StartAsync(stack,
        builder => builder.Services.Configure<PrometheusAspNetCoreOptions>(o => o.ScrapeResponseCacheDurationMilliseconds = 0), args);

    private static async Task ExpireAsync(TestApp app)
    {
        var worker = new ExpiryWorker(app.Services.GetRequiredService<NpgsqlDataSource>(), TimeProvider.System,
            app.Services.GetRequiredService<ExpiryMetrics>(), NullLogger<ExpiryWorker>.Instance);
        while ((await worker.RunOnceAsync(CancellationToken.None)).Count == ExpiryWorker.BatchSize)
        {
        }
    }

    private static async Task<Scrape> ScrapeAsync(TestApp app)
    {
        var response = await app.Client.GetAsync("/metrics");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/plain", response.Content.Headers.ContentType?.MediaType);
        return new Scrape(await response.Content.ReadAsStringAsync());
    }

    private static async Task<Scrape> ScrapeUntilAsync(TestApp app, Func<Scrape, bool> done)
    {
        var deadline = DateTime.UtcNow.AddSeconds(15);
        while (true)
        {
            var scrape = await ScrapeAsync(app);
            if (done(scrape) || DateTime.UtcNow > deadline) return scrape;
            await Task.Delay(200);
        }
    }

    /// <summary>A Prometheus text exposition, read line by line.</summary>
    private sealed partial class Scrape(string text)
    {
        public string Text => text;

        public bool Has(string name) => Series(name).Any();

        /// <summary>The sum of the series named <paramref name="name"/> that carry all the given labels.</summary>
        public double Sum(string name, params (string Key, string Value)[] labels) =>
            Series(name).Where(s => labels.All(l => s.Labels.TryGetValue(l.Key, out var v) && v == l.Value)).Sum(s => s.Value);

        public double Delta(Scrape before, string name, params (string Key, string Value)[] labels) =>
            Sum(name, labels) - before.Sum(name, labels);

        private IEnumerable<(Dictionary<string, string> Labels, double Value)> Series(string name)
        {
            foreach (var line in text.Split('\n'))
            {
                if (line.Length == 0 || line[0] == '#') continue;
                var brace = line.IndexOf('{', StringComparison.Ordinal);
                var space = line.LastIndexOf(' ');
                var seriesName = brace >= 0 ? line[..brace] : line[..space];
                if (seriesName != name) continue;
                var labels = brace < 0
                    ? []
                    : LabelPattern().Matches(line[brace..space]).ToDictionary(m => m.Groups[1].Value, m => m.Groups[2].Value);
                yield return (labels, double.Parse(line[(space + 1)..], NumberStyles.Float, CultureInfo.InvariantCulture));
            }
        }

        [GeneratedRegex(@"(\w+)=""((?:[^""\\]|\\.)*)""")]
        private static partial Regex LabelPattern();
    }
}
