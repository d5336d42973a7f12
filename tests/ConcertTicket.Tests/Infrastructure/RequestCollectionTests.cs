using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using ConcertTicket.Infrastructure;
using ConcertTicket.Payments;

namespace ConcertTicket.Tests.Infrastructure;

/// <summary>requests.http at the repository root works against the service, as someone new would send it.</summary>
[Collection(LiveServersGroup.Name)]
public sealed partial class RequestCollectionTests(LiveServers stack)
{
    private sealed record HttpFileRequest(string Title, string Method, string Url, List<(string Name, string Value)> Headers, string Body);

    [Fact]
    public void The_example_callback_is_signed_for_the_example_order_with_the_local_key()
    {
        var variables = Variables(File.ReadAllText(Repository.PathOf("requests.http")));

        Assert.Equal(OpenApiExamples.OrderId.ToString(), variables["orderId"]);
        Assert.Equal(MidtransSignature.Compute(variables["orderId"], "200", "3800000.00", OpenApiExamples.LocalServerKey),
            variables["settlementSignature"]);
    }

    [Fact]
    public async Task Every_request_answers_as_its_comment_says_once_the_order_id_and_signature_are_the_users()
    {
        const string localKey = OpenApiExamples.LocalServerKey;
        await using var app = await TestApp.StartAsync(stack, $"--Payment:ServerKey={localKey}");
        var text = File.ReadAllText(Repository.PathOf("requests.http"));
        var variables = Variables(text);
        variables["baseUrl"] = "";
        // Unique per run, as a user's would be: the file's fixed email and key are taken after one run.
        var emails = new Dictionary<string, string> { ["fan@example.com"] = Sale.Email(), ["fan2@example.com"] = Sale.Email() };
        var idempotencyKey = Guid.NewGuid().ToString();

        var statuses = new List<string>();
        foreach (var request in Requests(text))
        {
            var body = emails.Aggregate(request.Body, (b, e) => b.Replace(e.Key, e.Value, StringComparison.Ordinal));
            using var message = new HttpRequestMessage(new HttpMethod(request.Method), Substitute(request.Url, variables));
            foreach (var (name, value) in request.Headers.Where(h => h.Name != "Content-Type"))
            {
                message.Headers.Add(name, name == "Idempotency-Key" ? idempotencyKey : Substitute(value, variables));
            }
            if (body.Length > 0)
            {
                var type = request.Headers.Single(h => h.Name == "Content-Type").Value;
                message.Content = new StringContent(Substitute(body, variables), Encoding.UTF8, type);
            }
            var response = await app.Client.SendAsync(message);
            statuses.Add($"{request.Method} {request.Url} {(int)response.StatusCode}");

            if (request.Title.StartsWith("Create an order:", StringComparison.Ordinal))
            {
                // What the comment at the top of the file asks the user to do with their order.
                var id = (await TestApp.JsonAsync(response)).GetProperty("data").GetProperty("id").GetString()!;
                variables["orderId"] = id;
                variables["settlementSignature"] = MidtransSignature.Compute(id, "200", "3800000.00", localKey);
            }
            if (request.Title.StartsWith("Midtrans says the order is paid", StringComparison.Ordinal))
            {
                Assert.Equal("paid", (await TestApp.JsonAsync(response)).GetProperty("data").GetProperty("status").GetString());
            }
        }

        Assert.Equal(
        [
            "GET {{baseUrl}}/categories 200",
            "POST {{baseUrl}}/orders 201",
            "POST {{baseUrl}}/orders 201",
            "GET {{baseUrl}}/orders/{{orderId}} 200",
            "POST {{baseUrl}}/payments/callback 200",
            "POST {{baseUrl}}/payments/callback 401",
            "GET {{baseUrl}}/health 200",
            "GET {{baseUrl}}/health/ready 200",
            "GET {{baseUrl}}/openapi/v1.json 200",
        ], statuses);
        var order = await TestApp.JsonAsync(await app.Client.GetAsync($"/orders/{variables["orderId"]}"));
        Assert.Equal("paid", order.GetProperty("data").GetProperty("status").GetString());
    }

    private static Dictionary<string, string> Variables(string text) =>
        VariableLine().Matches(text).ToDictionary(m => m.Groups[1].Value, m => m.Groups[2].Value.Trim());

    private static string Substitute(string text, Dictionary<string, string> variables) =>
        Reference().Replace(text, m => variables[m.Groups[1].Value]);

    /// <summary>The file's requests: after each ### line, comments, the request line, headers, a blank line, a body.</summary>
    private static IEnumerable<HttpFileRequest> Requests(string text)
    {
        foreach (var block in text.Split("\n###").Skip(1))
        {
            var lines = block.Split('\n');
            var title = lines[0].Trim();
            var rest = lines.Skip(1).SkipWhile(l => l.StartsWith('#') || l.Trim().Length == 0).ToList();
            var requestLine = rest[0].Split(' ', 2);
            var headers = rest.Skip(1).TakeWhile(l => l.Trim().Length > 0)
                .Select(l => l.Split(':', 2)).Select(p => (p[0].Trim(), p[1].Trim())).ToList();
            var body = string.Join('\n', rest.Skip(1 + headers.Count).SkipWhile(l => l.Trim().Length == 0)).Trim();
            yield return new HttpFileRequest(title, requestLine[0], requestLine[1].Trim(), headers, body);
        }
    }

    [GeneratedRegex(@"^@(\w+)\s*=\s*(.*)$", RegexOptions.Multiline)]
    private static partial Regex VariableLine();

    [GeneratedRegex(@"\{\{(\w+)\}\}")]
    private static partial Regex Reference();
}
