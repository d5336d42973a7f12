using ConcertTicket.Infrastructure;
using Microsoft.Extensions.Options;

namespace ConcertTicket.Payments;

internal static class PaymentsSetup
{
    /// <summary>The gateway chosen by Payment:Gateway, the callback's store, and optionally the void worker.</summary>
    public static IHostApplicationBuilder AddPayments(this IHostApplicationBuilder builder, bool withVoidWorker)
    {
        builder.Services.AddValidatedOptions<PaymentOptions>(PaymentOptions.Section, o => o.Validate());
        builder.Services.AddSingleton<PaymentStore>();
        var gateway = builder.Configuration[$"{PaymentOptions.Section}:Gateway"];
        if (string.Equals(gateway, "Midtrans", StringComparison.OrdinalIgnoreCase))
        {
            builder.Services.AddHttpClient<IPaymentGateway, MidtransGateway>((services, http) =>
                MidtransGateway.Configure(http, services.GetRequiredService<IOptions<PaymentOptions>>().Value));
        }
        else
        {
            builder.Services.AddSingleton<IPaymentGateway, FakeGateway>();
        }
        if (withVoidWorker) builder.Services.AddHostedService<GatewayVoidWorker>();
        return builder;
    }
}
