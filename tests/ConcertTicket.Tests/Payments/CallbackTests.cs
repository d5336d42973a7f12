using System.Net;
using System.Text;
using ConcertTicket.Expiry;
using ConcertTicket.Payments;
using ConcertTicket.Tests.Infrastructure;
using Microsoft.Extensions.Logging.Abstractions;

namespace ConcertTicket.Tests.Payments;

[Collection(LiveServersGroup.Name)]
public sealed class CallbackTests(LiveServers stack)
{
    private const long Price = 2_500_000;

    private async Task<(TestApp App, int Category, Guid OrderId)> OrderAsync(int seats = 5, params string[] args)
    {
        var category = await Sale.CreateCategoryAsync(stack.DataSource, seats, Price);
        var app = await TestApp.StartAsync(stack, args);
        var response = await app.PostOrderAsync(Sale.Email(), category);
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return (app, category, (await TestApp.JsonAsync(response)).GetProperty("data").GetProperty("id").GetGuid());
    }

    private ExpiryWorker Expiry() => Workers.Expiry(stack.DataSource);

    [Fact]
    public void The_signature_matches_the_vector_in_Midtrans_documentation()
    {
        const string expected = "edc076b21793ebe3e17926350f5b8ae67d902fe657b3d0aa31b932d5c127e2375d308a2bc94f3265ac2d80a1f181a79b997ac178a236fcff35af263fc4d4c231";
        Assert.Equal(expected, MidtransSignature.Compute("1111", "200", "100000.00", "askvnoibnosifnboseofinbofinfgbiufglnbfg"));
        Assert.True(MidtransSignature.IsValid("1111", "200", "100000.00", "askvnoibnosifnboseofinbofinfgbiufglnbfg", expected));
        Assert.True(MidtransSignature.IsValid("1111", "200", "100000.00", "askvnoibnosifnboseofinbofinfgbiufglnbfg", expected.ToUpperInvariant()));
        Assert.False(MidtransSignature.IsValid("1111", "200", "100000.0", "askvnoibnosifnboseofinbofinfgbiufglnbfg", expected));
        Assert.False(MidtransSignature.IsValid("1111", "200", "100000.00", "askvnoibnosifnboseofinbofinfgbiufglnbfg", expected[..^2] + "zz"));
    }

    [Fact]
    public async Task A_signed_settlement_marks_the_order_paid_and_keeps_its_seat()
    {
        var (app, category, orderId) = await OrderAsync();
        await using var _ = app;

        var response = await Callbacks.PostAsync(app, orderId, "settlement", Price);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var data = (await TestApp.JsonAsync(response)).GetProperty("data");
        Assert.Equal("paid", data.GetProperty("status").GetString());
        Assert.True(data.GetProperty("changed").GetBoolean());
        Assert.Equal("paid", await Sale.StatusAsync(stack.DataSource, orderId));
        Assert.Equal(4, await Sale.FreeSeatsAsync(stack.DataSource, category));
        await Sale.AssertInvariantsAsync(stack.DataSource);
    }

    [Fact]
    public async Task A_capture_is_paid_only_when_fraud_status_is_accept()
    {
        var (app, _, orderId) = await OrderAsync();
        await using var _ = app;

        var challenge = await Callbacks.PostAsync(app, Callbacks.Notification(orderId, "capture", Price, fraudStatus: "challenge"));
        Assert.Equal(HttpStatusCode.OK, challenge.StatusCode);
        Assert.Equal("pending", await Sale.StatusAsync(stack.DataSource, orderId));

        var accept = await Callbacks.PostAsync(app, Callbacks.Notification(orderId, "CAPTURE", Price, fraudStatus: "accept"));
        Assert.Equal(HttpStatusCode.OK, accept.StatusCode);
        Assert.Equal("paid", await Sale.StatusAsync(stack.DataSource, orderId));
    }

    public static TheoryData<string> ForgedNotifications => ["wrong key", "tampered amount", "missing signature", "tampered status", "garbage signature"];

    [Theory]
    [MemberData(nameof(ForgedNotifications))]
    public async Task A_forged_notification_is_401_and_changes_nothing(string forgery)
    {
        var (app, category, orderId) = await OrderAsync();
        await using var _ = app;
        var n = forgery switch
        {
            "wrong key" => Callbacks.Notification(orderId, "settlement", Price, key: "someone-elses-key"),
            _ => Callbacks.Notification(orderId, "settlement", Price),
        };
        switch (forgery)
        {
            case "tampered amount": n["gross_amount"] = "1.00"; break;
            case "missing signature": n.Remove("signature_key"); break;
            case "tampered status": n["status_code"] = "201"; break;
            case "garbage signature": n["signature_key"] = "not hex at all"; break;
        }

        var response = await Callbacks.PostAsync(app, n);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("invalid_signature", await TestApp.ProblemCodeAsync(response));
        Assert.Equal("pending", await Sale.StatusAsync(stack.DataSource, orderId));
        Assert.Equal(4, await Sale.FreeSeatsAsync(stack.DataSource, category));
    }

    public static TheoryData<string, string> WrongAmounts => new()
    {
        { "settlement", "100.00" },
        // A fraction of a rupiah or a non-number can equal no total (the settlement compares whole amounts in SQL).
        { "settlement", Price + ".50" },
        { "settlement", "NaN" },
        { "settlement", "99999999999999999999999.00" },
        { "expire", "100.00" },
    };

    [Theory]
    [MemberData(nameof(WrongAmounts))]
    public async Task A_signed_notification_whose_amount_differs_from_the_order_changes_nothing(string transactionStatus, string grossAmount)
    {
        var (app, _, orderId) = await OrderAsync();
        await using var _ = app;

        var response = await Callbacks.PostAsync(app, Callbacks.Notification(orderId, transactionStatus, Price, grossAmount: grossAmount));

        Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
        Assert.Equal("amount_mismatch", await TestApp.ProblemCodeAsync(response));
        Assert.Equal("pending", await Sale.StatusAsync(stack.DataSource, orderId));
    }

    [Fact]
    public async Task A_signed_notification_for_an_unknown_order_is_404_and_bad_json_is_400()
    {
        await using var app = await TestApp.StartAsync(stack);

        var unknown = await Callbacks.PostAsync(app, Guid.NewGuid(), "settlement", Price);
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        Assert.Equal("unknown_order", await TestApp.ProblemCodeAsync(unknown));

        var bad = await app.Client.PostAsync("/payments/callback", new StringContent("{\"order_id\":", Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        Assert.Equal("invalid_json", await TestApp.ProblemCodeAsync(bad));
    }

    [Theory]
    [InlineData("expire")]
    [InlineData("cancel")]
    [InlineData("deny")]
    [InlineData("failure")]
    public async Task An_ending_status_cancels_a_pending_order_and_releases_its_seat(string status)
    {
        var (app, category, orderId) = await OrderAsync();
        await using var _ = app;

        var response = await Callbacks.PostAsync(app, orderId, status, Price);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("cancelled", await Sale.StatusAsync(stack.DataSource, orderId));
        Assert.Equal(5, await Sale.FreeSeatsAsync(stack.DataSource, category));
        await Sale.AssertInvariantsAsync(stack.DataSource);
    }

    [Theory]
    [InlineData("pending")]
    [InlineData("authorize")]
    [InlineData("something_new")]
    public async Task A_status_that_needs_no_change_answers_200_and_changes_nothing(string status)
    {
        var (app, category, orderId) = await OrderAsync();
        await using var _ = app;

        var response = await Callbacks.PostAsync(app, orderId, status, Price);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.False((await TestApp.JsonAsync(response)).GetProperty("data").GetProperty("changed").GetBoolean());
        Assert.Equal("pending", await Sale.StatusAsync(stack.DataSource, orderId));
        Assert.Equal(4, await Sale.FreeSeatsAsync(stack.DataSource, category));
    }

    [Fact]
    public async Task Refunds_are_recorded_on_the_order()
    {
        var (app, _, orderId) = await OrderAsync();
        await using var _ = app;
        await Callbacks.PostAsync(app, orderId, "settlement", Price);

        var partial = await Callbacks.PostAsync(app, orderId, "partial_refund", Price);
        Assert.Equal(HttpStatusCode.OK, partial.StatusCode);
        Assert.Equal("partial_refund", await Sale.ScalarAsync<string>(stack.DataSource, "SELECT refund_status FROM orders WHERE id = $1", orderId));
        var full = await Callbacks.PostAsync(app, orderId, "refund", Price);
        Assert.Equal(HttpStatusCode.OK, full.StatusCode);
        Assert.Equal("refund", await Sale.ScalarAsync<string>(stack.DataSource, "SELECT refund_status FROM orders WHERE id = $1", orderId));
        // Since issue 14 money returned for a paid order revokes its ticket and ends it (TicketTests has the rest).
        Assert.Equal("refunded", await Sale.StatusAsync(stack.DataSource, orderId));
    }

    [Fact]
    public async Task The_same_settlement_twice_changes_nothing_the_second_time_and_answers_200()
    {
        var (app, category, orderId) = await OrderAsync();
        await using var _ = app;
        var n = Callbacks.Notification(orderId, "settlement", Price);

        var responses = await Task.WhenAll(Enumerable.Range(0, 10).Select(_ => Callbacks.PostAsync(app, n)));

        Assert.All(responses, r => Assert.Equal(HttpStatusCode.OK, r.StatusCode));
        var changed = 0;
        foreach (var r in responses)
        {
            if ((await TestApp.JsonAsync(r)).GetProperty("data").GetProperty("changed").GetBoolean()) changed++;
        }
        Assert.Equal(1, changed);
        Assert.Equal(4, await Sale.FreeSeatsAsync(stack.DataSource, category));
        await Sale.AssertInvariantsAsync(stack.DataSource);
    }

    [Fact]
    public async Task Every_answer_to_concurrent_duplicate_settlements_says_the_order_is_paid()
    {
        // Found by the fault suite: a duplicate that read the order before its twin paid it answered "pending".
        // Two instances, two duplicates each: within an instance a duplicate waits for its twin's statement (a
        // batch never carries one order twice); across instances the two statements race in PostgreSQL.
        const int duplicatesPerInstance = 2;
        var (app, _, orderId) = await OrderAsync();
        await using var _ = app;
        await using var other = await TestApp.StartAsync(stack);
        var n = Callbacks.Notification(orderId, "settlement", Price);

        // Holding the order's row lock lets each instance's statement read the order as pending, then queue on the update.
        await using var connection = await stack.DataSource.OpenConnectionAsync();
        await using var transaction = await connection.BeginTransactionAsync();
        await using (var hold = new Npgsql.NpgsqlCommand("SELECT 1 FROM orders WHERE id = $1 FOR UPDATE", connection, transaction))
        {
            hold.Parameters.Add(new Npgsql.NpgsqlParameter<Guid> { TypedValue = orderId });
            await hold.ExecuteNonQueryAsync();
        }
        var posts = Enumerable.Range(0, duplicatesPerInstance).SelectMany(_ => new[] { Callbacks.PostAsync(app, n), Callbacks.PostAsync(other, n) }).ToList();
        var waited = System.Diagnostics.Stopwatch.StartNew();
        while (await Sale.ScalarAsync<long>(stack.DataSource,
                   "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = current_database()") < 2)
        {
            Assert.True(waited.Elapsed < TimeSpan.FromSeconds(4), "the two instances' statements did not both wait on the row");
            await Task.Delay(20);
        }
        await transaction.CommitAsync();
        var responses = await Task.WhenAll(posts);

        foreach (var r in responses)
        {
            Assert.Equal(HttpStatusCode.OK, r.StatusCode);
            Assert.Equal("paid", (await TestApp.JsonAsync(r)).GetProperty("data").GetProperty("status").GetString());
        }
    }

    [Theory]
    [InlineData("pending")]
    [InlineData("expire")]
    [InlineData("cancel")]
    [InlineData("deny")]
    public async Task A_late_notification_after_a_settlement_does_not_undo_it(string late)
    {
        var (app, category, orderId) = await OrderAsync();
        await using var _ = app;
        await Callbacks.PostAsync(app, orderId, "settlement", Price);

        var response = await Callbacks.PostAsync(app, orderId, late, Price);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("paid", await Sale.StatusAsync(stack.DataSource, orderId));
        Assert.Equal(4, await Sale.FreeSeatsAsync(stack.DataSource, category));
        await Sale.AssertInvariantsAsync(stack.DataSource);
    }

    [Fact]
    public async Task A_settlement_after_expiry_claims_a_free_seat_of_the_category_and_pays_the_order()
    {
        var (app, category, orderId) = await OrderAsync(seats: 2);
        await using var _ = app;
        await Sale.ExpireHoldAsync(stack.DataSource, orderId);
        Assert.Contains(await Expiry().RunOnceAsync(CancellationToken.None), e => e.OrderId == orderId);
        Assert.Equal(2, await Sale.FreeSeatsAsync(stack.DataSource, category));

        var response = await Callbacks.PostAsync(app, orderId, "settlement", Price);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("paid", await Sale.StatusAsync(stack.DataSource, orderId));
        Assert.Equal(1, await Sale.FreeSeatsAsync(stack.DataSource, category));
        await Sale.AssertInvariantsAsync(stack.DataSource);
    }

    [Fact]
    public async Task A_settlement_after_expiry_with_no_seat_left_marks_the_order_refund_required()
    {
        var (app, category, orderId) = await OrderAsync(seats: 1);
        await using var _ = app;
        await Sale.ExpireHoldAsync(stack.DataSource, orderId);
        await Expiry().RunOnceAsync(CancellationToken.None);
        Assert.Equal(HttpStatusCode.Created, (await app.PostOrderAsync(Sale.Email(), category)).StatusCode);

        var response = await Callbacks.PostAsync(app, orderId, "settlement", Price);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("refund_required", await Sale.StatusAsync(stack.DataSource, orderId));
        var again = await Callbacks.PostAsync(app, orderId, "settlement", Price);
        Assert.False((await TestApp.JsonAsync(again)).GetProperty("data").GetProperty("changed").GetBoolean());
        Assert.Equal(0, await Sale.FreeSeatsAsync(stack.DataSource, category));
        await Sale.AssertInvariantsAsync(stack.DataSource);
    }

    [Fact]
    public async Task A_late_settlement_for_a_fan_who_ordered_again_is_refund_required_not_a_second_ticket()
    {
        var category = await Sale.CreateCategoryAsync(stack.DataSource, 5, Price);
        await using var app = await TestApp.StartAsync(stack);
        var email = Sale.Email();
        var first = (await TestApp.JsonAsync(await app.PostOrderAsync(email, category))).GetProperty("data").GetProperty("id").GetGuid();
        await Sale.ExpireHoldAsync(stack.DataSource, first);
        await Expiry().RunOnceAsync(CancellationToken.None);
        Assert.Equal(HttpStatusCode.Created, (await app.PostOrderAsync(email, category)).StatusCode);

        await Callbacks.PostAsync(app, first, "settlement", Price);

        Assert.Equal("refund_required", await Sale.StatusAsync(stack.DataSource, first));
        await Sale.AssertInvariantsAsync(stack.DataSource);
    }

    [Fact]
    public async Task Settlements_racing_the_expiry_of_their_orders_end_consistently_with_exact_seat_accounting()
    {
        const int orders = 40;
        var category = await Sale.CreateCategoryAsync(stack.DataSource, orders, Price);
        await using var app = await TestApp.StartAsync(stack);
        var ids = new List<Guid>();
        for (var i = 0; i < orders; i++)
        {
            ids.Add((await TestApp.JsonAsync(await app.PostOrderAsync(Sale.Email(), category))).GetProperty("data").GetProperty("id").GetGuid());
        }
        foreach (var id in ids) await Sale.ExpireHoldAsync(stack.DataSource, id);

        // Two expiry workers and every settlement at once.
        var expiries = Enumerable.Range(0, 2).Select(_ => Task.Run(async () =>
        {
            var all = new List<ExpiredOrder>();
            for (var pass = 0; pass < 5; pass++) all.AddRange(await Expiry().RunOnceAsync(CancellationToken.None));
            return all;
        })).ToList();
        var settlements = ids.Select(id => Callbacks.PostAsync(app, id, "settlement", Price)).ToList();
        var expired = (await Task.WhenAll(expiries)).SelectMany(e => e).ToList();
        var responses = await Task.WhenAll(settlements);

        Assert.All(responses, r => Assert.Equal(HttpStatusCode.OK, r.StatusCode));
        Assert.Equal(expired.Count, expired.Select(e => e.OrderId).Distinct().Count());
        foreach (var id in ids) Assert.Equal("paid", await Sale.StatusAsync(stack.DataSource, id));
        Assert.Equal(0, await Sale.FreeSeatsAsync(stack.DataSource, category));
        await Sale.AssertInvariantsAsync(stack.DataSource);
    }
}
