using System.Diagnostics;

namespace FaultSuite;

/// <summary>
/// One order per notification fault, each with its own fan, checked through the API: the exact outcome of a
/// forged, doubled, reordered and late notification. They run while the load sends the same faults at scale.
/// </summary>
internal sealed class CallbackScenarios(Api api, Notifications notifications, Recorder recorder)
{
    private const int Category = 1;

    public async Task<List<Check>> RunAsync()
    {
        var checks = await Task.WhenAll(
            ForgedAsync(), TwiceAsync(), OutOfOrderAsync(), ExpireBeforeSettlementAsync(), LateAsync(), LateAfterReorderAsync());
        return [.. checks];
    }

    private async Task<Check> ForgedAsync()
    {
        const string name = "forged settlements (wrong key; amount changed) get 401 and leave the order pending";
        if (await OrderAsync() is not var (id, total)) return Failed(name, "could not place the order");
        var wrongKey = await notifications.SendOnceAsync(id, "settlement", total, key: "forger", expected: [401]);
        var cheaper = await notifications.SendOnceAsync(id, "settlement", total, grossAmount: "1.00", expected: [401]);
        var status = await StatusAsync(id);
        return new Check(name, wrongKey.Status == 401 && cheaper.Status == 401 && status == "pending",
            $"answers {wrongKey.Outcome}, {cheaper.Outcome}; order {status}");
    }

    private async Task<Check> TwiceAsync()
    {
        const string name = "a settlement delivered twice pays once";
        if (await OrderAsync() is not var (id, total)) return Failed(name, "could not place the order");
        var first = await notifications.SettleAsync(id, total);
        var again = await notifications.SendOnceAsync(id, "settlement", total, expected: [200]);
        var status = await StatusAsync(id);
        return new Check(name, first.Status == 200 && again.Status == 200 && again.Data("status") == "paid" && status == "paid",
            $"answers {first.Outcome} ({first.Data("status")}), {again.Outcome} ({again.Data("status")}); order {status}");
    }

    private async Task<Check> OutOfOrderAsync()
    {
        const string name = "pending and expire arriving after the settlement change nothing";
        if (await OrderAsync() is not var (id, total)) return Failed(name, "could not place the order");
        var settled = await notifications.SettleAsync(id, total);
        var pending = await notifications.SendOnceAsync(id, "pending", total, expected: [200]);
        var expire = await notifications.SendOnceAsync(id, "expire", total, expected: [200]);
        var status = await StatusAsync(id);
        return new Check(name, settled.Status == 200 && pending.Status == 200 && expire.Status == 200 && status == "paid",
            $"answers {settled.Outcome}, {pending.Outcome}, {expire.Outcome}; order {status}");
    }

    private async Task<Check> ExpireBeforeSettlementAsync()
    {
        const string name = "an expire notice overtaken by the settlement: the money still lands (paid or refund_required)";
        if (await OrderAsync() is not var (id, total)) return Failed(name, "could not place the order");
        var expire = await notifications.SendOnceAsync(id, "expire", total, expected: [200]);
        var ended = await StatusAsync(id);
        var settled = await notifications.SettleAsync(id, total, late: true);
        var status = await StatusAsync(id);
        return new Check(name, expire.Status == 200 && ended == "cancelled" && settled.Status == 200 && status is "paid" or "refund_required",
            $"expire → {ended}; settlement {settled.Outcome} → {status}");
    }

    private async Task<Check> LateAsync()
    {
        const string name = "a settlement after the hold ended: paid (another free seat) or refund_required";
        if (await OrderAsync() is not var (id, total)) return Failed(name, "could not place the order");
        var ended = await WaitForStatusAsync(id, "expired");
        var settled = await notifications.SettleAsync(id, total, late: true);
        var status = await StatusAsync(id);
        return new Check(name, ended == "expired" && settled.Status == 200 && status is "paid" or "refund_required",
            $"hold ended → {ended}; settlement {settled.Outcome} → {status}");
    }

    private async Task<Check> LateAfterReorderAsync()
    {
        const string name = "a late settlement after the fan ordered again: refund_required, the new order untouched";
        var email = Email();
        if (await OrderAsync(email) is not var (first, total)) return Failed(name, "could not place the first order");
        var ended = await WaitForStatusAsync(first, "expired");
        if (await OrderAsync(email) is not var (second, _)) return Failed(name, $"first order {ended}; could not place the second");
        var settled = await notifications.SettleAsync(first, total, late: true);
        var firstStatus = await StatusAsync(first);
        var secondStatus = await StatusAsync(second);
        return new Check(name, settled.Status == 200 && firstStatus == "refund_required" && secondStatus == "pending",
            $"first order {ended}, then settled ({settled.Outcome}) → {firstStatus}; second order {secondStatus}");
    }

    private static string Email() => $"scenario-{Guid.NewGuid():N}@faults.example";

    private async Task<(Guid Id, long Total)?> OrderAsync(string? email = null)
    {
        var reply = await api.SendAsync(Kind.Order, HttpMethod.Post, "/orders",
            $$"""{"email":"{{email ?? Email()}}","category_id":{{Category}}}""");
        if (reply.Status != 201 || !Load.TryReadOrder(reply, out var id, out var total)) return null;
        recorder.Created[id] = total;
        return (id, total);
    }

    private async Task<string?> StatusAsync(Guid id) =>
        (await api.SendAsync(Kind.OrderStatus, HttpMethod.Get, $"/orders/{id}")).Data("status");

    /// <summary>Polls the order until it has <paramref name="wanted"/>, for at most the hold plus 10 s.</summary>
    private async Task<string?> WaitForStatusAsync(Guid id, string wanted)
    {
        var waited = Stopwatch.StartNew();
        string? status;
        do
        {
            await Task.Delay(500);
            status = await StatusAsync(id);
        }
        while (status != wanted && waited.Elapsed < TimeSpan.FromSeconds(SuiteOptions.HoldSeconds + 10));
        return status;
    }

    private static Check Failed(string name, string detail) => new(name, false, detail);
}
