using System.Globalization;
using System.Text;

namespace FaultSuite;

/// <summary>The results as Markdown: one row per fault, then every check and what the data held.</summary>
internal static class Report
{
    public static string Render(SuiteOptions options, IReadOnlyList<PhaseResult> results)
    {
        var text = new StringBuilder();
        var line = (string s) => text.Append(s).Append('\n');
        line(string.Create(CultureInfo.InvariantCulture,
            $"## Fault suite ({options.Profile.Name}), {DateTime.Now:yyyy-MM-dd HH:mm}: {options.Vus} VUs, hold {SuiteOptions.HoldSeconds} s, gateway timeout {SuiteOptions.GatewayTimeoutSeconds} s{(options.Profile.ServiceCommandTimeoutSeconds is { } t ? $", PostgreSQL Command Timeout {t} s" : "")}, {Environment.ProcessorCount} cores"));
        line("");
        line("| Phase | Requests | Failed | What the failures were | Max latency | Longest gap without a good answer | Failures ended | Invariants | Result |");
        line("|---|---:|---:|---|---:|---:|---|---|---|");
        foreach (var r in results)
        {
            var m = r.Metrics;
            var causes = m.ErrorCauses.Count == 0 ? "–" : string.Join(", ", m.ErrorCauses.Select(kv => $"{kv.Value} × {kv.Key}"));
            var ended = r.Name is "baseline" or "final" ? "–"
                : m.ErrorsEndAfterFaultMs is { } after ? (after == 0 ? "with the fault" : $"{after / 1000.0:0.0} s after it") : "no failure";
            line(string.Create(CultureInfo.InvariantCulture,
                $"| {r.Name} | {m.Requests:N0} | {m.Errors:N0} ({m.ErrorRate:P1}) | {causes} | {m.MaxLatencyMs:N0} ms | {m.LongestGapMs:N0} ms | {ended} | {r.Invariants.Count(c => c.Ok)}/{r.Invariants.Count} | {(r.Ok ? "passed" : "**FAILED**")} |"));
        }
        line("");
        foreach (var r in results)
        {
            line($"### {r.Name}: {r.Fault}");
            line("");
            foreach (var c in r.Checks.Concat(r.Invariants)) line($"- {(c.Ok ? "ok" : "**FAILED**")}: {c.Name}: {c.Detail}");
            foreach (var n in r.Notes) line($"- note: {n}");
            line($"- data: {r.Totals}");
            line("");
        }
        return text.ToString();
    }
}
