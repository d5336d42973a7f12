using System.Buffers;
using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using MimeKit;
using SmtpServer;
using SmtpServer.Protocol;
using SmtpServer.Storage;

namespace ConcertTicket.Tests.Infrastructure;

/// <summary>
/// A real SMTP server in the test process (the SmtpServer library), listening on a free loopback port, keeping every
/// message it accepts. It can be started late (the port is chosen first, so "SMTP down, then up" is one port) and
/// told to refuse messages for a while with a transient 451.
/// </summary>
internal sealed class SmtpSink : IAsyncDisposable
{
    private readonly Store _store = new();
    private CancellationTokenSource? _running;
    private Task? _serving;

    public SmtpSink()
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        Port = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();
    }

    public int Port { get; }

    public IReadOnlyCollection<MimeMessage> Messages => _store.Messages;

    /// <summary>While true, each message is answered 451 (try again later).</summary>
    public bool Refusing
    {
        get => _store.Refusing;
        set => _store.Refusing = value;
    }

    /// <summary>How long the server takes to accept each message (the time a real server's answer takes).</summary>
    public TimeSpan SaveDelay
    {
        get => _store.SaveDelay;
        set => _store.SaveDelay = value;
    }

    /// <summary>The most messages being accepted at the same moment (at most one per connection).</summary>
    public int MostAtOnce => _store.MostAtOnce;

    /// <summary>SMTP sessions (connections) opened so far.</summary>
    public int Sessions => _sessions;

    private int _sessions;

    /// <summary>The configuration that points the service at this server.</summary>
    public string[] Args(params string[] extra) =>
    [
        "--Email:Smtp:Host=127.0.0.1",
        $"--Email:Smtp:Port={Port}",
        "--Email:Smtp:Security=None",
        "--Email:RetryBaseSeconds=0",
        .. extra,
    ];

    public static async Task<SmtpSink> StartAsync()
    {
        var sink = new SmtpSink();
        await sink.StartListeningAsync();
        return sink;
    }

    public async Task StartListeningAsync()
    {
        var options = new SmtpServerOptionsBuilder()
            .ServerName("localhost")
            .Endpoint(b => b.Endpoint(new IPEndPoint(IPAddress.Loopback, Port)))
            .Build();
        var services = new SmtpServer.ComponentModel.ServiceProvider();
        services.Add(_store);
        var server = new SmtpServer.SmtpServer(options, services);
        server.SessionCreated += (_, _) => Interlocked.Increment(ref _sessions);
        _running = new CancellationTokenSource();
        _serving = server.StartAsync(_running.Token);
        // Wait until it accepts connections.
        for (var i = 0; i < 100; i++)
        {
            try
            {
                using var client = new TcpClient();
                await client.ConnectAsync(IPAddress.Loopback, Port);
                return;
            }
            catch (SocketException)
            {
                await Task.Delay(20);
            }
        }
        throw new InvalidOperationException($"The test SMTP server did not start on port {Port}.");
    }

    public IEnumerable<MimeMessage> To(string address) =>
        Messages.Where(m => m.To.Mailboxes.Any(a => string.Equals(a.Address, address, StringComparison.OrdinalIgnoreCase)));

    public async ValueTask DisposeAsync()
    {
        if (_running is null) return;
        await _running.CancelAsync();
        try
        {
            await _serving!;
        }
        catch (OperationCanceledException)
        {
        }
        _running.Dispose();
    }

    private sealed class Store : MessageStore
    {
        public ConcurrentQueue<MimeMessage> Queue { get; } = new();

        public IReadOnlyCollection<MimeMessage> Messages => Queue;

        public volatile bool Refusing;

        public TimeSpan SaveDelay;

        private int _atOnce;

        public int MostAtOnce;

        public override async Task<SmtpResponse> SaveAsync(ISessionContext context, IMessageTransaction transaction,
            ReadOnlySequence<byte> buffer, CancellationToken cancellationToken)
        {
            if (Refusing) return new SmtpResponse(SmtpReplyCode.ServiceUnavailable, "try again later");
            var atOnce = Interlocked.Increment(ref _atOnce);
            try
            {
                for (var most = MostAtOnce; atOnce > most; most = MostAtOnce)
                {
                    if (Interlocked.CompareExchange(ref MostAtOnce, atOnce, most) == most) break;
                }
                if (SaveDelay > TimeSpan.Zero) await Task.Delay(SaveDelay, cancellationToken);
                await using var stream = new MemoryStream(buffer.ToArray());
                Queue.Enqueue(await MimeMessage.LoadAsync(stream, cancellationToken));
                return SmtpResponse.Ok;
            }
            finally
            {
                Interlocked.Decrement(ref _atOnce);
            }
        }
    }
}
