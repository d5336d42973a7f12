using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace ConcertTicket.Tests.Infrastructure;

/// <summary>The built service as a real process on a free loopback port, for tests that need real sockets.</summary>
internal sealed class ServiceProcess : IAsyncDisposable
{
    private readonly Process _process;

    private ServiceProcess(Process process, string baseUrl)
    {
        _process = process;
        BaseUrl = baseUrl;
    }

    public string BaseUrl { get; }

    public int ProcessId => _process.Id;

    public static async Task<ServiceProcess> StartAsync(string command, IEnumerable<string> args)
    {
        var port = FreePort();
        var start = new ProcessStartInfo("dotnet") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "concert-ticket.dll"));
        start.ArgumentList.Add(command);
        start.ArgumentList.Add($"--urls=http://127.0.0.1:{port}");
        foreach (var a in args) start.ArgumentList.Add(a);
        var process = Process.Start(start)!;
        // The service's log stays out of the test output; its last lines explain a start that failed.
        var tail = new ConcurrentQueue<string>();
        void Keep(string? line)
        {
            if (line is null) return;
            tail.Enqueue(line);
            while (tail.Count > 50) tail.TryDequeue(out _);
        }
        process.OutputDataReceived += (_, e) => Keep(e.Data);
        process.ErrorDataReceived += (_, e) => Keep(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var service = new ServiceProcess(process, $"http://127.0.0.1:{port}");
        using var http = new HttpClient();
        for (var i = 0; i < 300; i++)
        {
            if (process.HasExited)
            {
                throw new InvalidOperationException($"the service exited with code {process.ExitCode}:\n{string.Join('\n', tail)}");
            }
            try
            {
                if ((await http.GetAsync(service.BaseUrl + "/health")).IsSuccessStatusCode) return service;
            }
            catch (HttpRequestException)
            {
            }
            await Task.Delay(100);
        }
        await service.DisposeAsync();
        throw new InvalidOperationException($"the service did not become healthy in 30 s:\n{string.Join('\n', tail)}");
    }

    private bool _disposed;

    /// <summary>Kills the process (SIGKILL, as a crash would); a second call does nothing.</summary>
    public async ValueTask DisposeAsync()
    {
        if (_disposed) return;
        _disposed = true;
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }
        _process.Dispose();
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
