using System.Net;
using System.Text.Json;
using ConcertTicket.Expiry;
using ConcertTicket.Payments;
using ConcertTicket.Reconciliation;
using ConcertTicket.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;

namespace ConcertTicket.Tests.Reconciliation;

/// <summary>Asking Midtrans (the stand-in, over real HTTP) before expiring, in the sweep, and in the daily proof.</summary>
[Collection(LiveServersGroup.Name)]
public sealed class ReconciliationTests(LiveServers stack)
{
    private const string Key = "SB-Mid-server-abc123cde456";

    private async Task<(MidtransStandIn Midtrans, TestApp App, int Category)> StartAsync(int seats = 3, params string[] extra)
    {
        var midtrans = await MidtransStandIn.StartAsync();
        midtrans.ServerKey = Key;
        var category = await Sale.CreateCategoryAsync(stack.DataSource, seats, price: 1_000_000);
        var app = await TestApp.StartAsync(stack,
        [
            "--Payment:Gateway=Midtrans", $"--Payment:Midtrans:BaseUrl={midtrans.BaseUrl}",
            "--Payment:Midtrans:TimeoutSeconds=2", $"--Payment:ServerKey={Key}", "--Payment:Reconcile:StatusTimeoutMs=500",
            .. extra,
        ]);
        midtrans.Notifications = app.Client;
        return (midtrans, app, category);
    }

    private static ExpiryWorker AskingWorker(TestApp app) =>
        new(app.Services.GetRequiredService<Npgsql.NpgsqlDataSource>(), TimeProvider.System,
            app.Services.GetRequiredService<ExpiryMetrics>(), NullLogger<ExpiryWorker>.Instance,
            ActivatorUtilities.CreateInstance<AskingExpiry>(app.Services));

    private static async Task<Guid> OrderAsync(TestApp app, int category)
    {
        var response = await app.PostOrderAsync(Sale.Email(), category);
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return (await TestApp.JsonAsync(response)).GetProperty("data").GetProperty("id").GetGuid();
    }

    [Fact]
    public async Task A_lost_settlement_found_at_expiry_pays_the_order_and_never_expires_it()
    {
        var (midtrans, app, category) = await StartAsync();
        await using var _ = midtrans;
        await using var __ = app;
        var order = await OrderAsync(app, category);
        midtrans.DropNotifications = true;
        Assert.Null(await midtrans.PayAsync(order));
        await Sale.ExpireHoldAsync(stack.DataSource, order);

        var expired = await AskingWorker(app).RunOnceAsync(CancellationToken.None);

        Assert.DoesNotContain(expired, e => e.OrderId == order);
        Assert.Equal("paid", await Sale.StatusAsync(stack.DataSource, order));
        Assert.Contains(midtrans.Requests, r => r.Method == "GET" && r.Path == $"/v2/{order}/status");
        Assert.Equal(2, await Sale.FreeSeatsAsync(stack.DataSource, category));
        await Sale.AssertInvariantsAsync(stack.DataSource);
    }

    [Fact]
    public async Task Pending_ended_and_unknown_at_midtrans_expire_and_only_the_pending_va_is_expired_at_midtrans()
    {
        var (midtrans, app, category) = await StartAsync(seats: 4);
        await using var _ = midtrans;
        await using var __ = app;
        var pending = await OrderAsync(app, category);
        var ended = await OrderAsync(app, category);
        var unknown = await OrderAsync(app, category);
        await midtrans.PayAsync(ended, "expire", notify: false);
        midtrans.Forget(unknown);
        foreach (var id in new[] { pending, ended, unknown }) await Sale.ExpireHoldAsync(stack.DataSource, id);

        var expired = await AskingWorker(app).RunOnceAsync(CancellationToken.None);

        foreach (var id in new[] { pending, ended, unknown })
        {
            Assert.Contains(expired, e => e.OrderId == id);
            Assert.Equal("expired", await Sale.StatusAsync(stack.DataSource, id));
        }
        Assert.Equal(4, await Sale.FreeSeatsAsync(stack.DataSource, category));
        Assert.Equal(1, await Sale.ScalarAsync<long>(stack.DataSource, "SELECT count(*) FROM gateway_voids WHERE order_id = ANY ($1)", new[] { pending, ended, unknown }));
        Assert.Equal(1, await Sale.ScalarAsync<long>(stack.DataSource, "SELECT count(*) FROM gateway_voids WHERE order_id = $1", pending));
        var voids = ActivatorUtilities.CreateInstance<GatewayVoidWorker>(app.Services);
        await voids.RunOnceAsync(CancellationToken.None);
        Assert.Equal("expire", midtrans.Find(pending)!.Status);
        await Sale.AssertInvariantsAsync(stack.DataSource);
    }

    [Fact]
    public async Task With_midtrans_down_at_expiry_the_order_expires_and_a_later_settlement_is_paid_late()
    {
        var (midtrans, app, category) = await StartAsync();
        await using var _ = midtrans;
        await using var __ = app;
        var order = await OrderAsync(app, category);
        await Sale.ExpireHoldAsync(stack.DataSource, order);
        midtrans.Mode = GatewayMode.Http500;
        var unanswered = new System.Collections.Concurrent.ConcurrentQueue<string?>();
        using var listener = new System.Diagnostics.Metrics.MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == ReconcileMetrics.MeterName && instrument.Name == "concert_ticket.reconcile.unanswered")
                l.EnableMeasurementEvents(instrument);
        };
        listener.SetMeasurementEventCallback<long>((_, _, tags, _) =>
        {
            foreach (var tag in tags) if (tag.Key == "path") unanswered.Enqueue(tag.Value as string);
        });
        listener.Start();

        var expired = await AskingWorker(app).RunOnceAsync(CancellationToken.None);

        Assert.Contains(expired, e => e.OrderId == order);
        Assert.Equal("expired", await Sale.StatusAsync(stack.DataSource, order));
        Assert.Contains("expiry", unanswered);

        midtrans.Mode = GatewayMode.Normal;
        Assert.Equal(200, await midtrans.PayAsync(order));
        Assert.Equal("paid", await Sale.StatusAsync(stack.DataSource, order));
        await Sale.AssertInvariantsAsync(stack.DataSource);
    }

    [Fact]
    public async Task After_a_batch_midtrans_left_unanswered_the_next_batches_expire_without_asking()
    {
        var (midtrans, app, category) = await StartAsync();
        await using var _ = midtrans;
        await using var __ = app;
        var first = await OrderAsync(app, category);
        var second = await OrderAsync(app, category);
        await Sale.ExpireHoldAsync(stack.DataSource, first);
        var worker = AskingWorker(app);
        midtrans.Mode = GatewayMode.Http500;
        await worker.RunOnceAsync(CancellationToken.None);
        midtrans.Mode = GatewayMode.Normal;
        await Sale.ExpireHoldAsync(stack.DataSource, second);
        var asked = midtrans.StatusQueries;

        var expired = await worker.RunOnceAsync(CancellationToken.None);

        Assert.Contains(expired, e => e.OrderId == second);
        Assert.Equal(asked, midtrans.StatusQueries);
        await Sale.AssertInvariantsAsync(stack.DataSource);
    }

    [Fact]
    public async Task A_slow_midtrans_does_not_hold_the_expiry_beyond_its_timeout()
    {
        var (midtrans, app, category) = await StartAsync();
        await using var _ = midtrans;
        await using var __ = app;
        var order = await OrderAsync(app, category);
        await Sale.ExpireHoldAsync(stack.DataSource, order);
        midtrans.SlowDelay = TimeSpan.FromSeconds(30);
        midtrans.Mode = GatewayMode.Slow;

        var expired = await AskingWorker(app).RunOnceAsync(CancellationToken.None);

        Assert.Contains(expired, e => e.OrderId == order);
        Assert.Equal("expired", await Sale.StatusAsync(stack.DataSource, order));
        await Sale.AssertInvariantsAsync(stack.DataSource);
    }

    [Fact]
    public async Task The_sweep_finds_a_lost_notification_before_the_hold_ends()
    {
        var (midtrans, app, category) = await StartAsync();
        await using var _ = midtrans;
        await using var __ = app;
        var lost = await OrderAsync(app, category);
        var unpaid = await OrderAsync(app, category);
        var young = await OrderAsync(app, category);
        midtrans.DropNotifications = true;
        await midtrans.PayAsync(lost);
        await midtrans.PayAsync(young);
        await Sale.ExecuteAsync(stack.DataSource, "UPDATE orders SET created_at = now() - interval '10 minutes' WHERE id = ANY ($1)", new[] { lost, unpaid });
        var sweep = ActivatorUtilities.CreateInstance<SweepWorker>(app.Services);

        await sweep.RunOnceAsync(CancellationToken.None);

        Assert.Equal("paid", await Sale.StatusAsync(stack.DataSource, lost));
        Assert.Equal("pending", await Sale.StatusAsync(stack.DataSource, unpaid));
        // Younger than Payment:Reconcile:AfterSeconds: its notification may still come.
        Assert.Equal("pending", await Sale.StatusAsync(stack.DataSource, young));
        var asked = midtrans.StatusQueries;
        await sweep.RunOnceAsync(CancellationToken.None);
        Assert.DoesNotContain(midtrans.Requests, r => r.Path == $"/v2/{young}/status");
        // Asked once per Payment:Reconcile:EverySeconds: the second sweep does not ask about 'unpaid' again.
        Assert.Equal(1, midtrans.Requests.Count(r => r.Path == $"/v2/{unpaid}/status"));
        Assert.True(midtrans.StatusQueries >= asked);
        await Sale.AssertInvariantsAsync(stack.DataSource);
    }

    [Fact]
    public async Task The_daily_proof_reports_each_planted_disagreement_fixes_a_lost_payment_and_flags_one_paid_only_here()
    {
        // Unverified notifications, so that a forged one can pay an order here that Midtrans never saw paid.
        var (midtrans, app, category) = await StartAsync(5, "--Payment:Midtrans:VerifyNotifications=false");
        await using var _ = midtrans;
        await using var __ = app;
        var agreePaid = await OrderAsync(app, category);
        var lostPayment = await OrderAsync(app, category);
        var paidHereOnly = await OrderAsync(app, category);
        var agreeExpired = await OrderAsync(app, category);
        Assert.Equal(200, await midtrans.PayAsync(agreePaid));
        // Paid here by a forged notification Midtrans never sent; Midtrans still has it pending.
        var forged = await Callbacks.PostAsync(app, Callbacks.Notification(paidHereOnly, "settlement", 1_000_000, key: Key));
        Assert.Equal(HttpStatusCode.OK, forged.StatusCode);
        foreach (var id in new[] { lostPayment, agreeExpired }) await Sale.ExpireHoldAsync(stack.DataSource, id);
        await Workers.Expiry(stack.DataSource).RunOnceAsync(CancellationToken.None);
        await midtrans.PayAsync(agreeExpired, "expire", notify: false);
        await midtrans.PayAsync(lostPayment, notify: false);
        // A day of its own, so other tests' orders stay out of the report.
        var day = new DateOnly(2001, 1, 1).AddDays(Random.Shared.Next(0, 3000));
        await Sale.ExecuteAsync(stack.DataSource, "UPDATE orders SET created_at = $2::date + interval '10 hours' WHERE id = ANY ($1)",
            new[] { agreePaid, lostPayment, paidHereOnly, agreeExpired }, day.ToDateTime(TimeOnly.MinValue));

        var report = await app.Services.GetRequiredService<DailyReconciliation>().RunAsync(day, CancellationToken.None);

        Assert.False(report.AllAgree);
        Assert.Equal(4, report.Orders);
        Assert.Equal(2, report.Agreed);
        Assert.Equal("paid_at_midtrans_only", Assert.Single(report.Disagreements, d => d.OrderId == lostPayment).Kind);
        Assert.Equal("paid_here_only", Assert.Single(report.Disagreements, d => d.OrderId == paidHereOnly).Kind);
        Assert.Equal("paid", await Sale.StatusAsync(stack.DataSource, lostPayment));
        Assert.Equal("paid", await Sale.StatusAsync(stack.DataSource, paidHereOnly));
        var json = JsonDocument.Parse(report.ToJson()).RootElement;
        Assert.False(json.GetProperty("all_agree").GetBoolean());
        Assert.Equal(2, json.GetProperty("disagreements").GetArrayLength());
        Assert.Contains("paid_here_only", report.ToText(), StringComparison.Ordinal);

        // The command: the lost payment is fixed now, the forged one stays flagged: still exit 1.
        var args = stack.Args("--Payment:Gateway=Midtrans", $"--Payment:Midtrans:BaseUrl={midtrans.BaseUrl}", $"--Payment:ServerKey={Key}");
        var command = await CommandLine.RunAsync(["reconcile", "--date", day.ToString("yyyy-MM-dd", null), "--json", .. args]);
        Assert.True(command.ExitCode == 1, command.Stderr + command.Stdout);
        var again = JsonDocument.Parse(command.Stdout).RootElement;
        Assert.Equal(paidHereOnly.ToString(), Assert.Single(again.GetProperty("disagreements").EnumerateArray()).GetProperty("order_id").GetString());

        await midtrans.PayAsync(paidHereOnly, notify: false);
        var clean = await CommandLine.RunAsync(["reconcile", "--date", day.ToString("yyyy-MM-dd", null), .. args]);
        Assert.True(clean.ExitCode == 0, clean.Stderr + clean.Stdout);
        Assert.Contains("4 orders, 4 agree, 0 disagree", clean.Stdout, StringComparison.Ordinal);
        var usage = await CommandLine.RunAsync(["reconcile", .. args]);
        Assert.Equal(2, usage.ExitCode);
        await Sale.AssertInvariantsAsync(stack.DataSource);
    }

    [Fact]
    public async Task The_nightly_worker_reconciles_yesterday_once_after_its_hour()
    {
        var (midtrans, app, category) = await StartAsync();
        await using var _ = midtrans;
        await using var __ = app;
        var order = await OrderAsync(app, category);
        await midtrans.PayAsync(order, notify: false);
        await Sale.ExecuteAsync(stack.DataSource, "UPDATE orders SET status = 'expired', ended_at = now() WHERE id = $1", order);
        await Sale.ExecuteAsync(stack.DataSource, "UPDATE seats SET order_id = NULL WHERE order_id = $1", order);
        var day = new DateOnly(1990, 1, 1).AddDays(Random.Shared.Next(0, 3000));
        await Sale.ExecuteAsync(stack.DataSource, "UPDATE orders SET created_at = $2::date + interval '23 hours' WHERE id = $1",
            order, day.ToDateTime(TimeOnly.MinValue));
        var clock = new Microsoft.Extensions.Time.Testing.FakeTimeProvider(new DateTimeOffset(day.AddDays(1).ToDateTime(new TimeOnly(0, 30)), TimeSpan.Zero));
        var nightly = ActivatorUtilities.CreateInstance<NightlyReconcileWorker>(app.Services, (TimeProvider)clock);

        Assert.Null(await nightly.RunOnceAsync(CancellationToken.None));
        clock.Advance(TimeSpan.FromMinutes(31));
        var report = await nightly.RunOnceAsync(CancellationToken.None);

        Assert.NotNull(report);
        Assert.Equal(day, report.Day);
        Assert.Equal("paid_at_midtrans_only", Assert.Single(report.Disagreements).Kind);
        Assert.Equal("paid", await Sale.StatusAsync(stack.DataSource, order));
        Assert.Null(await nightly.RunOnceAsync(CancellationToken.None));
        Assert.Equal(1, await Sale.ScalarAsync<int>(stack.DataSource, "SELECT disagreements FROM reconcile_runs WHERE day = $1", day));
        await Sale.AssertInvariantsAsync(stack.DataSource);
    }
}
