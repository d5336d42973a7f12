using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Npgsql;

namespace FaultSuite;

/// <summary>
/// A fault to inject while the load runs. <paramref name="AllowedErrors"/> are the failures the fault may cause
/// (outcomes such as "503 dependency_unavailable"); any other failure fails the phase. <paramref name="Review"/>
/// adds checks from the phase's requests once the load has stopped.
/// </summary>
internal sealed record Phase(string Name, string Fault, string[] AllowedErrors, Func<PhaseRun, Task> Inject,
    Func<PhaseRun, List<Sample>, IEnumerable<Check>>? Review = null, bool HasFault = true, bool FailFast = false);

/// <summary>What a phase's injection can reach, and what it reports back.</summary>
internal sealed class PhaseRun(Suite suite)
{
    public Suite Suite { get; } = suite;

    public long FaultStartMs { get; set; }

    public long? FaultEndMs { get; set; }

    public List<Check> Checks { get; } = [];

    public List<string> Notes { get; } = [];

    public long NowMs => Suite.Recorder.NowMs;
}

internal sealed class PhaseResult(string name, string fault, Metrics metrics, List<Check> checks, List<Check> invariants,
    List<string> notes, SaleTotals totals)
{
    public string Name { get; } = name;

    public string Fault { get; } = fault;

    public Metrics Metrics { get; } = metrics;

    public List<Check> Checks { get; } = checks;

    public List<Check> Invariants { get; } = invariants;

    public List<string> Notes { get; } = notes;

    public SaleTotals Totals { get; } = totals;

    public bool Ok => Checks.All(c => c.Ok) && Invariants.All(c => c.Ok);
}

/// <summary>
/// Runs the service as a real process against real PostgreSQL and Redis and a Midtrans stand-in, puts load on it,
/// and injects one fault per phase; after each phase it checks the sale's invariants in the database.
/// </summary>
internal sealed class Suite(SuiteOptions options, MidtransStandIn gateway, ServiceProcess service, Recorder recorder,
    Api api, Notifications notifications)
{
    public SuiteOptions Options { get; } = options;

    public MidtransStandIn Gateway { get; } = gateway;

    public ServiceProcess Service { get; } = service;

    public Recorder Recorder { get; } = recorder;

    public Api Api { get; } = api;

    public Notifications Notifications { get; } = notifications;

    public Load Load { get; } = new(api, notifications, recorder, options.Vus);

    public Dependencies Dependencies { get; } = new(options);

    public static async Task<int> RunAsync(SuiteOptions options)
    {
        Directory.CreateDirectory(options.OutDir);
        Log($"fault suite ({options.Profile.Name}): {options.Vus} VUs, hold {SuiteOptions.HoldSeconds} s, gateway timeout {SuiteOptions.GatewayTimeoutSeconds} s; logs in {options.OutDir}");
        await AddSmallCategoryAsync(options.PostgresConnectionString);
        await using var gateway = await MidtransStandIn.StartAsync();
        gateway.SlowDelay = SuiteOptions.GatewayDelay;
        var service = new ServiceProcess(options, "serve-all", FreePort(), ServiceEnvironment(options, gateway.BaseUrl));
        var started = await service.StartAsync(TimeSpan.FromSeconds(90));
        Log($"service up at {service.BaseUrl} in {started.TotalSeconds:0.0} s (pid {service.ProcessId})");

        var recorder = new Recorder();
        using var api = new Api(recorder, service.BaseUrl, connections: options.Vus * 4 + 32);
        await using var notifications = new Notifications(api, recorder);
        var suite = new Suite(options, gateway, service, recorder, api, notifications);
        List<PhaseResult> results;
        try
        {
            results = await suite.RunPhasesAsync();
        }
        finally
        {
            await service.StopAsync();
        }

        await File.WriteAllLinesAsync(Path.Combine(options.OutDir, "requests.csv"),
            recorder.Samples.OrderBy(s => s.StartMs).Select(s => string.Create(CultureInfo.InvariantCulture,
                $"{s.StartMs},{s.EndMs},{s.Kind},{s.Outcome},{s.Ok},{s.RetryAfter},{s.Stale}")).Prepend("start_ms,end_ms,kind,outcome,ok,retry_after,stale"));
        var report = Report.Render(options, results);
        Console.Out.Write(report);
        var path = Path.Combine(options.OutDir, "fault-report.md");
        await File.WriteAllTextAsync(path, report);
        var ok = results.All(r => r.Ok);
        Console.Out.WriteLine($"fault suite ({options.Profile.Name}): {(ok ? "passed" : "FAILED")}, {results.Count(r => r.Ok)} of {results.Count} phases passed; report {path}");
        return ok ? 0 : 1;
    }

    private async Task<List<PhaseResult>> RunPhasesAsync()
    {
        // Warm-up, not measured: the first requests pay for JIT compilation and new connections.
        using (var warm = new CancellationTokenSource(Options.Profile.WarmUp))
        {
            await Load.RunAsync(warm.Token);
        }
        await Notifications.DrainAsync(TimeSpan.FromSeconds(30));
        Recorder.Samples.Clear();

        var results = new List<PhaseResult>();
        foreach (var phase in Phases.All(this))
        {
            if (Options.Only is { } only && phase.Name != "baseline" && !only.Contains(phase.Name)) continue;
            var result = await RunPhaseAsync(phase);
            results.Add(result);
            Log($"{phase.Name}: {(result.Ok ? "ok" : "FAILED")}: {result.Metrics.Requests} requests, {result.Metrics.Errors} errors, longest gap {result.Metrics.LongestGapMs} ms");
            foreach (var failed in result.Checks.Concat(result.Invariants).Where(c => !c.Ok)) Log($"  failed: {failed.Name}: {failed.Detail}");
        }
        results.Add(await FinalAsync());
        return results;
    }

    private async Task<PhaseResult> RunPhaseAsync(Phase phase)
    {
        Log($"{phase.Name}: {phase.Fault}");
        var run = new PhaseRun(this);
        var loadFrom = Recorder.NowMs;
        using var stop = new CancellationTokenSource();
        var load = Load.RunAsync(stop.Token);
        var pid = Service.ProcessId;
        if (phase.HasFault) await Task.Delay(Options.Profile.Before);
        run.FaultStartMs = Recorder.NowMs;
        await phase.Inject(run);
        run.FaultEndMs ??= Recorder.NowMs;
        if (phase.HasFault) await Task.Delay(Options.Profile.After);
        await stop.CancelAsync();
        await load;
        var loadTo = Recorder.NowMs;
        Load.Behaviour = Behaviour.Scenario;

        var samples = Recorder.Between(loadFrom, loadTo);
        var metrics = Metrics.From(samples, loadFrom, run.FaultEndMs.Value, loadTo);
        var checks = new List<Check>();
        var unexpected = samples.Where(s => !s.Ok && !phase.AllowedErrors.Contains(s.Outcome))
            .GroupBy(s => $"{s.Kind} {s.Outcome}").ToDictionary(g => g.Key, g => g.Count());
        checks.Add(new Check(
            phase.AllowedErrors.Length == 0 ? "no failed request" : $"only the failures the fault explains ({string.Join(", ", phase.AllowedErrors)})",
            unexpected.Count == 0, unexpected.Count == 0 ? $"{metrics.Errors} failures" : Describe(unexpected)));
        checks.Add(new Check($"no request hung (none unanswered after {SuiteOptions.RequestTimeout.TotalSeconds:0} s)", metrics.Timeouts == 0,
            $"{metrics.Timeouts} timeouts; slowest answer {metrics.MaxLatencyMs} ms"));
        if (phase.FailFast)
        {
            checks.Add(new Check($"failed fast: every failure answered within {Options.FailFastBound.TotalSeconds:0.#} s",
                metrics.SlowestFailureMs <= Options.FailFastBound.TotalMilliseconds, $"slowest failure {metrics.SlowestFailureMs} ms"));
            checks.Add(new Check("every 503 carried Retry-After", metrics.FailuresWithoutRetryAfter == 0,
                $"{metrics.FailuresWithoutRetryAfter} without"));
            checks.Add(new Check("recovered by itself (same process, no restart)", Service.ProcessId == pid, $"pid {pid} → {Service.ProcessId}"));
        }
        if (phase.HasFault)
        {
            // Recovered: the failures stopped well before the end of the phase, and orders went through after the fault.
            var recoveredBy = Options.Profile.After.TotalMilliseconds - 1000;
            var ordersAfter = samples.Count(s => s.Kind == Kind.Order && s.Ok && s.StartMs >= run.FaultEndMs);
            var errorsEnd = metrics.ErrorsEndAfterFaultMs ?? 0;
            checks.Add(new Check("recovered: failures stopped and orders went through after the fault",
                errorsEnd <= recoveredBy && ordersAfter > 0,
                $"last failure {errorsEnd} ms after the fault ended; {ordersAfter} orders answered after it"));
        }
        checks.AddRange(run.Checks);
        if (phase.Review is { } review) checks.AddRange(review(run, samples));
        var drained = await Notifications.DrainAsync(TimeSpan.FromSeconds(30));
        if (!drained) run.Notes.Add($"{Notifications.Outstanding} settlements still being retried at the check");
        var surprises = new List<string>();
        while (Recorder.Surprises.TryDequeue(out var s)) surprises.Add(s);
        checks.Add(new Check("every answer said what the service promises", surprises.Count == 0,
            surprises.Count == 0 ? "no surprise" : $"{surprises.Count}: {string.Join("; ", surprises.Take(3))}"));
        var checkedAt = Recorder.NowMs;
        var (invariants, totals) = await Invariants.CheckAsync(Options.PostgresConnectionString, SuiteOptions.HoldSeconds, Recorder);
        Log($"{phase.Name}: load stopped {loadTo - run.FaultEndMs.Value} ms after the fault ended, settlements drained in {checkedAt - loadTo} ms, invariants checked in {Recorder.NowMs - checkedAt} ms");
        return new PhaseResult(phase.Name, phase.Fault, metrics, checks, invariants, run.Notes, totals);
    }

    /// <summary>After every phase: all money delivered (Midtrans-style retries done), and the invariants once more.</summary>
    private async Task<PhaseResult> FinalAsync()
    {
        Log("final: waiting for late settlements and retries, then checking everything once more");
        var from = Recorder.NowMs;
        var drained = await Notifications.DrainAsync(TimeSpan.FromSeconds(60));
        var gaveUp = Notifications.GaveUp;
        var checks = new List<Check>
        {
            new("every settlement answered 2xx in the end (Midtrans-style retries)", drained && gaveUp.Count == 0,
                $"{Recorder.SettlementsOk.Count} delivered, {Notifications.Outstanding} outstanding, {gaveUp.Count} given up"),
        };
        var all = Recorder.Samples.ToList();
        checks.Add(new Check("no request hung during the whole run", all.All(s => s.Outcome != "timeout"),
            $"{all.Count(s => s.Outcome == "timeout")} timeouts in {all.Count} requests"));
        var (invariants, totals) = await Invariants.CheckAsync(Options.PostgresConnectionString, SuiteOptions.HoldSeconds, Recorder);
        var notes = new List<string>
        {
            $"late settlements: {Recorder.LateSettlements.Count} ({string.Join(", ", Recorder.LateSettlements.Values.GroupBy(v => v).Select(g => $"{g.Count()} {g.Key}"))})",
            $"gateway stand-in: {Gateway.Charges} charges, {Gateway.Expires} expire calls",
        };
        var metrics = Metrics.From(Recorder.Between(from, Recorder.NowMs), from, from, Recorder.NowMs);
        return new PhaseResult("final", "none: every retried and late settlement delivered", metrics, checks, invariants, notes, totals);
    }

    private static Dictionary<string, string> ServiceEnvironment(SuiteOptions options, string gatewayUrl) =>
        new Dictionary<string, string>
        {
            ["ConnectionStrings__Postgres"] = options.Profile.ServiceCommandTimeoutSeconds is { } commandTimeout
                ? $"{options.PostgresConnectionString};Command Timeout={commandTimeout}"
                : options.PostgresConnectionString,
            ["ConnectionStrings__Redis"] = $"127.0.0.1:{options.RedisPort}",
            ["Payment__Gateway"] = "Midtrans",
            ["Payment__Midtrans__BaseUrl"] = gatewayUrl,
            ["Payment__Midtrans__TimeoutSeconds"] = SuiteOptions.GatewayTimeoutSeconds.ToString(CultureInfo.InvariantCulture),
            ["Payment__ServerKey"] = SuiteOptions.ServerKey,
            // The suite posts its notifications itself, not through the stand-in's PayAsync: the stand-in could not confirm them.
            ["Payment__Midtrans__VerifyNotifications"] = "false",
            ["Order__HoldSeconds"] = SuiteOptions.HoldSeconds.ToString(CultureInfo.InvariantCulture),
            ["Categories__RefreshSeconds"] = "1",
            // All VUs come from one address and draw from one list of emails: the abuse limits would refuse them.
            ["Protection__OrdersPerIpPerMinute"] = "0",
            ["Protection__OrdersPerEmailPerMinute"] = "0",
            ["Logging__LogLevel__Default"] = "Warning",
            ["DOTNET_ENVIRONMENT"] = "Production",
            ["ASPNETCORE_ENVIRONMENT"] = "Production",
        };

    /// <summary>A category of 20 seats beside the seeded ones: it sells out early, so late money meets a full category.</summary>
    private static async Task AddSmallCategoryAsync(string connectionString)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("""
            WITH c AS (
                INSERT INTO categories (concert_id, name, price)
                SELECT min(id), 'FAULTS SMALL', 1500000 FROM concerts
                WHERE NOT EXISTS (SELECT 1 FROM categories WHERE name = 'FAULTS SMALL')
                RETURNING id
            )
            INSERT INTO seats (category_id, row_no, col_no) SELECT c.id, 1, n FROM c, generate_series(1, 20) AS n
            """, connection);
        await command.ExecuteNonQueryAsync();
    }

    private static string Describe(Dictionary<string, int> counts) =>
        string.Join(", ", counts.OrderByDescending(kv => kv.Value).Select(kv => $"{kv.Value} × {kv.Key}"));

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public static void Log(string line) =>
        Console.Error.WriteLine($"[{DateTime.Now:HH:mm:ss}] {line}");
}
