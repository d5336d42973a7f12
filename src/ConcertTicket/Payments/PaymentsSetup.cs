using ConcertTicket.Infrastructure;
using Microsoft.Extensions.Options;

namespace ConcertTicket.Payments;

internal static class PaymentsSetup
{
    /// <summary>
    /// The gateway chosen by Payment:Gateway (metered: <see cref="MeteredPaymentGateway"/>), the notifications'
    /// service and store, and optionally the void worker.
    /// </summary>
    public static IHostApplicationBuilder AddPayments(this IHostApplicationBuilder builder, bool withVoidWorker)
    {
        var gateway = builder.Configuration[$"{PaymentOptions.Section}:Gateway"];
        // A deployment that forgot the key must not hand out fake Virtual Accounts: only Development defaults to Fake.
        var gatewayRequired = string.IsNullOrEmpty(gateway) && !builder.Environment.IsDevelopment();
        builder.Services.AddValidatedOptions<PaymentOptions>(PaymentOptions.Section, o => gatewayRequired
            ? [PaymentOptions.GatewayRequired(builder.Environment.EnvironmentName), .. o.Validate()]
            : o.Validate());
        builder.Services.AddSingleton<PaymentMetrics>();
        builder.Services.AddSingleton<PaymentStore>();
        builder.Services.AddSingleton<PaymentNotifications>();
        if (string.Equals(gateway, "Midtrans", StringComparison.OrdinalIgnoreCase))
        {
            builder.Services.AddHttpClient<MidtransGateway>((services, http) =>
                MidtransGateway.Configure(http, services.GetRequiredService<IOptions<PaymentOptions>>().Value));
            builder.Services.AddTransient<IPaymentGateway>(services => new MeteredPaymentGateway(
                services.GetRequiredService<MidtransGateway>(), services.GetRequiredService<PaymentMetrics>()));
        }
        else
        {
            builder.Services.AddSingleton<FakeGateway>();
            builder.Services.AddSingleton<IPaymentGateway>(services => new MeteredPaymentGateway(
                services.GetRequiredService<FakeGateway>(), services.GetRequiredService<PaymentMetrics>()));
        }
        if (withVoidWorker) builder.Services.AddHostedService<GatewayVoidWorker>();
        return builder;
    }
}
