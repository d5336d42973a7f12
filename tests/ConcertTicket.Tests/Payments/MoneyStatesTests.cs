using System.Net;
using ConcertTicket.Payments;
using ConcertTicket.Tests.Infrastructure;

namespace ConcertTicket.Tests.Payments;

/// <summary>The money state machine: its table is total, and every pair does what the table says, in the database.</summary>
[Collection(LiveServersGroup.Name)]
public sealed class MoneyStatesTests(LiveServers stack)
{
    private static readonly (MoneyEvent Event, string TransactionStatus)[] Events =
    [
        (MoneyEvent.Paid, "settlement"), (MoneyEvent.Pending, "pending"), (MoneyEvent.Ended, "expire"),
        (MoneyEvent.Refund, "refund"), (MoneyEvent.PartialRefund, "partial_refund"),
        (MoneyEvent.Chargeback, "chargeback"), (MoneyEvent.PartialChargeback, "partial_chargeback"),
    ];

    [Fact]
    public void Every_status_and_event_pair_is_in_the_table()
    {
        foreach (var status in MoneyStates.Statuses)
        {
            foreach (var moneyEvent in Enum.GetValues<MoneyEvent>()) Assert.True(MoneyStates.IsListed(status, moneyEvent), $"{status} × {moneyEvent}");
        }
        Assert.Equal(MoneyEvent.Paid, MoneyStates.EventOf("capture", "accept"));
        Assert.Equal(MoneyEvent.Pending, MoneyStates.EventOf("capture", "challenge"));
        Assert.Equal(MoneyEvent.Ended, MoneyStates.EventOf("DENY", null));
        Assert.Equal(MoneyEvent.Pending, MoneyStates.EventOf("something_new", null));
    }

    [Fact]
    public async Task Every_transition_does_what_the_table_says()
    {
        await using var app = await TestApp.StartAsync(stack);
        var failures = new List<string>();
        foreach (var status in MoneyStates.Statuses)
        {
            foreach (var (moneyEvent, transactionStatus) in Events)
            {
                var category = await Sale.CreateCategoryAsync(stack.DataSource, seats: 2);
                var orderId = await OrderInStatusAsync(category, status);
                var action = MoneyStates.Decide(status, moneyEvent);

                var response = await Callbacks.PostAsync(app, orderId, transactionStatus, 1_000_000);

                var (expectedStatus, expectedRefund) = action switch
                {
                    MoneyAction.Pay or MoneyAction.ClaimLate => (OrderStatus.Paid, (string?)null),
                    MoneyAction.Cancel => (OrderStatus.Cancelled, null),
                    MoneyAction.Revoke => (OrderStatus.Refunded, transactionStatus),
                    MoneyAction.RecordReversal => (status, transactionStatus),
                    _ => (status, null),
                };
                var actual = await Sale.StatusAsync(stack.DataSource, orderId);
                var refund = await Sale.ScalarAsync<object>(stack.DataSource, "SELECT refund_status FROM orders WHERE id = $1", orderId) as string;
                if (response.StatusCode != HttpStatusCode.OK || actual != expectedStatus || refund != expectedRefund)
                {
                    failures.Add($"{status} × {transactionStatus} ({action}): HTTP {(int)response.StatusCode}, status {actual} (expected {expectedStatus}), refund_status {refund ?? "null"} (expected {expectedRefund ?? "null"})");
                }
            }
        }
        Assert.True(failures.Count == 0, string.Join("\n", failures));
        await Sale.AssertInvariantsAsync(stack.DataSource);
    }

    /// <summary>An order of 1,000,000 in the given status; pending and paid hold a seat, the others none; paid has its ticket.</summary>
    private async Task<Guid> OrderInStatusAsync(int category, string status)
    {
        var id = Guid.NewGuid();
        await Sale.ExecuteAsync(stack.DataSource, """
            WITH seat AS (SELECT id FROM seats WHERE category_id = $3 AND order_id IS NULL ORDER BY id LIMIT 1),
            o AS (
                INSERT INTO orders (id, email, category_id, seat_id, total, status, expires_at, paid_at, ended_at)
                SELECT $1, $2, $3, seat.id, 1000000, $4, now() + interval '15 minutes',
                       CASE WHEN $4 IN ('paid', 'refund_required', 'refunded') THEN now() END,
                       CASE WHEN $4 IN ('expired', 'cancelled', 'refunded') THEN now() END
                FROM seat
            )
            UPDATE seats SET order_id = $1 FROM seat WHERE seats.id = seat.id AND $4 IN ('pending', 'paid')
            """, id, Sale.Email(), category, status);
        // A paid order has its ticket, as the pay statement issues it (the invariants check it).
        await Sale.ExecuteAsync(stack.DataSource, """
            INSERT INTO tickets (id, order_id, seat_id) SELECT gen_random_uuid(), id, seat_id FROM orders WHERE id = $1 AND status = 'paid'
            """, id);
        return id;
    }
}
