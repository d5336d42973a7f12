using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace ConcertTicket.Tests.Infrastructure;

/// <summary>A private redis-server process that a test can stop and start again, to see the service ride out an outage.</summary>
internal sealed class OwnRedis : IDisposable
{
    private Process? _process;
    private string[] _extra = [];

    public int Port { get; } = FreePort();

    public string Configuration => $"127.0.0.1:{Port}";

    /// <param name="extra">More redis-server arguments (they win over the defaults), such as persistence.</param>
    public static OwnRedis Start(params string[] extra)
    {
        var redis = new OwnRedis { _extra = extra };
        redis.StartAgain();
        return redis;
    }

    public void StartAgain()
    {
        var start = new ProcessStartInfo("redis-server")
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var a in new[] { "--bind", "127.0.0.1", "--port", Port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--save", "", "--appendonly", "no" }.Concat(_extra))
        {
            start.ArgumentList.Add(a);
        }
        _process = Process.Start(start)!;
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (DateTime.UtcNow < deadline)
        {
            try
            {
                using var client = new TcpClient();
                client.Connect(IPAddress.Loopback, Port);
                return;
            }
            catch (SocketException)
            {
                Thread.Sleep(50);
            }
        }
        throw new InvalidOperationException($"redis-server did not start on port {Port}");
    }

    public void Stop()
    {
        if (_process is null) return;
        _process.Kill();
        _process.WaitForExit();
        _process.Dispose();
        _process = null;
    }

    public void Dispose() => Stop();

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
