using System.Collections.Concurrent;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace ConcertTicket.Tests.Infrastructure;

/// <summary>
/// A local HTTP server that answers like Midtrans's Core API, on 127.0.0.1, so the real Midtrans gateway code is
/// tested over real HTTP: it records each request and answers with what the test sets.
/// </summary>
internal sealed class MidtransStandIn : IAsyncDisposable
{
    public sealed record Received(string Method, string Path, IReadOnlyDictionary<string, string> Headers, string Body);

    private readonly WebApplication _app;

    private MidtransStandIn(WebApplication app) => _app = app;

    public ConcurrentQueue<Received> Requests { get; } = new();

    /// <summary>How to answer a request: status code, JSON body, delay before answering.</summary>
    public Func<Received, (int Status, string Body, TimeSpan Delay)> Answer { get; set; } =
        r => (200, SuccessBody(OrderIdFromBody(r.Body)), TimeSpan.Zero);

    public string BaseUrl { get; private set; } = "";

    public static async Task<MidtransStandIn> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var standIn = new MidtransStandIn(app);
        app.Run(async context =>
        {
            using var reader = new StreamReader(context.Request.Body);
            var received = new Received(context.Request.Method, context.Request.Path.Value ?? "",
                context.Request.Headers.ToDictionary(h => h.Key, h => h.Value.ToString(), StringComparer.OrdinalIgnoreCase),
                await reader.ReadToEndAsync());
            standIn.Requests.Enqueue(received);
            var (status, body, delay) = standIn.Answer(received);
            if (delay > TimeSpan.Zero)
            {
                try
                {
                    await Task.Delay(delay, context.RequestAborted);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
            context.Response.StatusCode = status;
            context.Response.ContentType = "application/json";
            await context.Response.WriteAsync(body);
        });
        await app.StartAsync();
        standIn.BaseUrl = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return standIn;
    }

    public static string OrderIdFromBody(string body) =>
        body.Length == 0 ? "" : System.Text.Json.JsonDocument.Parse(body).RootElement
            .GetProperty("transaction_details").GetProperty("order_id").GetString()!;

    /// <summary>The documented success answer of a BRI bank-transfer charge.</summary>
    public static string SuccessBody(string orderId, string va = "812785002530231") => $$"""
        {"status_code":"201","status_message":"Success, Bank Transfer transaction is created",
         "transaction_id":"be03df7d-2f97-4c8c-a53c-8959f1b67295","order_id":"{{orderId}}","merchant_id":"G812785002",
         "gross_amount":"3800000.00","currency":"IDR","payment_type":"bank_transfer",
         "transaction_time":"2026-11-27 10:00:00","transaction_status":"pending",
         "va_numbers":[{"bank":"bri","va_number":"{{va}}"}],"fraud_status":"accept"}
        """;

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
