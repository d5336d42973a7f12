using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using ConcertTicket.Hosting;
using ConcertTicket.Infrastructure;
using Npgsql;

namespace ConcertTicket.Concerts;

/// <summary>
/// concert create --file concert.json | list | open|pause|close ID: the admin API's concert changes from the command
/// line, against the database directly (no running service needed), audited as "cli:&lt;user&gt;".
/// Exit codes as every command's (2 usage, 3 configuration, 4 unreachable server), plus 1: refused (an invalid
/// file, an unknown concert, a state it cannot take).
/// </summary>
internal static class ConcertCommands
{
    public const string Usage = "concert create --file <concert.json> | concert list | concert open|pause|close <id>";

    private static string Actor => "cli:" + Environment.UserName;

    public static async Task<int> RunAsync(string[] args)
    {
        if (args.Length == 0) return UsageError("a subcommand is required");
        var verb = args[0];
        var rest = args[1..];
        switch (verb)
        {
            case "create":
                var at = Array.IndexOf(rest, "--file");
                var file = at >= 0 && at + 1 < rest.Length ? rest[at + 1] : null;
                if (file is null) return UsageError("create needs --file <concert.json>");
                return await CreateAsync(file, [.. rest.Where((_, i) => i != at && i != at + 1)]);
            case "list":
                return await ListAsync(rest);
            case "open" or "pause" or "close":
                if (rest.Length == 0 || !int.TryParse(rest[0], NumberStyles.None, CultureInfo.InvariantCulture, out var id))
                    return UsageError($"{verb} needs a concert id");
                var state = verb switch { "open" => SaleWindow.OnSale, "pause" => SaleWindow.Paused, _ => SaleWindow.Closed };
                return await SetStateAsync(id, state, rest[1..]);
            default:
                return UsageError($"unknown subcommand '{verb}'");
        }
    }

    private static async Task<int> CreateAsync(string file, string[] args)
    {
        string text;
        try
        {
            text = await File.ReadAllTextAsync(file);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            Console.Error.WriteLine($"concert: cannot read {file}: {e.Message}");
            return 1;
        }
        ConcertDefinition? concert;
        try
        {
            using var document = JsonDocument.Parse(text);
            if (!ConcertReader.TryReadCreate(document.RootElement, out concert, out var errors))
            {
                foreach (var (field, messages) in errors)
                    Console.Error.WriteLine($"concert: {file}: {(field.Length == 0 ? "the body" : field)} {string.Join("; ", messages)}");
                return 1;
            }
        }
        catch (JsonException e)
        {
            Console.Error.WriteLine($"concert: {file} is not valid JSON: {e.Message}");
            return 1;
        }
        using var host = AppHost.CreateToolHost(args);
        var dataSource = host.Services.GetRequiredService<NpgsqlDataSource>();
        await StartupChecks.EnsurePostgresAsync(dataSource, requireSchema: true, CancellationToken.None);
        var started = Stopwatch.GetTimestamp();
        var created = await host.Services.GetRequiredService<ConcertStore>().CreateAsync(concert!, Actor, CancellationToken.None);
        Console.WriteLine($"concert: created concert {created.Id} ({created.Name}, {created.State}) with "
            + $"{created.Categories.Count} categories and {created.Categories.Sum(c => c.Seats)} seats in "
            + $"{Stopwatch.GetElapsedTime(started).TotalSeconds.ToString("0.00", CultureInfo.InvariantCulture)} s; "
            + $"category ids {string.Join(", ", created.Categories.Select(c => c.Id))}.");
        return 0;
    }

    private static async Task<int> ListAsync(string[] args)
    {
        using var host = AppHost.CreateToolHost(args);
        var dataSource = host.Services.GetRequiredService<NpgsqlDataSource>();
        await StartupChecks.EnsurePostgresAsync(dataSource, requireSchema: true, CancellationToken.None);
        var concerts = await host.Services.GetRequiredService<ConcertStore>().ListAsync(CancellationToken.None);
        Console.WriteLine($"{"ID",-6}{"STATE",-10}{"STARTS AT (UTC)",-22}{"SEATS",-9}NAME");
        foreach (var c in concerts)
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{c.Id,-6}{c.State,-10}{c.StartsAt.UtcDateTime,-22:yyyy-MM-dd HH:mm}{c.Categories.Sum(x => x.Seats),-9}{c.Name}"));
        }
        return 0;
    }

    private static async Task<int> SetStateAsync(int id, string state, string[] args)
    {
        using var host = AppHost.CreateToolHost(args);
        var dataSource = host.Services.GetRequiredService<NpgsqlDataSource>();
        await StartupChecks.EnsurePostgresAsync(dataSource, requireSchema: true, CancellationToken.None);
        var result = await host.Services.GetRequiredService<ConcertStore>().SetStateAsync(id, state, Actor, CancellationToken.None);
        switch (result.Outcome)
        {
            case ConcertChange.Changed:
                Console.WriteLine($"concert: concert {id} ({result.Concert!.Name}) is {result.Concert.State}.");
                return 0;
            case ConcertChange.UnknownConcert:
                Console.Error.WriteLine($"concert: no concert has id {id}.");
                return 1;
            default:
                Console.Error.WriteLine($"concert: {result.Detail}");
                return 1;
        }
    }

    private static int UsageError(string message)
    {
        Console.Error.WriteLine($"concert-ticket: {message}. Usage: concert-ticket {Usage}");
        return 2;
    }
}
