using System.Data.Common;
using Npgsql;

namespace ConcertTicket.Infrastructure;

internal static class Postgres
{
    /// <summary>Registers the one <see cref="NpgsqlDataSource"/> of the process, from ConnectionStrings:Postgres.</summary>
    public static IHostApplicationBuilder AddPostgres(this IHostApplicationBuilder builder)
    {
        var connectionString = WithDefaults(OptionsValidation.RequiredConnectionString(builder.Configuration, "Postgres"));
        builder.Services.AddNpgsqlDataSource(connectionString);
        builder.Services.AddValidatedOptions<PostgresOptions>(PostgresOptions.Section,
            o => OptionsValidation.Range("Postgres:OperationTimeoutSeconds", o.OperationTimeoutSeconds, 1, 60));
        builder.Services.AddSingleton<PostgresDeadline>();
        return builder;
    }

    /// <summary>
    /// Npgsql cancels a timed-out command synchronously; against a hung server that blocks a thread-pool thread for
    /// up to twice the connect Timeout. A pool of such commands starved every other request of the process (the
    /// fault suite's frozen-PostgreSQL phase: answers due in 3 s came after 9), so the thread pool may grow at once
    /// by one thread per pooled connection. It only grows when work waits, so normal runs are unchanged.
    /// </summary>
    /// <remarks>Called once by the serve commands at start-up: a process-wide setting, not a service registration.</remarks>
    public static void ReserveThreadsForCancellation(NpgsqlDataSource dataSource)
    {
        ThreadPool.GetMinThreads(out var workers, out var io);
        var wanted = Environment.ProcessorCount + new NpgsqlConnectionStringBuilder(dataSource.ConnectionString).MaxPoolSize;
        if (workers < wanted) ThreadPool.SetMinThreads(wanted, io);
    }

    /// <summary>
    /// Defaults measured for this workload, each kept when the connection string names it: statements prepared
    /// after two uses (1.8x faster on the claim), a small pool (PostgreSQL peaked at 8-16 busy connections on two
    /// cores), short timeouts so that an outage fails requests quickly instead of hanging them, and no sequential
    /// scans (<see cref="NoSequentialScans"/>).
    /// </summary>
    internal static string WithDefaults(string connectionString)
    {
        var given = new DbConnectionStringBuilder { ConnectionString = connectionString };
        var builder = new NpgsqlConnectionStringBuilder(connectionString);
        if (!given.ContainsKey("Max Auto Prepare")) builder.MaxAutoPrepare = 32;
        if (!given.ContainsKey("Auto Prepare Min Usages")) builder.AutoPrepareMinUsages = 2;
        if (!given.ContainsKey("Maximum Pool Size") && !given.ContainsKey("Max Pool Size")) builder.MaxPoolSize = 32;
        if (!given.ContainsKey("Timeout")) builder.Timeout = 5;
        if (!given.ContainsKey("Command Timeout")) builder.CommandTimeout = 10;
        if (!given.ContainsKey("No Reset On Close")) builder.NoResetOnClose = true;
        if (!given.ContainsKey("Application Name")) builder.ApplicationName = "concert-ticket";
        if (builder.Options?.Contains("enable_seqscan", StringComparison.Ordinal) != true)
            builder.Options = string.IsNullOrWhiteSpace(builder.Options) ? NoSequentialScans : builder.Options + " " + NoSequentialScans;
        return builder.ConnectionString;
    }

    /// <summary>
    /// A sale starts with an empty orders table. Prepared statements switch to a generic plan after five runs, and
    /// with statistics that say "empty" that plan reads the whole table for every keyed lookup; the plan is kept
    /// while the table grows, so each order costs more than the last (docs/benchmarks.md). Every statement of the service has an index to use, so the planner is told to avoid
    /// sequential scans; where no index fits it still scans.
    /// </summary>
    internal const string NoSequentialScans = "-c enable_seqscan=off";

    /// <summary>Where a data source points, for messages: host, port and database, never the password.</summary>
    public static string Describe(NpgsqlDataSource dataSource)
    {
        var builder = new NpgsqlConnectionStringBuilder(dataSource.ConnectionString);
        return $"{builder.Host}:{builder.Port} (database {builder.Database ?? builder.Username}, user {builder.Username})";
    }
}
