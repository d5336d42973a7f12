using System.Diagnostics;
using System.Net;
using System.Text;
using System.Text.Json;
using ConcertTicket.Payments;
using ConcertTicket.Tests.Infrastructure;

namespace ConcertTicket.Tests.Payments;

/// <summary>scripts/sign-callback.sh, which people use to fake Midtrans locally, signs exactly like the service checks.</summary>
[Collection(LiveServersGroup.Name)]
public sealed class SignCallbackScriptTests(LiveServers stack)
{
    [BashFact]
    public async Task Script_signs_the_Midtrans_documentation_test_vector()
    {
        const string key = "askvnoibnosifnboseofinbofinfgbiufglnbfg";
        const string expected = "edc076b21793ebe3e17926350f5b8ae67d902fe657b3d0aa31b932d5c127e2375d308a2bc94f3265ac2d80a1f181a79b997ac178a236fcff35af263fc4d4c231";

        var signature = (await RunAsync("1111", "200", "100000.00", key)).Trim();

        Assert.Equal(expected, signature);
        Assert.Equal(expected, MidtransSignature.Compute("1111", "200", "100000.00", key));
    }

    [BashFact]
    public async Task Script_signs_like_MidtransSignature_Compute_with_the_local_key_by_default()
    {
        foreach (var (orderId, status, amount) in new[] { (Guid.NewGuid().ToString(), "200", "3800000.00"), ("ORDER-101", "202", "2100000.00") })
        {
            var signature = (await RunAsync(orderId, status, amount)).Trim();

            Assert.Equal(MidtransSignature.Compute(orderId, status, amount, "local-dev-server-key"), signature);
        }
    }

    [BashFact]
    public async Task Script_json_body_settles_a_real_order()
    {
        var category = await Sale.CreateCategoryAsync(stack.DataSource, seats: 2, price: 2_100_000);
        await using var app = await TestApp.StartAsync(stack);
        var created = await TestApp.JsonAsync(await app.PostOrderAsync(Sale.Email(), category));
        var orderId = created.GetProperty("data").GetProperty("id").GetString()!;

        var body = await RunAsync("--json", orderId, "200", "2100000.00", LiveServers.ServerKey);
        var response = await app.Client.PostAsync("/payments/callback", new StringContent(body, Encoding.UTF8, "application/json"));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var result = (await TestApp.JsonAsync(response)).GetProperty("data");
        Assert.Equal("paid", result.GetProperty("status").GetString());
        Assert.True(result.GetProperty("changed").GetBoolean());
        using var notification = JsonDocument.Parse(body);
        Assert.Equal("settlement", notification.RootElement.GetProperty("transaction_status").GetString());
    }

    private static async Task<string> RunAsync(params string[] args)
    {
        var start = new ProcessStartInfo("bash")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(Repository.PathOf("scripts", "sign-callback.sh"));
        foreach (var arg in args) start.ArgumentList.Add(arg);
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await process.WaitForExitAsync(timeout.Token);
        Assert.True(process.ExitCode == 0, $"sign-callback.sh exited with {process.ExitCode}: {await error}");
        return await output;
    }
}

/// <summary>A fact that needs bash: skipped where there is none (a Windows machine without it).</summary>
public sealed class BashFactAttribute : FactAttribute
{
    public BashFactAttribute()
    {
        var path = Environment.GetEnvironmentVariable("PATH") ?? "";
        if (!path.Split(Path.PathSeparator).Any(dir => File.Exists(Path.Combine(dir, "bash")) || File.Exists(Path.Combine(dir, "bash.exe"))))
        {
            Skip = "bash is not installed";
        }
    }
}
