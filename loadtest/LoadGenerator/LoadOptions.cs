using System.Globalization;

namespace LoadGenerator;

internal sealed record LoadOptions
{
    public const string Usage = """
        loadgen: runs the concert-ticket k6 scenario (loadtest/main.js) as N closed-loop virtual users.

        Options (`--name value` or `--name=value`):
          --base-url URL          service under test, http:// only (default http://127.0.0.1:8080)
          --vus N                 virtual users, each looping the scenario on its own connection (default 1000)
          --duration D            how long VUs start new iterations: 500ms, 30s, 2m, 1h, 1m30s (default 30s)
          --timeout D             per-request timeout, counted as an error (default 60s, like k6)
          --server-key KEY        Midtrans server key that signs the callbacks (default loadtest-server-key)
          --emails N              size of the fan{n}@loadtest.example list orders draw from (default 100000)
          --seed N                random seed; a run with the same seed draws the same emails and categories
          --out DIR               folder for the JSON and HTML reports (default loadtest/results)
          --label TEXT            names the reports: <out>/<label>-<timestamp>.json|.html
          --stop-when-sold-out    end early once every category reports total 0 and more iterations confirm
                                  it; reports the time it took to sell all seats (--duration is then a cap)
          --only-get PATH         no scenario: every VU just GETs PATH in a loop (to compare with wrk)
          --io ENGINE             epoll: loadgen's own epoll loops, one per core (default on Linux x64/arm64);
                                  sockets: .NET's Socket async methods (any OS)
          --pay-all               every created order gets its settlement, whatever the VU's number (orders/s runs)
          --fail-on-errors        exit 1 when any request failed (CI smoke test)
          -h, --help              this text

        An error is any status other than 200, 201 and 409, a timeout or a connection failure.
        Exit codes: 0 run completed (even with errors), 1 errors with --fail-on-errors, 2 bad arguments.
        """;

    private static readonly HashSet<string> ValueOptions =
        ["base-url", "vus", "duration", "timeout", "server-key", "emails", "seed", "out", "label", "only-get", "io"];

    public Uri BaseUrl { get; init; } = new("http://127.0.0.1:8080");
    public int Vus { get; init; } = 1000;
    public TimeSpan Duration { get; init; } = TimeSpan.FromSeconds(30);
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(60);
    public string ServerKey { get; init; } = "loadtest-server-key";
    public int Emails { get; init; } = 100_000;
    public int? Seed { get; init; }
    public string OutDir { get; init; } = Path.Combine("loadtest", "results");
    public string? Label { get; init; }
    public bool StopWhenSoldOut { get; init; }
    public string? OnlyGetPath { get; init; }
    public bool FailOnErrors { get; init; }
    public bool PayAll { get; init; }
    public IoEngine Io { get; init; } = EpollLoop.IsSupported ? IoEngine.Epoll : IoEngine.Sockets;

    /// <summary>Returns null with <paramref name="error"/> null when help was asked for.</summary>
    public static LoadOptions? Parse(IReadOnlyList<string> args, out string? error)
    {
        var options = new LoadOptions();
        error = null;
        for (var i = 0; i < args.Count; i++)
        {
            var arg = args[i];
            if (arg is "-h" or "--help")
            {
                return null;
            }

            if (!arg.StartsWith("--", StringComparison.Ordinal))
            {
                error = $"unexpected argument '{arg}'";
                return null;
            }

            string name;
            string? inline = null;
            var equals = arg.IndexOf('=', StringComparison.Ordinal);
            if (equals > 0)
            {
                name = arg[2..equals];
                inline = arg[(equals + 1)..];
            }
            else
            {
                name = arg[2..];
            }

            if (name is "stop-when-sold-out" or "fail-on-errors" or "pay-all")
            {
                if (inline is not null)
                {
                    error = $"--{name} takes no value";
                    return null;
                }

                options = name switch
                {
                    "stop-when-sold-out" => options with { StopWhenSoldOut = true },
                    "pay-all" => options with { PayAll = true },
                    _ => options with { FailOnErrors = true },
                };
                continue;
            }

            if (!ValueOptions.Contains(name))
            {
                error = $"unknown option --{name}";
                return null;
            }

            var value = inline;
            if (value is null)
            {
                if (i + 1 >= args.Count)
                {
                    error = $"--{name} needs a value";
                    return null;
                }

                value = args[++i];
            }

            LoadOptions? next = name switch
            {
                "base-url" => TryParseUrl(value) is { } url ? options with { BaseUrl = url } : null,
                "vus" => TryParseCount(value) is { } vus ? options with { Vus = vus } : null,
                "duration" => TryParseDuration(value) is { } duration ? options with { Duration = duration } : null,
                "timeout" => TryParseDuration(value) is { } timeout ? options with { Timeout = timeout } : null,
                "server-key" => value.Length > 0 ? options with { ServerKey = value } : null,
                "emails" => TryParseCount(value) is { } emails ? options with { Emails = emails } : null,
                "seed" => int.TryParse(value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var seed)
                    ? options with { Seed = seed }
                    : null,
                "out" => value.Length > 0 ? options with { OutDir = value } : null,
                "label" => value.Length > 0 ? options with { Label = value } : null,
                "only-get" => value.StartsWith('/') ? options with { OnlyGetPath = value } : null,
                "io" => value switch
                {
                    "epoll" when EpollLoop.IsSupported => options with { Io = IoEngine.Epoll },
                    "sockets" => options with { Io = IoEngine.Sockets },
                    _ => null,
                },
                _ => null,
            };

            if (next is null)
            {
                error = name switch
                {
                    "only-get" => $"--only-get needs a path starting with '/', got '{value}'",
                    "io" => $"--io is epoll (Linux on x64 or arm64 only) or sockets, got '{value}'",
                    "base-url" => $"--base-url needs an http:// URL (loadgen speaks plain HTTP/1.1, no TLS), got '{value}'",
                    _ => $"bad value '{value}' for --{name}",
                };
                return null;
            }

            options = next;
        }

        return options;
    }

    /// <summary>Go/k6 style durations: a sequence of number+unit (ms, s, m, h), e.g. 500ms, 30s, 1m30s.</summary>
    public static TimeSpan? TryParseDuration(string text)
    {
        var total = TimeSpan.Zero;
        var rest = text.AsSpan().Trim();
        if (rest.IsEmpty)
        {
            return null;
        }

        while (!rest.IsEmpty)
        {
            var digits = 0;
            while (digits < rest.Length && (char.IsAsciiDigit(rest[digits]) || rest[digits] == '.'))
            {
                digits++;
            }

            var units = digits;
            while (units < rest.Length && char.IsAsciiLetterLower(rest[units]))
            {
                units++;
            }

            if (digits == 0 || units == digits
                || !double.TryParse(rest[..digits], NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var amount))
            {
                return null;
            }

            TimeSpan? part = rest[digits..units] switch
            {
                "ms" => TimeSpan.FromMilliseconds(amount),
                "s" => TimeSpan.FromSeconds(amount),
                "m" => TimeSpan.FromMinutes(amount),
                "h" => TimeSpan.FromHours(amount),
                _ => null,
            };
            if (part is null)
            {
                return null;
            }

            total += part.Value;
            rest = rest[units..];
        }

        return total > TimeSpan.Zero ? total : null;
    }

    private static int? TryParseCount(string text) =>
        int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n > 0 ? n : null;

    private static Uri? TryParseUrl(string text) =>
        Uri.TryCreate(text.TrimEnd('/'), UriKind.Absolute, out var uri) && uri.Scheme == Uri.UriSchemeHttp ? uri : null;
}
