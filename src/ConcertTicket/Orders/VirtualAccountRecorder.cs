using ConcertTicket.Infrastructure;

namespace ConcertTicket.Orders;

/// <summary>
/// Records the Virtual Accounts of orders placed at the same time in one statement
/// (<see cref="OrderStore.SetVirtualAccountsSql"/>, batched by <see cref="StatementBatcher{TItem, TKey, TResult}"/>).
/// Each caller still waits for its own row to be written: a GET right after the POST shows the VA.
/// </summary>
internal sealed class VirtualAccountRecorder
{
    /// <summary>Bounds one statement's arrays; more waiting orders go in the next batch.</summary>
    internal const int MaxBatch = 256;

    private readonly StatementBatcher<VirtualAccountRecord, Guid, bool> _batcher;

    public VirtualAccountRecorder(OrderStore store) =>
        _batcher = new(Telemetry.Orders, "virtual_accounts.write", async accounts =>
        {
            var recorded = await store.SetVirtualAccountsAsync(accounts, CancellationToken.None);
            return [.. accounts.Select(a => recorded.Contains(a.OrderId))];
        }, MaxBatch, a => a.OrderId);

    internal StatementBatcher<VirtualAccountRecord, Guid, bool> Batcher => _batcher;

    /// <returns>False when the order ended meanwhile (its VA is then not recorded).</returns>
    public Task<bool> RecordAsync(VirtualAccountRecord account) => _batcher.RunAsync(account);
}
