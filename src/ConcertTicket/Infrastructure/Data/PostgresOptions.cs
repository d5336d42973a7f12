namespace ConcertTicket.Infrastructure;

internal sealed class PostgresOptions
{
    public const string Section = "Postgres";

    /// <summary>
    /// The longest a request waits for one PostgreSQL operation before it answers 503. As long as the connect
    /// Timeout, which already bounded a wait for a pooled connection: 3 s cut in on a busy but healthy server.
    /// </summary>
    public int OperationTimeoutSeconds { get; set; } = 5;

    public TimeSpan OperationTimeout => TimeSpan.FromSeconds(OperationTimeoutSeconds);
}
