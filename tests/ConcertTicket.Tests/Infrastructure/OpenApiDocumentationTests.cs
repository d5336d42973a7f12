using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using ConcertTicket.Infrastructure;
using ConcertTicket.Payments;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace ConcertTicket.Tests.Infrastructure;

[Collection(LiveServersGroup.Name)]
public sealed partial class OpenApiDocumentationTests(LiveServers stack)
{
    private static readonly string[] RequiredCodes =
    [
        "validation_failed", "invalid_json", "unsupported_media_type", "payload_too_large", "unknown_category",
        "already_ordered", "sold_out", "idempotency_key_reused", "payment_unavailable", "dependency_unavailable",
        "unknown_order", "invalid_signature", "amount_mismatch", "categories_unavailable", "rate_limited", "not_found",
        "method_not_allowed",
    ];

    /// <summary>
    /// Left out of the document on purpose: the document and the reference page describe the API, they are not part
    /// of it, and /metrics is Prometheus's text format for scrapers, not JSON a client codes against.
    /// </summary>
    private static readonly string[] Undocumented = ["/openapi/", "/scalar", "/metrics"];

    /// <summary>The admin dashboard's static page and files (an HTML page, not an API operation).</summary>
    private static readonly string[] UndocumentedPaths = ["/admin", "/admin/", "/admin/dashboard.js", "/admin/dashboard.css"];

    [Fact]
    public async Task Every_mapped_endpoint_is_in_the_document_with_its_method_and_nothing_else_is()
    {
        // Reference on, so that the Scalar endpoints exist and the exclusion is exercised.
        await using var app = await TestApp.StartAsync(stack, "--Api:Reference=true");
        var document = await DocumentAsync(app);

        var mapped = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var endpoint in app.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>())
        {
            var path = NormalizePath(endpoint.RoutePattern.RawText!);
            if (Undocumented.Any(prefix => path.StartsWith(prefix, StringComparison.Ordinal)) || UndocumentedPaths.Contains(path)) continue;
            // Health checks take any method; probes use GET, which is what the document describes.
            var methods = endpoint.Metadata.GetMetadata<IHttpMethodMetadata>()?.HttpMethods ?? ["GET"];
            foreach (var method in methods) mapped.Add($"{method} {path}");
        }
        var documented = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var path in document.GetProperty("paths").EnumerateObject())
        {
            foreach (var operation in path.Value.EnumerateObject()) documented.Add($"{operation.Name.ToUpperInvariant()} {path.Name}");
        }

        Assert.Contains("POST /orders", mapped);
        Assert.Contains("GET /health/ready", mapped);
        Assert.Equal(mapped, documented);
        Assert.Equal("3.1.1", document.GetProperty("openapi").GetString());
    }

    [Fact]
    public async Task The_document_describes_every_problem_code_with_an_example_of_its_own_status()
    {
        await using var app = await TestApp.StartAsync(stack);
        var document = await DocumentAsync(app);

        var examples = ProblemExamples(document).ToList();
        foreach (var (status, code, example) in examples)
        {
            Assert.Equal(status, example.GetProperty("status").GetInt32());
            Assert.Equal(code, example.GetProperty("code").GetString());
            Assert.Equal(Problems.TypePrefix + code, example.GetProperty("type").GetString());
        }
        var documented = examples.Select(e => e.Code).ToHashSet();
        Assert.Empty(RequiredCodes.Except(documented));
        Assert.Empty(ProblemCatalog.All.Select(c => c.Code).Except(documented));

        var codeSchema = document.GetProperty("components").GetProperty("schemas").GetProperty("Problem")
            .GetProperty("properties").GetProperty("code");
        Assert.Empty(RequiredCodes.Except(codeSchema.GetProperty("examples").EnumerateArray().Select(c => c.GetString()!)));
    }

    [Fact]
    public async Task Create_order_documents_its_body_idempotency_key_and_201_envelope()
    {
        await using var app = await TestApp.StartAsync(stack);
        var document = await DocumentAsync(app);
        var create = document.GetProperty("paths").GetProperty("/orders").GetProperty("post");

        var key = create.GetProperty("parameters").EnumerateArray().Single(p => p.GetProperty("name").GetString() == "Idempotency-Key");
        Assert.Equal("header", key.GetProperty("in").GetString());
        Assert.Equal(64, key.GetProperty("schema").GetProperty("maxLength").GetInt32());

        var body = create.GetProperty("requestBody").GetProperty("content").GetProperty("application/json");
        Assert.Equal(["email", "category_id"], PropertyNames(document, body.GetProperty("schema")));
        Assert.Equal(["email", "category_id"], body.GetProperty("examples").GetProperty("order").GetProperty("value")
            .EnumerateObject().Select(p => p.Name));

        var created = create.GetProperty("responses").GetProperty("201");
        Assert.True(created.GetProperty("headers").TryGetProperty("Location", out _));
        Assert.Equal(["data"], PropertyNames(document, created.GetProperty("content").GetProperty("application/json").GetProperty("schema")));

        var categories = document.GetProperty("paths").GetProperty("/categories").GetProperty("get").GetProperty("responses").GetProperty("200");
        Assert.True(categories.GetProperty("headers").TryGetProperty("Age", out _));
        Assert.True(categories.GetProperty("headers").TryGetProperty("X-Cache-Stale", out _));
    }

    [Fact]
    public async Task Real_responses_have_exactly_the_members_the_document_and_its_examples_show()
    {
        var category = await Sale.CreateCategoryAsync(stack.DataSource, seats: 5);
        await using var app = await TestApp.StartAsync(stack);
        var document = await DocumentAsync(app);
        var paths = document.GetProperty("paths");

        var createResponse = await app.PostOrderAsync(Sale.Email(), category);
        Assert.Equal(HttpStatusCode.Created, createResponse.StatusCode);
        var created = await TestApp.JsonAsync(createResponse);
        AssertShape(document, paths.GetProperty("/orders").GetProperty("post"), "201", created);

        var id = created.GetProperty("data").GetProperty("id").GetString()!;
        var fetched = await TestApp.JsonAsync(await app.Client.GetAsync($"/orders/{id}"));
        AssertShape(document, paths.GetProperty("/orders/{id}").GetProperty("get"), "200", fetched);

        var list = await TestApp.JsonAsync(await app.Client.GetAsync("/categories"));
        AssertShape(document, paths.GetProperty("/categories").GetProperty("get"), "200", list);

        var total = created.GetProperty("data").GetProperty("total").GetInt64();
        var settle = await app.Client.PostAsync("/payments/callback", Json(Notification(id, "200", $"{total}.00", LiveServers.ServerKey)));
        Assert.Equal(HttpStatusCode.OK, settle.StatusCode);
        AssertShape(document, paths.GetProperty("/payments/callback").GetProperty("post"), "200", await TestApp.JsonAsync(settle));

        // The documented notification example is what the callback reads: same members, signature included.
        var example = paths.GetProperty("/payments/callback").GetProperty("post").GetProperty("requestBody").GetProperty("content")
            .GetProperty("application/json").GetProperty("examples").GetProperty("settlement").GetProperty("value");
        Assert.Equal(MidtransSignature.Compute(example.GetProperty("order_id").GetString()!, "200",
            example.GetProperty("gross_amount").GetString()!, OpenApiExamples.LocalServerKey), example.GetProperty("signature_key").GetString());
        var notificationMembers = PropertyNames(document, paths.GetProperty("/payments/callback").GetProperty("post")
            .GetProperty("requestBody").GetProperty("content").GetProperty("application/json").GetProperty("schema"));
        Assert.Empty(example.EnumerateObject().Select(p => p.Name).Except(notificationMembers));
    }

    [Fact]
    public async Task Documented_problem_examples_match_real_problems()
    {
        var category = await Sale.CreateCategoryAsync(stack.DataSource, seats: 1);
        var roomy = await Sale.CreateCategoryAsync(stack.DataSource, seats: 5);
        await using var app = await TestApp.StartAsync(stack, "--Api:MaxRequestBodyBytes=1024");
        var examples = ProblemExamples(await DocumentAsync(app)).ToLookup(e => e.Code);
        var email = Sale.Email();
        var created = await TestApp.JsonAsync(await app.PostOrderAsync(email, category));
        var orderId = created.GetProperty("data").GetProperty("id").GetString()!;

        var cases = new (string Code, Func<Task<HttpResponseMessage>> Send)[]
        {
            ("validation_failed", () => app.Client.PostAsync("/orders", Json("""{"email":"nope","category_id":1}"""))),
            ("invalid_json", () => app.Client.PostAsync("/orders", Json("{"))),
            ("unsupported_media_type", () => app.Client.PostAsync("/orders", new StringContent("x", Encoding.UTF8, "text/plain"))),
            ("payload_too_large", () => app.Client.PostAsync("/orders", Json($$"""{"email":"{{new string('a', 1100)}}@example.com"}"""))),
            ("unknown_category", () => app.PostOrderAsync(Sale.Email(), int.MaxValue)),
            ("already_ordered", () => app.PostOrderAsync(email, category)),
            ("sold_out", () => app.PostOrderAsync(Sale.Email(), category)),
            ("idempotency_key_reused", async () =>
            {
                var key = Guid.NewGuid().ToString();
                Assert.Equal(HttpStatusCode.Created, (await app.PostOrderAsync(Sale.Email(), roomy, key)).StatusCode);
                return await app.PostOrderAsync(Sale.Email(), roomy, key);
            }),
            ("unknown_order", () => app.Client.GetAsync($"/orders/{Guid.NewGuid()}")),
            ("invalid_signature", () => app.Client.PostAsync("/payments/callback", Json(Notification(orderId, "200", "1000000.00", "wrong-key")))),
            ("amount_mismatch", () => app.Client.PostAsync("/payments/callback", Json(Notification(orderId, "200", "1.00", LiveServers.ServerKey)))),
            ("not_found", () => app.Client.GetAsync("/no-such-path")),
            ("method_not_allowed", () => app.Client.DeleteAsync("/categories")),
        };
        foreach (var (code, send) in cases)
        {
            var response = await send();
            var problem = await TestApp.JsonAsync(response);
            Assert.True(code == problem.GetProperty("code").GetString(), $"{code}: got {problem}");
            var documented = examples[code].Select(e => e.Example).ToList();
            Assert.True(documented.Count > 0, $"{code} has no example");
            var match = documented.FirstOrDefault(e => e.GetProperty("status").GetInt32() == (int)response.StatusCode);
            Assert.True(match.ValueKind == JsonValueKind.Object, $"{code}: status {(int)response.StatusCode} is not documented");
            Assert.Equal(match.GetProperty("title").GetString(), problem.GetProperty("title").GetString());
            Assert.Equal(match.GetProperty("type").GetString(), problem.GetProperty("type").GetString());
            Assert.Equal(match.TryGetProperty("errors", out _), problem.TryGetProperty("errors", out _));
            Assert.True(problem.TryGetProperty("trace_id", out _), $"{code} has no trace_id");
        }
    }

    [Fact]
    public async Task Problems_made_by_the_pipeline_match_their_examples()
    {
        // A stand-in for a bug, behind the same problem responses the app uses (rate limits are real: ProtectionTests).
        await using var app = await TestApp.StartAsync(stack, builder => builder.Services.AddSingleton<IStartupFilter>(new FailingPaths()));
        var examples = ProblemExamples(await DocumentAsync(app)).ToLookup(e => e.Code);

        foreach (var (path, code) in new[] { ("/test/bug", "internal_error") })
        {
            var response = await app.Client.GetAsync(path);
            var text = await response.Content.ReadAsStringAsync();
            Assert.DoesNotContain("a bug", text, StringComparison.Ordinal);
            Assert.DoesNotContain("   at ", text, StringComparison.Ordinal);
            var problem = await TestApp.JsonAsync(response);
            var example = examples[code].First().Example;
            Assert.Equal(example.GetProperty("status").GetInt32(), (int)response.StatusCode);
            Assert.Equal(code, problem.GetProperty("code").GetString());
            Assert.Equal(example.GetProperty("title").GetString(), problem.GetProperty("title").GetString());
        }
    }

    [Theory]
    [InlineData("Development", false, HttpStatusCode.OK)]
    [InlineData("Production", true, HttpStatusCode.OK)]
    [InlineData("Production", false, HttpStatusCode.NotFound)]
    public async Task The_reference_page_is_served_in_Development_or_when_enabled(string environment, bool enabled, HttpStatusCode expected)
    {
        await using var app = await TestApp.StartAsync(stack, $"--environment={environment}", $"--Api:Reference={enabled}");

        var page = await app.Client.GetAsync("/scalar/");
        var document = await app.Client.GetAsync("/openapi/v1.json");

        Assert.Equal(expected, page.StatusCode);
        Assert.Equal(HttpStatusCode.OK, document.StatusCode);
        if (expected == HttpStatusCode.OK)
        {
            var html = await page.Content.ReadAsStringAsync();
            Assert.Contains("Concert Ticket API", html, StringComparison.Ordinal);
            Assert.Contains("\"url\":\"openapi/v1.json\"", html, StringComparison.Ordinal);
            // The page's script is served by the app itself: the reference works without reaching a CDN.
            Assert.Equal(HttpStatusCode.OK, (await app.Client.GetAsync("/scalar/scalar.js")).StatusCode);
        }
    }

    private static async Task<JsonElement> DocumentAsync(TestApp app)
    {
        var response = await app.Client.GetAsync("/openapi/v1.json");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return await TestApp.JsonAsync(response);
    }

    /// <summary>Every problem example in the document: the operations' responses and the shared ones.</summary>
    private static IEnumerable<(int Status, string Code, JsonElement Example)> ProblemExamples(JsonElement document)
    {
        var responses = document.GetProperty("paths").EnumerateObject()
            .SelectMany(p => p.Value.EnumerateObject())
            .SelectMany(o => o.Value.GetProperty("responses").EnumerateObject())
            .Concat(document.GetProperty("components").GetProperty("responses").EnumerateObject());
        foreach (var response in responses)
        {
            if (!response.Value.TryGetProperty("content", out var content)
                || !content.TryGetProperty("application/problem+json", out var media)) continue;
            foreach (var example in media.GetProperty("examples").EnumerateObject())
            {
                var value = example.Value.GetProperty("value");
                yield return (value.GetProperty("status").GetInt32(), example.Name, value);
            }
        }
    }

    /// <summary>
    /// The real body's members are the schema's members, level by level, and so are those of every example of
    /// the response.
    /// </summary>
    private static void AssertShape(JsonElement document, JsonElement operation, string status, JsonElement actual)
    {
        var media = operation.GetProperty("responses").GetProperty(status).GetProperty("content").GetProperty("application/json");
        var schema = media.GetProperty("schema");
        AssertMembers(document, schema, actual, operation.GetProperty("operationId").GetString()!);
        foreach (var example in media.GetProperty("examples").EnumerateObject())
        {
            AssertMembers(document, schema, example.Value.GetProperty("value"), $"example '{example.Name}'");
        }
    }

    private static void AssertMembers(JsonElement document, JsonElement schema, JsonElement value, string where)
    {
        var resolved = Resolve(document, schema);
        switch (value.ValueKind)
        {
            case JsonValueKind.Object:
                var properties = resolved.GetProperty("properties");
                Assert.True(properties.EnumerateObject().Select(p => p.Name).SequenceEqual(value.EnumerateObject().Select(p => p.Name)),
                    $"{where}: documented [{string.Join(", ", properties.EnumerateObject().Select(p => p.Name))}], got {value}");
                foreach (var member in value.EnumerateObject())
                {
                    AssertMembers(document, properties.GetProperty(member.Name), member.Value, $"{where}.{member.Name}");
                }
                break;
            case JsonValueKind.Array:
                foreach (var item in value.EnumerateArray()) AssertMembers(document, resolved.GetProperty("items"), item, $"{where}[]");
                break;
        }
    }

    private static List<string> PropertyNames(JsonElement document, JsonElement schema) =>
        Resolve(document, schema).GetProperty("properties").EnumerateObject().Select(p => p.Name).ToList();

    /// <summary>Follows a $ref, or the non-null branch of a nullable oneOf.</summary>
    private static JsonElement Resolve(JsonElement document, JsonElement schema)
    {
        if (schema.TryGetProperty("$ref", out var reference))
        {
            var name = reference.GetString()!.Split('/')[^1];
            return Resolve(document, document.GetProperty("components").GetProperty("schemas").GetProperty(name));
        }
        if (schema.TryGetProperty("oneOf", out var oneOf))
        {
            return Resolve(document, oneOf.EnumerateArray().Single(s =>
                !(s.TryGetProperty("type", out var type) && type.ValueKind == JsonValueKind.String && type.GetString() == "null")));
        }
        return schema;
    }

    private static string NormalizePath(string pattern)
    {
        var path = "/" + RouteParameter().Replace(pattern, "{$1}").TrimStart('/');
        return path.Length > 1 ? path.TrimEnd('/') : path;
    }

    [GeneratedRegex(@"\{\*{0,2}([^}:=?]+)[^}]*\}")]
    private static partial Regex RouteParameter();

    private static StringContent Json(string body) => new(body, Encoding.UTF8, "application/json");

    private static string Notification(string orderId, string statusCode, string grossAmount, string key) => JsonSerializer.Serialize(new
    {
        order_id = orderId,
        status_code = statusCode,
        gross_amount = grossAmount,
        transaction_status = "settlement",
        fraud_status = "accept",
        transaction_id = Guid.NewGuid().ToString(),
        signature_key = MidtransSignature.Compute(orderId, statusCode, grossAmount, key),
    });

    private sealed class FailingPaths : IStartupFilter
    {
        public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
        {
            app.UseExceptionHandler();
            app.UseStatusCodePages();
            app.Use(async (context, following) =>
            {
                if (context.Request.Path == "/test/bug") throw new InvalidOperationException("a bug");
                else await following(context);
            });
            next(app);
        };
    }
}
