using System.Collections.Concurrent;

namespace ConcertTicket.Orders;

/// <summary>
/// Records the Virtual Accounts of orders placed at the same time in one statement
/// (<see cref="OrderStore.SetVirtualAccountsSql"/>). On this kind of machine a statement's round trip (two process
/// wake-ups, the protocol, a transaction) cost PostgreSQL more CPU than the row it changes: one VA statement per
/// order took a quarter of the throughput of the whole sale (docs/benchmarks.md). One batch is written at a time; an
/// order that comes while none is running starts one at once, so a quiet service adds no wait, and orders that come
/// while one runs go together in the next. Each caller still waits for its own row to be written: a GET right after
/// the POST shows the VA.
/// </summary>
internal sealed class VirtualAccountRecorder(OrderStore store)
{
    /// <summary>Bounds one statement's arrays; more waiting orders go in the next batch.</summary>
    internal const int MaxBatch = 256;

    private readonly ConcurrentQueue<Waiting> _queue = new();
    private int _writing;
    private long _batchesStarted;
    private long _batchesWritten;

    /// <summary>Statements sent so far, and those that returned (succeeded or failed).</summary>
    internal long BatchesStarted => Interlocked.Read(ref _batchesStarted);

    internal long BatchesWritten => Interlocked.Read(ref _batchesWritten);

    /// <returns>False when the order ended meanwhile (its VA is then not recorded).</returns>
    public Task<bool> RecordAsync(VirtualAccountRecord account)
    {
        var waiting = new Waiting(account);
        _queue.Enqueue(waiting);
        if (Interlocked.CompareExchange(ref _writing, 1, 0) == 0)
        {
            _ = WriteBatchesAsync();
        }

        return waiting.Recorded.Task;
    }

    private async Task WriteBatchesAsync()
    {
        do
        {
            var batch = new List<Waiting>();
            while (true)
            {
                while (batch.Count < MaxBatch && _queue.TryDequeue(out var next)) batch.Add(next);
                if (batch.Count == 0) break;
                await WriteAsync(batch);
                batch.Clear();
            }

            Volatile.Write(ref _writing, 0);
            // An order queued between the last look and the reset found a writer running: look once more.
        }
        while (!_queue.IsEmpty && Interlocked.CompareExchange(ref _writing, 1, 0) == 0);
    }

    private async Task WriteAsync(List<Waiting> batch)
    {
        Interlocked.Increment(ref _batchesStarted);
        try
        {
            var recorded = await store.SetVirtualAccountsAsync(batch.ConvertAll(w => w.Account), CancellationToken.None);
            foreach (var waiting in batch) waiting.Recorded.TrySetResult(recorded.Contains(waiting.Account.OrderId));
        }
        catch (Exception e)
        {
            // Each order of the batch fails as it would have alone (503 for an outage or a deadline).
            foreach (var waiting in batch) waiting.Recorded.TrySetException(e);
        }
        finally
        {
            Interlocked.Increment(ref _batchesWritten);
        }
    }

    /// <summary>Callers continue on the thread pool, not inside the writer's loop, which goes on to the next batch.</summary>
    private sealed record Waiting(VirtualAccountRecord Account)
    {
        public TaskCompletionSource<bool> Recorded { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
