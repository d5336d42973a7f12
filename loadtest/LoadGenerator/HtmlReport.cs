using System.Globalization;
using System.Net;
using System.Text;

namespace LoadGenerator;

/// <summary>One self-contained page: summary tables and inline SVG charts, nothing fetched when opened.</summary>
internal static class HtmlReport
{
    private const string Style = """
        body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: #222; margin: 24px auto; max-width: 1120px; padding: 0 12px; }
        h1 { font-size: 22px; margin-bottom: 4px; } h2 { font-size: 17px; margin: 28px 0 8px; border-bottom: 1px solid #ddd; padding-bottom: 4px; }
        .meta { color: #555; margin: 0 0 12px; }
        table { border-collapse: collapse; margin: 6px 0 14px; } th, td { border: 1px solid #ddd; padding: 4px 10px; text-align: right; }
        th { background: #f4f5f7; } td:first-child, th:first-child, table.text td, table.text th { text-align: left; }
        .bad { color: #c62828; font-weight: 600; } .ok { color: #2e7d32; }
        svg { display: block; margin: 4px 0 18px; max-width: 100%; height: auto; }
        .chart-title { font-size: 15px; font-weight: 600; fill: #222; } .tick { font-size: 11px; fill: #555; } .legend { font-size: 12px; fill: #222; }
        .grid { stroke: #eee; } .frame { fill: none; stroke: #bbb; }
        """;

    private static readonly Dictionary<string, string> Colors = new()
    {
        [ReportBuilder.OverallName] = "#555555",
        ["categories"] = "#1f77b4",
        ["order"] = "#ff7f0e",
        ["callback"] = "#2ca02c",
        ["get"] = "#1f77b4",
    };

    public static string Render(RunReport report)
    {
        var p = report.Parameters;
        var html = new StringBuilder();
        html.Append("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n")
            .Append(CultureInfo.InvariantCulture, $"<title>Load test: {E(report.Label)}</title>\n")
            .Append("<style>\n").Append(Style).Append("</style>\n</head>\n<body>\n")
            .Append(CultureInfo.InvariantCulture, $"<h1>Load test: {E(report.Label)}</h1>\n")
            .Append(CultureInfo.InvariantCulture,
                $"<p class=\"meta\">{E(report.Mode)} &middot; {p.Vus} VUs &middot; {report.ElapsedSeconds:0.0} s (ended by {E(report.EndedBecause)}) &middot; {E(p.BaseUrl)} &middot; started {report.StartedAt:yyyy-MM-dd HH:mm:ss} UTC &middot; seed {p.Seed}</p>\n");

        html.Append("<h2>Summary</h2>\n");
        Table(html, ["Request", .. Formatting.SeedHeader],
            report.Requests.Prepend(report.Overall)
                .Select(s => (IReadOnlyList<string>)[Formatting.Title(s.Name, report), .. Formatting.SeedRow(p.Vus, s)]),
            errorColumn: 3);
        Table(html, Formatting.DetailHeader,
            report.Requests.Append(report.Overall).Select(s => (IReadOnlyList<string>)Formatting.DetailRow(Formatting.Title(s.Name, report), s)),
            errorColumn: 4);

        var errorRows = report.Requests
            .SelectMany(s => s.ErrorCauses.Select(pair => (IReadOnlyList<string>)
                [Formatting.Title(s.Name, report), pair.Key, pair.Value.ToString(CultureInfo.InvariantCulture)]))
            .ToList();
        html.Append("<h2>Errors</h2>\n");
        if (errorRows.Count == 0)
        {
            html.Append("<p class=\"ok\">No errors: every answer was 200, 201 or 409.</p>\n");
        }
        else
        {
            Table(html, ["Request", "Cause", "Count"], errorRows);
        }

        Table(html, ["Request", "Status codes"],
            report.Requests.Select(s => (IReadOnlyList<string>)
                [Formatting.Title(s.Name, report), string.Join(", ", s.StatusCodes.Select(pair => $"{pair.Key}: {pair.Value}"))]),
            text: true);

        if (p.OnlyGetPath is null)
        {
            var s = report.Scenario;
            var sellOut = report.SellOut;
            html.Append("<h2>Scenario</h2>\n");
            Table(html, ["What", "Count"],
            [
                ["Iterations", N(s.Iterations)],
                ["Orders created (201)", N(s.OrdersCreated)],
                ["Left unpaid to expire (VU % 4 = 0)", N(s.LeftUnpaid)],
                ["409 already_ordered", N(s.AlreadyOrdered)],
                ["409 sold_out", N(s.SoldOut)],
                ["409 with another code", N(s.OtherConflicts)],
                ["Settlement callbacks sent", N(s.CallbacksSent)],
                ["Settlement callbacks answered 200", N(s.CallbacksOk)],
            ]);
            Table(html, ["Sell-out", "Seconds since start"],
            [
                ["First categories answer with every total at 0", Formatting.Seconds(sellOut.FirstAllZeroSeconds)],
                ["Sold out from (start of the confirming streak)", Formatting.Seconds(sellOut.SoldOutSeconds)],
                [$"Confirmed ({sellOut.Confirmations} observations)", Formatting.Seconds(sellOut.ConfirmedSeconds)],
                ["Last order created", Formatting.Seconds(sellOut.LastOrderCreatedSeconds)],
            ]);
        }

        html.Append("<h2>Over time</h2>\n");
        var perSecond = report.PerSecond;

        // The last second is usually a sliver of the in-flight requests draining: drawn as a full second it
        // would show a made-up dip or spike. The JSON keeps it.
        var seconds = perSecond[0].Requests.Count;
        if (seconds > 1 && report.LastSecondWidth < 0.999)
        {
            seconds--;
        }

        html.Append(SvgChart.Render("Requests per second", "requests/s",
            perSecond.Select(series => Line(series.Name, Whole(series.Requests.Select(v => (double)v), seconds))).ToList(), layered: true));
        foreach (var series in perSecond.Skip(1).Append(perSecond[0]))
        {
            html.Append(SvgChart.Render($"Latency per second: {Formatting.Title(series.Name, report)}", "ms",
            [
                new ChartLine("p50", "#2ca02c", Whole(Gaps(series, series.P50Ms), seconds)),
                new ChartLine("p90", "#ff7f0e", Whole(Gaps(series, series.P90Ms), seconds)),
                new ChartLine("p95", "#d62728", Whole(Gaps(series, series.P95Ms), seconds)),
            ]));
        }

        html.Append(SvgChart.Render("Errors per second", "errors/s",
            perSecond.Select(series => Line(series.Name, Whole(series.Errors.Select(v => (double)v), seconds))).ToList(), layered: true));

        var c = report.Client;
        html.Append("<h2>Run</h2>\n");
        Table(html, ["Parameter", "Value"],
        [
            ["Command", p.CommandLine],
            ["Base URL", p.BaseUrl],
            ["VUs", N(p.Vus)],
            ["Duration / timeout / graceful stop", $"{Formatting.Number(p.DurationSeconds)} s / {Formatting.Number(p.TimeoutSeconds)} s / {Formatting.Number(p.GracefulStopSeconds)} s"],
            ["Emails drawn from", N(p.Emails)],
            ["Expected statuses", string.Join(", ", p.ExpectedStatuses)],
            ["loadgen CPU", string.Create(CultureInfo.InvariantCulture, $"{c.CpuSeconds:0.0} CPU-s, {c.CpuPercentOfOneCore:0}% of one core ({c.ProcessorCount} cores on the machine)")],
            ["loadgen GC", string.Create(CultureInfo.InvariantCulture, $"gen0/1/2 {c.Gen0Collections}/{c.Gen1Collections}/{c.Gen2Collections}, {c.AllocatedMegabytes:0} MB allocated")],
        ], text: true);
        html.Append("<p class=\"meta\">Latency is from sending the request to reading the last byte of the answer, for every request including failed ones (like k6's http_req_duration). A request counts in the second it ended; the charts leave out the last, partial second (the JSON has it).</p>\n");
        html.Append("</body>\n</html>\n");
        return html.ToString();
    }

    private static ChartLine Line(string name, IReadOnlyList<double> values) =>
        new(name, Colors.GetValueOrDefault(name, "#9467bd"), values, Dashed: name == ReportBuilder.OverallName);

    private static List<double> Whole(IEnumerable<double> values, int seconds) => values.Take(seconds).ToList();

    private static IEnumerable<double> Gaps(TimeSeries series, IReadOnlyList<double> values) =>
        values.Select((value, second) => series.Requests[second] == 0 ? double.NaN : value);

    private static void Table(
        StringBuilder html, IReadOnlyList<string> header, IEnumerable<IReadOnlyList<string>> rows, int errorColumn = -1, bool text = false)
    {
        html.Append(text ? "<table class=\"text\">\n<tr>" : "<table>\n<tr>");
        foreach (var cell in header)
        {
            html.Append("<th>").Append(E(cell)).Append("</th>");
        }

        html.Append("</tr>\n");
        foreach (var row in rows)
        {
            html.Append("<tr>");
            for (var i = 0; i < row.Count; i++)
            {
                var bad = i == errorColumn && row[i] != "0%";
                html.Append(bad ? "<td class=\"bad\">" : "<td>").Append(E(row[i])).Append("</td>");
            }

            html.Append("</tr>\n");
        }

        html.Append("</table>\n");
    }

    private static string N(long value) => value.ToString("#,0", CultureInfo.InvariantCulture);

    private static string E(string text) => WebUtility.HtmlEncode(text);
}
