using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

namespace ConcertTicket.Tests.Infrastructure;

/// <summary>
/// Seeded random mutations of a valid body for each endpoint that reads one (byte flips, insertions, deletions,
/// invalid UTF-8, deep nesting, huge numbers): none may get a 5xx, and none may change the sale beyond what a 2xx
/// answer reports. The seed is fixed so a failure replays; the failing body is printed in the assertion.
/// </summary>
[Collection(LiveServersGroup.Name)]
public sealed class BodyFuzzTests(LiveServers stack) : IAsyncLifetime
{
    private const int MutationsPerEndpoint = 2500;

    private TestApp _app = null!;

    public async Task InitializeAsync() =>
        _app = await TestApp.StartAsync(stack, "--Protection:OrdersPerIpPerMinute=0", "--Protection:OrdersPerEmailPerMinute=0");

    public async Task DisposeAsync() => await _app.DisposeAsync();

    [Fact]
    public async Task Mutated_order_bodies_get_4xx_and_change_nothing_they_do_not_report()
    {
        // A category with no seat: a mutation that stays a valid order is answered sold_out, not a new order.
        var categoryId = await Sale.CreateCategoryAsync(stack.DataSource, seats: 0);
        var valid = Encoding.UTF8.GetBytes(JsonSerializer.Serialize(new { email = Sale.Email("fuzz"), category_id = categoryId }));
        var before = await SnapshotAsync();

        var created = await FuzzAsync("/orders", valid, seed: 13);

        Assert.Equal(before with { Orders = before.Orders + created, FreeSeats = before.FreeSeats - created }, await SnapshotAsync());
        await Sale.AssertInvariantsAsync(stack.DataSource);
    }

    [Fact]
    public async Task Mutated_callback_bodies_get_4xx_and_change_nothing()
    {
        // Correctly signed, for an order that does not exist: whatever a mutation leaves valid finds no order.
        var notification = Callbacks.Notification(Guid.NewGuid(), "settlement", 1_000_000);
        var valid = Encoding.UTF8.GetBytes(JsonSerializer.Serialize(notification));
        var before = await SnapshotAsync();

        var accepted = await FuzzAsync("/payments/callback", valid, seed: 14);

        Assert.Equal(0, accepted);
        Assert.Equal(before, await SnapshotAsync());
        await Sale.AssertInvariantsAsync(stack.DataSource);
    }

    /// <returns>How many mutated bodies were accepted (2xx).</returns>
    private async Task<int> FuzzAsync(string path, byte[] valid, int seed)
    {
        var random = new Random(seed);
        var accepted = 0;
        for (var i = 0; i < MutationsPerEndpoint; i++)
        {
            var body = Mutate(valid, random);
            using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new ByteArrayContent(body) };
            request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
            using var response = await _app.Client.SendAsync(request);
            var status = (int)response.StatusCode;
            Assert.True(status < 500, $"{path} answered {status} to mutation {i} (seed {seed}): {Convert.ToHexString(body)}");
            if (status < 300) accepted++;
            else Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        }
        return accepted;
    }

    private static byte[] Mutate(byte[] valid, Random random)
    {
        var bytes = new List<byte>(valid);
        var kind = random.Next(8);
        switch (kind)
        {
            case 0:
                return DeepNesting(random);
            case 1:
                return HugeNumbers(valid, random);
        }
        for (var n = random.Next(1, 4); n > 0; n--)
        {
            var at = random.Next(bytes.Count + 1);
            switch (kind)
            {
                case 2 when bytes.Count > 0: // flip a bit
                    at = Math.Min(at, bytes.Count - 1);
                    bytes[at] ^= (byte)(1 << random.Next(8));
                    break;
                case 3: // insert a random byte
                    bytes.Insert(at, (byte)random.Next(256));
                    break;
                case 4 when bytes.Count > 0: // delete a run
                    at = Math.Min(at, bytes.Count - 1);
                    bytes.RemoveRange(at, Math.Min(random.Next(1, 6), bytes.Count - at));
                    break;
                case 5: // invalid UTF-8: a lone continuation byte, a truncated sequence, or bytes never valid
                    byte[][] invalid = [[0xFF], [0xDF], [0xBA], [0xC3], [0xE2, 0x82], [0xF0, 0x9F, 0x98], [0xC0, 0xAF], [0xED, 0xA0, 0x80]];
                    bytes.InsertRange(InsideString(valid, random), invalid[random.Next(invalid.Length)]);
                    break;
                case 6: // a JSON-significant character
                    bytes.Insert(at, "{}[]\":,\\0-eE.tfn "u8[random.Next(17)]);
                    break;
                default: // replace a byte with a random one
                    if (bytes.Count > 0) bytes[Math.Min(at, bytes.Count - 1)] = (byte)random.Next(256);
                    break;
            }
        }
        return [.. bytes];
    }

    /// <summary>An offset just after a quote, so that the bytes land inside a property name or a string.</summary>
    private static int InsideString(byte[] valid, Random random)
    {
        var quotes = Enumerable.Range(0, valid.Length).Where(i => valid[i] == '"').ToArray();
        return quotes[random.Next(quotes.Length)] + 1;
    }

    private static byte[] DeepNesting(Random random)
    {
        var depth = random.Next(17, 5000);
        var open = random.Next(2) == 0 ? "[" : "{\"a\":";
        var close = open == "[" ? "]" : "}";
        return Encoding.UTF8.GetBytes("{\"email\":" + string.Concat(Enumerable.Repeat(open, depth)) + "1"
            + string.Concat(Enumerable.Repeat(close, depth)) + "}");
    }

    private static byte[] HugeNumbers(byte[] valid, Random random)
    {
        string[] numbers = ["1e400", "-1e400", "99999999999999999999999999999999", "2147483648", "-2147483649",
            "1.0000000000000000000001", "0.1e-400", new string('9', random.Next(100, 10_000)), "-0", "1E+2", "NaN", "Infinity"];
        var text = Encoding.UTF8.GetString(valid);
        var number = numbers[random.Next(numbers.Length)];
        // Every string value and every number is a target; pick one and put the number there.
        var values = System.Text.RegularExpressions.Regex.Matches(text, "(?<=:)(\"[^\"]*\"|-?[0-9]+)");
        var target = values[random.Next(values.Count)];
        return Encoding.UTF8.GetBytes(text[..target.Index] + number + text[(target.Index + target.Length)..]);
    }

    private async Task<Snapshot> SnapshotAsync() => new(
        await Sale.ScalarAsync<long>(stack.DataSource, "SELECT count(*) FROM orders"),
        await Sale.ScalarAsync<long>(stack.DataSource, "SELECT count(*) FROM orders WHERE status = 'paid'"),
        await Sale.ScalarAsync<long>(stack.DataSource, "SELECT count(*) FROM seats WHERE order_id IS NULL"),
        await Sale.ScalarAsync<long>(stack.DataSource, "SELECT count(*) FROM gateway_voids"));

    private sealed record Snapshot(long Orders, long Paid, long FreeSeats, long Voids);
}
