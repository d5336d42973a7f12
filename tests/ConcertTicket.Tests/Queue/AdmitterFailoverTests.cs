using System.Net.Http.Json;
using System.Text.Json;
using ConcertTicket.Tests.Infrastructure;
using StackExchange.Redis;

namespace ConcertTicket.Tests.Queue;

[Collection(LiveServersGroup.Name)]
public sealed class AdmitterFailoverTests(LiveServers stack)
{
    [Fact]
    public async Task Of_two_instances_one_admits_and_when_it_is_killed_the_other_takes_over()
    {
        var name = QueueFans.NewName();
        var lease = (RedisKey)$"concert-ticket:queue:{{{name}}}:admitter-lease";
        string[] args = stack.Args(QueueFans.Args(name, extra: ["--Queue:LeaseSeconds=2", "--Queue:TickMilliseconds=100", "--Queue:AdmitPerSecond=50"]));
        await using var first = await ServiceProcess.StartAsync("serve-all", args);
        await using var second = await ServiceProcess.StartAsync("serve-all", args);
        using var http = new HttpClient();

        var leader = await WaitForAsync(async () => await stack.Redis.GetDatabase().StringGetAsync(lease) is { IsNull: false } v ? (string?)v : null);
        var pids = new[] { first.ProcessId, second.ProcessId };
        var leaderPid = pids.Single(p => leader.Contains($":{p}:", StringComparison.Ordinal));
        var (dying, surviving) = leaderPid == first.ProcessId ? (first, second) : (second, first);
        // Both instances answer any fan; the admitter of one of them lets them in.
        Assert.Equal("admitted", await AdmittedAsync(http, surviving.BaseUrl, await JoinAsync(http, dying.BaseUrl)));

        await dying.DisposeAsync(); // SIGKILL: no goodbye, the lease has to expire.
        var fan = await JoinAsync(http, surviving.BaseUrl);

        Assert.Equal("admitted", await AdmittedAsync(http, surviving.BaseUrl, fan));
        var owner = (string?)await stack.Redis.GetDatabase().StringGetAsync(lease);
        Assert.Contains($":{surviving.ProcessId}:", owner, StringComparison.Ordinal);
    }

    private static async Task<Guid> JoinAsync(HttpClient http, string baseUrl)
    {
        var response = await http.PostAsJsonAsync(baseUrl + "/queue", new { email = Sale.Email() });
        response.EnsureSuccessStatusCode();
        return JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("data").GetProperty("id").GetGuid();
    }

    private static Task<string> AdmittedAsync(HttpClient http, string baseUrl, Guid id) => WaitForAsync(async () =>
    {
        var text = await http.GetStringAsync($"{baseUrl}/queue/{id}");
        var status = JsonDocument.Parse(text).RootElement.GetProperty("data").GetProperty("status").GetString();
        return status == "admitted" ? status : null;
    });

    /// <summary>Polls until the value appears; the minute is a safety net for a loaded machine, not a measurement.</summary>
    private static async Task<T> WaitForAsync<T>(Func<Task<T?>> probe) where T : class
    {
        var deadline = DateTime.UtcNow.AddMinutes(1);
        while (true)
        {
            if (await probe() is { } value) return value;
            Assert.True(DateTime.UtcNow < deadline, "gave up waiting");
            await Task.Delay(100);
        }
    }
}
