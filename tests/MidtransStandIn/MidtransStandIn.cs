using System.Collections.Concurrent;
using System.Globalization;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace ConcertTicket.Testing;

/// <summary>A fault the stand-in can switch on for every call it answers.</summary>
public enum GatewayMode
{
    Normal,

    /// <summary>Answers correctly, but only after <see cref="MidtransStandIn.SlowDelay"/>.</summary>
    Slow,

    /// <summary>HTTP 500 with Midtrans's error body.</summary>
    Http500,

    /// <summary>HTTP 200 whose body carries status_code 500 or 406, as Midtrans does for some errors.</summary>
    InBodyError,

    /// <summary>Reads the request, then aborts the connection without an answer.</summary>
    Drop,
}

/// <summary>
/// Midtrans's Core API as documented (charge a bank-transfer VA, expire it, its status), as a real HTTP server on 127.0.0.1, so
/// the service's Midtrans gateway is exercised over real HTTP. It records every request; a test can script any
/// answer with <see cref="Answer"/>, the fault suite switches faults with <see cref="Mode"/>. In slow mode it records
/// the charges whose caller gave up before the answer: Midtrans did create those Virtual Accounts, so a fan can
/// still pay them.
/// It remembers each charged transaction: <see cref="PayAsync"/> settles one and sends the signed notification to
/// <see cref="Notifications"/> unless <see cref="DropNotifications"/> is set (or unless told not to: a settlement it
/// never notified), and GET /v2/{order_id}/status reports it. Faults (<see cref="Mode"/>) apply to every call.
/// </summary>
public sealed class MidtransStandIn : IAsyncDisposable
{
    /// <summary>The documented example VA number, given to every charge unless a test answers otherwise.</summary>
    public const string DefaultVaNumber = "812785002530231";

    private readonly WebApplication _app;
    private int _mode;
    private long _charges;
    private long _expires;
    private long _inBodyErrors;
    private long _statuses;
    private readonly ConcurrentDictionary<string, Transaction> _transactions = new(StringComparer.OrdinalIgnoreCase);

    private MidtransStandIn(WebApplication app) => _app = app;

    public sealed record Received(string Method, string Path, IReadOnlyDictionary<string, string> Headers, string Body);

    public string BaseUrl { get; private set; } = "";

    /// <summary>Every request, in arrival order.</summary>
    public ConcurrentQueue<Received> Requests { get; } = new();

    /// <summary>
    /// A scripted answer (status code, body, delay before answering) that replaces the documented behaviour for
    /// every request; null answers as Midtrans documents.
    /// </summary>
    public Func<Received, (int Status, string Body, TimeSpan Delay)>? Answer { get; set; }

    public GatewayMode Mode
    {
        get => (GatewayMode)Volatile.Read(ref _mode);
        set => Volatile.Write(ref _mode, (int)value);
    }

    /// <summary>How long <see cref="GatewayMode.Slow"/> waits before answering.</summary>
    public TimeSpan SlowDelay { get; set; } = TimeSpan.FromSeconds(5);

    public long Charges => Interlocked.Read(ref _charges);

    public long Expires => Interlocked.Read(ref _expires);

    public long StatusQueries => Interlocked.Read(ref _statuses);

    /// <summary>Signs the notifications and status answers as Midtrans does with the merchant's server key.</summary>
    public string ServerKey { get; set; } = "SB-Mid-server-abc123cde456";

    /// <summary>Where notifications go: a client whose base address is the service (POST /payments/callback).</summary>
    public HttpClient? Notifications { get; set; }

    /// <summary>Lose every notification (a deploy or an outage at the wrong moment).</summary>
    public bool DropNotifications { get; set; }

    /// <summary>
    /// A status question about a charged, still pending transaction answers settlement (the benchmark's host, whose
    /// service asks only when a settlement notification came).
    /// </summary>
    public bool SettledWhenAsked { get; set; }

    /// <summary>A transaction as Midtrans holds it.</summary>
    public sealed record Transaction(string OrderId, long Amount, string Status, string TransactionId);

    public Transaction? Find(Guid orderId) => _transactions.TryGetValue(orderId.ToString(), out var t) ? t : null;

    /// <summary>Midtrans forgets the order: its status is answered 404.</summary>
    public void Forget(Guid orderId) => _transactions.TryRemove(orderId.ToString(), out _);

    /// <summary>Records (or overwrites) a transaction, as if Midtrans had it in this state.</summary>
    public void SetTransaction(Guid orderId, long amount, string status) =>
        _transactions[orderId.ToString()] = new Transaction(orderId.ToString(), amount, status, Guid.NewGuid().ToString());

    /// <summary>
    /// The fan pays (or the status moves on: refund, chargeback...): the transaction takes <paramref name="status"/>
    /// and, when <paramref name="notify"/> and notifications are not dropped, its signed notification is posted.
    /// Returns the callback's HTTP status, or null when no notification was sent.
    /// </summary>
    public async Task<int?> PayAsync(Guid orderId, string status = "settlement", bool notify = true, long? amount = null)
    {
        var key = orderId.ToString();
        var current = _transactions.TryGetValue(key, out var t) ? t : null;
        var next = new Transaction(key, amount ?? current?.Amount ?? throw new InvalidOperationException($"no charge for {key}: pass the amount"),
            status, current?.TransactionId ?? Guid.NewGuid().ToString());
        _transactions[key] = next;
        if (!notify || DropNotifications || Notifications is null) return null;
        using var response = await Notifications.PostAsync("/payments/callback",
            new StringContent(TransactionBody(next), System.Text.Encoding.UTF8, "application/json"));
        return (int)response.StatusCode;
    }

    /// <summary>Midtrans's status_code for a transaction_status.</summary>
    public static string StatusCodeOf(string status) => status switch
    {
        "settlement" or "capture" or "refund" or "partial_refund" or "chargeback" or "partial_chargeback" => "200",
        "pending" => "201",
        _ => "202",
    };

    /// <summary>The transaction in a notification's (and status answer's) shape, signed.</summary>
    public string TransactionBody(Transaction t)
    {
        var statusCode = StatusCodeOf(t.Status);
        var gross = t.Amount.ToString(CultureInfo.InvariantCulture) + ".00";
        var signature = ConcertTicket.Payments.MidtransSignature.Compute(t.OrderId, statusCode, gross, ServerKey);
        return $$"""
            {"status_code":"{{statusCode}}","status_message":"Success, transaction is found","transaction_id":"{{t.TransactionId}}",
             "order_id":"{{t.OrderId}}","merchant_id":"G812785002","gross_amount":"{{gross}}","currency":"IDR",
             "payment_type":"bank_transfer","transaction_time":"2026-11-27 10:00:00","transaction_status":"{{t.Status}}",
             "fraud_status":"accept","va_numbers":[{"bank":"bri","va_number":"{{DefaultVaNumber}}"}],
             "signature_key":"{{signature}}"}
            """;
    }

    /// <summary>Order ids charged in slow mode whose caller hung up first (the VA exists at "Midtrans").</summary>
    public ConcurrentQueue<(Guid OrderId, long Amount)> AbandonedCharges { get; } = new();

    public static async Task<MidtransStandIn> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var standIn = new MidtransStandIn(app);
        app.Run(standIn.HandleAsync);
        await app.StartAsync();
        standIn.BaseUrl = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return standIn;
    }

    /// <summary>The order id of a charge request's body ("" for an empty body).</summary>
    public static string OrderIdFromBody(string body) =>
        body.Length == 0 ? "" : JsonDocument.Parse(body).RootElement
            .GetProperty("transaction_details").GetProperty("order_id").GetString()!;

    /// <summary>The documented success answer of a BRI bank-transfer charge.</summary>
    public static string SuccessBody(string orderId, string va = DefaultVaNumber, long grossAmount = 3_800_000,
        string transactionId = "be03df7d-2f97-4c8c-a53c-8959f1b67295") => $$"""
        {"status_code":"201","status_message":"Success, Bank Transfer transaction is created",
         "transaction_id":"{{transactionId}}","order_id":"{{orderId}}","merchant_id":"G812785002",
         "gross_amount":"{{grossAmount.ToString(CultureInfo.InvariantCulture)}}.00","currency":"IDR","payment_type":"bank_transfer",
         "transaction_time":"2026-11-27 10:00:00","transaction_status":"pending",
         "va_numbers":[{"bank":"bri","va_number":"{{va}}"}],"fraud_status":"accept"}
        """;

    private async Task HandleAsync(HttpContext context)
    {
        using var reader = new StreamReader(context.Request.Body);
        var received = new Received(context.Request.Method, context.Request.Path.Value ?? "",
            context.Request.Headers.ToDictionary(h => h.Key, h => h.Value.ToString(), StringComparer.OrdinalIgnoreCase),
            await reader.ReadToEndAsync(context.RequestAborted));
        Requests.Enqueue(received);
        if (Answer is { } answer)
        {
            var (status, body, delay) = answer(received);
            if (await DelayAsync(delay, context.RequestAborted)) await WriteAsync(context, status, body);
            return;
        }

        var (kind, orderId) = Route(received.Method, received.Path);
        if (kind == Call.Unknown)
        {
            await WriteAsync(context, 404, """{"status_code":"404","status_message":"The requested resource is not found"}""");
            return;
        }
        switch (kind)
        {
            case Call.Charge: Interlocked.Increment(ref _charges); break;
            case Call.Expire: Interlocked.Increment(ref _expires); break;
            default: Interlocked.Increment(ref _statuses); break;
        }
        if (!await ApplyFaultAsync(context, kind, received.Body)) return;

        var known = _transactions.TryGetValue(orderId, out var transaction) ? transaction : null;
        if (kind == Call.Status && SettledWhenAsked && known is { Status: "pending" }) known = known with { Status = "settlement" };
        if (kind == Call.Status)
        {
            await WriteAsync(context, known is null ? 404 : 200, known is null
                ? """{"status_code":"404","status_message":"Transaction doesn't exist."}"""
                : TransactionBody(known));
            return;
        }
        if (kind == Call.Expire)
        {
            if (known is not null && known.Status != "pending" && known.Status != "expire")
            {
                await WriteAsync(context, 200, $$"""{"status_code":"412","status_message":"Merchant cannot modify the status of the transaction","order_id":"{{orderId}}"}""");
                return;
            }
            if (known is not null) _transactions[orderId] = known with { Status = "expire" };
            await WriteAsync(context, 200, $$"""
                {"status_code":"407","status_message":"Success, transaction has expired","order_id":"{{orderId}}",
                 "transaction_status":"expire","payment_type":"bank_transfer"}
                """);
            return;
        }
        if (!TryReadCharge(received.Body, out var chargedId, out var amount))
        {
            await WriteAsync(context, 400, """{"status_code":"400","status_message":"One or more parameters in the payload is invalid."}""");
            return;
        }
        var created = new Transaction(chargedId.ToString(), amount, "pending", Guid.NewGuid().ToString());
        // A retried charge (same Idempotency-Key) gets the first answer, as Midtrans gives it.
        created = _transactions.GetOrAdd(created.OrderId, created);
        await WriteAsync(context, 200, SuccessBody(chargedId.ToString(), DefaultVaNumber, amount, created.TransactionId));
    }

    private enum Call
    {
        Unknown,
        Charge,
        Expire,
        Status,
    }

    /// <summary>The documented endpoints this stand-in answers: POST /v2/charge, POST /v2/{order_id}/expire, GET /v2/{order_id}/status.</summary>
    private static (Call Kind, string OrderId) Route(string method, string path)
    {
        if (method == "POST" && path == "/v2/charge") return (Call.Charge, "");
        const string prefix = "/v2/";
        var (suffix, kind) = method switch
        {
            "POST" => ("/expire", Call.Expire),
            "GET" => ("/status", Call.Status),
            _ => ("", Call.Unknown),
        };
        return kind != Call.Unknown && path.Length > prefix.Length + suffix.Length && path.StartsWith(prefix, StringComparison.Ordinal)
            && path.EndsWith(suffix, StringComparison.Ordinal)
            ? (kind, path[prefix.Length..^suffix.Length])
            : (Call.Unknown, "");
    }

    /// <summary>Answers with the current fault, if any; true when the call should be answered normally.</summary>
    private async Task<bool> ApplyFaultAsync(HttpContext context, Call kind, string body)
    {
        switch (Mode)
        {
            case GatewayMode.Drop:
                context.Abort();
                return false;
            case GatewayMode.Http500:
                await WriteAsync(context, 500, """{"status_code":"500","status_message":"Sorry, we encountered internal server error. We will fix this soon."}""");
                return false;
            case GatewayMode.InBodyError:
                // Midtrans reports some errors in a 200 body: a duplicate order id (406) or an internal error (500).
                var duplicate = Interlocked.Increment(ref _inBodyErrors) % 2 == 0;
                await WriteAsync(context, 200, duplicate
                    ? """{"status_code":"406","status_message":"The request could not be processed because of duplicate order id"}"""
                    : """{"status_code":"500","status_message":"Sorry, we encountered internal server error. We will fix this soon."}""");
                return false;
            case GatewayMode.Slow when !await DelayAsync(SlowDelay, context.RequestAborted):
                if (kind == Call.Charge && TryReadCharge(body, out var id, out var amount)) AbandonedCharges.Enqueue((id, amount));
                return false;
            default:
                return true;
        }
    }

    /// <summary>False when the caller hung up while waiting.</summary>
    private static async Task<bool> DelayAsync(TimeSpan delay, CancellationToken aborted)
    {
        if (delay <= TimeSpan.Zero) return true;
        try
        {
            await Task.Delay(delay, aborted);
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    private static bool TryReadCharge(string body, out Guid orderId, out long amount)
    {
        orderId = Guid.Empty;
        amount = 0;
        try
        {
            using var json = JsonDocument.Parse(body);
            var details = json.RootElement.GetProperty("transaction_details");
            return Guid.TryParse(details.GetProperty("order_id").GetString(), out orderId)
                && details.GetProperty("gross_amount").TryGetInt64(out amount);
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException)
        {
            return false;
        }
    }

    private static async Task WriteAsync(HttpContext context, int status, string body)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json";
        await context.Response.WriteAsync(body, context.RequestAborted);
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
