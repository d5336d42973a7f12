using System.Collections.Concurrent;
using ConcertTicket.Infrastructure;

namespace ConcertTicket.Tests.Infrastructure;

/// <summary>
/// The batching itself, with a write that records its batches (the statements are tested against PostgreSQL in
/// VirtualAccountBatchTests and CallbackTests). The first write is held open, so what comes meanwhile queues.
/// </summary>
public sealed class StatementBatcherTests
{
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(10);
    private static readonly System.Diagnostics.ActivitySource Source = new("ConcertTicket.Tests.StatementBatcher");

    private readonly ConcurrentQueue<int[]> _batches = new();
    private readonly TaskCompletionSource _firstMayEnd = new(TaskCreationOptions.RunContinuationsAsynchronously);

    [Fact]
    public async Task Items_that_come_while_a_batch_is_written_go_together_in_the_next_one()
    {
        var batcher = Batcher(maxBatch: 100);
        var first = batcher.RunAsync(0);
        await FirstWriteStartedAsync();
        var rest = await Task.WhenAll(Enumerable.Range(1, 20).Select(i => Task.Factory.StartNew(() => batcher.RunAsync(i), CancellationToken.None, TaskCreationOptions.None, TaskScheduler.Default)));
        Assert.All(rest, r => Assert.False(r.IsCompleted));

        _firstMayEnd.SetResult();

        Assert.Equal(0, await first.WaitAsync(Limit));
        Assert.Equal(Enumerable.Range(1, 20).Select(i => i * 10), await Task.WhenAll(rest).WaitAsync(Limit));
        Assert.Equal(2, _batches.Count);
        Assert.Equal(Enumerable.Range(1, 20), _batches.Last().Order());
    }

    [Fact]
    public async Task An_item_whose_key_is_already_in_the_batch_waits_for_the_next_one()
    {
        var batcher = Batcher(maxBatch: 100);
        var first = batcher.RunAsync(0);
        await FirstWriteStartedAsync();
        int[] items = [1, 2, 1, 3, 1];
        var results = items.Select(batcher.RunAsync).ToArray();

        _firstMayEnd.SetResult();

        int[] expected = [10, 20, 10, 30, 10];
        Assert.Equal(expected, await Task.WhenAll(results).WaitAsync(Limit));
        await first.WaitAsync(Limit);
        int[][] batches = [[0], [1, 2, 3], [1], [1]];
        Assert.Equal(batches, _batches.ToArray());
    }

    [Fact]
    public async Task No_batch_is_larger_than_the_limit()
    {
        var batcher = Batcher(maxBatch: 3);
        var first = batcher.RunAsync(0);
        await FirstWriteStartedAsync();
        var results = Enumerable.Range(1, 7).Select(batcher.RunAsync).ToArray();

        _firstMayEnd.SetResult();

        await Task.WhenAll(results).WaitAsync(Limit);
        await first.WaitAsync(Limit);
        int[] sizes = [1, 3, 3, 1];
        Assert.Equal(sizes, _batches.Select(b => b.Length));
    }

    [Fact]
    public async Task A_failed_batch_fails_each_of_its_callers_and_the_writer_goes_on()
    {
        var fail = true;
        var batcher = new StatementBatcher<int, int, int>(Source, "test.write", items =>
        {
            _batches.Enqueue([.. items]);
            return fail ? Task.FromException<int[]>(new InvalidOperationException("statement failed")) : Task.FromResult(items.ToArray());
        }, 100, i => i);

        var failed = await Task.WhenAll(Enumerable.Range(0, 5).Select(async i =>
            await Assert.ThrowsAsync<InvalidOperationException>(() => batcher.RunAsync(i).WaitAsync(Limit))));
        fail = false;

        Assert.All(failed, e => Assert.Equal("statement failed", e.Message));
        Assert.Equal(7, await batcher.RunAsync(7).WaitAsync(Limit));
        Assert.Equal(batcher.BatchesStarted, batcher.BatchesWritten);
    }

    [Fact]
    public async Task A_batch_is_a_trace_of_its_own_linked_to_each_request_it_served()
    {
        var stopped = new ConcurrentQueue<System.Diagnostics.Activity>();
        using var listener = new System.Diagnostics.ActivityListener
        {
            ShouldListenTo = s => s == Source,
            Sample = (ref System.Diagnostics.ActivityCreationOptions<System.Diagnostics.ActivityContext> _) =>
                System.Diagnostics.ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = stopped.Enqueue,
        };
        System.Diagnostics.ActivitySource.AddActivityListener(listener);
        var batcher = Batcher(maxBatch: 100);
        var first = batcher.RunAsync(0);
        await FirstWriteStartedAsync();
        var callers = new List<System.Diagnostics.Activity>();
        var results = new List<Task<int>>();
        for (var i = 1; i <= 3; i++)
        {
            using var caller = Source.StartActivity("caller")!;
            callers.Add(caller);
            results.Add(batcher.RunAsync(i));
        }

        _firstMayEnd.SetResult();
        await Task.WhenAll(results).WaitAsync(Limit);
        await first.WaitAsync(Limit);

        var writes = stopped.Where(a => a.OperationName == "test.write").ToList();
        Assert.Equal(2, writes.Count);
        var second = Assert.Single(writes, w => (int)w.GetTagItem("db.operation.batch.size")! == 3);
        Assert.Null(second.Parent);
        Assert.Equal(default, second.ParentSpanId);
        Assert.Equal(callers.Select(c => c.SpanId.ToHexString()).Order(), second.Links.Select(l => l.Context.SpanId.ToHexString()).Order());
        Assert.DoesNotContain(callers, c => c.TraceId == second.TraceId);
    }

    /// <summary>The writer starts on the thread pool: wait until it holds the first batch open.</summary>
    private async Task FirstWriteStartedAsync()
    {
        var waited = System.Diagnostics.Stopwatch.StartNew();
        while (_batches.IsEmpty)
        {
            Assert.True(waited.Elapsed < Limit, "the first batch was never written");
            await Task.Delay(5);
        }
    }

    /// <summary>Results are ten times the items; the first write waits for <see cref="_firstMayEnd"/>.</summary>
    private StatementBatcher<int, int, int> Batcher(int maxBatch) =>
        new(Source, "test.write", async items =>
        {
            var first = _batches.IsEmpty;
            _batches.Enqueue([.. items]);
            if (first) await _firstMayEnd.Task;
            return [.. items.Select(i => i * 10)];
        }, maxBatch, i => i);
}
