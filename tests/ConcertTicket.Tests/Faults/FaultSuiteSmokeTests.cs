using System.Diagnostics;
using ConcertTicket.Tests.Infrastructure;

namespace ConcertTicket.Tests.Faults;

/// <summary>
/// The CI run of the fault suite (faults/run.sh --short): its own PostgreSQL, Redis and service processes, so it
/// shares nothing with the other tests; in the stack's collection only so that it never runs beside them.
/// </summary>
[Collection(LiveServersGroup.Name)]
public sealed class FaultSuiteSmokeTests
{
    [Fact]
    public async Task The_short_fault_suite_passes_every_phase()
    {
        var start = new ProcessStartInfo("bash") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(Repository.PathOf("faults", "run.sh"));
        start.ArgumentList.Add("--short");
        start.ArgumentList.Add("--no-build");
        start.Environment["CONFIGURATION"] = BuildConfiguration;
        using var suite = Process.Start(start)!;
        var stdout = suite.StandardOutput.ReadToEndAsync();
        var stderr = suite.StandardError.ReadToEndAsync();
        try
        {
            await suite.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(8));
        }
        catch (TimeoutException)
        {
            // SIGTERM lets run.sh stop the servers and the service it started.
            using var term = Process.Start("kill", ["-TERM", suite.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
            await suite.WaitForExitAsync();
            Assert.Fail($"the fault suite ran longer than 8 minutes\n{await stdout}\n{await stderr}");
        }

        var output = await stdout;
        Assert.True(suite.ExitCode == 0, $"faults/run.sh --short exited {suite.ExitCode}\n{output}\n{await stderr}");
        Assert.Contains("fault suite (short): passed", output, StringComparison.Ordinal);
    }

#if DEBUG
    private const string BuildConfiguration = "Debug";
#else
    private const string BuildConfiguration = "Release";
#endif
}
