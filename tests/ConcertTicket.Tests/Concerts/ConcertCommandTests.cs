using ConcertTicket.Tests.Infrastructure;

namespace ConcertTicket.Tests.Concerts;

/// <summary>concert create --file, list, open, pause, close: the built executable against a real database.</summary>
[Collection(LiveServersGroup.Name)]
public sealed class ConcertCommandTests(LiveServers stack)
{
    [Fact]
    public async Task Concert_commands_create_list_and_change_the_state_and_refuse_with_exit_codes()
    {
        await using var sale = await OwnSale.CreateAsync(stack);
        var db = $"--ConnectionStrings:Postgres={sale.ConnectionString}";
        var file = Path.Combine(Path.GetTempPath(), $"concert-{Guid.NewGuid():N}.json");
        await File.WriteAllTextAsync(file, """
            {"name": "Jazz Night", "venue": "Teater", "starts_at": "2027-05-01T20:00:00+07:00", "time_zone": "Asia/Jakarta",
             "categories": [{"name": "FRONT", "price": 1500000, "rows": 10, "columns": 20}]}
            """);
        try
        {
            var created = await CommandLine.RunAsync(["concert", "create", "--file", file, db]);
            Assert.True(created.ExitCode == 0, created.Stderr);
            Assert.Contains("with 1 categories and 200 seats", created.Stdout, StringComparison.Ordinal);
            var id = await Sale.ScalarAsync<int>(sale.DataSource, "SELECT id FROM concerts WHERE name = 'Jazz Night'");

            var list = await CommandLine.RunAsync(["concert", "list", db]);
            Assert.Equal(0, list.ExitCode);
            Assert.Contains("Jazz Night", list.Stdout, StringComparison.Ordinal);
            Assert.Contains("draft", list.Stdout, StringComparison.Ordinal);

            foreach (var (verb, state) in new[] { ("open", "on_sale"), ("pause", "paused"), ("close", "closed") })
            {
                var changed = await CommandLine.RunAsync(["concert", verb, id.ToString(System.Globalization.CultureInfo.InvariantCulture), db]);
                Assert.True(changed.ExitCode == 0, changed.Stderr);
                Assert.Equal(state, await Sale.ScalarAsync<string>(sale.DataSource, "SELECT state FROM concerts WHERE id = $1", id));
            }
            var reopen = await CommandLine.RunAsync(["concert", "open", id.ToString(System.Globalization.CultureInfo.InvariantCulture), db]);
            Assert.Equal(1, reopen.ExitCode);
            Assert.Equal(1, (await CommandLine.RunAsync(["concert", "open", "999999", db])).ExitCode);
            Assert.Equal(2, (await CommandLine.RunAsync(["concert", "open"])).ExitCode);
            Assert.Equal(2, (await CommandLine.RunAsync(["concert", "create"])).ExitCode);
            Assert.Equal(4L, await Sale.ScalarAsync<long>(sale.DataSource,
                "SELECT count(*) FROM admin_audit WHERE concert_id = $1 AND actor LIKE 'cli:%'", id));

            await File.WriteAllTextAsync(file, """{"name": "No categories", "starts_at": "2027-05-01T20:00:00+07:00"}""");
            var invalid = await CommandLine.RunAsync(["concert", "create", "--file", file, db]);
            Assert.Equal(1, invalid.ExitCode);
            Assert.Contains("categories is required", invalid.Stderr, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(file);
        }
    }
}
