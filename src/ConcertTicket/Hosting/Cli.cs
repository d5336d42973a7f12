using System.Globalization;
using ConcertTicket.Infrastructure;
using ConcertTicket.Reconciliation;
using Microsoft.Extensions.Options;
using Npgsql;

namespace ConcertTicket.Hosting;

/// <summary>The command line: one verb per way of running, the rest are configuration overrides.</summary>
internal static class Cli
{
    private sealed record Command(string Name, string Summary, Func<string[], Task<int>> Run);

    private static readonly Command[] Commands =
    [
        new("serve-all", "HTTP API, categories cache refresher, expiry worker and gateway void worker in one process (with Midtrans also the reconciliation sweep and nightly proof)", args => ServeWebAsync(args, withWorkers: true)),
        new("serve-http", "HTTP API only (run one or more behind a load balancer)", args => ServeWebAsync(args, withWorkers: false)),
        new("serve-worker", "categories cache refresher, expiry worker and gateway void worker, no HTTP API (with Midtrans also the reconciliation sweep and nightly proof)", ServeWorkerAsync),
        new("migrate", "apply the SQL migrations in db/migrations that are not applied yet, then exit", MigrateAsync),
        new("seed", "load the sale (db/seed) into an empty database, then exit", SeedAsync),
        new("reconcile", "compare one day's orders with Midtrans (--date YYYY-MM-DD [--json]); exit 0 when all agree, 1 otherwise", ReconcileAsync),
        new("concert", "create --file <concert.json> | list | open|pause|close <id>: the organiser's concerts (exit 1: refused)", Concerts.ConcertCommands.RunAsync),
    ];

    public static async Task<int> RunAsync(string[] args)
    {
        if (args.Length == 0 || args[0] is "--help" or "-h" or "help")
        {
            PrintUsage();
            return args.Length == 0 ? 2 : 0;
        }

        var command = Array.Find(Commands, c => c.Name == args[0]);
        if (command is null)
        {
            Console.Error.WriteLine($"concert-ticket: unknown command '{args[0]}'.");
            PrintUsage();
            return 2;
        }

        var rest = args[1..];
        if (rest.Contains("--help") || rest.Contains("-h"))
        {
            PrintCommandHelp(command);
            return 0;
        }

        try
        {
            return await command.Run(rest);
        }
        catch (OptionsValidationException e)
        {
            foreach (var failure in e.Failures)
            {
                Console.Error.WriteLine($"concert-ticket: invalid configuration: {failure}");
            }
            return 3;
        }
        catch (DependencyUnavailableException e)
        {
            Console.Error.WriteLine($"concert-ticket: {e.Message}");
            return 4;
        }
    }

    private static async Task<int> ServeWebAsync(string[] args, bool withWorkers)
    {
        var app = AppHost.CreateWebApp(args, withWorkers);
        Postgres.ReserveThreadsForCancellation(app.Services.GetRequiredService<NpgsqlDataSource>());
        await StartupChecks.EnsureReachableAsync(app.Services, CancellationToken.None);
        await app.RunAsync();
        return 0;
    }

    private static async Task<int> ServeWorkerAsync(string[] args)
    {
        using var host = AppHost.CreateWorkerHost(args);
        Postgres.ReserveThreadsForCancellation(host.Services.GetRequiredService<NpgsqlDataSource>());
        await StartupChecks.EnsureReachableAsync(host.Services, CancellationToken.None);
        await host.RunAsync();
        return 0;
    }

    private static async Task<int> MigrateAsync(string[] args)
    {
        using var host = AppHost.CreateToolHost(args);
        var migrator = host.Services.GetRequiredService<Migrator>();
        var applied = await migrator.MigrateAsync(CancellationToken.None);
        Console.WriteLine(applied.Count == 0
            ? "migrate: the database is up to date."
            : $"migrate: applied {string.Join(", ", applied)}.");
        return 0;
    }

    private static async Task<int> SeedAsync(string[] args)
    {
        using var host = AppHost.CreateToolHost(args);
        var seeder = host.Services.GetRequiredService<Seeder>();
        var result = await seeder.SeedAsync(CancellationToken.None);
        Console.WriteLine(result.AlreadySeeded
            ? $"seed: the database already holds a sale ({result.Seats} seats); nothing changed."
            : $"seed: loaded {result.Categories} categories and {result.Seats} seats in {result.Elapsed.TotalSeconds:0.00} s.");
        return 0;
    }

    private static async Task<int> ReconcileAsync(string[] args)
    {
        var json = args.Contains("--json");
        var dateAt = Array.IndexOf(args, "--date");
        if (dateAt < 0 || dateAt + 1 >= args.Length
            || !DateOnly.TryParseExact(args[dateAt + 1], "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var day))
        {
            Console.Error.WriteLine("concert-ticket reconcile: --date YYYY-MM-DD is required (a UTC day).");
            return 2;
        }
        string[] rest = [.. args.Where((a, i) => a != "--json" && i != dateAt && i != dateAt + 1)];
        // The report is the standard output; log lines go to the standard error.
        using var host = AppHost.CreateWorkerHost(rest, b => b.Services.Configure<Microsoft.Extensions.Logging.Console.ConsoleLoggerOptions>(
            o => o.LogToStandardErrorThreshold = LogLevel.Trace), withWorkers: false);
        if (!host.Services.GetRequiredService<IOptions<Payments.PaymentOptions>>().Value.UsesMidtrans)
        {
            Console.Error.WriteLine("concert-ticket reconcile: Payment:Gateway must be Midtrans: the Fake gateway holds no payments to compare with.");
            return 3;
        }
        // Only PostgreSQL and Midtrans are used: Redis may be down.
        await StartupChecks.EnsurePostgresAsync(host.Services.GetRequiredService<Npgsql.NpgsqlDataSource>(), requireSchema: true, CancellationToken.None);
        var report = await host.Services.GetRequiredService<DailyReconciliation>().RunAsync(day, CancellationToken.None);
        Console.Write(json ? report.ToJson() : report.ToText());
        return report.AllAgree ? 0 : 1;
    }

    private static void PrintUsage()
    {
        Console.WriteLine("Usage: concert-ticket <command> [--urls http://host:port] [--Key:Sub=value ...]");
        Console.WriteLine();
        Console.WriteLine("Commands:");
        foreach (var c in Commands)
        {
            Console.WriteLine($"  {c.Name,-14}{c.Summary}");
        }
        Console.WriteLine();
        Console.WriteLine("Configuration comes from appsettings.json, environment variables (ConnectionStrings__Postgres)");
        Console.WriteLine("and command-line overrides (--ConnectionStrings:Postgres=...). 'concert-ticket <command> --help' for more.");
    }

    private static void PrintCommandHelp(Command command)
    {
        Console.WriteLine($"Usage: concert-ticket {command.Name} [options]");
        Console.WriteLine();
        Console.WriteLine($"  {command.Summary}.");
        Console.WriteLine();
        Console.WriteLine("Options (any configuration key can be given as --Section:Key=value):");
        if (command.Name.StartsWith("serve", StringComparison.Ordinal) && command.Name != "serve-worker")
        {
            Console.WriteLine("  --urls <urls>                           listening addresses (default http://localhost:8080)");
        }
        Console.WriteLine("  --ConnectionStrings:Postgres=<npgsql>    PostgreSQL connection string");
        if (command.Name.StartsWith("serve", StringComparison.Ordinal))
        {
            Console.WriteLine("  --ConnectionStrings:Redis=<redis>        Redis configuration string");
            Console.WriteLine("  --Categories:RefreshSeconds=<n>          cache refresh period (default 3)");
            Console.WriteLine("  --Order:HoldSeconds=<n>                  unpaid hold window (default 900)");
            Console.WriteLine("  --Payment:Gateway=Fake|Midtrans          payment gateway (required outside Development, where it defaults to Fake)");
        }
        if (command.Name == "reconcile")
        {
            Console.WriteLine("  --date <YYYY-MM-DD>                     the UTC day whose orders are compared (required)");
            Console.WriteLine("  --json                                  the report as JSON instead of text");
            Console.WriteLine("  --Payment:Gateway=Midtrans              (and its Payment:ServerKey, Payment:Midtrans:BaseUrl)");
        }
        Console.WriteLine("  --environment <name>                    Development, Production, ...");
    }
}
