using StackExchange.Redis;

namespace ConcertTicket.Infrastructure;

internal static class Redis
{
    /// <summary>Registers the one <see cref="IConnectionMultiplexer"/> of the process, from ConnectionStrings:Redis.</summary>
    public static IHostApplicationBuilder AddRedis(this IHostApplicationBuilder builder)
    {
        var options = ParseOptions(OptionsValidation.RequiredConnectionString(builder.Configuration, "Redis"));
        builder.Services.AddSingleton<IConnectionMultiplexer>(_ => ConnectionMultiplexer.Connect(options));
        return builder;
    }

    /// <summary>
    /// The service must keep answering while Redis is down and reconnect by itself, so it never aborts on a failed
    /// connect, and a call gives up after a second instead of queueing behind a dead link.
    /// </summary>
    internal static ConfigurationOptions ParseOptions(string configuration)
    {
        var options = ConfigurationOptions.Parse(configuration);
        options.AbortOnConnectFail = false;
        if (!configuration.Contains("connectTimeout", StringComparison.OrdinalIgnoreCase)) options.ConnectTimeout = 2000;
        if (!configuration.Contains("asyncTimeout", StringComparison.OrdinalIgnoreCase)) options.AsyncTimeout = 1000;
        if (!configuration.Contains("syncTimeout", StringComparison.OrdinalIgnoreCase)) options.SyncTimeout = 1000;
        options.BacklogPolicy = BacklogPolicy.FailFast;
        return options;
    }

    public static string Describe(IConnectionMultiplexer redis) =>
        string.Join(", ", redis.GetEndPoints().Select(e => e.ToString()));
}
