namespace LoadGenerator;

/// <summary>Turns the VUs' raw samples into the report's numbers, once, after the run.</summary>
internal static class ReportBuilder
{
    public const string OverallName = "all";

    public static RunReport Build(RunResult run, string label, IReadOnlyList<string> args)
    {
        var options = run.Options;
        RequestKind[] kinds = options.OnlyGetPath is null
            ? [RequestKind.Categories, RequestKind.Order, RequestKind.Callback]
            : [RequestKind.Get];
        var seconds = Math.Max(1, (int)Math.Ceiling(run.Elapsed.TotalSeconds));
        var elapsedSeconds = run.Elapsed.TotalSeconds;

        var perKind = kinds.ToDictionary(kind => kind, kind => new Accumulator(kind.Name(), seconds));
        var overall = new Accumulator(OverallName, seconds);
        foreach (var vu in run.Vus)
        {
            foreach (var sample in vu.Samples)
            {
                overall.Count(sample);
                perKind[sample.Kind].Count(sample);
            }
        }

        overall.Allocate();
        foreach (var accumulator in perKind.Values)
        {
            accumulator.Allocate();
        }

        foreach (var vu in run.Vus)
        {
            foreach (var sample in vu.Samples)
            {
                overall.Add(sample);
                perKind[sample.Kind].Add(sample);
            }
        }

        var counts = new ScenarioCounts();
        var lastOrderMs = -1;
        foreach (var vu in run.Vus)
        {
            counts.Add(vu.Counts);
            lastOrderMs = Math.Max(lastOrderMs, vu.LastOrderCreatedMs);
        }

        var accumulators = kinds.Select(kind => perKind[kind]).ToList();
        return new RunReport(
            Label: label,
            Mode: options.OnlyGetPath is { } path ? $"only-get {path}" : "scenario",
            StartedAt: run.StartedAt,
            Parameters: new RunParameters(
                BaseUrl: options.BaseUrl.AbsoluteUri,
                Vus: options.Vus,
                DurationSeconds: options.Duration.TotalSeconds,
                TimeoutSeconds: options.Timeout.TotalSeconds,
                GracefulStopSeconds: LoadRun.GracefulStop.TotalSeconds,
                Emails: options.Emails,
                Seed: run.Seed,
                StopWhenSoldOut: options.StopWhenSoldOut,
                OnlyGetPath: options.OnlyGetPath,
                Io: options.Io == IoEngine.Epoll ? "epoll" : "sockets",
                ExpectedStatuses: [200, 201, 409],
                CommandLine: string.Join(' ', ["loadgen", .. args])),
            ElapsedSeconds: elapsedSeconds,
            EndedBecause: run.StoppedByUser ? "Ctrl+C"
                : run.StoppedBySellOut ? "sold out"
                : "duration",
            Overall: overall.Stats(elapsedSeconds),
            Requests: accumulators.Select(a => a.Stats(elapsedSeconds)).ToList(),
            Scenario: new ScenarioSummary(
                counts.Iterations,
                counts.OrdersCreated,
                counts.AlreadyOrdered,
                counts.SoldOut,
                counts.OtherConflicts,
                counts.LeftUnpaid,
                counts.CallbacksSent,
                counts.CallbacksOk),
            SellOut: new SellOutSummary(
                run.SellOut.Confirmations,
                Seconds(run.SellOut.FirstAllZeroMs),
                Seconds(run.SellOut.SoldOutAtMs),
                Seconds(run.SellOut.ConfirmedAtMs),
                Seconds(lastOrderMs)),
            Client: run.Client,
            LastSecondWidth: Math.Round(elapsedSeconds - (seconds - 1), 3),
            PerSecond: [overall.Series(), .. accumulators.Select(a => a.Series())]);
    }

    /// <summary>k6's trend percentile: linear interpolation between the closest ranks of sorted values.</summary>
    public static double Percentile(ReadOnlySpan<long> sorted, double percent)
    {
        if (sorted.IsEmpty)
        {
            return 0;
        }

        var rank = percent / 100 * (sorted.Length - 1);
        var below = (int)Math.Floor(rank);
        var above = (int)Math.Ceiling(rank);
        return sorted[below] + ((sorted[above] - sorted[below]) * (rank - below));
    }

    private static double? Seconds(long ms) => ms < 0 ? null : ms / 1000.0;

    private static double Ms(double microseconds) => Math.Round(microseconds / 1000, 3);

    /// <summary>Two passes over the samples: count, then fill arrays of exactly that size.</summary>
    private sealed class Accumulator(string name, int seconds)
    {
        private readonly int[] _requestsPerSecond = new int[seconds];
        private readonly int[] _errorsPerSecond = new int[seconds];
        private readonly Dictionary<string, long> _errorCauses = [];
        private readonly Dictionary<int, long> _statusCodes = [];
        private long _count;
        private long _errors;
        private long[] _latencies = [];

        // Second in the high half, latency in the low half: one sort orders by second, then by latency.
        private long[] _bySecond = [];
        private int _filled;

        public void Count(Sample sample)
        {
            _count++;
            var second = Second(sample);
            _requestsPerSecond[second]++;
            _statusCodes[sample.Status] = _statusCodes.GetValueOrDefault(sample.Status) + 1;
            if (sample.Failure != Failure.None)
            {
                _errors++;
                _errorsPerSecond[second]++;
                var cause = sample.Failure.Describe(sample.Status);
                _errorCauses[cause] = _errorCauses.GetValueOrDefault(cause) + 1;
            }
        }

        public void Allocate()
        {
            _latencies = new long[_count];
            _bySecond = new long[_count];
        }

        public void Add(Sample sample)
        {
            _latencies[_filled] = sample.LatencyUs;
            _bySecond[_filled] = ((long)Second(sample) << 32) | (uint)sample.LatencyUs;
            _filled++;
        }

        public RequestStats Stats(double elapsedSeconds)
        {
            Array.Sort(_latencies);
            Array.Sort(_bySecond);
            var latencies = _latencies.AsSpan();
            double sum = 0;
            foreach (var value in latencies)
            {
                sum += value;
            }

            var latency = new LatencyStats(
                Avg: latencies.IsEmpty ? 0 : Ms(sum / latencies.Length),
                Min: latencies.IsEmpty ? 0 : Ms(latencies[0]),
                P50: Ms(Percentile(latencies, 50)),
                P75: Ms(Percentile(latencies, 75)),
                P90: Ms(Percentile(latencies, 90)),
                P95: Ms(Percentile(latencies, 95)),
                P99: Ms(Percentile(latencies, 99)),
                Max: latencies.IsEmpty ? 0 : Ms(latencies[^1]));

            return new RequestStats(
                Name: name,
                Count: _count,
                Rps: Math.Round(_count / elapsedSeconds, 1),
                Errors: _errors,
                ErrorPercent: _count == 0 ? 0 : Math.Round(100.0 * _errors / _count, 3),
                ErrorCauses: _errorCauses.OrderByDescending(pair => pair.Value).ToDictionary(),
                StatusCodes: _statusCodes.OrderBy(pair => pair.Key)
                    .ToDictionary(pair => pair.Key == 0 ? "no response" : pair.Key.ToString(System.Globalization.CultureInfo.InvariantCulture), pair => pair.Value),
                LatencyMs: latency);
        }

        /// <summary>Call after <see cref="Stats"/>, which sorts the samples.</summary>
        public TimeSeries Series()
        {
            var p50 = new double[seconds];
            var p90 = new double[seconds];
            var p95 = new double[seconds];
            var start = 0;
            var segment = new long[_requestsPerSecond.Length == 0 ? 0 : _requestsPerSecond.Max()];
            while (start < _bySecond.Length)
            {
                var second = (int)(_bySecond[start] >> 32);
                var count = _requestsPerSecond[second];
                for (var i = 0; i < count; i++)
                {
                    segment[i] = _bySecond[start + i] & uint.MaxValue;
                }

                var values = segment.AsSpan(0, count);
                p50[second] = Ms(Percentile(values, 50));
                p90[second] = Ms(Percentile(values, 90));
                p95[second] = Ms(Percentile(values, 95));
                start += count;
            }

            return new TimeSeries(name, _requestsPerSecond, _errorsPerSecond, p50, p90, p95);
        }

        private int Second(Sample sample) => Math.Clamp(sample.EndMs / 1000, 0, seconds - 1);
    }
}
