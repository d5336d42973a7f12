using System.Globalization;
using System.Text.Json;
using LoadGenerator;

// With --io sockets: socket completions run the VUs' continuations on the runtime's epoll threads (one per core)
// instead of a hop through the thread pool for every response, which costs client CPU (loadtest/README.md). The default --io epoll has its own loops and does not use this. The runtime reads this variable when the first socket starts async I/O, i.e. after
// this line; setting it to 0 outside keeps the thread-pool dispatch. The VUs never block, which this requires.
const string inlineCompletions = "DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS";
if (Environment.GetEnvironmentVariable(inlineCompletions) is null)
{
    Environment.SetEnvironmentVariable(inlineCompletions, "1");
}

if (args.Length > 0 && args[0] == "surge") return await Surge.RunAsync(args[1..]);

var options = LoadOptions.Parse(args, out var error);
if (options is null)
{
    if (error is null)
    {
        Console.Out.WriteLine(LoadOptions.Usage);
        return 0;
    }

    Console.Error.WriteLine($"loadgen: {error}\nRun with --help for the options.");
    return 2;
}

var seed = options.Seed ?? Random.Shared.Next();
var label = Label(options);
using var run = new LoadRun(options, seed);
Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = true;
    run.Interrupt();
};

Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture,
    $"loadgen: {(options.OnlyGetPath is { } path ? $"GET {path}" : "scenario")} with {options.Vus} VUs for {options.Duration.TotalSeconds:0.###}s against {options.BaseUrl} (seed {seed}); Ctrl+C stops early"));
var result = await run.RunAsync(Console.Error);
var report = ReportBuilder.Build(result, label, args);
ConsoleReport.Write(Console.Out, report);

Directory.CreateDirectory(options.OutDir);
var stem = Path.Combine(options.OutDir, $"{label}-{result.StartedAt:yyyyMMdd-HHmmss}");
await File.WriteAllTextAsync(stem + ".json", JsonSerializer.Serialize(report, ReportJsonContext.Default.RunReport));
await File.WriteAllTextAsync(stem + ".html", HtmlReport.Render(report));
Console.Out.WriteLine($"Reports: {stem}.json, {stem}.html");

return options.FailOnErrors && report.Overall.Errors > 0 ? 1 : 0;

static string Label(LoadOptions options)
{
    var text = options.Label ?? string.Create(CultureInfo.InvariantCulture,
        $"{(options.OnlyGetPath is null ? "scenario" : "get")}-{options.Vus}vu");

    // The label names files: keep it to characters every file system takes.
    return string.Concat(text.Select(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' ? c : '-'));
}
