using System.Globalization;
using System.Text.Json;
using Npgsql;

namespace FaultSuite;

/// <summary>
/// After a loadgen run (faults/cluster.sh): the sale's invariants, and the data against what loadgen was told
/// (orders answered 201, settlements answered 200), read from its JSON report.
/// </summary>
internal static class ClusterCheck
{
    public static async Task<int> RunAsync(string[] args)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = 0; i + 1 < args.Length; i += 2) values[args[i]] = args[i + 1];
        if (!values.TryGetValue("--postgres", out var connectionString))
        {
            Console.Error.WriteLine("fault-suite check: --postgres CONNECTION_STRING is required\n" + SuiteOptions.Usage);
            return 2;
        }
        var hold = values.TryGetValue("--hold-seconds", out var h) ? int.Parse(h, CultureInfo.InvariantCulture) : 900;
        var (checks, totals) = await Invariants.CheckAsync(connectionString, hold, recorder: null);

        if (values.TryGetValue("--loadgen-report", out var reportPath))
        {
            using var report = JsonDocument.Parse(await File.ReadAllTextAsync(reportPath));
            var root = report.RootElement;
            var scenario = root.GetProperty("scenario");
            var created = scenario.GetProperty("orders_created").GetInt64();
            var callbacksOk = scenario.GetProperty("callbacks_ok").GetInt64();
            var callbacksSent = scenario.GetProperty("callbacks_sent").GetInt64();
            var orderErrors = root.GetProperty("requests").EnumerateArray()
                .Where(r => r.GetProperty("name").GetString() == "order").Sum(r => r.GetProperty("errors").GetInt64());
            var orders = totals.OrdersByStatus.Values.Sum();
            var paid = totals.OrdersByStatus.GetValueOrDefault("paid") + totals.OrdersByStatus.GetValueOrDefault("refund_required");
            // An order whose answer was lost (an error) may exist without loadgen knowing: only those may be extra.
            checks.Add(new Check("every order answered 201 exists, and no other (beyond failed requests)",
                orders >= created && orders <= created + orderErrors,
                $"loadgen: {created} created, {orderErrors} order requests failed; database: {orders} orders"));
            checks.Add(new Check("every settlement answered 200 paid its order (paid or refund_required), none more",
                paid >= callbacksOk && paid <= callbacksSent,
                $"loadgen: {callbacksOk} settlements answered 200 of {callbacksSent} sent; database: {paid} paid or refund_required"));
            var soldOut = root.GetProperty("sell_out").GetProperty("sold_out_seconds");
            checks.Add(new Check("the sale sold out", soldOut.ValueKind == JsonValueKind.Number,
                soldOut.ValueKind == JsonValueKind.Number
                    ? string.Create(CultureInfo.InvariantCulture, $"sold out {soldOut.GetDouble():0.0} s into the run")
                    : "loadgen did not see the sale sold out"));
        }

        foreach (var c in checks) Console.Out.WriteLine($"{(c.Ok ? "ok" : "FAILED")}: {c.Name}: {c.Detail}");
        Console.Out.WriteLine(totals);
        return checks.All(c => c.Ok) ? 0 : 1;
    }
}
