using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using ConcertTicket.Tests.Infrastructure;

namespace ConcertTicket.Tests.Infrastructure;

/// <summary>
/// The bad-input corpus (Data/bad-input.json): malformed and truncated JSON, wrong types, missing, extra and repeated
/// fields, numbers out of range, oversized bodies, invalid and hostile emails, injection attempts, wrong content
/// types, unknown routes and methods. Each case must get its 4xx problem with a stable code and change nothing.
/// </summary>
[Collection(LiveServersGroup.Name)]
public sealed class BadInputCorpusTests(LiveServers stack) : IAsyncLifetime
{
    private static readonly Dictionary<string, JsonElement> Cases = JsonDocument
        .Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Data", "bad-input.json")))
        .RootElement.EnumerateArray().ToDictionary(c => c.GetProperty("name").GetString()!, c => c.Clone());

    public static TheoryData<string> CaseNames => new(Cases.Keys);

    private TestApp _app = null!;

    public async Task InitializeAsync() => _app = await TestApp.StartAsync(stack, "--Api:MaxRequestBodyBytes=16384");

    public async Task DisposeAsync() => await _app.DisposeAsync();

    [Theory]
    [MemberData(nameof(CaseNames))]
    public async Task Bad_input_gets_its_problem_and_changes_nothing(string name)
    {
        var c = Cases[name];
        var before = await SnapshotAsync();

        var response = await _app.Client.SendAsync(Request(c));

        Assert.Equal(c.GetProperty("status").GetInt32(), (int)response.StatusCode);
        Assert.Equal(c.GetProperty("code").GetString(), await TestApp.ProblemCodeAsync(response));
        Assert.Equal(before, await SnapshotAsync());
    }

    [Fact]
    public void The_corpus_covers_every_kind_of_bad_input_the_issue_names()
    {
        var codes = Cases.Values.Select(c => c.GetProperty("code").GetString()).ToHashSet();
        foreach (var code in new[] { "invalid_json", "validation_failed", "payload_too_large", "unsupported_media_type", "not_found", "method_not_allowed", "invalid_signature" })
        {
            Assert.Contains(code, codes);
        }
        Assert.True(Cases.Count >= 60);
    }

    private static HttpRequestMessage Request(JsonElement c)
    {
        var request = new HttpRequestMessage(new HttpMethod(c.GetProperty("method").GetString()!), c.GetProperty("path").GetString());
        byte[]? body = null;
        if (c.TryGetProperty("body", out var text)) body = Encoding.UTF8.GetBytes(text.GetString()!);
        if (c.TryGetProperty("body_repeat", out var repeat))
        {
            body = Encoding.UTF8.GetBytes(repeat.GetProperty("prefix").GetString()
                + new string(repeat.GetProperty("char").GetString()![0], repeat.GetProperty("count").GetInt32())
                + repeat.GetProperty("suffix").GetString());
        }
        if (body is not null)
        {
            request.Content = new ByteArrayContent(body);
            if (c.TryGetProperty("content_type", out var type)) request.Content.Headers.ContentType = MediaTypeHeaderValue.Parse(type.GetString()!);
        }
        if (c.TryGetProperty("headers", out var headers))
        {
            foreach (var h in headers.EnumerateObject()) request.Headers.TryAddWithoutValidation(h.Name, h.Value.GetString());
        }
        return request;
    }

    private Task<string> SnapshotAsync() => Sale.ScalarAsync<string>(stack.DataSource, """
        SELECT (SELECT count(*) FROM orders) || '/' || (SELECT count(*) FROM orders WHERE status = 'paid') || '/'
            || (SELECT count(*) FROM seats WHERE order_id IS NULL) || '/' || (SELECT count(*) FROM gateway_voids)
        """);
}
