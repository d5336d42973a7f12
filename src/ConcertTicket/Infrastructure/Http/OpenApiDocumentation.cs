using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using ConcertTicket.Categories;
using ConcertTicket.Orders;
using ConcertTicket.Payments;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.Options;
using Microsoft.OpenApi;
using Scalar.AspNetCore;

namespace ConcertTicket.Infrastructure;

/// <summary>
/// The OpenAPI 3.1 document at /openapi/v1.json, generated from the endpoints and completed here (problem codes,
/// headers, examples, descriptions), and the Scalar reference page at /scalar.
/// </summary>
/// <remarks>
/// The document is served in every environment: it describes only what any client can already call, holds no
/// configuration or secret, and lets clients and gateways fetch the contract of the running version. The reference
/// page is a UI with a request console, so outside Development it needs <c>Api:Reference=true</c>.
/// </remarks>
internal static class OpenApiDocumentation
{
    public const string DocumentPath = "/openapi/v1.json";
    public const string ReferencePath = "/scalar";

    private static readonly Dictionary<Type, string> SchemaNames = new()
    {
        [typeof(CategoryList)] = "CategoryList",
        [typeof(CategoryView)] = "Category",
        [typeof(CreateOrderRequest)] = "CreateOrderRequest",
        [typeof(OrderEnvelope)] = "OrderResponse",
        [typeof(OrderView)] = "Order",
        [typeof(SeatView)] = "Seat",
        [typeof(MidtransTransaction)] = "MidtransNotification",
        [typeof(MidtransVaNumber)] = "MidtransVaNumber",
        [typeof(CallbackEnvelope)] = "CallbackResponse",
        [typeof(CallbackResult)] = "CallbackResult",
        [typeof(ProblemDetails)] = "Problem",
    };

    public static IHostApplicationBuilder AddApiDocumentation(this IHostApplicationBuilder builder)
    {
        // The web defaults read "3" as 3, so the generated schemas would allow strings for every number. No endpoint
        // binds a body through these options (bodies are parsed by hand or by AppJsonContext, both strict), so
        // strict handling changes no behaviour and keeps the document true.
        builder.Services.ConfigureHttpJsonOptions(o => o.SerializerOptions.NumberHandling = JsonNumberHandling.Strict);
        builder.Services.AddOpenApi(o =>
        {
            o.OpenApiVersion = OpenApiSpecVersion.OpenApi3_1;
            o.CreateSchemaReferenceId = type => SchemaNames.TryGetValue(type.Type, out var name)
                ? name
                : OpenApiOptions.CreateDefaultSchemaReferenceId(type);
            o.AddOperationTransformer(new OperationTransformer());
            o.AddDocumentTransformer(new DocumentTransformer());
        });
        return builder;
    }

    public static WebApplication MapApiDocumentation(this WebApplication app)
    {
        app.MapOpenApi();
        if (app.Environment.IsDevelopment() || app.Services.GetRequiredService<IOptions<ApiOptions>>().Value.Reference)
        {
            app.MapScalarApiReference(ReferencePath, o => o
                .WithTitle("Concert Ticket API")
                .WithDefaultHttpClient(ScalarTarget.Shell, ScalarClient.Curl));
        }
        return app;
    }

    /// <summary>Problem codes, headers and examples for each operation.</summary>
    private sealed class OperationTransformer : IOpenApiOperationTransformer
    {
        public Task TransformAsync(OpenApiOperation operation, OpenApiOperationTransformerContext context, CancellationToken ct)
        {
            operation.Responses ??= [];
            var problemSchema = operation.Responses.Values
                .SelectMany(r => r.Content ?? new Dictionary<string, OpenApiMediaType>())
                .FirstOrDefault(c => c.Key == "application/problem+json").Value?.Schema
                ?? new OpenApiSchemaReference(SchemaNames[typeof(ProblemDetails)], context.Document);
            var declared = context.Description.ActionDescriptor.EndpointMetadata.OfType<ProblemCodesMetadata>()
                .Select(m => (m.StatusCode, m.Codes))
                .Concat(ProblemCatalog.EveryOperation.Select(e => (StatusCode: e.Status, Codes: (IReadOnlyList<string>)[e.Code])));
            foreach (var (status, codes) in declared)
            {
                operation.Responses[status.ToString(System.Globalization.CultureInfo.InvariantCulture)] =
                    ProblemResponse(status, codes, problemSchema);
            }

            // Each feature's own text (Orders/OrdersOpenApi.cs, …), given with WithOpenApiText beside its MapXxx.
            foreach (var text in context.Description.ActionDescriptor.EndpointMetadata.OfType<OpenApiOperationText>())
            {
                text.Describe(operation);
            }

            // In status order, whatever order the metadata and the loop above added them in.
            var sorted = new OpenApiResponses();
            foreach (var (status, response) in operation.Responses.OrderBy(r => r.Key, StringComparer.Ordinal)) sorted[status] = response;
            operation.Responses = sorted;
            return Task.CompletedTask;
        }

        private static OpenApiResponse ProblemResponse(int status, IReadOnlyList<string> declaredCodes, IOpenApiSchema schema)
        {
            // Two features may declare the same code on one operation (sale_not_open: the concert's window and the queue).
            var codes = declaredCodes.Distinct(StringComparer.Ordinal).ToList();
            var lines = codes.Select(c => $"- `{c}`: {ProblemCatalog.Get(c).When}");
            var response = new OpenApiResponse
            {
                Description = $"{ReasonPhrases.GetReasonPhrase(status)}. `code` is one of:\n\n{string.Join('\n', lines)}",
                Content = new Dictionary<string, OpenApiMediaType>
                {
                    ["application/problem+json"] = new()
                    {
                        Schema = schema,
                        Examples = codes.ToDictionary(c => c, c => (IOpenApiExample)new OpenApiExample
                        {
                            Summary = ProblemCatalog.Get(c).Title,
                            Value = ProblemCatalog.Example(status, c),
                        }),
                    },
                },
            };
            if (codes.Any(c => c is "dependency_unavailable" or "categories_unavailable"))
            {
                response.Headers = new Dictionary<string, IOpenApiHeader>
                {
                    ["Retry-After"] = OpenApiText.Header(JsonSchemaType.Integer, "Seconds to wait before retrying.", 2),
                };
            }
            if (status == StatusCodes.Status405MethodNotAllowed)
            {
                response.Headers = new Dictionary<string, IOpenApiHeader>
                {
                    ["Allow"] = OpenApiText.Header(JsonSchemaType.String, "The methods this path takes.", "GET"),
                };
            }
            return response;
        }

    }

    /// <summary>The overview, the tags, the problem and health schemas; each feature's schema text.</summary>
    private sealed class DocumentTransformer : IOpenApiDocumentTransformer
    {
        public Task TransformAsync(OpenApiDocument document, OpenApiDocumentTransformerContext context, CancellationToken ct)
        {
            document.Info = new OpenApiInfo
            {
                Title = "Concert Ticket API",
                Version = "v1",
                Description = Overview,
            };
            document.Tags = new HashSet<OpenApiTag>
            {
                new() { Name = "Categories", Description = "What is on sale." },
                new() { Name = "Orders", Description = "Claiming a seat and following its payment." },
                new() { Name = "Payments", Description = "The payment gateway's notifications (server to server)." },
                new() { Name = "Health", Description = "Probes for load balancers and orchestrators." },
            };
            document.Components ??= new OpenApiComponents();
            document.Components.Schemas ??= new Dictionary<string, IOpenApiSchema>();
            var schemas = document.Components.Schemas;
            // Each feature's schema text (Orders/OrdersOpenApi.cs, …), given with WithOpenApiText beside its MapXxx.
            var described = new HashSet<Delegate>();
            foreach (var text in context.DescriptionGroups.SelectMany(g => g.Items)
                .SelectMany(d => d.ActionDescriptor.EndpointMetadata.OfType<OpenApiOperationText>()))
            {
                if (text.DescribeSchemas is { } describe && described.Add(describe)) describe(schemas);
            }
            if (schemas.TryGetValue(SchemaNames[typeof(ProblemDetails)], out var problem) && problem is OpenApiSchema p)
            {
                DescribeProblem(p);
            }
            schemas["HealthReport"] = HealthReport();

            document.Components.Responses ??= new Dictionary<string, IOpenApiResponse>();
            var problemReference = new OpenApiSchemaReference(SchemaNames[typeof(ProblemDetails)], document);
            document.Components.Responses["NotFound"] = PipelineProblem(404, "not_found", problemReference);
            document.Components.Responses["RateLimited"] = PipelineProblem(429, "rate_limited", problemReference);

            document.Paths ??= [];
            var healthReference = new OpenApiSchemaReference("HealthReport", document);
            document.Paths["/health"] = HealthPath(document, healthReference, "HealthLive",
                "Liveness: the process answers. Checks no dependency, so a PostgreSQL or Redis outage does not get the process restarted.",
                ready: false);
            document.Paths["/health/ready"] = HealthPath(document, healthReference, "HealthReady",
                "Readiness: PostgreSQL and Redis answer within 3 s each. 503 takes the instance out of a load balancer until they are back.",
                ready: true);
            return Task.CompletedTask;
        }

        private const string Overview = """
            Sells one concert's tickets: one ticket per email, a seat held while its Virtual Account is unpaid, and
            Midtrans's payment notifications to settle it.

            **Flow.** `GET /categories` lists what is on sale. `POST /orders` claims a seat and answers with a Virtual
            Account (`va_code`) to pay before `expires_at` (15 minutes unless configured). Midtrans notifies
            `POST /payments/callback` when the payment settles; `GET /orders/{id}` shows the order's status. An order
            not paid in time expires and its seat goes back on sale.

            **JSON.** Members are snake_case; amounts are whole rupiah (IDR); times are RFC 3339 with an offset.

            **Errors** are RFC 9457 problem documents (`application/problem+json`) with a stable `code` (the `type` is
            `https://concert-ticket.dev/problems/{code}`) and a `trace_id` to quote when reporting a problem. Each
            operation lists the codes it can answer with. Any path also answers `404 not_found` when no endpoint has
            it, and `405 method_not_allowed` for a method the path does not take. `POST /orders` is rate limited per client IP
            and per email (`429 rate_limited`) and by a concurrency limit with a bounded queue (`503 overloaded`), both
            with `Retry-After`. Clients should branch on `code`, and treat an unknown code by its
            HTTP status.

            **Operations.** Prometheus metrics are at `/metrics` (text format, not described here).
            """;

        /// <summary>The members Problems adds to RFC 9457's: the stable code, the trace id, and validation errors.</summary>
        private static void DescribeProblem(OpenApiSchema problem)
        {
            problem.Description = "An RFC 9457 problem document. Branch on `code`.";
            problem.Required = new HashSet<string> { "type", "title", "status", "code" };
            problem.Properties ??= new Dictionary<string, IOpenApiSchema>();
            // The service always writes these three, and never an instance.
            problem.Properties["type"] = new OpenApiSchema { Type = JsonSchemaType.String, Description = "`https://concert-ticket.dev/problems/` followed by the code." };
            problem.Properties["title"] = new OpenApiSchema { Type = JsonSchemaType.String, Description = "A short summary for people; may change, unlike `code`." };
            problem.Properties["status"] = new OpenApiSchema { Type = JsonSchemaType.Integer, Format = "int32", Description = "The HTTP status." };
            problem.Properties["detail"] = new OpenApiSchema { Type = JsonSchemaType.String, Description = "What happened this time, for people." };
            problem.Properties.Remove("instance");
            problem.Properties["code"] = new OpenApiSchema
            {
                Type = JsonSchemaType.String,
                Description = "The stable, machine-readable reason:\n\n"
                    + string.Join('\n', ProblemCatalog.All.Select(c => $"- `{c.Code}`: {c.When}"))
                    + "\n\nA status the service has no specific code for gets `bad_request`, `service_unavailable` or `http_{status}`.",
                Examples = ProblemCatalog.All.Select(c => (JsonNode)JsonValue.Create(c.Code)).ToList(),
            };
            problem.Properties["trace_id"] = new OpenApiSchema
            {
                Type = JsonSchemaType.String,
                Description = "The request's W3C trace id: quote it when reporting a problem; Jaeger finds the trace by it.",
            };
            problem.Properties["errors"] = new OpenApiSchema
            {
                Type = JsonSchemaType.Object,
                Description = "With `validation_failed` only: the messages for each invalid field or header.",
                AdditionalProperties = new OpenApiSchema
                {
                    Type = JsonSchemaType.Array,
                    Items = new OpenApiSchema { Type = JsonSchemaType.String },
                },
            };
        }

        private static OpenApiResponse PipelineProblem(int status, string code, IOpenApiSchema schema) => new()
        {
            Description = $"{ReasonPhrases.GetReasonPhrase(status)} (`{code}`): {ProblemCatalog.Get(code).When}",
            Content = new Dictionary<string, OpenApiMediaType>
            {
                ["application/problem+json"] = new()
                {
                    Schema = schema,
                    Examples = new Dictionary<string, IOpenApiExample>
                    {
                        [code] = new OpenApiExample { Summary = ProblemCatalog.Get(code).Title, Value = ProblemCatalog.Example(status, code) },
                    },
                },
            },
        };

        /// <summary>The body HealthChecks writes.</summary>
        private static OpenApiSchema HealthReport() => new()
        {
            Type = JsonSchemaType.Object,
            Description = "A health report.",
            Required = new HashSet<string> { "status", "total_duration_ms", "checks" },
            Properties = new Dictionary<string, IOpenApiSchema>
            {
                ["status"] = HealthStatus(),
                ["total_duration_ms"] = new OpenApiSchema { Type = JsonSchemaType.Number },
                ["checks"] = new OpenApiSchema
                {
                    Type = JsonSchemaType.Object,
                    Description = "One entry per check (`postgres`, `redis`); empty for /health.",
                    AdditionalProperties = new OpenApiSchema
                    {
                        Type = JsonSchemaType.Object,
                        Required = new HashSet<string> { "status", "duration_ms" },
                        Properties = new Dictionary<string, IOpenApiSchema>
                        {
                            ["status"] = HealthStatus(),
                            ["duration_ms"] = new OpenApiSchema { Type = JsonSchemaType.Number },
                            ["description"] = new OpenApiSchema { Type = JsonSchemaType.String, Description = "Where the dependency is, and what went wrong." },
                        },
                    },
                },
            },
        };

        private static OpenApiSchema HealthStatus() => new()
        {
            Type = JsonSchemaType.String,
            Enum = ["Healthy", "Degraded", "Unhealthy"],
        };

        private static OpenApiPathItem HealthPath(OpenApiDocument document, IOpenApiSchema schema, string operationId,
            string description, bool ready)
        {
            var responses = new OpenApiResponses
            {
                ["200"] = HealthResponse("Healthy.", schema, ready
                    ? new JsonObject
                    {
                        ["status"] = "Healthy",
                        ["total_duration_ms"] = 2.1,
                        ["checks"] = new JsonObject
                        {
                            ["postgres"] = new JsonObject { ["status"] = "Healthy", ["duration_ms"] = 1.8, ["description"] = "PostgreSQL at postgres:5432 (database concert_ticket, user postgres) answers" },
                            ["redis"] = new JsonObject { ["status"] = "Healthy", ["duration_ms"] = 0.6, ["description"] = "Redis at redis:6379 answers in 0.4 ms" },
                        },
                    }
                    : new JsonObject { ["status"] = "Healthy", ["total_duration_ms"] = 0.1, ["checks"] = new JsonObject() }),
            };
            if (ready) responses["503"] = HealthResponse("PostgreSQL or Redis does not answer.", schema, example: null);
            return new OpenApiPathItem
            {
                Operations = new Dictionary<HttpMethod, OpenApiOperation>
                {
                    [HttpMethod.Get] = new()
                    {
                        OperationId = operationId,
                        Summary = ready ? "Readiness probe" : "Liveness probe",
                        Description = description,
                        Tags = new HashSet<OpenApiTagReference> { new("Health", document) },
                        Responses = responses,
                    },
                },
            };
        }

        private static OpenApiResponse HealthResponse(string description, IOpenApiSchema schema, JsonNode? example) => new()
        {
            Description = description,
            Content = new Dictionary<string, OpenApiMediaType>
            {
                ["application/json"] = new() { Schema = schema, Example = example },
            },
        };
    }
}
