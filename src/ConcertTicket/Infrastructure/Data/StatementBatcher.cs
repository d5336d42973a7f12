using System.Collections.Concurrent;
using System.Diagnostics;

namespace ConcertTicket.Infrastructure;

/// <summary>
/// Sends what concurrent requests hand in at the same time to PostgreSQL in one statement. On a small machine a
/// statement's round trip (two process wake-ups, the protocol, a transaction and its commit) cost PostgreSQL more CPU
/// than the row it changes (measured in docs/benchmarks.md). One batch is written at a time; an item that comes while none is running starts
/// one at once, so a quiet service adds no wait, and the items that come while one runs go together in the next.
/// Each caller still waits for its own result, and a failed statement fails each of its callers as it would have
/// failed alone. The writer runs outside any request's context: each batch is a trace of its own (an activity named
/// <paramref name="activityName"/>, with its size and a link to each request it served), its SQL span under it.
/// </summary>
/// <param name="write">Runs one statement for the items, in their order; returns one result per item, in that order.</param>
/// <param name="maxBatch">Bounds one statement's arrays; more waiting items go in the next batch.</param>
/// <param name="key">Items with the same key never share a batch (a repeat waits for the next): a statement then
/// never meets the same row twice, and each caller sees its own effect.</param>
internal sealed class StatementBatcher<TItem, TKey, TResult>(
    ActivitySource activitySource, string activityName,
    Func<IReadOnlyList<TItem>, Task<TResult[]>> write, int maxBatch, Func<TItem, TKey> key)
    where TKey : notnull
{
    private readonly ConcurrentQueue<Waiting> _queue = new();
    private readonly List<Waiting> _deferred = []; // only the writer touches it
    private int _writing;
    private long _batchesStarted;
    private long _batchesWritten;

    /// <summary>Statements sent so far, and those that returned (succeeded or failed).</summary>
    public long BatchesStarted => Interlocked.Read(ref _batchesStarted);

    public long BatchesWritten => Interlocked.Read(ref _batchesWritten);

    public Task<TResult> RunAsync(TItem item)
    {
        var waiting = new Waiting(item, Activity.Current?.Context ?? default);
        _queue.Enqueue(waiting);
        if (Interlocked.CompareExchange(ref _writing, 1, 0) == 0)
        {
            // The writer outlives the request that starts it: not in that request's trace or logging scope.
            using (ExecutionContext.SuppressFlow())
            {
                _ = Task.Run(WriteBatchesAsync);
            }
        }

        return waiting.Result.Task;
    }

    private async Task WriteBatchesAsync()
    {
        do
        {
            while (TakeBatch() is { Count: > 0 } batch)
            {
                await WriteAsync(batch);
            }

            Volatile.Write(ref _writing, 0);
            // An item queued between the last look and the reset found a writer running: look once more.
        }
        while (!_queue.IsEmpty && Interlocked.CompareExchange(ref _writing, 1, 0) == 0);
    }

    private List<Waiting> TakeBatch()
    {
        var batch = new List<Waiting>();
        var keys = new HashSet<TKey>();
        if (_deferred.Count > 0)
        {
            var deferred = _deferred.ToArray();
            _deferred.Clear();
            foreach (var waiting in deferred) Add(waiting);
        }
        while (batch.Count < maxBatch && _queue.TryDequeue(out var next)) Add(next);
        return batch;

        void Add(Waiting waiting)
        {
            if (batch.Count < maxBatch && keys.Add(key(waiting.Item))) batch.Add(waiting);
            else _deferred.Add(waiting);
        }
    }

    private async Task WriteAsync(List<Waiting> batch)
    {
        Interlocked.Increment(ref _batchesStarted);
        using var activity = activitySource.HasListeners()
            ? activitySource.StartActivity(activityName, ActivityKind.Internal, parentContext: default,
                links: batch.Where(w => w.Caller != default).Select(w => new ActivityLink(w.Caller)))
            : null;
        activity?.SetTag("db.operation.batch.size", batch.Count);
        try
        {
            var results = await write(batch.ConvertAll(w => w.Item));
            for (var i = 0; i < batch.Count; i++) batch[i].Result.TrySetResult(results[i]);
        }
        catch (Exception e)
        {
            activity?.SetStatus(ActivityStatusCode.Error, e.Message);
            foreach (var waiting in batch) waiting.Result.TrySetException(e);
        }
        finally
        {
            Interlocked.Increment(ref _batchesWritten);
        }
    }

    /// <summary>Callers continue on the thread pool, not inside the writer's loop, which goes on to the next batch.</summary>
    private sealed record Waiting(TItem Item, ActivityContext Caller)
    {
        public TaskCompletionSource<TResult> Result { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
