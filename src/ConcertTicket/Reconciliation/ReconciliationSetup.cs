using ConcertTicket.Infrastructure;
using ConcertTicket.Payments;

namespace ConcertTicket.Reconciliation;

internal static class ReconciliationSetup
{
    /// <summary>
    /// The status check and the daily proof; with workers and the Midtrans gateway, the asking expiry, the sweep and
    /// the nightly proof. The Fake gateway takes no money, so there is nothing to ask it.
    /// </summary>
    public static IHostApplicationBuilder AddReconciliation(this IHostApplicationBuilder builder, bool withWorkers)
    {
        builder.Services.AddValidatedOptions<ReconcileOptions>(ReconcileOptions.Section, o => o.Validate());
        builder.Services.AddSingleton<ReconcileMetrics>();
        builder.Services.AddSingleton<ReconcileStore>();
        builder.Services.AddSingleton<PaymentStatusCheck>();
        builder.Services.AddSingleton<DailyReconciliation>();
        var midtrans = string.Equals(builder.Configuration[$"{PaymentOptions.Section}:Gateway"], "Midtrans", StringComparison.OrdinalIgnoreCase);
        if (!withWorkers || !midtrans) return builder;
        // Read here, not from the options, because it decides which services exist.
        if (builder.Configuration.GetValue($"{ReconcileOptions.Section}:AskBeforeExpiry", true))
            builder.Services.AddSingleton<AskingExpiry>();
        builder.Services.AddHostedService<SweepWorker>();
        if (builder.Configuration.GetValue($"{ReconcileOptions.Section}:Nightly", true))
            builder.Services.AddHostedService<NightlyReconcileWorker>();
        return builder;
    }
}
