namespace FaultSuite;

/// <summary>What one phase did to the clients.</summary>
internal sealed record Metrics(
    int Requests,
    int Errors,
    IReadOnlyDictionary<string, int> ErrorCauses,
    long MaxLatencyMs,
    Kind? MaxLatencyKind,
    long LongestGapMs,
    long? ErrorsEndAfterFaultMs,
    long SlowestFailureMs,
    int FailuresWithoutRetryAfter,
    int Timeouts,
    int Stale)
{
    public double ErrorRate => Requests == 0 ? 0 : (double)Errors / Requests;

    /// <param name="samples">The phase's requests, by end time.</param>
    /// <param name="faultEndMs">When the fault was removed; errors after it measure the recovery.</param>
    public static Metrics From(List<Sample> samples, long fromMs, long faultEndMs, long toMs)
    {
        var errors = samples.Where(s => !s.Ok).ToList();
        var slowest = samples.Count == 0 ? default : samples.MaxBy(s => s.LatencyMs);

        // The longest stretch in which no client got a good answer, from the start of the load to its end.
        var gap = 0L;
        var last = fromMs;
        foreach (var s in samples.Where(s => s.Ok))
        {
            gap = Math.Max(gap, s.EndMs - last);
            last = Math.Max(last, s.EndMs);
        }
        gap = Math.Max(gap, toMs - last);

        var lastError = errors.Count == 0 ? (long?)null : errors.Max(s => s.EndMs);
        return new Metrics(
            samples.Count,
            errors.Count,
            errors.GroupBy(s => s.Outcome).OrderByDescending(g => g.Count()).ToDictionary(g => g.Key, g => g.Count()),
            samples.Count == 0 ? 0 : slowest.LatencyMs,
            samples.Count == 0 ? null : slowest.Kind,
            gap,
            lastError is { } end ? Math.Max(0, end - faultEndMs) : null,
            errors.Count == 0 ? 0 : errors.Max(s => s.LatencyMs),
            errors.Count(s => s.Outcome.StartsWith("503", StringComparison.Ordinal) && !s.RetryAfter),
            errors.Count(s => s.Outcome == "timeout"),
            samples.Count(s => s.Stale));
    }
}
