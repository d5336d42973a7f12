using System.Globalization;

namespace FaultSuite;

/// <summary>
/// Midtrans's HTTP notifications, delivered as Midtrans does: a settlement answered with anything but 2xx (or not
/// answered) is sent again with growing delays, here compressed from minutes to seconds. Every settlement sent is
/// recorded, so the data can be checked against the money that arrived.
/// </summary>
internal sealed class Notifications : IAsyncDisposable
{
    // Midtrans waits about 2, 10, 30, 90 and 210 minutes; the suite waits seconds, a few more times.
    private static readonly TimeSpan[] Backoff = [.. new[] { 0.5, 1, 2, 4, 8, 8, 8, 8 }.Select(TimeSpan.FromSeconds)];

    private readonly Api _api;
    private readonly Recorder _recorder;
    private readonly PriorityQueue<Delivery, long> _queue = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;
    private readonly List<Guid> _gaveUp = [];
    private int _inFlight;

    private sealed record Delivery(Guid OrderId, long Total, int Attempt, bool Late);

    public Notifications(Api api, Recorder recorder)
    {
        _api = api;
        _recorder = recorder;
        _loop = Task.Run(LoopAsync);
    }

    /// <summary>Settlements not yet answered 2xx: queued for a retry, or being sent.</summary>
    public int Outstanding
    {
        get
        {
            lock (_queue) return _queue.Count + _inFlight;
        }
    }

    public IReadOnlyList<Guid> GaveUp
    {
        get
        {
            lock (_queue) return [.. _gaveUp];
        }
    }

    /// <summary>The first delivery of a settlement, now; retried in the background if it is not answered 2xx.</summary>
    public async Task<Reply> SettleAsync(Guid orderId, long total, bool late = false)
    {
        lock (_queue) _inFlight++;
        return await DeliverAsync(new Delivery(orderId, total, 1, late));
    }

    /// <summary>A fan who pays after the hold ended: the settlement arrives after <paramref name="after"/>.</summary>
    public void ScheduleLate(Guid orderId, long total, TimeSpan after)
    {
        lock (_queue) _queue.Enqueue(new Delivery(orderId, total, 1, Late: true), _recorder.NowMs + (long)after.TotalMilliseconds);
    }

    /// <summary>Waits until every settlement was answered 2xx or given up; false if <paramref name="max"/> passed first.</summary>
    public async Task<bool> DrainAsync(TimeSpan max)
    {
        var deadline = DateTime.UtcNow + max;
        while (Outstanding > 0)
        {
            if (DateTime.UtcNow > deadline) return false;
            await Task.Delay(100);
        }
        return true;
    }

    /// <summary>One notification, sent once (pending, expire, a forged one...): no retry, no settlement recorded.</summary>
    public Task<Reply> SendOnceAsync(Guid orderId, string transactionStatus, long total, string? key = null,
        string? grossAmount = null, int[]? expected = null) =>
        _api.SendAsync(Kind.Callback, HttpMethod.Post, "/payments/callback",
            Body(orderId, transactionStatus, total, key, grossAmount), expected);

    public static string Body(Guid orderId, string transactionStatus, long total, string? key = null, string? grossAmount = null)
    {
        var statusCode = transactionStatus switch
        {
            "settlement" or "capture" => "200",
            "pending" => "201",
            _ => "202",
        };
        var amount = string.Create(CultureInfo.InvariantCulture, $"{total}.00");
        // A forger may change the amount but cannot sign it without the server key.
        var signature = MidtransSignature.Compute(orderId.ToString(), statusCode, amount, key ?? SuiteOptions.ServerKey);
        var now = DateTime.UtcNow.AddHours(7);
        return string.Create(CultureInfo.InvariantCulture, $$"""
            {"order_id":"{{orderId}}","transaction_id":"{{Guid.NewGuid()}}","transaction_status":"{{transactionStatus}}","status_code":"{{statusCode}}","gross_amount":"{{grossAmount ?? amount}}","signature_key":"{{signature}}","fraud_status":"accept","payment_type":"bank_transfer","transaction_time":"{{now:yyyy-MM-dd HH:mm:ss}}","settlement_time":"{{now:yyyy-MM-dd HH:mm:ss}}","currency":"IDR","merchant_id":"G812785002","status_message":"midtrans payment notification"}
            """);
    }

    private async Task<Reply> DeliverAsync(Delivery delivery)
    {
        _recorder.SettlementsSent.TryAdd(delivery.OrderId, 0);
        Reply reply;
        try
        {
            reply = await _api.SendAsync(Kind.Callback, HttpMethod.Post, "/payments/callback",
                Body(delivery.OrderId, "settlement", delivery.Total), expected: [200]);
        }
        catch
        {
            lock (_queue) _inFlight--;
            throw;
        }
        lock (_queue)
        {
            _inFlight--;
            if (reply.Status is >= 200 and < 300)
            {
                var status = reply.Data("status") ?? "?";
                _recorder.SettlementsOk[delivery.OrderId] = status;
                if (delivery.Late) _recorder.LateSettlements[delivery.OrderId] = status;
                if (status is not ("paid" or "refund_required"))
                {
                    _recorder.Surprises.Enqueue($"settlement of {delivery.OrderId} answered 200 with status '{status}'");
                }
            }
            else if (delivery.Attempt > Backoff.Length)
            {
                _gaveUp.Add(delivery.OrderId);
            }
            else
            {
                _queue.Enqueue(delivery with { Attempt = delivery.Attempt + 1 },
                    _recorder.NowMs + (long)Backoff[delivery.Attempt - 1].TotalMilliseconds);
            }
        }
        return reply;
    }

    private async Task LoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            var due = new List<Delivery>();
            lock (_queue)
            {
                while (_queue.TryPeek(out var next, out var at) && at <= _recorder.NowMs)
                {
                    due.Add(_queue.Dequeue());
                    _inFlight++;
                }
            }
            foreach (var delivery in due) _ = DeliverAsync(delivery);
            try
            {
                await Task.Delay(100, _stop.Token);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _loop;
        _stop.Dispose();
    }
}
