using System.Diagnostics.Metrics;
using ConcertTicket.Expiry;
using ConcertTicket.Orders;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace ConcertTicket.Tests.Infrastructure;

/// <summary>Background workers built by hand, so a test runs one pass exactly when it wants to.</summary>
internal static class Workers
{
    private static readonly IMeterFactory Meters = new ServiceCollection().AddMetrics().BuildServiceProvider().GetRequiredService<IMeterFactory>();

    public static ExpiryWorker Expiry(NpgsqlDataSource db) =>
        new(db, TimeProvider.System, new ExpiryMetrics(Meters, new OrderMetrics(Meters)), NullLogger<ExpiryWorker>.Instance);
}
