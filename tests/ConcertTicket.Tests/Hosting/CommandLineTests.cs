using ConcertTicket.Tests.Infrastructure;

namespace ConcertTicket.Tests.Hosting;

[Collection(LiveServersGroup.Name)]
public sealed class CommandLineTests(LiveServers stack)
{
    [Fact]
    public async Task Help_lists_every_command_and_each_command_has_its_own_help()
    {
        var help = await CommandLine.RunAsync(["--help"]);
        Assert.Equal(0, help.ExitCode);
        foreach (var command in new[] { "serve-all", "serve-http", "serve-worker", "migrate", "seed", "reconcile" })
        {
            Assert.Contains(command, help.Stdout, StringComparison.Ordinal);
            var own = await CommandLine.RunAsync([command, "--help"]);
            Assert.Equal(0, own.ExitCode);
            Assert.Contains($"concert-ticket {command}", own.Stdout, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task An_unknown_command_fails_with_usage()
    {
        var result = await CommandLine.RunAsync(["serve-everything"]);
        Assert.Equal(2, result.ExitCode);
        Assert.Contains("unknown command 'serve-everything'", result.Stderr, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("migrate")]
    [InlineData("seed")]
    [InlineData("serve-all")]
    [InlineData("serve-worker")]
    public async Task An_unreachable_database_gives_one_clear_line_naming_what_was_tried_and_a_nonzero_exit(string command)
    {
        var result = await CommandLine.RunAsync([command, ..stack.Args(
            "--ConnectionStrings:Postgres=Host=127.0.0.1;Port=1;Username=postgres;Database=nowhere;Timeout=2",
            "--urls=http://127.0.0.1:0")]);

        Assert.Equal(4, result.ExitCode);
        var line = Assert.Single(result.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith("concert-ticket: cannot reach PostgreSQL at 127.0.0.1:1 (database nowhere", line, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_unreachable_redis_gives_one_clear_line_and_a_nonzero_exit()
    {
        var result = await CommandLine.RunAsync(["serve-http", ..stack.Args(
            "--ConnectionStrings:Redis=127.0.0.1:1,connectTimeout=500", "--urls=http://127.0.0.1:0")]);

        Assert.Equal(4, result.ExitCode);
        Assert.StartsWith("concert-ticket: cannot reach Redis at 127.0.0.1:1", result.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", result.Stderr, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("--Order:HoldSeconds=0", "Order:HoldSeconds")]
    [InlineData("--Categories:RefreshSeconds=0", "Categories:RefreshSeconds")]
    [InlineData("--Payment:Gateway=PayPal", "Payment:Gateway")]
    [InlineData("--Payment:ServerKey=", "Payment:ServerKey")]
    [InlineData("--Payment:Midtrans:Bank=mandiri", "Payment:Midtrans:Bank")]
    [InlineData("--Payment:Fake:LatencyMs=-5", "Payment:Fake:LatencyMs")]
    public async Task Invalid_configuration_fails_at_start_naming_the_key(string setting, string key)
    {
        var result = await CommandLine.RunAsync(["serve-all", ..stack.Args(setting, "--urls=http://127.0.0.1:0")]);

        Assert.Equal(3, result.ExitCode);
        Assert.Contains($"invalid configuration: {key}", result.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", result.Stderr, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("serve-all")]
    [InlineData("serve-http")]
    [InlineData("serve-worker")]
    public async Task Outside_development_a_missing_payment_gateway_fails_at_start_with_one_line(string command)
    {
        var withoutGateway = stack.Args("--environment=Production", "--urls=http://127.0.0.1:0")
            .Where(a => !a.StartsWith("--Payment:Gateway=", StringComparison.Ordinal));
        var result = await CommandLine.RunAsync([command, .. withoutGateway]);

        Assert.Equal(3, result.ExitCode);
        var line = Assert.Single(result.Stderr.Split('\n', StringSplitOptions.TrimEntries), l => l.Contains("invalid configuration", StringComparison.Ordinal));
        Assert.StartsWith("concert-ticket: invalid configuration: Payment:Gateway is required outside Development", line, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Migrate_and_seed_on_an_up_to_date_database_change_nothing_and_say_so()
    {
        var migrate = await CommandLine.RunAsync(["migrate", .. stack.Args()]);
        Assert.Equal(0, migrate.ExitCode);
        Assert.Contains("up to date", migrate.Stdout, StringComparison.Ordinal);

        var seed = await CommandLine.RunAsync(["seed", .. stack.Args()]);
        Assert.Equal(0, seed.ExitCode);
        Assert.Contains("already holds a sale", seed.Stdout, StringComparison.Ordinal);
    }
}
