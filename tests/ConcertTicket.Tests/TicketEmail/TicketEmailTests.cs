using System.Net;
using ConcertTicket.TicketEmail;
using ConcertTicket.Tests.Infrastructure;
using ConcertTicket.Tests.Tickets;
using Microsoft.Extensions.DependencyInjection;
using MimeKit;

namespace ConcertTicket.Tests.TicketEmail;

/// <summary>The ticket e-mail through a real SMTP server (in-process), sent by the real worker from the real outbox.</summary>
[Collection(LiveServersGroup.Name)]
public sealed class TicketEmailTests(LiveServers stack)
{
    /// <summary>
    /// Parks the unsent e-mails other tests left (no worker runs in their apps), so that a test counting attempts
    /// finds its own e-mails in the worker's first batch. The tests of the collection run one at a time.
    /// </summary>
    private Task SetAsideOthersAsync() =>
        Sale.ExecuteAsync(stack.DataSource, "UPDATE tickets SET email_next_attempt_at = 'infinity' WHERE email_sent_at IS NULL");

    private static async Task DrainAsync(TicketEmailWorker worker)
    {
        while (await worker.RunOnceAsync(CancellationToken.None) > 0)
        {
        }
    }

    [Fact]
    public async Task A_paid_order_gets_exactly_one_email_with_a_QR_code_that_verifies_with_the_public_key()
    {
        var category = await Sale.CreateCategoryAsync(stack.DataSource, seats: 2, TicketSale.Price);
        await using var smtp = await SmtpSink.StartAsync();
        await using var app = await TestApp.StartAsync(stack, smtp.Args("--Email:PublicBaseUrl=https://tickets.example.com"));
        var (orderId, email, code) = await TicketSale.PaidAsync(app, category);
        var worker = app.Services.GetRequiredService<TicketEmailWorker>();

        await DrainAsync(worker);
        await DrainAsync(worker);

        var message = Assert.Single(smtp.To(email));
        Assert.Contains("row 1 seat 1", message.Subject, StringComparison.Ordinal);
        Assert.Contains("TEST ", message.Subject, StringComparison.Ordinal);
        Assert.Contains($"https://tickets.example.com/tickets/{code}", message.TextBody, StringComparison.Ordinal);
        var image = message.BodyParts.OfType<MimePart>().Single(p => p.ContentType.MimeType == "image/png");
        Assert.Contains($"cid:{image.ContentId}", message.HtmlBody, StringComparison.Ordinal);
        using var png = new MemoryStream();
        await image.Content!.DecodeToAsync(png);
        var scanned = TicketSale.DecodeQr(png.ToArray());
        Assert.Equal(code, scanned);
        var keys = await TestApp.JsonAsync(await app.Client.GetAsync("/tickets/public-key"));
        Assert.True(TicketSale.VerifiesWith(keys, scanned!));
        Assert.Equal(orderId, TicketSale.Payload(scanned!).GetProperty("oid").GetGuid());
        Assert.NotNull(await Sale.ScalarAsync<DateTime?>(stack.DataSource,
            "SELECT email_sent_at FROM tickets WHERE order_id = $1", orderId));
    }

    [Fact]
    public async Task Orders_that_were_never_paid_get_no_email()
    {
        var category = await Sale.CreateCategoryAsync(stack.DataSource, seats: 4, TicketSale.Price);
        await using var smtp = await SmtpSink.StartAsync();
        await using var app = await TestApp.StartAsync(stack, smtp.Args());
        var pending = Sale.Email("pending");
        await TicketSale.OrderAsync(app, category, pending);
        var expired = Sale.Email("expired");
        var expiredId = await TicketSale.OrderAsync(app, category, expired);
        await Sale.ExpireHoldAsync(stack.DataSource, expiredId);
        await Workers.Expiry(stack.DataSource).RunOnceAsync(CancellationToken.None);
        var cancelled = Sale.Email("cancelled");
        var cancelledId = await TicketSale.OrderAsync(app, category, cancelled);
        Assert.Equal(HttpStatusCode.OK, (await Callbacks.PostAsync(app, cancelledId, "cancel", TicketSale.Price)).StatusCode);
        var (_, paid, _) = await TicketSale.PaidAsync(app, category);

        await DrainAsync(app.Services.GetRequiredService<TicketEmailWorker>());

        Assert.Single(smtp.To(paid));
        Assert.Empty(smtp.To(pending));
        Assert.Empty(smtp.To(expired));
        Assert.Empty(smtp.To(cancelled));
        Assert.Equal("expired", await Sale.StatusAsync(stack.DataSource, expiredId));
        Assert.Equal("cancelled", await Sale.StatusAsync(stack.DataSource, cancelledId));
    }

    [Fact]
    public async Task While_SMTP_is_down_or_refusing_nothing_is_lost_and_once_up_every_email_arrives_once()
    {
        var category = await Sale.CreateCategoryAsync(stack.DataSource, seats: 10, TicketSale.Price);
        var smtp = new SmtpSink();
        await using var _ = smtp;
        await using var app = await TestApp.StartAsync(stack, smtp.Args());
        await SetAsideOthersAsync();
        var emails = new List<string>();
        for (var i = 0; i < 10; i++) emails.Add((await TicketSale.PaidAsync(app, category)).Email);
        var worker = app.Services.GetRequiredService<TicketEmailWorker>();

        // Down: nothing listens on the port.
        await worker.RunOnceAsync(CancellationToken.None);
        await worker.RunOnceAsync(CancellationToken.None);
        Assert.Empty(smtp.Messages);

        // Up, but answering 451 to every message.
        await smtp.StartListeningAsync();
        smtp.Refusing = true;
        await worker.RunOnceAsync(CancellationToken.None);
        Assert.Empty(smtp.Messages);
        var attempts = await Sale.ScalarAsync<int>(stack.DataSource, """
            SELECT min(t.email_attempts) FROM tickets t JOIN orders o ON o.id = t.order_id
            WHERE o.email = ANY ($1)
            """, new object[] { emails.ToArray() });
        Assert.Equal(3, attempts);

        smtp.Refusing = false;
        await DrainAsync(worker);
        await DrainAsync(worker);
        foreach (var email in emails) Assert.Single(smtp.To(email));
    }

    [Fact]
    public async Task An_email_that_keeps_failing_is_parked_after_the_last_attempt()
    {
        var category = await Sale.CreateCategoryAsync(stack.DataSource, seats: 1, TicketSale.Price);
        var smtp = new SmtpSink();
        await using var _ = smtp;
        await using var app = await TestApp.StartAsync(stack, smtp.Args("--Email:MaxAttempts=2"));
        await SetAsideOthersAsync();
        var (orderId, email, _) = await TicketSale.PaidAsync(app, category);
        var worker = app.Services.GetRequiredService<TicketEmailWorker>();

        await worker.RunOnceAsync(CancellationToken.None);
        await worker.RunOnceAsync(CancellationToken.None);
        await smtp.StartListeningAsync();
        await DrainAsync(worker);

        Assert.Empty(smtp.To(email));
        Assert.True(await Sale.ScalarAsync<bool>(stack.DataSource, """
            SELECT email_next_attempt_at = 'infinity' AND email_attempts = 2 AND email_sent_at IS NULL AND email_last_error IS NOT NULL
            FROM tickets WHERE order_id = $1
            """, orderId));
    }

    [Fact]
    public async Task One_pass_sends_over_Email_Connections_connections_at_once_each_email_once()
    {
        const int orders = 20;
        await SetAsideOthersAsync();
        var category = await Sale.CreateCategoryAsync(stack.DataSource, seats: orders, TicketSale.Price);
        await using var smtp = await SmtpSink.StartAsync();
        // A server that takes a while to accept each message: connections that send one after the other never overlap.
        smtp.SaveDelay = TimeSpan.FromMilliseconds(200);
        await using var app = await TestApp.StartAsync(stack, smtp.Args(
            "--Protection:OrdersPerIpPerMinute=0", "--Protection:OrdersPerEmailPerMinute=0", "--Email:Connections=4"));
        var emails = new List<string>();
        for (var i = 0; i < orders; i++)
        {
            var email = Sale.Email("parallel");
            var orderId = await TicketSale.OrderAsync(app, category, email);
            Assert.Equal(HttpStatusCode.OK, (await Callbacks.PostAsync(app, orderId, "settlement", TicketSale.Price)).StatusCode);
            emails.Add(email);
        }

        var sessionsBefore = smtp.Sessions; // the sink's own start-up probe
        Assert.Equal(orders, await app.Services.GetRequiredService<TicketEmailWorker>().RunOnceAsync(CancellationToken.None));

        Assert.Equal(4, smtp.Sessions - sessionsBefore);
        Assert.InRange(smtp.MostAtOnce, 2, 4);
        foreach (var email in emails) Assert.Single(smtp.To(email));
        Assert.Equal(0L, await Sale.ScalarAsync<long>(stack.DataSource,
            "SELECT count(*) FROM tickets t JOIN orders o ON o.id = t.order_id WHERE o.category_id = $1 AND t.email_sent_at IS NULL", category));
    }

    [Fact]
    public async Task Two_workers_send_500_paid_orders_500_emails_none_twice()
    {
        const int orders = 500;
        var category = await Sale.CreateCategoryAsync(stack.DataSource, seats: orders, TicketSale.Price);
        await using var smtp = await SmtpSink.StartAsync();
        await using var app = await TestApp.StartAsync(stack, smtp.Args(
            "--Protection:OrdersPerIpPerMinute=0", "--Protection:OrdersPerEmailPerMinute=0", "--Email:BatchSize=50"));
        var emails = new System.Collections.Concurrent.ConcurrentBag<string>();
        await Parallel.ForEachAsync(Enumerable.Range(0, orders), new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (_, _) =>
        {
            var email = Sale.Email("bulk");
            var orderId = await TicketSale.OrderAsync(app, category, email);
            Assert.Equal(HttpStatusCode.OK, (await Callbacks.PostAsync(app, orderId, "settlement", TicketSale.Price)).StatusCode);
            emails.Add(email);
        });

        var one = app.Services.GetRequiredService<TicketEmailWorker>();
        var two = ActivatorUtilities.CreateInstance<TicketEmailWorker>(app.Services);
        await Task.WhenAll(Task.Run(() => DrainAsync(one)), Task.Run(() => DrainAsync(two)));

        var mine = emails.ToHashSet(StringComparer.OrdinalIgnoreCase);
        var received = smtp.Messages.Where(m => mine.Contains(m.To.Mailboxes.Single().Address)).ToList();
        Assert.Equal(orders, received.Count);
        Assert.Equal(orders, received.Select(m => m.Headers[TicketEmailMessage.TicketIdHeader]).Distinct().Count());
        await Sale.AssertInvariantsAsync(stack.DataSource);
    }
}
