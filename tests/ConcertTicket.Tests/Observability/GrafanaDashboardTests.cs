using System.Net;
using System.Text.Json;
using System.Text.RegularExpressions;
using ConcertTicket.Expiry;
using ConcertTicket.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using OpenTelemetry.Exporter;

namespace ConcertTicket.Tests.Observability;

/// <summary>Every metric the provisioned Grafana dashboard (deploy/grafana) queries is one the service exports.</summary>
[Collection(LiveServersGroup.Name)]
public sealed partial class GrafanaDashboardTests(LiveServers stack)
{
    [Fact]
    public async Task Every_metric_the_grafana_dashboard_queries_exists_on_metrics()
    {
        var queried = QueriedMetrics(Repository.PathOf("deploy", "grafana", "dashboards", "concert-ticket.json"));
        Assert.NotEmpty(queried);

        // Enough of a sale for every series to have a point: an order paid, one expired, a gateway failure, a dashboard.
        var category = await Sale.CreateCategoryAsync(stack.DataSource, seats: 5);
        var exported = new HashSet<string>(StringComparer.Ordinal);
        await using (var app = await StartAsync($"--Admin:ApiKeys:main={Concerts.OwnSale.AdminKey}", "--Telemetry:SeatsGaugeSeconds=1"))
        {
            var paid = await Harness.CreatedOrderIdAsync(await app.PostOrderAsync(Sale.Email(), category));
            Assert.Equal(HttpStatusCode.OK, (await Harness.PostCallbackAsync(app, paid, 1_000_000)).StatusCode);
            var expired = await Harness.CreatedOrderIdAsync(await app.PostOrderAsync(Sale.Email(), category));
            await Sale.ExpireHoldAsync(stack.DataSource, expired);
            // A payment after the hold ended, when the one-seat category has no seat left: refund_required.
            var tiny = await Sale.CreateCategoryAsync(stack.DataSource, seats: 1);
            var late = await Harness.CreatedOrderIdAsync(await app.PostOrderAsync(Sale.Email(), tiny));
            await Sale.ExpireHoldAsync(stack.DataSource, late);
            await new ExpiryWorker(app.Services.GetRequiredService<NpgsqlDataSource>(), TimeProvider.System,
                app.Services.GetRequiredService<ExpiryMetrics>(), NullLogger<ExpiryWorker>.Instance).RunOnceAsync(CancellationToken.None);
            await Harness.CreatedOrderIdAsync(await app.PostOrderAsync(Sale.Email(), tiny));
            Assert.Equal(HttpStatusCode.OK, (await Harness.PostCallbackAsync(app, late, 1_000_000)).StatusCode);
            await app.Client.GetAsync("/categories");
            Assert.Equal(HttpStatusCode.OK, (await app.Client.SendAsync(Concerts.OwnSale.Admin(HttpMethod.Get, "/admin/dashboard"))).StatusCode);
            // The seat gauges count in the background after the first scrape.
            await ScrapeAsync(app, exported);
            await Task.Delay(TimeSpan.FromSeconds(1.5));
            await ScrapeAsync(app, exported);
        }
        await using (var failing = await StartAsync("--Payment:Fake:FailureRate=1"))
        {
            await failing.PostOrderAsync(Sale.Email(), category);
            await ScrapeAsync(failing, exported);
        }

        var missing = queried.Where(m => !exported.Contains(m)).ToList();
        Assert.True(missing.Count == 0, "Queried by the dashboard but not on /metrics: " + string.Join(", ", missing));
        await Sale.AssertInvariantsAsync(stack.DataSource);
    }

    /// <summary>The metric names in the panels' PromQL: identifiers outside label matchers, groupings and ranges, not functions.</summary>
    private static List<string> QueriedMetrics(string path)
    {
        using var document = JsonDocument.Parse(File.ReadAllText(path));
        var names = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var panel in document.RootElement.GetProperty("panels").EnumerateArray())
        {
            foreach (var target in panel.GetProperty("targets").EnumerateArray())
            {
                var expr = target.GetProperty("expr").GetString()!;
                expr = Braces().Replace(expr, "");
                expr = Grouping().Replace(expr, "");
                expr = Range().Replace(expr, "");
                foreach (Match m in Identifier().Matches(expr))
                {
                    if (!m.Groups["call"].Success && m.Groups["name"].Value is not ("by" or "without" or "le")) names.Add(m.Groups["name"].Value);
                }
            }
        }
        return [.. names];
    }

    private Task<TestApp> StartAsync(params string[] args) => TestApp.StartAsync(stack,
        builder => builder.Services.Configure<PrometheusAspNetCoreOptions>(o => o.ScrapeResponseCacheDurationMilliseconds = 0), args);

    private static async Task ScrapeAsync(TestApp app, HashSet<string> names)
    {
        var text = await app.Client.GetStringAsync("/metrics");
        foreach (var line in text.Split('\n'))
        {
            if (line.Length == 0 || line[0] == '#') continue;
            var end = line.IndexOfAny(['{', ' ']);
            if (end > 0) names.Add(line[..end]);
        }
    }

    [GeneratedRegex(@"\{[^}]*\}")]
    private static partial Regex Braces();

    [GeneratedRegex(@"\b(by|without)\s*\([^)]*\)")]
    private static partial Regex Grouping();

    [GeneratedRegex(@"\[[^\]]*\]")]
    private static partial Regex Range();

    [GeneratedRegex(@"(?<name>[a-zA-Z_:][a-zA-Z0-9_:]*)(?<call>\s*\()?")]
    private static partial Regex Identifier();
}
