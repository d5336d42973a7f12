using System.Net;
using ConcertTicket.Queue;
using ConcertTicket.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace ConcertTicket.Tests.Queue;

[Collection(LiveServersGroup.Name)]
public sealed class AdmissionTests(LiveServers stack)
{
    [Fact]
    public async Task An_admitted_fan_gets_a_token_and_orders_with_it()
    {
        var category = await Sale.CreateCategoryAsync(stack.DataSource, seats: 3);
        await using var app = await TestApp.StartAsync(stack, stack.Args(QueueFans.Args(QueueFans.NewName())));
        var email = Sale.Email();
        var id = (await QueueFans.JoinAsync(app.Client, email)).Data.GetProperty("id").GetGuid();

        Assert.Equal([id], await QueueFans.AdmitAsync(app, 5));
        var entry = await QueueFans.EntryAsync(app.Client, id);
        var order = await QueueFans.OrderAsync(app, email, category, entry.GetProperty("admission_token").GetString());

        Assert.Equal("admitted", entry.GetProperty("status").GetString());
        Assert.True(entry.GetProperty("admitted_until").GetDateTimeOffset() > DateTimeOffset.UtcNow.AddMinutes(9));
        Assert.Equal(JsonValueKindNull, entry.GetProperty("position").ValueKind);
        Assert.Equal(HttpStatusCode.Created, order.StatusCode);
        await Sale.AssertInvariantsAsync(stack.DataSource);
    }

    private const System.Text.Json.JsonValueKind JsonValueKindNull = System.Text.Json.JsonValueKind.Null;

    [Fact]
    public async Task Without_a_valid_token_there_is_no_order()
    {
        var category = await Sale.CreateCategoryAsync(stack.DataSource, seats: 3);
        await using var app = await TestApp.StartAsync(stack, stack.Args(QueueFans.Args(QueueFans.NewName())));
        var email = Sale.Email();
        var forged = new AdmissionTokenSigner("another-secret-another-secret-another-secret")
            .Sign(new Admission(Guid.NewGuid(), email, DateTimeOffset.UtcNow.AddMinutes(5)));
        var expired = new AdmissionTokenSigner(QueueFans.Secret)
            .Sign(new Admission(Guid.NewGuid(), email, DateTimeOffset.UtcNow.AddSeconds(-1)));

        foreach (var token in new[] { null, "", "garbage", "a.b", forged, expired })
        {
            var response = await QueueFans.OrderAsync(app, email, category, token);
            Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
            Assert.Equal("admission_required", await TestApp.ProblemCodeAsync(response));
        }
        Assert.Equal(3, await Sale.FreeSeatsAsync(stack.DataSource, category));
    }

    [Fact]
    public async Task A_token_for_another_email_is_refused()
    {
        var category = await Sale.CreateCategoryAsync(stack.DataSource, seats: 3);
        await using var app = await TestApp.StartAsync(stack, stack.Args(QueueFans.Args(QueueFans.NewName())));
        var id = (await QueueFans.JoinAsync(app.Client, Sale.Email("holder"))).Data.GetProperty("id").GetGuid();
        await QueueFans.AdmitAsync(app, 1);
        var token = (await QueueFans.EntryAsync(app.Client, id)).GetProperty("admission_token").GetString();

        var response = await QueueFans.OrderAsync(app, Sale.Email("friend"), category, token);

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Equal("admission_mismatch", await TestApp.ProblemCodeAsync(response));
        Assert.Equal(3, await Sale.FreeSeatsAsync(stack.DataSource, category));
    }

    [Fact]
    public async Task Before_the_opening_orders_get_sale_not_open_and_nobody_is_admitted()
    {
        var category = await Sale.CreateCategoryAsync(stack.DataSource, seats: 3);
        await using var app = await TestApp.StartAsync(stack, stack.Args(QueueFans.Args(QueueFans.NewName(), DateTimeOffset.UtcNow.AddHours(1))));
        var email = Sale.Email();
        await QueueFans.JoinAsync(app.Client, email);
        var token = new AdmissionTokenSigner(QueueFans.Secret).Sign(new Admission(Guid.NewGuid(), email, DateTimeOffset.UtcNow.AddMinutes(5)));

        var response = await QueueFans.OrderAsync(app, email, category, token);
        var admitted = await app.Services.GetRequiredService<QueueStore>()
            .AdmitAsync(10, DateTimeOffset.UtcNow.AddMinutes(10), DateTimeOffset.UtcNow.AddHours(1));

        Assert.Equal(HttpStatusCode.Conflict, response.StatusCode);
        Assert.Equal("sale_not_open", await TestApp.ProblemCodeAsync(response));
        Assert.Empty(admitted);
        var info = (await TestApp.JsonAsync(await app.Client.GetAsync("/queue"))).GetProperty("data");
        Assert.False(info.GetProperty("open").GetBoolean());
    }

    [Fact]
    public async Task An_admission_not_used_in_time_expires()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var app = await TestApp.StartAsync(stack, b => b.Services.AddSingleton<TimeProvider>(clock),
            stack.Args(QueueFans.Args(QueueFans.NewName(), extra: "--Queue:AdmissionSeconds=60")));
        var id = (await QueueFans.JoinAsync(app.Client, Sale.Email())).Data.GetProperty("id").GetGuid();
        await app.Services.GetRequiredService<QueueStore>().AdmitAsync(1, clock.GetUtcNow().AddSeconds(60), DateTimeOffset.MinValue);
        Assert.Equal("admitted", (await QueueFans.EntryAsync(app.Client, id)).GetProperty("status").GetString());

        clock.Advance(TimeSpan.FromSeconds(61));
        var entry = await QueueFans.EntryAsync(app.Client, id);

        Assert.Equal("expired", entry.GetProperty("status").GetString());
        Assert.Equal(System.Text.Json.JsonValueKind.Null, entry.GetProperty("admission_token").ValueKind);
    }

    [Fact]
    public async Task Outside_development_the_queue_needs_a_token_secret()
    {
        var ex = await Assert.ThrowsAsync<Microsoft.Extensions.Options.OptionsValidationException>(() =>
            TestApp.StartAsync(stack, stack.Args("--Queue:Enabled=true", "--environment=Production")));
        Assert.Contains("Queue:TokenSecret", ex.Message);
    }
}
