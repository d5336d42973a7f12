using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using ConcertTicket.Infrastructure;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace ConcertTicket.Tests.Infrastructure;

/// <summary>A PostgreSQL that hangs (accepts connections, never answers) costs a request the deadline, not Npgsql's 20 s.</summary>
[Collection(LiveServersGroup.Name)]
public sealed class PostgresDeadlineTests(LiveServers stack)
{
    private static PostgresDeadline Deadline(int seconds) =>
        new(Options.Create(new PostgresOptions { OperationTimeoutSeconds = seconds }), NullLogger<PostgresDeadline>.Instance);

    [Fact]
    public async Task An_operation_that_never_answers_fails_with_a_timeout_at_the_deadline()
    {
        var never = new TaskCompletionSource<int>();
        var watch = Stopwatch.StartNew();

        await Assert.ThrowsAsync<PostgresTimeoutException>(() => Deadline(1).RunAsync(_ => never.Task, CancellationToken.None));

        Assert.InRange(watch.Elapsed, TimeSpan.FromSeconds(0.9), TimeSpan.FromSeconds(5));
    }

    [Fact]
    public async Task An_operation_that_answers_in_time_returns_its_result()
    {
        Assert.Equal(42, await Deadline(1).RunAsync(_ => Task.FromResult(42), CancellationToken.None));
    }

    [Fact]
    public async Task With_postgres_hanging_orders_and_callbacks_are_503_with_retry_after_within_the_deadline()
    {
        using var blackHole = new TcpListener(IPAddress.Loopback, 0);
        blackHole.Start();
        var held = new List<Socket>();
        var accepting = Task.Run(async () =>
        {
            try
            {
                while (true) held.Add(await blackHole.AcceptSocketAsync());
            }
            catch (SocketException)
            {
                // Stopped.
            }
            catch (ObjectDisposedException)
            {
                // Stopped.
            }
        });
        var port = ((IPEndPoint)blackHole.LocalEndpoint).Port;
        await using var app = await TestApp.StartAsync(stack,
            $"--ConnectionStrings:Postgres=Host=127.0.0.1;Port={port};Username=postgres;Timeout=30;Command Timeout=30",
            "--Postgres:OperationTimeoutSeconds=1");

        var watch = Stopwatch.StartNew();
        var order = await app.PostOrderAsync(Sale.Email(), 1);
        var orderTook = watch.Elapsed;
        watch.Restart();
        var callback = await Callbacks.PostAsync(app, Guid.NewGuid(), "settlement", 1_000_000);
        var callbackTook = watch.Elapsed;

        Assert.Equal(HttpStatusCode.ServiceUnavailable, order.StatusCode);
        Assert.Equal("dependency_unavailable", await TestApp.ProblemCodeAsync(order));
        Assert.NotNull(order.Headers.RetryAfter);
        Assert.InRange(orderTook, TimeSpan.Zero, TimeSpan.FromSeconds(5));
        Assert.Equal(HttpStatusCode.ServiceUnavailable, callback.StatusCode);
        Assert.InRange(callbackTook, TimeSpan.Zero, TimeSpan.FromSeconds(5));
        blackHole.Stop();
        await accepting;
        foreach (var socket in held) socket.Dispose();
    }
}
