using System.Globalization;
using System.Security.Cryptography;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace ConcertTicket.Queue;

/// <summary>An entry as the store sees it; <c>Rank</c> is -1 once the entry has left the line.</summary>
internal sealed record QueueEntryState(
    Guid Id, string Email, long Rank, DateTimeOffset? AdmittedUntil, bool Used, bool SoldOut, long Served, double Rate);

/// <summary>The waiting room as the organiser sees it: fans in line, fans admitted so far, the admitter's pace.</summary>
internal sealed record QueueFigures(long Waiting, long Admitted, double AdmitPerSecond, bool SoldOut);

/// <summary>
/// The queue's state in Redis, shared by every instance. Each decision that reads and then writes is one Lua
/// script, so two instances (or two requests of one fan) can never interleave inside it.
/// </summary>
/// <remarks>
/// One sorted set holds the line: fans who join before the opening get a random score in [0, 1), which is a
/// uniform shuffle at the opening; later joiners get 1 + a counter, which is arrival order. Admission pops the
/// lowest scores. All keys share one hash tag, so the scripts also run on a Redis Cluster.
/// </remarks>
internal sealed class QueueStore(IConnectionMultiplexer redis, IOptions<QueueOptions> options)
{
    // The email's entry if it has one; else a place: a random one before the opening (Redis's clock decides, so every
    // instance agrees on the instant), the next in arrival order after it.
    private const string JoinScript = """
        local existing = redis.call('HGET', KEYS[1], ARGV[1])
        if existing then return {0, existing} end
        local t = redis.call('TIME')
        local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
        local score
        if now < tonumber(ARGV[4]) then score = ARGV[3] else score = 1 + redis.call('INCR', KEYS[3]) end
        redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
        redis.call('HSET', KEYS[4], ARGV[2], ARGV[1])
        redis.call('ZADD', KEYS[2], score, ARGV[2])
        return {1, ARGV[2]}
        """;

    private const string StateScript = """
        local email = redis.call('HGET', KEYS[1], ARGV[1])
        if not email then return {} end
        local rank = redis.call('ZRANK', KEYS[2], ARGV[1]) or -1
        local admitted = redis.call('HGET', KEYS[3], ARGV[1]) or '-1'
        local used = redis.call('HEXISTS', KEYS[4], ARGV[1])
        local soldout = redis.call('EXISTS', KEYS[5])
        local served = redis.call('GET', KEYS[6]) or '0'
        local rate = redis.call('GET', KEYS[7]) or '0'
        return {email, rank, admitted, used, soldout, served, rate}
        """;

    // Nothing before the opening (Redis's clock again); then the n lowest scores, each marked admitted until ARGV[2]
    // and counted as an outstanding admission (KEYS[4], scored by its end) until it is used or runs out.
    private const string AdmitScript = """
        local t = redis.call('TIME')
        local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
        if now < tonumber(ARGV[3]) then return {} end
        local popped = redis.call('ZPOPMIN', KEYS[1], ARGV[1])
        local ids = {}
        for i = 1, #popped, 2 do
          redis.call('HSET', KEYS[2], popped[i], ARGV[2])
          redis.call('ZADD', KEYS[4], ARGV[2], popped[i])
          ids[#ids + 1] = popped[i]
        end
        if #ids > 0 then redis.call('INCRBY', KEYS[3], #ids) end
        return ids
        """;

    private const string RenewLeaseScript = """
        if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
        return 0
        """;

    private const string ReleaseLeaseScript = """
        if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
        return 0
        """;

    private readonly Keys _keys = new(options.Value.Name);

    private IDatabase Db => redis.GetDatabase();

    public sealed class Keys(string name)
    {
        private readonly string _prefix = $"concert-ticket:queue:{{{name}}}:";

        public RedisKey Emails => _prefix + "emails";
        public RedisKey Entries => _prefix + "entries";
        public RedisKey Line => _prefix + "line";
        public RedisKey Sequence => _prefix + "seq";
        public RedisKey Admitted => _prefix + "admitted";
        public RedisKey Used => _prefix + "used";
        public RedisKey Outstanding => _prefix + "outstanding";
        public RedisKey Served => _prefix + "served";
        public RedisKey SoldOut => _prefix + "sold-out";
        public RedisKey Rate => _prefix + "rate";
        public RedisKey Lease => _prefix + "admitter-lease";
        public RedisKey Latency => _prefix + "order-latency";
    }

    public Keys KeyNames => _keys;

    /// <returns>The entry's id, and whether this call created it.</returns>
    public async Task<(Guid Id, bool Created)> JoinAsync(string email, DateTimeOffset opensAt)
    {
        // The shuffle's randomness comes from here, not from Lua's math.random, whose seed is not ours to trust.
        var random = (RandomNumberGenerator.GetInt32(int.MaxValue) / (double)int.MaxValue).ToString("R", CultureInfo.InvariantCulture);
        var result = (RedisResult[])(await Db.ScriptEvaluateAsync(JoinScript,
            [_keys.Emails, _keys.Line, _keys.Sequence, _keys.Entries],
            [email, Guid.CreateVersion7().ToString(), random, OpeningMs(opensAt)]))!;
        return (Guid.Parse((string)result[1]!), (int)result[0] == 1);
    }

    public async Task<QueueEntryState?> GetAsync(Guid id)
    {
        var result = (RedisResult[])(await Db.ScriptEvaluateAsync(StateScript,
            [_keys.Entries, _keys.Line, _keys.Admitted, _keys.Used, _keys.SoldOut, _keys.Served, _keys.Rate],
            [id.ToString()]))!;
        if (result.Length == 0) return null;
        var admittedMs = (long)result[2];
        return new QueueEntryState(id, (string)result[0]!, (long)result[1],
            admittedMs < 0 ? null : DateTimeOffset.FromUnixTimeMilliseconds(admittedMs),
            (long)result[3] == 1, (long)result[4] == 1, (long)result[5],
            double.Parse((string)result[6]!, CultureInfo.InvariantCulture));
    }

    /// <summary>Admits up to <paramref name="count"/> fans in place order; none before the opening.</summary>
    public async Task<IReadOnlyList<Guid>> AdmitAsync(int count, DateTimeOffset until, DateTimeOffset opensAt)
    {
        var result = (RedisResult[])(await Db.ScriptEvaluateAsync(AdmitScript,
            [_keys.Line, _keys.Admitted, _keys.Served, _keys.Outstanding],
            [count, until.ToUnixTimeMilliseconds(), OpeningMs(opensAt)]))!;
        return result.Select(r => Guid.Parse((string)r!)).ToList();
    }

    /// <summary>Takes the admitter's lease if nobody holds it, or renews it if this owner does.</summary>
    public async Task<bool> HoldLeaseAsync(string owner, TimeSpan ttl)
    {
        if (await Db.StringSetAsync(_keys.Lease, owner, ttl, When.NotExists)) return true;
        return (long)(await Db.ScriptEvaluateAsync(RenewLeaseScript, [_keys.Lease], [owner, (long)ttl.TotalMilliseconds])) == 1;
    }

    public async Task ReleaseLeaseAsync(string owner) =>
        await Db.ScriptEvaluateAsync(ReleaseLeaseScript, [_keys.Lease], [owner]);

    public async Task<string?> LeaseOwnerAsync() => await Db.StringGetAsync(_keys.Lease);

    public Task SetSoldOutAsync(bool soldOut) => soldOut
        ? Db.StringSetAsync(_keys.SoldOut, "1")
        : Db.KeyDeleteAsync(_keys.SoldOut);

    public async Task<bool> IsSoldOutAsync() => await Db.KeyExistsAsync(_keys.SoldOut);

    public Task PublishRateAsync(double perSecond) =>
        Db.StringSetAsync(_keys.Rate, perSecond.ToString("0.###", CultureInfo.InvariantCulture), TimeSpan.FromSeconds(30));

    public async Task<(long Waiting, long Served)> StatsAsync()
    {
        var waiting = Db.SortedSetLengthAsync(_keys.Line);
        var served = Db.StringGetAsync(_keys.Served);
        return (await waiting, (long?)await served ?? 0);
    }

    /// <summary>
    /// Admissions given and neither used for an order nor run out: fans who may still order. Those that ran out are
    /// dropped first (Redis's clock).
    /// </summary>
    public async Task<long> OutstandingAdmissionsAsync(DateTimeOffset now)
    {
        var batch = Db.CreateBatch();
        _ = batch.SortedSetRemoveRangeByScoreAsync(_keys.Outstanding, double.NegativeInfinity, now.ToUnixTimeMilliseconds());
        var count = batch.SortedSetLengthAsync(_keys.Outstanding);
        batch.Execute();
        return await count;
    }

    /// <summary>What the organiser's dashboard shows of the waiting room, read in one round trip.</summary>
    public async Task<QueueFigures> FiguresAsync()
    {
        var batch = Db.CreateBatch();
        var waiting = batch.SortedSetLengthAsync(_keys.Line);
        var served = batch.StringGetAsync(_keys.Served);
        var rate = batch.StringGetAsync(_keys.Rate);
        var soldOut = batch.KeyExistsAsync(_keys.SoldOut);
        batch.Execute();
        return new QueueFigures(await waiting, (long?)await served ?? 0,
            double.TryParse((string?)await rate, CultureInfo.InvariantCulture, out var perSecond) ? perSecond : 0, await soldOut);
    }

    /// <summary>After an order was placed with the admission: it is used, so it does not show as expired.</summary>
    /// <remarks>Best effort: the order is placed already, and a lost mark only shows a used admission as expired.</remarks>
    public void MarkUsed(Guid id)
    {
        try
        {
            Db.HashSet(_keys.Used, id.ToString(), 1, flags: CommandFlags.FireAndForget);
            Db.SortedSetRemove(_keys.Outstanding, id.ToString(), CommandFlags.FireAndForget);
        }
        catch (RedisException)
        {
        }
    }

    /// <summary>This instance's recent POST /orders p95, with when it was measured.</summary>
    public Task PublishLatencyAsync(string instance, double p95Ms, DateTimeOffset at) =>
        Db.HashSetAsync(_keys.Latency, instance,
            string.Create(CultureInfo.InvariantCulture, $"{p95Ms:0.#}:{at.ToUnixTimeMilliseconds()}"));

    /// <summary>The p95s that instances published since <paramref name="since"/>; older ones are removed.</summary>
    public async Task<List<double>> RecentLatenciesAsync(DateTimeOffset since)
    {
        var all = await Db.HashGetAllAsync(_keys.Latency);
        var recent = new List<double>();
        foreach (var entry in all)
        {
            var text = (string)entry.Value!;
            var colon = text.IndexOf(':');
            if (colon > 0 && double.TryParse(text.AsSpan(0, colon), CultureInfo.InvariantCulture, out var p95)
                && long.TryParse(text.AsSpan(colon + 1), CultureInfo.InvariantCulture, out var at))
            {
                if (at >= since.ToUnixTimeMilliseconds()) recent.Add(p95);
                else _ = Db.HashDeleteAsync(_keys.Latency, entry.Name, CommandFlags.FireAndForget);
            }
        }
        return recent;
    }

    private static long OpeningMs(DateTimeOffset opensAt) =>
        opensAt == DateTimeOffset.MinValue ? 0 : opensAt.ToUnixTimeMilliseconds();
}
