using System.Globalization;

namespace LoadGenerator;

internal static class ConsoleReport
{
    public static void Write(TextWriter output, RunReport report)
    {
        var p = report.Parameters;
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"\n{report.Label}: {report.Mode}, {p.Vus} VUs, {report.ElapsedSeconds:0.0}s against {p.BaseUrl} (ended by {report.EndedBecause}, seed {p.Seed})\n"));

        output.WriteLine(Formatting.Title(report.Overall.Name, report));
        output.WriteLine(Formatting.MarkdownTable(Formatting.SeedHeader, [Formatting.SeedRow(p.Vus, report.Overall)]));
        foreach (var stats in report.Requests)
        {
            output.WriteLine(Formatting.Title(stats.Name, report));
            output.WriteLine(Formatting.MarkdownTable(Formatting.SeedHeader, [Formatting.SeedRow(p.Vus, stats)]));
        }

        output.WriteLine("Details");
        output.WriteLine(Formatting.MarkdownTable(
            Formatting.DetailHeader,
            report.Requests.Append(report.Overall).Select(s => Formatting.DetailRow(Formatting.Title(s.Name, report), s))));

        foreach (var stats in report.Requests.Where(s => s.Errors > 0))
        {
            var causes = string.Join(", ", stats.ErrorCauses.Select(pair => $"{pair.Key} x{pair.Value}"));
            output.WriteLine($"Errors in {Formatting.Title(stats.Name, report)}: {causes}");
        }

        if (report.Parameters.OnlyGetPath is null)
        {
            var s = report.Scenario;
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"Scenario: {s.Iterations} iterations; orders created {s.OrdersCreated} (left unpaid {s.LeftUnpaid}); 409 already_ordered {s.AlreadyOrdered}; 409 sold_out {s.SoldOut}; other 409 {s.OtherConflicts}; callbacks sent {s.CallbacksSent} (200: {s.CallbacksOk})"));
            var sellOut = report.SellOut;
            output.WriteLine(sellOut.SoldOutSeconds is null
                ? $"Sell-out: not confirmed (first all-zero categories answer: {Formatting.Seconds(sellOut.FirstAllZeroSeconds)}; last order created at {Formatting.Seconds(sellOut.LastOrderCreatedSeconds)})"
                : $"Sell-out: every category at 0 from {Formatting.Seconds(sellOut.SoldOutSeconds)} (confirmed by {sellOut.Confirmations} observations at {Formatting.Seconds(sellOut.ConfirmedSeconds)}); last order created at {Formatting.Seconds(sellOut.LastOrderCreatedSeconds)}");
        }

        var c = report.Client;
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"loadgen itself: {c.CpuSeconds:0.0} CPU-s = {c.CpuPercentOfOneCore:0}% of one core (machine has {c.ProcessorCount}); GC gen0/1/2 {c.Gen0Collections}/{c.Gen1Collections}/{c.Gen2Collections}; allocated {c.AllocatedMegabytes:0} MB"));
    }
}
