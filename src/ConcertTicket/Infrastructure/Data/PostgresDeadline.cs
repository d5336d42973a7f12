using Microsoft.Extensions.Options;

namespace ConcertTicket.Infrastructure;

/// <summary>PostgreSQL did not answer within Postgres:OperationTimeoutSeconds.</summary>
internal sealed class PostgresTimeoutException(string message) : TimeoutException(message);

/// <summary>
/// Bounds how long a request waits for one PostgreSQL operation. Npgsql's Command Timeout is no bound when the
/// server hangs (a frozen process, a network partition): its cancellation request waits on the same dead server,
/// so a query came back only after Command Timeout plus twice the connect Timeout (20 s with our defaults). So
/// the operation runs without the request's token and is awaited for at most the deadline; past it the request
/// gets 503 and the operation ends by itself. Every statement is atomic, so one that commits after the answer is
/// an ordinary outcome: a pending order that expires, a payment that Midtrans's retry finds settled.
/// </summary>
internal sealed partial class PostgresDeadline(IOptions<PostgresOptions> options, ILogger<PostgresDeadline> logger)
{
    public async Task<T> RunAsync<T>(Func<CancellationToken, Task<T>> operation, CancellationToken ct)
    {
        var task = operation(CancellationToken.None);
        try
        {
            return await task.WaitAsync(options.Value.OperationTimeout, ct);
        }
        catch (Exception e) when (e is TimeoutException or OperationCanceledException && !task.IsCompleted)
        {
            // Nobody awaits it any more: observe its end, so a late failure is logged once, not lost.
            _ = task.ContinueWith(t => LogAbandonedFailed(logger, t.Exception!.GetBaseException().Message),
                CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted, TaskScheduler.Default);
            if (e is OperationCanceledException) throw;
            throw new PostgresTimeoutException(
                $"PostgreSQL did not answer within {options.Value.OperationTimeoutSeconds} s (Postgres:OperationTimeoutSeconds).");
        }
    }

    public Task RunAsync(Func<CancellationToken, Task> operation, CancellationToken ct) =>
        RunAsync(async token =>
        {
            await operation(token);
            return true;
        }, ct);

    [LoggerMessage(Level = LogLevel.Warning, Message = "A PostgreSQL operation abandoned at its deadline failed later: {Reason}")]
    private static partial void LogAbandonedFailed(ILogger logger, string reason);
}
