namespace ConcertTicket.Expiry;

internal static class ExpirySetup
{
    public static IHostApplicationBuilder AddExpiry(this IHostApplicationBuilder builder)
    {
        builder.Services.AddHostedService<ExpiryWorker>();
        return builder;
    }
}
