using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using ConcertTicket.Queue;
using ConcertTicket.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace ConcertTicket.Tests.Queue;

/// <summary>A sale with the waiting room on, in a queue of the test's own (its own Redis keys), and fans that use it.</summary>
internal static class QueueFans
{
    public const string Secret = "test-queue-token-secret-0123456789abcdef";

    public static string NewName() => "test-" + Guid.NewGuid().ToString("N")[..12];

    /// <summary>Configuration of a sale with the queue on; the order limits per IP are off (every test fan is one client).</summary>
    public static string[] Args(string name, DateTimeOffset? opensAt = null, params string[] extra) =>
    [
        "--Queue:Enabled=true",
        $"--Queue:Name={name}",
        $"--Queue:TokenSecret={Secret}",
        "--Protection:OrdersPerIpPerMinute=0",
        .. opensAt is null ? Array.Empty<string>() : [$"--Queue:OpensAt={opensAt.Value:O}"],
        .. extra,
    ];

    public static async Task<(HttpStatusCode Status, JsonElement Data)> JoinAsync(HttpClient client, string email)
    {
        var response = await client.PostAsJsonAsync("/queue", new { email });
        var body = await TestApp.JsonAsync(response);
        return (response.StatusCode, body.TryGetProperty("data", out var data) ? data : body);
    }

    public static async Task<JsonElement> EntryAsync(HttpClient client, Guid id)
    {
        var response = await client.GetAsync($"/queue/{id}");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return (await TestApp.JsonAsync(response)).GetProperty("data");
    }

    /// <summary>Admits the next <paramref name="count"/> fans at once, as the admitter does in its ticks.</summary>
    public static Task<IReadOnlyList<Guid>> AdmitAsync(TestApp app, int count) =>
        app.Services.GetRequiredService<QueueStore>().AdmitAsync(count, DateTimeOffset.UtcNow.AddMinutes(10), DateTimeOffset.MinValue);

    public static Task<HttpResponseMessage> OrderAsync(TestApp app, string email, int categoryId, string? token)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "/orders")
        {
            Content = JsonContent.Create(new { email, category_id = categoryId }),
        };
        if (token is not null) request.Headers.Add(QueueEndpoints.AdmissionTokenHeader, token);
        return app.Client.SendAsync(request);
    }
}
