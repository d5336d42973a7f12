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

namespace FaultSuite;

internal enum GatewayMode
{
    Normal,

    /// <summary>Answers correctly, but only after <see cref="SuiteOptions.GatewayDelay"/>.</summary>
    Slow,

    /// <summary>HTTP 500 with Midtrans's error body.</summary>
    Http500,

    /// <summary>HTTP 200 whose body carries status_code 500 or 406, as Midtrans does for some errors.</summary>
    InBodyError,

    /// <summary>Reads the request, then aborts the connection without an answer.</summary>
    Drop,
}

/// <summary>
/// Midtrans's Core API as documented (charge a bank-transfer VA, expire it), on 127.0.0.1 inside the suite, with a
/// switchable fault. In slow mode it records the charges whose caller gave up before the answer: Midtrans did create
/// those Virtual Accounts, so a fan can still pay them.
/// </summary>
internal sealed class MidtransStandIn : IAsyncDisposable
{
    private readonly WebApplication _app;
    private int _mode;
    private long _charges;
    private long _expires;
    private long _inBodyErrors;

    private MidtransStandIn(WebApplication app) => _app = app;

    public GatewayMode Mode
    {
        get => (GatewayMode)Volatile.Read(ref _mode);
        set => Volatile.Write(ref _mode, (int)value);
    }

    public string BaseUrl { get; private set; } = "";

    public long Charges => Interlocked.Read(ref _charges);

    public long Expires => Interlocked.Read(ref _expires);

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

    private async Task HandleAsync(HttpContext context)
    {
        using var reader = new StreamReader(context.Request.Body);
        var body = await reader.ReadToEndAsync(context.RequestAborted);
        var path = context.Request.Path.Value ?? "";
        var isCharge = context.Request.Method == "POST" && path == "/v2/charge";
        var isExpire = context.Request.Method == "POST" && path.StartsWith("/v2/", StringComparison.Ordinal) && path.EndsWith("/expire", StringComparison.Ordinal);
        if (!isCharge && !isExpire)
        {
            await WriteAsync(context, 404, """{"status_code":"404","status_message":"The requested resource is not found"}""");
            return;
        }
        if (isCharge) Interlocked.Increment(ref _charges);
        else Interlocked.Increment(ref _expires);

        switch (Mode)
        {
            case GatewayMode.Drop:
                context.Abort();
                return;
            case GatewayMode.Http500:
                await WriteAsync(context, 500, """{"status_code":"500","status_message":"Sorry, we encountered internal server error. We will fix this soon."}""");
                return;
            case GatewayMode.InBodyError:
                // Midtrans reports some errors in a 200 body: a duplicate order id (406) or an internal error (500).
                var duplicate = Interlocked.Increment(ref _inBodyErrors) % 2 == 0;
                await WriteAsync(context, 200, duplicate
                    ? """{"status_code":"406","status_message":"The request could not be processed because of duplicate order id"}"""
                    : """{"status_code":"500","status_message":"Sorry, we encountered internal server error. We will fix this soon."}""");
                return;
            case GatewayMode.Slow:
                try
                {
                    await Task.Delay(SuiteOptions.GatewayDelay, context.RequestAborted);
                }
                catch (OperationCanceledException)
                {
                    if (isCharge && TryReadCharge(body, out var id, out var amount)) AbandonedCharges.Enqueue((id, amount));
                    return;
                }
                break;
        }

        if (isExpire)
        {
            var orderId = path["/v2/".Length..^"/expire".Length];
            await WriteAsync(context, 200, $$"""
                {"status_code":"407","status_message":"Success, transaction has expired","order_id":"{{orderId}}",
                 "transaction_status":"expire","payment_type":"bank_transfer"}
                """);
            return;
        }
        if (!TryReadCharge(body, out var chargedId, out var chargedAmount))
        {
            await WriteAsync(context, 400, """{"status_code":"400","status_message":"One or more parameters in the payload is invalid."}""");
            return;
        }
        var va = "8127" + (chargedId.GetHashCode() & 0x7fffffff).ToString("D11", CultureInfo.InvariantCulture);
        await WriteAsync(context, 200, $$"""
            {"status_code":"201","status_message":"Success, Bank Transfer transaction is created",
             "transaction_id":"{{Guid.NewGuid()}}","order_id":"{{chargedId}}","merchant_id":"G812785002",
             "gross_amount":"{{chargedAmount}}.00","currency":"IDR","payment_type":"bank_transfer",
             "transaction_time":"{{DateTime.UtcNow.AddHours(7):yyyy-MM-dd HH:mm:ss}}","transaction_status":"pending",
             "va_numbers":[{"bank":"bri","va_number":"{{va}}"}],"fraud_status":"accept"}
            """);
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
