using System.Diagnostics;
using System.Globalization;
using System.Net;

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
/// The shared part of a run: one connection pool for all VUs and the two stops of k6's constant-vus
/// executor: after the duration no VU starts a new iteration; 30 s later (k6's gracefulStop) what is
/// still in flight is cancelled.
/// </summary>
internal sealed class LoadRun : IDisposable
{
    public static readonly TimeSpan GracefulStop = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan ProgressEvery = TimeSpan.FromSeconds(5);

    private readonly CancellationTokenSource _stopStarting = new();
    private readonly CancellationTokenSource _hardStop = new();
    private volatile bool _stoppedBySellOut;
    private volatile bool _stoppedByUser;

    public LoadRun(LoadOptions options, int seed)
    {
        Options = options;
        Seed = seed;
        var baseUrl = options.BaseUrl.AbsoluteUri.TrimEnd('/');
        CategoriesUri = new Uri(baseUrl + "/categories");
        OrdersUri = new Uri(baseUrl + "/orders");
        CallbackUri = new Uri(baseUrl + "/payments/callback");
        GetUri = options.OnlyGetPath is { } path ? new Uri(baseUrl + path) : null;

        // One pool with a connection per VU at most: each VU has one request in flight, so it behaves
        // like k6, where every VU keeps its own keep-alive connection.
        var handler = new SocketsHttpHandler
        {
            MaxConnectionsPerServer = options.Vus,
            PooledConnectionLifetime = Timeout.InfiniteTimeSpan,
            PooledConnectionIdleTimeout = TimeSpan.FromMinutes(5),
            ConnectTimeout = options.Timeout,
            UseProxy = false,
            UseCookies = false,
            AllowAutoRedirect = false,
            AutomaticDecompression = DecompressionMethods.None,
        };

        // HttpMessageInvoker, not HttpClient: no per-request linked CancellationTokenSource, timeout or
        // default-header copy; the VUs keep their own timeouts. Less CPU taken from the server under test.
        Client = new HttpMessageInvoker(handler, disposeHandler: true);

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

    public HttpMessageInvoker Client { get; }

    public Uri CategoriesUri { get; }

    public Uri OrdersUri { get; }

    public Uri CallbackUri { get; }

    public Uri? GetUri { get; }

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

    public void Dispose()
    {
        Client.Dispose();
        _stopStarting.Dispose();
        _hardStop.Dispose();
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
