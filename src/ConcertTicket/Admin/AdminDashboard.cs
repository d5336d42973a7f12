using System.Diagnostics.Metrics;
using System.Text;
using System.Text.Json.Nodes;
using ConcertTicket.Orders;
using Microsoft.Extensions.Options;

namespace ConcertTicket.Admin;

/// <summary>
/// The live dashboard's data: one snapshot of every concert's figures and the waiting room's, shared by all the dashboards this instance
/// serves and renewed by one query at most once per Admin:DashboardRefreshMilliseconds (1 s), however many are open;
/// concurrent polls wait for the same query. Nothing is queried while no dashboard is open.
/// </summary>
internal sealed class AdminDashboard : IDisposable
{
    public const string MeterName = "ConcertTicket.Admin";
    public const int Minutes = 15;

    private readonly AdminStore _store;
    private readonly WaitingRoomFigures _waitingRoom;
    private readonly IOptions<AdminOptions> _options;
    private readonly IOptions<OrderOptions> _orderOptions;
    private readonly TimeProvider _time;
    private readonly Counter<long> _queries;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private (byte[] Body, long At)? _current;
    private long _queryCount;

    public AdminDashboard(AdminStore store, WaitingRoomFigures waitingRoom, IOptions<AdminOptions> options,
        IOptions<OrderOptions> orderOptions, TimeProvider time, IMeterFactory meters)
    {
        _store = store;
        _waitingRoom = waitingRoom;
        _options = options;
        _orderOptions = orderOptions;
        _time = time;
        _queries = meters.Create(MeterName).CreateCounter<long>("concert_ticket.admin.dashboard.queries", "{query}",
            "Queries run to renew the dashboards' shared snapshot (at most one per refresh period per instance).");
    }

    public async Task<byte[]> GetAsync(CancellationToken ct)
    {
        if (Fresh() is { } fresh) return fresh;
        await _gate.WaitAsync(ct);
        try
        {
            if (Fresh() is { } again) return again;
            _queries.Add(1);
            Interlocked.Increment(ref _queryCount);
            var document = JsonNode.Parse(await _store.SaleJsonAsync(null, Minutes, _orderOptions.Value.Hold, ct))!;
            document["queue"] = await _waitingRoom.ReadAsync();
            var body = Encoding.UTF8.GetBytes(document.ToJsonString());
            _current = (body, _time.GetTimestamp());
            return body;
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Queries run since start (the counter's value in this instance).</summary>
    public long QueryCount => Interlocked.Read(ref _queryCount);

    public void Dispose() => _gate.Dispose();

    private byte[]? Fresh() =>
        _current is { } c && _time.GetElapsedTime(c.At) < _options.Value.DashboardRefreshPeriod ? c.Body : null;
}
