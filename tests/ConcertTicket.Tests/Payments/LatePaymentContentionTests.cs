using System.Net;
using ConcertTicket.Tests.Infrastructure;
using Npgsql;

namespace ConcertTicket.Tests.Payments;

/// <summary>
/// A late payment is refunded only when no seat is free: a last seat that another claim holds locked (and may
/// still give up) is waited for, not treated as sold out.
/// </summary>
[Collection(LiveServersGroup.Name)]
public sealed class LatePaymentContentionTests(LiveServers stack)
{
    private async Task<(TestApp App, int Category, Guid Late, int Seat)> ExpiredOrderOnLastSeatAsync()
    {
        var category = await Sale.CreateCategoryAsync(stack.DataSource, seats: 1);
        var app = await TestApp.StartAsync(stack);
        var response = await app.PostOrderAsync(Sale.Email(), category);
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var late = (await TestApp.JsonAsync(response)).GetProperty("data").GetProperty("id").GetGuid();
        await Sale.ExecuteAsync(stack.DataSource, """
            WITH o AS (UPDATE orders SET status = 'expired', ended_at = now() WHERE id = $1 RETURNING seat_id)
            UPDATE seats SET order_id = NULL WHERE id = (SELECT seat_id FROM o)
            """, late);
        var seat = await Sale.ScalarAsync<int>(stack.DataSource, "SELECT id FROM seats WHERE category_id = $1", category);
        return (app, category, late, seat);
    }

    /// <summary>Another claim's transaction: it locks the last free seat, as OrderStore's claim does.</summary>
    private async Task<(NpgsqlConnection Connection, NpgsqlTransaction Transaction)> LockSeatAsync(int seat)
    {
        var connection = await stack.DataSource.OpenConnectionAsync();
        var transaction = await connection.BeginTransactionAsync();
        await using var command = new NpgsqlCommand("SELECT id FROM seats WHERE id = $1 FOR UPDATE", connection, transaction);
        command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = seat });
        await command.ExecuteScalarAsync();
        return (connection, transaction);
    }

    [Fact]
    public async Task A_late_payment_gets_the_last_seat_when_the_claim_that_held_it_locked_gives_up()
    {
        var (app, category, late, seat) = await ExpiredOrderOnLastSeatAsync();
        await using var _ = app;
        var (connection, transaction) = await LockSeatAsync(seat);
        await using (connection)
        {
            var settling = Callbacks.PostAsync(app, late, "settlement", 1_000_000);
            // Give the settlement time to meet the lock (no assertion on time: either order of events must end paid).
            await Task.Delay(300);
            await transaction.RollbackAsync();
            var response = await settling;
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        Assert.Equal("paid", await Sale.StatusAsync(stack.DataSource, late));
        Assert.Equal(0, await Sale.FreeSeatsAsync(stack.DataSource, category));
        await Sale.AssertInvariantsAsync(stack.DataSource);
    }

    [Fact]
    public async Task A_late_payment_is_refunded_when_the_claim_that_held_the_last_seat_takes_it()
    {
        var (app, category, late, seat) = await ExpiredOrderOnLastSeatAsync();
        await using var _ = app;
        var (connection, transaction) = await LockSeatAsync(seat);
        var winner = Guid.NewGuid();
        await using (connection)
        {
            var settling = Callbacks.PostAsync(app, late, "settlement", 1_000_000);
            await Task.Delay(300);
            await using (var take = new NpgsqlCommand("""
                WITH o AS (
                    INSERT INTO orders (id, email, category_id, seat_id, total, status, expires_at)
                    VALUES ($1, $2, $3, $4, 1000000, 'pending', now() + interval '15 minutes')
                )
                UPDATE seats SET order_id = $1 WHERE id = $4
                """, connection, transaction))
            {
                take.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = winner });
                take.Parameters.Add(new NpgsqlParameter<string> { TypedValue = Sale.Email("winner") });
                take.Parameters.Add(new NpgsqlParameter<int> { TypedValue = category });
                take.Parameters.Add(new NpgsqlParameter<int> { TypedValue = seat });
                await take.ExecuteNonQueryAsync();
            }
            await transaction.CommitAsync();
            var response = await settling;
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        Assert.Equal("refund_required", await Sale.StatusAsync(stack.DataSource, late));
        Assert.Equal("pending", await Sale.StatusAsync(stack.DataSource, winner));
        await Sale.AssertInvariantsAsync(stack.DataSource);
    }

    [Fact]
    public async Task Many_late_payments_racing_for_the_last_seats_pay_exactly_as_many_as_there_are_seats()
    {
        var category = await Sale.CreateCategoryAsync(stack.DataSource, seats: 3);
        await using var app = await TestApp.StartAsync(stack);
        var orders = new List<Guid>();
        for (var i = 0; i < 3; i++)
        {
            var response = await app.PostOrderAsync(Sale.Email(), category);
            orders.Add((await TestApp.JsonAsync(response)).GetProperty("data").GetProperty("id").GetGuid());
        }
        foreach (var id in orders) await Sale.ExpireHoldAsync(stack.DataSource, id);
        await Workers.Expiry(stack.DataSource).RunOnceAsync(CancellationToken.None);
        // Two more expired orders than seats: exactly three can be paid, the other two are owed their money back.
        for (var i = 0; i < 2; i++)
        {
            var extra = Guid.NewGuid();
            await Sale.ExecuteAsync(stack.DataSource, """
                INSERT INTO orders (id, email, category_id, total, status, expires_at, ended_at)
                VALUES ($1, $2, $3, 1000000, 'expired', now(), now())
                """, extra, Sale.Email(), category);
            orders.Add(extra);
        }

        var answers = await Task.WhenAll(orders.Select(id => Callbacks.PostAsync(app, id, "settlement", 1_000_000)));

        Assert.All(answers, a => Assert.Equal(HttpStatusCode.OK, a.StatusCode));
        var statuses = await Task.WhenAll(orders.Select(id => Sale.StatusAsync(stack.DataSource, id)));
        Assert.Equal(3, statuses.Count(s => s == "paid"));
        Assert.Equal(2, statuses.Count(s => s == "refund_required"));
        await Sale.AssertInvariantsAsync(stack.DataSource);
    }

    [Theory]
    [InlineData(3, "paid")]
    [InlineData(1000, "refund_required")]
    public async Task Unique_violations_in_the_late_claim_are_retried_and_never_escape(int violations, string expected)
    {
        // The late claim's unique violations come from a twin order appearing between its check and its write; a
        // trigger stands in for that race here, for this order alone: `violations` times in a row (1000: every
        // attempt, until the last one gives up and marks the order for refund).
        var (app, category, late, _) = await ExpiredOrderOnLastSeatAsync();
        await using var _ = app;
        var name = "late_twin_" + late.ToString("N")[..8];
        await Sale.ExecuteAsync(stack.DataSource, $"""
            CREATE SEQUENCE {name}_seq;
            CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $f$
            BEGIN
                IF NEW.id = '{late}' AND NEW.status = 'paid' THEN
                    IF nextval('{name}_seq') <= {violations} THEN
                        RAISE unique_violation USING MESSAGE = 'a twin order appeared', CONSTRAINT = 'orders_one_active_per_email';
                    END IF;
                END IF;
                RETURN NEW;
            END
            $f$;
            CREATE TRIGGER {name} BEFORE UPDATE ON orders FOR EACH ROW EXECUTE FUNCTION {name}();
            """);
        try
        {
            var response = await Callbacks.PostAsync(app, late, "settlement", 1_000_000);

            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal(expected, await Sale.StatusAsync(stack.DataSource, late));
            Assert.True(await Sale.ScalarAsync<long>(stack.DataSource, $"SELECT last_value FROM {name}_seq") >= Math.Min(violations, 3));
            Assert.Equal(expected == "paid" ? 0 : 1, await Sale.FreeSeatsAsync(stack.DataSource, category));
        }
        finally
        {
            await Sale.ExecuteAsync(stack.DataSource, $"DROP TRIGGER {name} ON orders; DROP FUNCTION {name}(); DROP SEQUENCE {name}_seq;");
        }
        await Sale.AssertInvariantsAsync(stack.DataSource);
    }
}
