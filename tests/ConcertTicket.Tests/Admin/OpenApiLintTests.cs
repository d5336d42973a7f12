using System.Diagnostics;
using System.Text.Json;
using ConcertTicket.Tests.Infrastructure;

namespace ConcertTicket.Tests.Admin;

/// <summary>
/// The OpenAPI document passes Redocly's recommended rules with no error (@redocly/cli, installed by scripts/test.sh
/// into tools/redocly), and declares what every operation needs: the bearer key under /admin, a gate's token for /checkin, nothing elsewhere.
/// </summary>
[Collection(LiveServersGroup.Name)]
public sealed class OpenApiLintTests(LiveServers stack)
{
    private static string Redocly => Repository.PathOf("tools", "redocly", "node_modules", ".bin", "redocly");

    [Fact]
    public async Task Every_operation_declares_its_security_and_the_server_url_has_no_trailing_slash()
    {
        await using var app = await TestApp.StartAsync(stack);
        var document = await TestApp.JsonAsync(await app.Client.GetAsync("/openapi/v1.json"));

        var scheme = document.GetProperty("components").GetProperty("securitySchemes").GetProperty("adminKey");
        Assert.Equal("bearer", scheme.GetProperty("scheme").GetString());
        foreach (var path in document.GetProperty("paths").EnumerateObject())
        {
            foreach (var operation in path.Value.EnumerateObject())
            {
                var security = operation.Value.GetProperty("security");
                if (path.Name.StartsWith("/admin", StringComparison.Ordinal))
                    Assert.True(security[0].TryGetProperty("adminKey", out _), $"{operation.Name} {path.Name}");
                else if (path.Name.StartsWith("/checkin", StringComparison.Ordinal))
                    Assert.True(security[0].TryGetProperty("GateToken", out _), $"{operation.Name} {path.Name}");
                else
                    Assert.Equal(0, security.GetArrayLength());
            }
        }
        Assert.All(document.GetProperty("servers").EnumerateArray(), s => Assert.False(s.GetProperty("url").GetString()!.EndsWith('/')));
    }

    [Fact]
    public async Task The_document_passes_redoclys_recommended_lint_with_no_error()
    {
        Assert.True(File.Exists(Redocly), $"{Redocly} is missing: scripts/test.sh installs @redocly/cli there.");
        await using var app = await TestApp.StartAsync(stack);
        var file = Path.Combine(Path.GetTempPath(), $"openapi-{Guid.NewGuid():N}.json");
        await File.WriteAllTextAsync(file, await app.Client.GetStringAsync("/openapi/v1.json"));
        try
        {
            var start = new ProcessStartInfo(Redocly)
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            };
            foreach (var a in new[] { "lint", file, "--extends=recommended", "--format=json" }) start.ArgumentList.Add(a);
            start.Environment["REDOCLY_TELEMETRY"] = "off";
            start.Environment["REDOCLY_SUPPRESS_UPDATE_NOTICE"] = "true";
            using var process = Process.Start(start)!;
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEndAsync();
            using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(2));
            await process.WaitForExitAsync(cts.Token);
            var output = await stdout;
            var problems = JsonDocument.Parse(output).RootElement.GetProperty("problems").EnumerateArray()
                .Where(p => p.GetProperty("severity").GetString() == "error")
                .Select(p => $"{p.GetProperty("ruleId").GetString()}: {p.GetProperty("message").GetString()}")
                .ToList();
            Assert.True(problems.Count == 0, string.Join("\n", problems) + "\n" + await stderr);
            Assert.Equal(0, process.ExitCode);
        }
        finally
        {
            File.Delete(file);
        }
    }
}
