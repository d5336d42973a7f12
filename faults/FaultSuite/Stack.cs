using System.Diagnostics;
using System.Globalization;

namespace FaultSuite;

/// <summary>
/// Stops and starts the private PostgreSQL and Redis with the same shell functions that started them
/// (scripts/lib/services.sh), so a restart is exactly a start.
/// </summary>
internal sealed class Dependencies(SuiteOptions options)
{
    public Task StopPostgresAsync() => ShellAsync("stop_postgres \"$2\"", options.PostgresDir);

    public Task StartPostgresAsync() =>
        ShellAsync("start_postgres \"$2\" \"$3\" \"$4\"", options.PostgresDir, Invariant(options.PostgresPort), options.PostgresMode);

    /// <summary>
    /// SIGSTOP on the postmaster, then on its children: the port still accepts connections and every query
    /// hangs, as in a network partition or a stalled disk, so only the service's own timeouts can end a request.
    /// </summary>
    public Task FreezePostgresAsync() => ShellAsync("""
        pm=$(head -n 1 "$2/postmaster.pid") && kill -STOP "$pm" && kill -STOP $(pgrep -P "$pm")
        """, options.PostgresDir);

    public Task ThawPostgresAsync() => ShellAsync("""
        pm=$(head -n 1 "$2/postmaster.pid") && kill -CONT $(pgrep -P "$pm") && kill -CONT "$pm"
        """, options.PostgresDir);

    /// <summary>Ends redis-server (SIGTERM; a cache only, it keeps nothing) and waits until its port is closed.</summary>
    public async Task StopRedisAsync()
    {
        await ShellAsync("stop_redis \"$2\"", options.RedisDir);
        var deadline = Stopwatch.StartNew();
        while (await PortOpenAsync(options.RedisPort) && deadline.Elapsed < TimeSpan.FromSeconds(10))
        {
            await Task.Delay(50);
        }
    }

    public Task StartRedisAsync() => ShellAsync("start_redis \"$2\" \"$3\"", options.RedisDir, Invariant(options.RedisPort));

    private async Task ShellAsync(string command, params string[] args)
    {
        var start = new ProcessStartInfo("bash") { UseShellExecute = false, RedirectStandardError = true };
        start.ArgumentList.Add("-c");
        start.ArgumentList.Add($"source \"$1\" && {command}");
        start.ArgumentList.Add("bash");
        start.ArgumentList.Add(options.ServicesScript);
        foreach (var a in args) start.ArgumentList.Add(a);
        using var process = Process.Start(start)!;
        var stderr = await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"'{command}' failed with exit code {process.ExitCode}: {stderr.Trim()}");
        }
    }

    public static async Task<bool> PortOpenAsync(int port)
    {
        using var client = new System.Net.Sockets.TcpClient();
        try
        {
            await client.ConnectAsync(System.Net.IPAddress.Loopback, port);
            return true;
        }
        catch (System.Net.Sockets.SocketException)
        {
            return false;
        }
    }

    private static string Invariant(int value) => value.ToString(CultureInfo.InvariantCulture);
}

/// <summary>
/// The service under test as a real child process (dotnet concert-ticket.dll serve-all), its output appended to a
/// log file; killed with SIGKILL and started again like a supervisor would.
/// </summary>
internal sealed class ServiceProcess(SuiteOptions options, string command, int port, IReadOnlyDictionary<string, string> environment)
{
    private Process? _process;

    public string BaseUrl { get; } = $"http://127.0.0.1:{port}";

    public string LogPath => Path.Combine(options.OutDir, $"service-{port}.log");

    public int? ProcessId => _process?.Id;

    /// <summary>Starts the process and waits until /health answers; returns how long that took.</summary>
    public async Task<TimeSpan> StartAsync(TimeSpan readyTimeout)
    {
        var started = Stopwatch.StartNew();
        // exec keeps one process: the id we hold is the service's, and its output goes straight to the file.
        var start = new ProcessStartInfo("bash") { UseShellExecute = false };
        start.ArgumentList.Add("-c");
        start.ArgumentList.Add("exec dotnet \"$1\" \"$2\" --urls \"$3\" >>\"$4\" 2>&1");
        start.ArgumentList.Add("bash");
        start.ArgumentList.Add(options.AppDll);
        start.ArgumentList.Add(command);
        start.ArgumentList.Add(BaseUrl);
        start.ArgumentList.Add(LogPath);
        foreach (var (key, value) in environment) start.Environment[key] = value;
        _process = Process.Start(start)!;
        if (options.PidFile is { } pidFile)
        {
            await File.AppendAllTextAsync(pidFile, _process.Id.ToString(CultureInfo.InvariantCulture) + "\n");
        }

        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        while (started.Elapsed < readyTimeout)
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"the service exited with code {_process.ExitCode} while starting; see {LogPath}");
            }
            try
            {
                using var response = await http.GetAsync(BaseUrl + "/health");
                if (response.IsSuccessStatusCode) return started.Elapsed;
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
            {
                // Not listening yet.
            }
            await Task.Delay(50);
        }
        throw new TimeoutException($"the service did not answer /health within {readyTimeout.TotalSeconds:0} s; see {LogPath}");
    }

    /// <summary>SIGKILL: no shutdown hook runs, requests in flight are cut.</summary>
    public async Task KillAsync()
    {
        if (_process is null) return;
        _process.Kill();
        await _process.WaitForExitAsync();
        _process.Dispose();
        _process = null;
    }

    /// <summary>SIGTERM and a graceful shutdown; SIGKILL if it takes longer than 15 s.</summary>
    public async Task StopAsync()
    {
        if (_process is null) return;
        using (var kill = Process.Start("kill", ["-TERM", _process.Id.ToString(CultureInfo.InvariantCulture)]))
        {
            await kill.WaitForExitAsync();
        }
        using var wait = new CancellationTokenSource(TimeSpan.FromSeconds(15));
        try
        {
            await _process.WaitForExitAsync(wait.Token);
        }
        catch (OperationCanceledException)
        {
            _process.Kill();
            await _process.WaitForExitAsync();
        }
        _process.Dispose();
        _process = null;
    }
}
