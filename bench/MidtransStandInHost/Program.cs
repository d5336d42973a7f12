using ConcertTicket.Testing;

// Usage: MidtransStandInHost SERVER_KEY DELAY_MS
// Prints its base URL on the first line of standard output, then answers until it is killed. Every call waits
// DELAY_MS, and a status question about a charged, still pending transaction answers "settlement": in bench/run.sh's
// scenario the service asks only when loadgen's settlement notification arrives (asking before expiry and the
// sweep are off there), so the answer is the one Midtrans would give.
if (args.Length != 2 || !int.TryParse(args[1], out var delayMs))
{
    Console.Error.WriteLine("usage: MidtransStandInHost SERVER_KEY DELAY_MS");
    return 2;
}
await using var standIn = await MidtransStandIn.StartAsync();
standIn.ServerKey = args[0];
standIn.SettledWhenAsked = true;
if (delayMs > 0)
{
    standIn.SlowDelay = TimeSpan.FromMilliseconds(delayMs);
    standIn.Mode = GatewayMode.Slow;
}
Console.WriteLine(standIn.BaseUrl);
var stopped = new TaskCompletionSource();
using var onStop = System.Runtime.InteropServices.PosixSignalRegistration.Create(System.Runtime.InteropServices.PosixSignal.SIGTERM, context =>
{
    context.Cancel = true;
    stopped.TrySetResult();
});
Console.CancelKeyPress += (_, e) => { e.Cancel = true; stopped.TrySetResult(); };
await stopped.Task;
return 0;
