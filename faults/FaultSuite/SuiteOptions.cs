using System.Globalization;

namespace FaultSuite;

/// <summary>How long each part of a phase lasts. The short profile is the CI smoke run.</summary>
internal sealed record Profile(
    string Name,
    int Vus,
    TimeSpan WarmUp,
    TimeSpan Baseline,
    TimeSpan Before,
    TimeSpan After,
    TimeSpan GatewayFault,
    TimeSpan PostgresDown,
    TimeSpan PostgresFrozen,
    TimeSpan RedisDown,
    TimeSpan CallbacksLoad,
    bool GatewayFaultsInOnePhase,
    int? ServiceCommandTimeoutSeconds)
{
    public static readonly Profile Full = new("full", Vus: 32, WarmUp: TimeSpan.FromSeconds(5),
        Baseline: TimeSpan.FromSeconds(10), Before: TimeSpan.FromSeconds(4), After: TimeSpan.FromSeconds(10),
        GatewayFault: TimeSpan.FromSeconds(8), PostgresDown: TimeSpan.FromSeconds(5), PostgresFrozen: TimeSpan.FromSeconds(15), RedisDown: TimeSpan.FromSeconds(10),
        CallbacksLoad: TimeSpan.FromSeconds(10), GatewayFaultsInOnePhase: false, ServiceCommandTimeoutSeconds: null);

    /// <summary>
    /// For CI: the four gateway faults one after the other in a single phase, each for a moment, and a Command
    /// Timeout of 3 s so that a short freeze of PostgreSQL still makes Npgsql cancel commands (10 s by default).
    /// </summary>
    public static readonly Profile Short = new("short", Vus: 12, WarmUp: TimeSpan.FromSeconds(2),
        Baseline: TimeSpan.FromSeconds(2), Before: TimeSpan.FromSeconds(1), After: TimeSpan.FromSeconds(4),
        GatewayFault: TimeSpan.FromSeconds(1.5), PostgresDown: TimeSpan.FromSeconds(2), PostgresFrozen: TimeSpan.FromSeconds(6), RedisDown: TimeSpan.FromSeconds(4),
        CallbacksLoad: TimeSpan.FromSeconds(3), GatewayFaultsInOnePhase: true, ServiceCommandTimeoutSeconds: 3);
}

internal sealed class SuiteOptions
{
    /// <summary>Signs the suite's notifications; the service under test is configured with it.</summary>
    public const string ServerKey = "fault-suite-server-key";

    /// <summary>A short hold, so that expiry and late payments happen within a phase.</summary>
    public const int HoldSeconds = 5;

    /// <summary>How long the service waits for the gateway (Payment:Midtrans:TimeoutSeconds).</summary>
    public const int GatewayTimeoutSeconds = 2;

    /// <summary>What the slow gateway takes to answer.</summary>
    public static readonly TimeSpan GatewayDelay = TimeSpan.FromSeconds(5);

    /// <summary>A request still unanswered after this is a hang, counted as a timeout.</summary>
    public static readonly TimeSpan RequestTimeout = TimeSpan.FromSeconds(20);

    public const int Emails = 100_000;

    public required string ServicesScript { get; init; }

    public required string PostgresDir { get; init; }

    public required int PostgresPort { get; init; }

    /// <summary>Passed to start_postgres again on a restart: "fast" or "" (durable).</summary>
    public string PostgresMode { get; init; } = "";

    public required string RedisDir { get; init; }

    public required int RedisPort { get; init; }

    public required string AppDll { get; init; }

    public required string OutDir { get; init; }

    /// <summary>Child process ids are appended here, so the calling script can end them if the suite dies.</summary>
    public string? PidFile { get; init; }

    public Profile Profile { get; init; } = Profile.Full;

    public int Vus { get; init; }

    /// <summary>
    /// A failed request during a PostgreSQL or Redis outage must answer within this: the service's
    /// Postgres:OperationTimeoutSeconds (5 s), plus 2 s for a busy machine.
    /// </summary>
    public TimeSpan FailFastBound { get; init; } = TimeSpan.FromSeconds(7);

    /// <summary>Phase names to run (baseline always runs); null runs them all.</summary>
    public IReadOnlySet<string>? Only { get; init; }

    public string PostgresConnectionString =>
        $"Host=127.0.0.1;Port={PostgresPort};Username=postgres;Database=concert_ticket";

    public const string Usage = """
        Usage: fault-suite run --services-script scripts/lib/services.sh --pg-dir DIR --pg-port N [--pg-mode fast]
                               --redis-dir DIR --redis-port N --app concert-ticket.dll --out DIR
                               [--short] [--vus N] [--only sigkill,postgres,...] [--fail-fast-bound 7s] [--pid-file FILE]
               fault-suite check --postgres CONNECTION_STRING [--hold-seconds N] [--loadgen-report FILE]

        faults/run.sh starts PostgreSQL and Redis and calls 'run'; faults/cluster.sh calls 'check'.
        """;

    private static readonly string[] RequiredOptions = ["--services-script", "--pg-dir", "--pg-port", "--redis-dir", "--redis-port", "--app", "--out"];

    public static SuiteOptions? Parse(string[] args, out string? error)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        var flags = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < args.Length; i++)
        {
            if (args[i] is "--short")
            {
                flags.Add(args[i]);
            }
            else if (args[i].StartsWith("--", StringComparison.Ordinal) && i + 1 < args.Length)
            {
                values[args[i]] = args[++i];
            }
            else
            {
                error = $"unexpected argument '{args[i]}'";
                return null;
            }
        }
        string? Required(string name) => values.TryGetValue(name, out var v) ? v : null;
        var missing = RequiredOptions.Where(n => Required(n) is null).ToList();
        if (missing.Count > 0)
        {
            error = "missing " + string.Join(", ", missing);
            return null;
        }
        var profile = flags.Contains("--short") ? Profile.Short : Profile.Full;
        error = null;
        return new SuiteOptions
        {
            ServicesScript = Path.GetFullPath(values["--services-script"]),
            PostgresDir = Path.GetFullPath(values["--pg-dir"]),
            PostgresPort = int.Parse(values["--pg-port"], CultureInfo.InvariantCulture),
            PostgresMode = values.GetValueOrDefault("--pg-mode", ""),
            RedisDir = Path.GetFullPath(values["--redis-dir"]),
            RedisPort = int.Parse(values["--redis-port"], CultureInfo.InvariantCulture),
            AppDll = Path.GetFullPath(values["--app"]),
            OutDir = Path.GetFullPath(values["--out"]),
            PidFile = values.GetValueOrDefault("--pid-file"),
            Profile = profile,
            Vus = values.TryGetValue("--vus", out var vus) ? int.Parse(vus, CultureInfo.InvariantCulture) : profile.Vus,
            FailFastBound = values.TryGetValue("--fail-fast-bound", out var bound) ? ParseDuration(bound) : TimeSpan.FromSeconds(7),
            Only = values.TryGetValue("--only", out var only) ? only.Split(',', StringSplitOptions.RemoveEmptyEntries).ToHashSet() : null,
        };
    }

    /// <summary>"500ms", "6s" or "1.5s".</summary>
    public static TimeSpan ParseDuration(string text) =>
        text.EndsWith("ms", StringComparison.Ordinal)
            ? TimeSpan.FromMilliseconds(double.Parse(text[..^2], CultureInfo.InvariantCulture))
            : TimeSpan.FromSeconds(double.Parse(text.TrimEnd('s'), CultureInfo.InvariantCulture));
}
