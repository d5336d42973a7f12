using System.Diagnostics;
using System.Globalization;
using System.Text.Unicode;

namespace LoadGenerator;

/// <summary>What one VU saw of the scenario; summed over all VUs for the report.</summary>
internal sealed class ScenarioCounts
{
    public long Iterations;
    public long OrdersCreated;
    public long AlreadyOrdered;
    public long SoldOut;
    public long OtherConflicts;
    public long LeftUnpaid;
    public long CallbacksSent;
    public long CallbacksOk;

    public void Add(ScenarioCounts other)
    {
        Iterations += other.Iterations;
        OrdersCreated += other.OrdersCreated;
        AlreadyOrdered += other.AlreadyOrdered;
        SoldOut += other.SoldOut;
        OtherConflicts += other.OtherConflicts;
        LeftUnpaid += other.LeftUnpaid;
        CallbacksSent += other.CallbacksSent;
        CallbacksOk += other.CallbacksOk;
    }
}

/// <summary>
/// One k6-style virtual user: a closed loop that starts the next iteration only when the last one ended.
/// All its state is its own (random source, buffers, samples), so VUs never contend with each other.
/// </summary>
internal sealed class VirtualUser(int number, LoadRun run, Random random) : IDisposable
{
    private readonly List<Sample> _samples = new(capacity: 1024);
    private readonly List<int> _categoryIds = new(capacity: 8);
    private readonly List<long> _categoryFree = new(capacity: 8);
    private readonly List<int> _available = new(capacity: 8);
    private readonly Http1Connection _connection = new(run.EndPoints, run.ConnectorFor(number));
    private byte[] _requestBody = new byte[2048];
    private byte[] _request = new byte[2560];
    private CancellationTokenSource _timeout = CancellationTokenSource.CreateLinkedTokenSource(run.HardStop);
    private int _requests;
    private int _errors;

    public int Number => number;

    public List<Sample> Samples => _samples;

    public ScenarioCounts Counts { get; } = new();

    /// <summary>End of the last request that created an order, ms since start; -1 when none did.</summary>
    public int LastOrderCreatedMs { get; private set; } = -1;

    /// <summary>Read by the progress printer on another thread: approximate by design.</summary>
    public int RequestsSoFar => Volatile.Read(ref _requests);

    public int ErrorsSoFar => Volatile.Read(ref _errors);

    public async Task RunAsync()
    {
        var onlyGet = run.GetRequest;
        try
        {
            while (!run.StopStarting.IsCancellationRequested)
            {
                Counts.Iterations++;
                if (onlyGet is null)
                {
                    await IterateAsync();
                }
                else
                {
                    await SendAsync(RequestKind.Get, onlyGet);
                }
            }
        }
        finally
        {
            _connection.Dispose();
        }
    }

    public void Dispose()
    {
        _connection.Dispose();
        _timeout.Dispose();
    }

    private async Task IterateAsync()
    {
        var categories = await SendAsync(RequestKind.Categories, run.CategoriesRequest);
        if (!categories.Ok)
        {
            return;
        }

        if (!ResponseReader.TryReadCategories(Body(categories), _categoryIds, _categoryFree))
        {
            MarkLastAsBadBody();
            return;
        }

        _available.Clear();
        for (var i = 0; i < _categoryIds.Count; i++)
        {
            if (_categoryFree[i] > 0)
            {
                _available.Add(_categoryIds[i]);
            }
        }

        int categoryId;
        if (_available.Count > 0)
        {
            run.SellOut.SawSeatsLeft();
            categoryId = _available[random.Next(_available.Count)];
        }
        else
        {
            // Sold out: still order, expecting 409 sold_out, as the k6 script does.
            run.SellOut.SawSoldOut(run.NowMs(), fromCategories: true);
            categoryId = _categoryIds[random.Next(_categoryIds.Count)];
        }

        var fan = random.Next(run.Options.Emails);
        int length;
        while (!Utf8.TryWrite(_requestBody, CultureInfo.InvariantCulture,
                   $"{{\"email\":\"fan{fan}@loadtest.example\",\"category_id\":{categoryId}}}", out length))
        {
            _requestBody = new byte[_requestBody.Length * 2];
        }

        length = Http1Request.WritePost(ref _request, run.OrderHead, _requestBody.AsSpan(0, length));
        var order = await SendAsync(RequestKind.Order, _request.AsMemory(0, length));
        if (!order.Ok)
        {
            return;
        }

        if (order.Status == 409)
        {
            switch (ResponseReader.ReadConflictCode(Body(order)))
            {
                case ConflictCode.AlreadyOrdered:
                    Counts.AlreadyOrdered++;
                    break;
                case ConflictCode.SoldOut:
                    Counts.SoldOut++;
                    run.SellOut.SawSoldOut(run.NowMs(), fromCategories: false);
                    break;
                default:
                    Counts.OtherConflicts++;
                    break;
            }

            return;
        }

        if (order.Status != 201)
        {
            return;
        }

        if (!ResponseReader.TryReadOrder(Body(order), out var orderId, out var total))
        {
            MarkLastAsBadBody();
            return;
        }

        Counts.OrdersCreated++;
        LastOrderCreatedMs = _samples[^1].EndMs;
        run.SellOut.SawSeatsLeft();
        if (number % 4 == 0 && !run.Options.PayAll)
        {
            Counts.LeftUnpaid++;
            return;
        }

        await PaySettlementAsync(orderId, total);
    }

    private async Task PaySettlementAsync(string orderId, long total)
    {
        var grossAmount = string.Create(CultureInfo.InvariantCulture, $"{total}.00");
        var signature = MidtransSignature.Compute(orderId, "200", grossAmount, run.Options.ServerKey);
        var transactionId = Guid.NewGuid();

        // Midtrans writes its times in Jakarta time (UTC+7), without an offset.
        var now = DateTime.UtcNow.AddHours(7);
        int length;
        while (!Utf8.TryWrite(_requestBody, CultureInfo.InvariantCulture,
                   $$"""{"order_id":"{{orderId}}","transaction_id":"{{transactionId}}","transaction_status":"settlement","status_code":"200","gross_amount":"{{grossAmount}}","signature_key":"{{signature}}","fraud_status":"accept","payment_type":"bank_transfer","transaction_time":"{{now:yyyy-MM-dd HH:mm:ss}}","settlement_time":"{{now:yyyy-MM-dd HH:mm:ss}}","currency":"IDR","merchant_id":"G000000000","status_message":"midtrans payment notification"}""",
                   out length))
        {
            _requestBody = new byte[_requestBody.Length * 2];
        }

        Counts.CallbacksSent++;
        length = Http1Request.WritePost(ref _request, run.CallbackHead, _requestBody.AsSpan(0, length));
        var callback = await SendAsync(RequestKind.Callback, _request.AsMemory(0, length));
        if (callback.Ok && callback.Status == 200)
        {
            Counts.CallbacksOk++;
        }
    }

    private ReadOnlySpan<byte> Body(Reply reply) => _connection.Body[..reply.BodyLength];

    /// <summary>Sends one whole request on this VU's connection, reads the whole body and records a sample.</summary>
    private async ValueTask<Reply> SendAsync(RequestKind kind, ReadOnlyMemory<byte> request)
    {
        short status = 0;
        var failure = Failure.None;
        var length = 0;
        var started = Stopwatch.GetTimestamp();
        _timeout.CancelAfter(run.Options.Timeout);
        try
        {
            var response = await _connection.SendAsync(request, _timeout.Token);
            (status, failure, length) = response;
            if (failure == Failure.None && status is not (200 or 201 or 409))
            {
                failure = Failure.Status;
            }
        }
        catch (OperationCanceledException) when (run.HardStop.IsCancellationRequested)
        {
            // Cut off at the end of the graceful stop: like k6, the interrupted request is not counted.
            return default;
        }
        catch (OperationCanceledException)
        {
            // The connection closed itself: its state is unknown after a request cut off midway.
            failure = Failure.Timeout;
        }

        var ended = Stopwatch.GetTimestamp();
        if (!_timeout.TryReset())
        {
            _timeout.Dispose();
            _timeout = CancellationTokenSource.CreateLinkedTokenSource(run.HardStop);
        }

        _samples.Add(new Sample(
            EndMs: (int)((ended - run.StartTimestamp) * 1000 / Stopwatch.Frequency),
            LatencyUs: (int)Math.Min(int.MaxValue, (ended - started) * 1_000_000 / Stopwatch.Frequency),
            Status: status,
            Kind: kind,
            Failure: failure));
        Volatile.Write(ref _requests, _requests + 1);
        if (failure != Failure.None)
        {
            Volatile.Write(ref _errors, _errors + 1);
        }

        return new Reply(Completed: true, status, failure, length);
    }

    private void MarkLastAsBadBody()
    {
        _samples[^1] = _samples[^1] with { Failure = Failure.BadBody };
        Volatile.Write(ref _errors, _errors + 1);
    }

    private readonly record struct Reply(bool Completed, short Status, Failure Failure, int BodyLength)
    {
        public bool Ok => Completed && Failure == Failure.None;
    }
}
