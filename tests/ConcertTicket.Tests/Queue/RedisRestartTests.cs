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
}
