using System.Diagnostics;
using ConcertTicket.Tests.Infrastructure;

namespace ConcertTicket.Tests.Loadtest;

/// <summary>The CI smoke run of the load generator: five seconds of the seed's scenario against the real service.</summary>
[Collection(LiveServersGroup.Name)]
public sealed class LoadGeneratorSmokeTests(LiveServers stack)
{
    [Fact]
    public async Task Five_seconds_of_the_seed_scenario_run_without_errors_and_leave_the_inventory_consistent()
    {
        const string serverKey = "loadtest-server-key";
        await using var service = await ServiceProcess.StartAsync("serve-all", stack.Args(
            $"--Payment:ServerKey={serverKey}", "--Payment:Fake:LatencyMs=20", "--Order:HoldSeconds=5",
            "--Protection:OrdersPerIpPerMinute=0", "--Protection:OrdersPerEmailPerMinute=0"));
        var paidBefore = await Sale.ScalarAsync<long>(stack.DataSource, "SELECT count(*) FROM orders WHERE status = 'paid'");
        var reports = Directory.CreateTempSubdirectory("loadgen-smoke");

        var start = new ProcessStartInfo("dotnet") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(Repository.PathOf("loadtest", "LoadGenerator", "bin", BuildConfiguration, "net10.0", "loadgen.dll"));
        foreach (var a in new[] { "--base-url", service.BaseUrl, "--vus", "20", "--duration", "5s", "--server-key", serverKey,
                     "--out", reports.FullName, "--label", "smoke", "--fail-on-errors" })
        {
            start.ArgumentList.Add(a);
        }
        using var loadgen = Process.Start(start)!;
        var stdout = loadgen.StandardOutput.ReadToEndAsync();
        var stderr = loadgen.StandardError.ReadToEndAsync();
        await loadgen.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(2));

        Assert.True(loadgen.ExitCode == 0, $"loadgen exited {loadgen.ExitCode}\n{await stdout}\n{await stderr}");
        Assert.Contains("| Concurrent user (Vu) |", await stdout, StringComparison.Ordinal);
        Assert.NotEmpty(reports.GetFiles("smoke-*.html"));
        Assert.NotEmpty(reports.GetFiles("smoke-*.json"));
        Assert.True(await Sale.ScalarAsync<long>(stack.DataSource, "SELECT count(*) FROM orders WHERE status = 'paid'") > paidBefore);
        await Sale.AssertInvariantsAsync(stack.DataSource);
        reports.Delete(recursive: true);
    }

#if DEBUG
    private const string BuildConfiguration = "Debug";
#else
    private const string BuildConfiguration = "Release";
#endif
}
