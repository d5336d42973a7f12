namespace ConcertTicket.Expiry;

internal static class ExpirySetup
{
    /// <param name="withWorker">The web host has the metrics (served on /metrics) but not the worker.</param>
    public static IHostApplicationBuilder AddExpiry(this IHostApplicationBuilder builder, bool withWorker)
    {
        builder.Services.AddSingleton<ExpiryMetrics>();
        if (withWorker) builder.Services.AddHostedService<ExpiryWorker>();
        return builder;
    }
}
