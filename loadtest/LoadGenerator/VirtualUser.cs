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
    private byte[] _requestBody = new byte[2048];
    private byte[] _responseBody = new byte[4096];
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
        var onlyGet = run.GetUri;
        while (!run.StopStarting.IsCancellationRequested)
        {
            Counts.Iterations++;
            if (onlyGet is null)
            {
                await IterateAsync();
            }
            else
            {
                await SendAsync(RequestKind.Get, HttpMethod.Get, onlyGet, bodyLength: -1);
            }
        }
    }

    public void Dispose() => _timeout.Dispose();

    private async Task IterateAsync()
    {
        var categories = await SendAsync(RequestKind.Categories, HttpMethod.Get, run.CategoriesUri, bodyLength: -1);
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

        var order = await SendAsync(RequestKind.Order, HttpMethod.Post, run.OrdersUri, length);
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
        var callback = await SendAsync(RequestKind.Callback, HttpMethod.Post, run.CallbackUri, length);
        if (callback.Ok && callback.Status == 200)
        {
            Counts.CallbacksOk++;
        }
    }

    private ReadOnlySpan<byte> Body(Reply reply) => _responseBody.AsSpan(0, reply.BodyLength);

    /// <summary>Sends one request, reads the whole body into this VU's buffer and records a sample.</summary>
    private async ValueTask<Reply> SendAsync(RequestKind kind, HttpMethod method, Uri uri, int bodyLength)
    {
        using var request = new HttpRequestMessage(method, uri);
        if (bodyLength >= 0)
        {
            // The buffer is reused only after this request completed, so no copy is needed.
            request.Content = new ByteArrayContent(_requestBody, 0, bodyLength);
            request.Content.Headers.TryAddWithoutValidation("Content-Type", "application/json");
        }

        short status = 0;
        var failure = Failure.None;
        var length = 0;
        var started = Stopwatch.GetTimestamp();
        _timeout.CancelAfter(run.Options.Timeout);
        try
        {
            using var response = await run.Client.SendAsync(request, _timeout.Token);
            status = (short)response.StatusCode;
            length = await ReadBodyAsync(response.Content, _timeout.Token);
            if (status is not (200 or 201 or 409))
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
            failure = Failure.Timeout;
        }
        catch (HttpRequestException e)
        {
            failure = Classify(e);
        }
        catch (IOException)
        {
            failure = Failure.ConnectionClosed;
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

    private async ValueTask<int> ReadBodyAsync(HttpContent content, CancellationToken cancellationToken)
    {
        if (content.Headers.ContentLength is { } declared && declared > _responseBody.Length)
        {
            _responseBody = new byte[(int)Math.Min(declared, Array.MaxLength)];
        }

        await using var stream = await content.ReadAsStreamAsync(cancellationToken);
        var total = 0;
        while (true)
        {
            if (total == _responseBody.Length)
            {
                Array.Resize(ref _responseBody, _responseBody.Length * 2);
            }

            var read = await stream.ReadAsync(_responseBody.AsMemory(total), cancellationToken);
            if (read == 0)
            {
                return total;
            }

            total += read;
        }
    }

    private void MarkLastAsBadBody()
    {
        _samples[^1] = _samples[^1] with { Failure = Failure.BadBody };
        Volatile.Write(ref _errors, _errors + 1);
    }

    private static Failure Classify(HttpRequestException e) => e.HttpRequestError switch
    {
        HttpRequestError.ConnectionError or HttpRequestError.NameResolutionError
            or HttpRequestError.SecureConnectionError => Failure.ConnectFailed,
        HttpRequestError.ResponseEnded => Failure.ConnectionClosed,
        HttpRequestError.HttpProtocolError or HttpRequestError.InvalidResponse
            or HttpRequestError.ConfigurationLimitExceeded => Failure.Protocol,
        _ => e.InnerException is IOException ? Failure.ConnectionClosed : Failure.Other,
    };

    private readonly record struct Reply(bool Completed, short Status, Failure Failure, int BodyLength)
    {
        public bool Ok => Completed && Failure == Failure.None;
    }
}
