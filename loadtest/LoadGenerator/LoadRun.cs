using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace LoadGenerator;

internal sealed record ClientUsage(
    double CpuSeconds,
    double CpuPercentOfOneCore,
    int ProcessorCount,
    int Gen0Collections,
    int Gen1Collections,
    int Gen2Collections,
    double AllocatedMegabytes);

internal sealed record RunResult(
    LoadOptions Options,
    int Seed,
    DateTimeOffset StartedAt,
    TimeSpan Elapsed,
    IReadOnlyList<VirtualUser> Vus,
    SellOutWatch SellOut,
    bool StoppedBySellOut,
    bool StoppedByUser,
    ClientUsage Client);

/// <summary>
/// The shared part of a run: the target's addresses, the constant bytes of the requests, and the two stops
/// of k6's constant-vus executor: after the duration no VU starts a new iteration; 30 s later (k6's
/// gracefulStop) what is still in flight is cancelled. Connections belong to the VUs.
/// </summary>
internal sealed class LoadRun : IDisposable
{
    public static readonly TimeSpan GracefulStop = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan ProgressEvery = TimeSpan.FromSeconds(5);

    private readonly CancellationTokenSource _stopStarting = new();
    private readonly CancellationTokenSource _hardStop = new();
    private volatile bool _stoppedBySellOut;
    private volatile bool _stoppedByUser;
    private readonly EpollLoop[] _loops;

    public LoadRun(LoadOptions options, int seed)
    {
        Options = options;
        Seed = seed;
        var baseUrl = options.BaseUrl.AbsoluteUri.TrimEnd('/');
        EndPoints = Resolve(options.BaseUrl);

        // The constant bytes of each request, built once: a GET is sent as it is, a POST gets its length and body.
        CategoriesRequest = Http1Request.Get(new Uri(baseUrl + "/categories"));
        OrderHead = Http1Request.PostHead(new Uri(baseUrl + "/orders"));
        CallbackHead = Http1Request.PostHead(new Uri(baseUrl + "/payments/callback"));
        GetRequest = options.OnlyGetPath is { } path ? Http1Request.Get(new Uri(baseUrl + path)) : null;

        // One loop per core, as wrk runs one thread per core; the VUs are dealt out to them in turn.
        _loops = options.Io == IoEngine.Epoll
            ? [.. Enumerable.Range(0, Environment.ProcessorCount).Select(i => new EpollLoop($"loadgen io {i}"))]
            : [];

        // About two observations per VU: every VU has seen the sale closed before the run ends.
        SellOut = new SellOutWatch(Math.Max(20, 2 * options.Vus), () =>
        {
            if (options.StopWhenSoldOut)
            {
                _stoppedBySellOut = true;
                EndIterations();
            }
        });
    }

    public LoadOptions Options { get; }

    public int Seed { get; }

    /// <summary>The service's addresses, resolved once; each VU connects to the first that answers. Empty when the
    /// name did not resolve: every request then fails with ConnectFailed, as before with HttpClient.</summary>
    public IReadOnlyList<IPEndPoint> EndPoints { get; }

    public byte[] CategoriesRequest { get; }

    public byte[] OrderHead { get; }

    public byte[] CallbackHead { get; }

    public byte[]? GetRequest { get; }

    public SellOutWatch SellOut { get; }

    public long StartTimestamp { get; private set; }

    public CancellationToken StopStarting => _stopStarting.Token;

    public CancellationToken HardStop => _hardStop.Token;

    public int NowMs() => (int)Stopwatch.GetElapsedTime(StartTimestamp).TotalMilliseconds;

    /// <summary>First Ctrl+C: finish the iterations in flight. Second: cancel them too.</summary>
    public void Interrupt()
    {
        _stoppedByUser = true;
        if (!_stopStarting.IsCancellationRequested)
        {
            EndIterations();
            return;
        }

        try
        {
            _hardStop.Cancel();
        }
        catch (ObjectDisposedException)
        {
            // Ctrl+C while the reports are written: the run is already over.
        }
    }

    public async Task<RunResult> RunAsync(TextWriter progress)
    {
        var seeds = new Random(Seed);
        var vus = new VirtualUser[Options.Vus];
        for (var i = 0; i < vus.Length; i++)
        {
            vus[i] = new VirtualUser(i + 1, this, new Random(seeds.Next()));
        }

        using var process = Process.GetCurrentProcess();
        var cpuBefore = process.TotalProcessorTime;
        var allocatedBefore = GC.GetTotalAllocatedBytes();
        int[] collectionsBefore = [GC.CollectionCount(0), GC.CollectionCount(1), GC.CollectionCount(2)];

        var startedAt = DateTimeOffset.UtcNow;
        StartTimestamp = Stopwatch.GetTimestamp();
        using var graceful = _stopStarting.Token.Register(() => _hardStop.CancelAfter(GracefulStop));
        _stopStarting.CancelAfter(Options.Duration);

        var all = Task.WhenAll(vus.Select(vu => Task.Run(vu.RunAsync)));
        var reported = 0L;
        while (await Task.WhenAny(all, Task.Delay(ProgressEvery, CancellationToken.None)) != all)
        {
            reported = ReportProgress(progress, vus, reported);
        }

        await all;
        var elapsed = Stopwatch.GetElapsedTime(StartTimestamp);

        process.Refresh();
        var cpu = (process.TotalProcessorTime - cpuBefore).TotalSeconds;
        var client = new ClientUsage(
            CpuSeconds: cpu,
            CpuPercentOfOneCore: 100 * cpu / elapsed.TotalSeconds,
            ProcessorCount: Environment.ProcessorCount,
            Gen0Collections: GC.CollectionCount(0) - collectionsBefore[0],
            Gen1Collections: GC.CollectionCount(1) - collectionsBefore[1],
            Gen2Collections: GC.CollectionCount(2) - collectionsBefore[2],
            AllocatedMegabytes: (GC.GetTotalAllocatedBytes() - allocatedBefore) / 1048576.0);

        return new RunResult(Options, Seed, startedAt, elapsed, vus, SellOut, _stoppedBySellOut, _stoppedByUser, client);
    }

    /// <summary>Where VU <paramref name="number"/> opens its connections.</summary>
    public IConnector ConnectorFor(int number) => _loops.Length > 0 ? _loops[number % _loops.Length] : SocketConnector.Instance;

    public void Dispose()
    {
        foreach (var loop in _loops)
        {
            loop.Dispose();
        }

        _stopStarting.Dispose();
        _hardStop.Dispose();
    }

    private static IPEndPoint[] Resolve(Uri baseUrl)
    {
        if (IPAddress.TryParse(baseUrl.DnsSafeHost, out var address))
        {
            return [new IPEndPoint(address, baseUrl.Port)];
        }

        try
        {
            return [.. Dns.GetHostAddresses(baseUrl.DnsSafeHost).Select(a => new IPEndPoint(a, baseUrl.Port))];
        }
        catch (SocketException)
        {
            return [];
        }
    }

    private void EndIterations()
    {
        try
        {
            _stopStarting.Cancel();
        }
        catch (ObjectDisposedException)
        {
            // A late Ctrl+C after the run ended: nothing left to stop.
        }
    }

    private long ReportProgress(TextWriter progress, VirtualUser[] vus, long reportedBefore)
    {
        long requests = 0, errors = 0;
        foreach (var vu in vus)
        {
            requests += vu.RequestsSoFar;
            errors += vu.ErrorsSoFar;
        }

        var seconds = Stopwatch.GetElapsedTime(StartTimestamp).TotalSeconds;
        var state = _stopStarting.IsCancellationRequested ? "  (stopping: waiting for iterations in flight)" : "";
        progress.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"[{seconds,6:0}s] requests {requests,10}  last {ProgressEvery.TotalSeconds:0}s {(requests - reportedBefore) / ProgressEvery.TotalSeconds,8:0}/s  errors {errors}{state}"));
        return requests;
    }
}
