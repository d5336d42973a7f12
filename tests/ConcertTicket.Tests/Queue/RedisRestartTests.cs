using System.Net.Http.Json;
using ConcertTicket.Tests.Infrastructure;
using StackExchange.Redis;

namespace ConcertTicket.Tests.Queue;

[Collection(LiveServersGroup.Name)]
public sealed class RedisRestartTests(LiveServers stack)
{
    [Fact]
    public async Task Acknowledged_places_survive_a_redis_restart_with_the_append_only_file()
    {
        var dir = Directory.CreateTempSubdirectory("queue-aof-");
        try
        {
            // As scripts/run.sh and docker-compose.yml run Redis: an append-only file, fsynced every second.
            using var redis = OwnRedis.Start("--appendonly", "yes", "--appendfsync", "everysec", "--dir", dir.FullName);
            await using var app = await TestApp.StartAsync(stack,
                stack.Args(QueueFans.Args(QueueFans.NewName(), DateTimeOffset.UtcNow.AddHours(1), $"--ConnectionStrings:Redis={redis.Configuration}")));
            var before = new Dictionary<Guid, long>();
            var emails = new List<string>();
            for (var i = 0; i < 50; i++)
            {
                var email = Sale.Email();
                emails.Add(email);
                var data = (await QueueFans.JoinAsync(app.Client, email)).Data;
                before[data.GetProperty("id").GetGuid()] = 0;
            }
            foreach (var id in before.Keys) before[id] = (await QueueFans.EntryAsync(app.Client, id)).GetProperty("position").GetInt64();

            redis.Stop(); // SIGKILL, right after the last acknowledged join
            redis.StartAgain();

            var deadline = DateTime.UtcNow.AddMinutes(1);
            while (true)
            {
                try
                {
                    await QueueFans.EntryAsync(app.Client, before.Keys.First());
                    break;
                }
                catch (Exception e) when (e is RedisException or TimeoutException or Xunit.Sdk.XunitException && DateTime.UtcNow < deadline)
                {
                    await Task.Delay(200);
                }
            }
            foreach (var (id, position) in before)
            {
                Assert.Equal(position, (await QueueFans.EntryAsync(app.Client, id)).GetProperty("position").GetInt64());
            }
            // And joining again still finds the same entry.
            var (status, again) = await QueueFans.JoinAsync(app.Client, emails[0]);
            Assert.Equal(System.Net.HttpStatusCode.OK, status);
            Assert.Contains(again.GetProperty("id").GetGuid(), before.Keys);
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task While_redis_is_down_joining_and_polling_answer_503_dependency_unavailable_and_work_again_when_it_returns()
    {
        var dir = Directory.CreateTempSubdirectory("queue-down-");
        try
        {
            using var redis = OwnRedis.Start("--appendonly", "yes", "--appendfsync", "always", "--dir", dir.FullName);
            await using var app = await TestApp.StartAsync(stack,
                stack.Args(QueueFans.Args(QueueFans.NewName(), DateTimeOffset.UtcNow.AddHours(1), $"--ConnectionStrings:Redis={redis.Configuration}")));
            var (joined, entry) = await QueueFans.JoinAsync(app.Client, Sale.Email());
            Assert.Equal(System.Net.HttpStatusCode.Created, joined);
            var id = entry.GetProperty("id").GetGuid();

            redis.Stop();
            var join = await app.Client.PostAsJsonAsync("/queue", new { email = Sale.Email() });
            var poll = await app.Client.GetAsync($"/queue/{id}");

            foreach (var response in new[] { join, poll })
            {
                Assert.Equal(System.Net.HttpStatusCode.ServiceUnavailable, response.StatusCode);
                Assert.Equal("dependency_unavailable", await TestApp.ProblemCodeAsync(response));
                Assert.NotNull(response.Headers.RetryAfter);
            }

            redis.StartAgain();
            var deadline = DateTime.UtcNow.AddMinutes(1);
            System.Net.HttpStatusCode status;
            do
            {
                await Task.Delay(200);
                status = (await app.Client.GetAsync($"/queue/{id}")).StatusCode;
            }
            while (status != System.Net.HttpStatusCode.OK && DateTime.UtcNow < deadline);
            Assert.Equal(System.Net.HttpStatusCode.OK, status);
            Assert.Equal(System.Net.HttpStatusCode.Created, (await QueueFans.JoinAsync(app.Client, Sale.Email())).Status);
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }
}
