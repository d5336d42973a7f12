using System.Globalization;

namespace FaultSuite;

/// <summary>The faults, in the order they run. Each leaves the system as it found it.</summary>
internal static class Phases
{
    private const string DependencyUnavailable = "503 dependency_unavailable";
    private const string PaymentUnavailable503 = "503 payment_unavailable";
    private const string PaymentUnavailable502 = "502 payment_unavailable";

    // A charge may take the gateway timeout, plus the claim and the cancel around it, on a busy machine.
    private static readonly TimeSpan OrderBoundWithGatewayDown = TimeSpan.FromSeconds(SuiteOptions.GatewayTimeoutSeconds + 2);

    public static IEnumerable<Phase> All(Suite suite)
    {
        var profile = suite.Options.Profile;
        yield return new Phase("baseline", "none: the same load without a fault", [],
            _ => Task.Delay(profile.Baseline), HasFault: false);

        yield return new Phase("sigkill", "SIGKILL the service mid-sale, start it again", ["connect failed", "connection closed"],
            async run =>
            {
                await run.Suite.Service.KillAsync();
                var back = await run.Suite.Service.StartAsync(TimeSpan.FromSeconds(90));
                run.Notes.Add($"service answering /health again {back.TotalSeconds:0.0} s after the kill (a new process)");
            });

        yield return new Phase("postgres",
            $"PostgreSQL stopped (pg_ctl -m fast) for {Seconds(profile.PostgresDown)}, then started again", [DependencyUnavailable],
            async run =>
            {
                await run.Suite.Dependencies.StopPostgresAsync();
                await Task.Delay(profile.PostgresDown);
                await run.Suite.Dependencies.StartPostgresAsync();
                run.Notes.Add($"PostgreSQL down {Seconds(TimeSpan.FromMilliseconds(run.NowMs - run.FaultStartMs))} (stop, wait, start)");
            }, FailFast: true);

        yield return new Phase("postgres-freeze",
            $"PostgreSQL frozen (SIGSTOP) for {Seconds(profile.PostgresFrozen)}: connections open but nothing answers; then SIGCONT",
            [DependencyUnavailable],
            async run =>
            {
                await run.Suite.Dependencies.FreezePostgresAsync();
                try
                {
                    await Task.Delay(profile.PostgresFrozen);
                }
                finally
                {
                    await run.Suite.Dependencies.ThawPostgresAsync();
                }
            }, FailFast: true);

        yield return new Phase("redis", $"Redis stopped for {Seconds(profile.RedisDown)}, then started again (empty)", [],
            async run =>
            {
                await run.Suite.Dependencies.StopRedisAsync();
                await Task.Delay(profile.RedisDown);
                await run.Suite.Dependencies.StartRedisAsync();
            },
            Review: (run, samples) =>
            {
                var categories = samples.Where(s => s.Kind == Kind.Categories && s.StartMs >= run.FaultStartMs).ToList();
                var stale = categories.Count(s => s.Stale);
                var fresh = categories.FirstOrDefault(s => !s.Stale && s.Ok && s.StartMs >= run.FaultEndMs);
                return [new Check("categories served (stale) during the outage, fresh again after it", stale > 0 && fresh != default,
                    fresh == default
                        ? $"{stale} stale answers; none fresh after Redis returned"
                        : $"{stale} stale answers; fresh again {fresh.EndMs - run.FaultEndMs} ms after Redis returned")];
            },
            FailFast: true);

        var gatewayFaults = new (string Name, GatewayMode Mode, string Fault, string Allowed)[]
        {
            ("gateway-slow", GatewayMode.Slow,
                $"the gateway answers after {Seconds(SuiteOptions.GatewayDelay)} (the service waits {SuiteOptions.GatewayTimeoutSeconds} s); then fans pay some of the VAs it gave up on",
                PaymentUnavailable503),
            ("gateway-500", GatewayMode.Http500, "the gateway answers HTTP 500", PaymentUnavailable503),
            ("gateway-in-body", GatewayMode.InBodyError, "the gateway answers HTTP 200 with status_code 500 or 406 in the body", PaymentUnavailable502),
            ("gateway-drop", GatewayMode.Drop, "the gateway drops every connection", PaymentUnavailable503),
        };
        if (profile.GatewayFaultsInOnePhase)
        {
            yield return GatewayPhase(profile, "gateway",
                $"the gateway slow ({Seconds(SuiteOptions.GatewayDelay)}), then HTTP 500, in-body 500/406, dropped connections, each for {Seconds(profile.GatewayFault)}; then fans pay some of the VAs it gave up on",
                [.. gatewayFaults.Select(f => f.Mode)], [.. gatewayFaults.Select(f => f.Allowed).Distinct()]);
        }
        else
        {
            foreach (var f in gatewayFaults) yield return GatewayPhase(profile, f.Name, f.Fault, [f.Mode], [f.Allowed]);
        }

        yield return new Phase("callbacks",
            "notifications forged (wrong key, changed amount), doubled, reordered (pending/expire after settlement, expire before it) and late (after the hold)",
            [],
            async run =>
            {
                run.Suite.Load.Behaviour = Behaviour.CallbackFaults;
                var scenarios = new CallbackScenarios(run.Suite.Api, run.Suite.Notifications, run.Suite.Recorder).RunAsync();
                await Task.WhenAll(scenarios, Task.Delay(profile.CallbacksLoad));
                run.Suite.Load.Behaviour = Behaviour.Scenario;
                run.Checks.AddRange(await scenarios);
            });
    }

    private static Phase GatewayPhase(Profile profile, string name, string fault, GatewayMode[] modes, string[] allowed) =>
        new(name, fault, allowed,
            async run =>
            {
                foreach (var mode in modes)
                {
                    run.Suite.Gateway.Mode = mode;
                    await Task.Delay(profile.GatewayFault);
                }
                run.Suite.Gateway.Mode = GatewayMode.Normal;
                run.FaultEndMs = run.NowMs;
                if (modes.Contains(GatewayMode.Slow)) await PayAbandonedAsync(run);
            },
            Review: (run, samples) =>
            {
                var orders = samples.Where(s => s.Kind == Kind.Order && s.StartMs >= run.FaultStartMs && s.StartMs < run.FaultEndMs).ToList();
                var slowest = orders.Count == 0 ? 0 : orders.Max(s => s.LatencyMs);
                return [new Check($"orders answered within the gateway timeout + 2 s ({Seconds(OrderBoundWithGatewayDown)})",
                    slowest <= OrderBoundWithGatewayDown.TotalMilliseconds,
                    $"slowest POST /orders {slowest} ms; {orders.Count(s => !s.Ok)} of {orders.Count} refused")];
            });

    /// <summary>
    /// The slow gateway created VAs the service gave up waiting for (and cancelled the orders of): a fan may pay one.
    /// The money must not be lost: the order ends paid (a free seat) or refund_required.
    /// </summary>
    private static async Task PayAbandonedAsync(PhaseRun run)
    {
        var paid = new List<Task<Reply>>();
        while (paid.Count < 10 && run.Suite.Gateway.AbandonedCharges.TryDequeue(out var charge))
        {
            paid.Add(run.Suite.Notifications.SettleAsync(charge.OrderId, charge.Amount, late: true));
        }
        var replies = await Task.WhenAll(paid);
        var outcomes = replies.GroupBy(r => $"{r.Outcome} {r.Data("status")}").Select(g => $"{g.Count()} × {g.Key}");
        run.Checks.Add(new Check("settlements for VAs the service gave up on: paid or refund_required",
            replies.Length > 0 && replies.All(r => r.Data("status") is "paid" or "refund_required"),
            replies.Length == 0 ? "the gateway recorded no abandoned charge" : string.Join(", ", outcomes)));
    }

    private static string Seconds(TimeSpan t) => string.Create(CultureInfo.InvariantCulture, $"{t.TotalSeconds:0.#} s");
}
