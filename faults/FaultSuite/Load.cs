using System.Globalization;
using System.Text.Json;

namespace FaultSuite;

internal enum Behaviour
{
    /// <summary>The seed's scenario: list, order, and three fans in four pay at once.</summary>
    Scenario,

    /// <summary>The same, with each payment's notifications forged, doubled, reordered or late.</summary>
    CallbackFaults,
}

/// <summary>
/// Closed-loop virtual users doing the seed's scenario (loadtest/README.md): GET /categories, POST /orders for a
/// random fan and open category, then a signed settlement unless the VU leaves its orders unpaid (VU % 4 == 0).
/// </summary>
internal sealed class Load(Api api, Notifications notifications, Recorder recorder, int vus)
{
    private const string ForgedKey = "not-the-server-key";

    private static readonly TimeSpan PaysLate = TimeSpan.FromSeconds(SuiteOptions.HoldSeconds + 2.5);

    private int _behaviour;

    public Behaviour Behaviour
    {
        get => (Behaviour)Volatile.Read(ref _behaviour);
        set => Volatile.Write(ref _behaviour, (int)value);
    }

    /// <summary>Runs until <paramref name="stop"/>; iterations in flight finish (each request has its own timeout).</summary>
    public Task RunAsync(CancellationToken stop)
    {
        var seed = Random.Shared.Next();
        return Task.WhenAll(Enumerable.Range(1, vus).Select(vu => Task.Run(() => VuAsync(vu, new Random(seed + vu), stop))));
    }

    private async Task VuAsync(int vu, Random random, CancellationToken stop)
    {
        while (!stop.IsCancellationRequested)
        {
            if (await IterateAsync(vu, random)) continue;
            // A client that just failed waits a moment instead of spinning on a dead port; short, so it barely
            // delays the moment it sees the recovery.
            try
            {
                await Task.Delay(250, stop);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    /// <returns>False when a request failed.</returns>
    private async Task<bool> IterateAsync(int vu, Random random)
    {
        var categories = await api.SendAsync(Kind.Categories, HttpMethod.Get, "/categories");
        if (!categories.Ok) return false;
        var list = ReadCategories(categories.Body);
        if (list.Count == 0)
        {
            recorder.Surprises.Enqueue("GET /categories answered 200 without categories");
            return false;
        }
        var open = list.Where(c => c.Free > 0).ToList();
        var pick = open.Count > 0 ? open : list;
        var category = pick[random.Next(pick.Count)].Id;
        var email = string.Create(CultureInfo.InvariantCulture, $"fan{random.Next(SuiteOptions.Emails)}@faults.example");
        var order = await api.SendAsync(Kind.Order, HttpMethod.Post, "/orders",
            string.Create(CultureInfo.InvariantCulture, $$"""{"email":"{{email}}","category_id":{{category}}}"""));
        if (order.Status != 201) return order.Ok;
        if (!TryReadOrder(order, out var orderId, out var total))
        {
            recorder.Surprises.Enqueue("POST /orders answered 201 without an order id and total: " + order.Body);
            return false;
        }
        recorder.Created[orderId] = total;
        if (Behaviour == Behaviour.CallbackFaults) return await PayThroughFaultsAsync(vu, orderId, total);
        if (vu % 4 == 0) return true;
        return (await notifications.SettleAsync(orderId, total)).Ok;
    }

    private async Task<bool> PayThroughFaultsAsync(int vu, Guid orderId, long total)
    {
        if (vu % 8 == 0)
        {
            // Pays after the hold ended: the order must end paid (another free seat) or refund_required.
            notifications.ScheduleLate(orderId, total, PaysLate);
            return true;
        }
        var forged = await notifications.SendOnceAsync(orderId, "settlement", total, key: ForgedKey, expected: [401]);
        if (vu % 8 == 4) return forged.Ok; // never pays: the forgery must not have paid it, and it expires
        var tampered = await notifications.SendOnceAsync(orderId, "settlement", total, grossAmount: "1.00", expected: [401]);

        // The same settlement twice at once, then a pending and an expire that arrive after it.
        var first = notifications.SettleAsync(orderId, total);
        var second = notifications.SettleAsync(orderId, total);
        var both = await Task.WhenAll(first, second);
        if (!both.All(r => r.Ok)) return false;
        foreach (var late in new[] { "pending", "expire" })
        {
            var reply = await notifications.SendOnceAsync(orderId, late, total, expected: [200]);
            if (reply.Ok && reply.Data("status") != "paid")
            {
                recorder.Surprises.Enqueue($"'{late}' after the settlement of {orderId} left it '{reply.Data("status")}'");
            }
        }
        return forged.Ok && tampered.Ok;
    }

    internal static bool TryReadOrder(Reply reply, out Guid orderId, out long total)
    {
        orderId = Guid.Empty;
        total = 0;
        return reply.Json() is { } json && json.TryGetProperty("data", out var data)
            && Guid.TryParse(data.TryGetProperty("id", out var id) ? id.GetString() : null, out orderId)
            && data.TryGetProperty("total", out var t) && t.TryGetInt64(out total);
    }

    private static List<(int Id, long Free)> ReadCategories(string body)
    {
        var list = new List<(int, long)>();
        try
        {
            using var json = JsonDocument.Parse(body);
            foreach (var c in json.RootElement.GetProperty("data").EnumerateArray())
            {
                list.Add((c.GetProperty("id").GetInt32(), c.GetProperty("total").GetInt64()));
            }
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException)
        {
            list.Clear();
        }
        return list;
    }
}
