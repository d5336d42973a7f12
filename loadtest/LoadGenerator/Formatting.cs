using System.Globalization;
using System.Text;

namespace LoadGenerator;

internal static class Formatting
{
    public static readonly string[] SeedHeader = ["Concurrent user (Vu)", "RPS", "Error", "Avg", "P(75)", "P(90)", "P(95)"];

    public static readonly string[] DetailHeader =
        ["Request", "Count", "RPS", "Errors", "Error", "Avg", "P(50)", "P(75)", "P(90)", "P(95)", "P(99)", "Max"];

    /// <summary>The seed README's row: Vu, RPS, Error, Avg, P(75), P(90), P(95).</summary>
    public static string[] SeedRow(int vus, RequestStats stats) =>
    [
        vus.ToString(CultureInfo.InvariantCulture),
        stats.Rps.ToString("0", CultureInfo.InvariantCulture),
        Percent(stats.ErrorPercent),
        Millis(stats.LatencyMs.Avg),
        Millis(stats.LatencyMs.P75),
        Millis(stats.LatencyMs.P90),
        Millis(stats.LatencyMs.P95),
    ];

    public static string[] DetailRow(string title, RequestStats stats) =>
    [
        title,
        stats.Count.ToString(CultureInfo.InvariantCulture),
        stats.Rps.ToString("0.0", CultureInfo.InvariantCulture),
        stats.Errors.ToString(CultureInfo.InvariantCulture),
        Percent(stats.ErrorPercent),
        Millis(stats.LatencyMs.Avg),
        Millis(stats.LatencyMs.P50),
        Millis(stats.LatencyMs.P75),
        Millis(stats.LatencyMs.P90),
        Millis(stats.LatencyMs.P95),
        Millis(stats.LatencyMs.P99),
        Millis(stats.LatencyMs.Max),
    ];

    public static string Title(string name, RunReport report) => name switch
    {
        ReportBuilder.OverallName => "All requests",
        "categories" => "GET /categories",
        "order" => "POST /orders",
        "callback" => "POST /payments/callback",
        _ => $"GET {report.Parameters.OnlyGetPath}",
    };

    /// <summary>Like the seed's table: 165ms, 1.10s; finer below 10 ms, where the stand-in server lives.</summary>
    public static string Millis(double ms) => ms switch
    {
        >= 1000 => string.Create(CultureInfo.InvariantCulture, $"{ms / 1000:0.00}s"),
        >= 100 => string.Create(CultureInfo.InvariantCulture, $"{ms:0}ms"),
        >= 10 => string.Create(CultureInfo.InvariantCulture, $"{ms:0.0}ms"),
        _ => string.Create(CultureInfo.InvariantCulture, $"{ms:0.00}ms"),
    };

    public static string Percent(double percent) => percent switch
    {
        0 => "0%",
        < 0.01 => "<0.01%",
        _ => string.Create(CultureInfo.InvariantCulture, $"{percent:0.##}%"),
    };

    public static string Seconds(double? seconds) =>
        seconds is { } s ? string.Create(CultureInfo.InvariantCulture, $"{s:0.0}s") : "-";

    public static string Number(double value) => value.ToString("0.###", CultureInfo.InvariantCulture);

    /// <summary>A Markdown table with padded columns, readable in a terminal and pasteable into a README.</summary>
    public static string MarkdownTable(IReadOnlyList<string> header, IEnumerable<IReadOnlyList<string>> rows)
    {
        var all = rows.Prepend(header).ToList();
        var widths = header.Select((_, column) => all.Max(row => row[column].Length)).ToArray();
        var text = new StringBuilder();
        for (var r = 0; r < all.Count; r++)
        {
            text.Append('|');
            for (var c = 0; c < widths.Length; c++)
            {
                text.Append(' ').Append(all[r][c].PadRight(widths[c])).Append(" |");
            }

            text.Append('\n');
            if (r == 0)
            {
                text.Append('|');
                foreach (var width in widths)
                {
                    text.Append(new string('-', width + 2)).Append('|');
                }

                text.Append('\n');
            }
        }

        return text.ToString();
    }
}
