using System.Text.Json.Nodes;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;

namespace ConcertTicket.Queue;

/// <summary>The waiting room's part of the OpenAPI document: its operations' examples, its schemas, the Admission-Token header.</summary>
internal static class QueueOpenApi
{
    private const string EntryId = "0193a0c4-7a1b-7c2d-8e3f-4a5b6c7d8e9f";

    public static IServiceCollection ConfigureQueueOpenApi(this IServiceCollection services)
    {
        // PostConfigure: after the document's own transformers, which set the tags this one adds to.
        services.PostConfigure<OpenApiOptions>("v1", o =>
        {
            o.AddOperationTransformer(new OperationTransformer());
            o.AddDocumentTransformer(new DocumentTransformer());
        });
        return services;
    }

    private static JsonObject Entry(string status, long? position, string? token = null, string? until = null) => new()
    {
        ["data"] = new JsonObject
        {
            ["id"] = EntryId,
            ["status"] = status,
            ["position"] = position,
            ["ahead"] = position - 1,
            ["estimated_wait_seconds"] = position is null ? (status == QueueStatus.Admitted ? 0 : null) : 25,
            ["poll_after_seconds"] = position is null ? 30 : 3,
            ["admission_token"] = token,
            ["admitted_until"] = until,
        },
    };

    private sealed class OperationTransformer : IOpenApiOperationTransformer
    {
        public Task TransformAsync(OpenApiOperation operation, OpenApiOperationTransformerContext context, CancellationToken ct)
        {
            switch (operation.OperationId)
            {
                case "JoinQueue":
                    if (operation.RequestBody is OpenApiRequestBody body)
                    {
                        body.Description = "The fan's email, normalised as for orders (one place per email).";
                        if (body.Content?.TryGetValue("application/json", out var media) == true)
                            media.Example = new JsonObject { ["email"] = "fan@example.com" };
                    }
                    Describe(operation, "201", "A new place. Poll `GET /queue/{id}` after `poll_after_seconds`.", Entry(QueueStatus.Waiting, 5000));
                    Describe(operation, "200", "This email already has a place: the same entry, never a better place.", Entry(QueueStatus.Waiting, 4870));
                    break;
                case "GetQueueEntry":
                    Describe(operation, "200",
                        "`waiting` (with `position`, `ahead` and `estimated_wait_seconds`), `admitted` (with `admission_token` for POST /orders and `admitted_until`), `sold_out` (nothing free and nothing held that could come back) or `expired` (admitted but not used in time). Ask again after `poll_after_seconds` (also in `Retry-After` while waiting).",
                        Entry(QueueStatus.Admitted, null, "AZOgxHobfC2OP0pbbH2On4AAAZO...ZmFuQGV4YW1wbGUuY29t.q8v...", "2026-12-01T10:10:00+00:00"));
                    break;
                case "GetQueue":
                    Describe(operation, "200", "The waiting room: `opens_at`, whether the sale is `open`, and whether it is `sold_out`.",
                        new JsonObject { ["data"] = new JsonObject { ["opens_at"] = "2026-12-01T10:00:00+00:00", ["open"] = true, ["sold_out"] = false } });
                    break;
                case "CreateOrder":
                    operation.Parameters ??= [];
                    operation.Parameters.Add(new OpenApiParameter
                    {
                        Name = QueueEndpoints.AdmissionTokenHeader,
                        In = ParameterLocation.Header,
                        Required = false,
                        Description = "Required when the sale has a waiting room (`Queue:Enabled`): the `admission_token` of the fan's admitted queue entry, for the same email. Without a valid one the answer is 401 `admission_required`; for another email 403 `admission_mismatch`; before `Queue:OpensAt` 409 `sale_not_open`.",
                        Schema = new OpenApiSchema { Type = JsonSchemaType.String },
                    });
                    break;
            }
            return Task.CompletedTask;
        }

        private static void Describe(OpenApiOperation operation, string status, string description, JsonNode example)
        {
            if (operation.Responses?.TryGetValue(status, out var found) != true || found is not OpenApiResponse response) return;
            response.Description = description;
            if (response.Content?.TryGetValue("application/json", out var media) == true) media.Example = example;
            if (status is "200" or "201" && operation.OperationId is "JoinQueue" or "GetQueueEntry")
            {
                response.Headers = new Dictionary<string, IOpenApiHeader>
                {
                    ["Retry-After"] = new OpenApiHeader
                    {
                        Description = "While waiting: seconds to wait before polling again (as `poll_after_seconds`).",
                        Schema = new OpenApiSchema { Type = JsonSchemaType.Integer },
                    },
                };
            }
        }
    }

    private sealed class DocumentTransformer : IOpenApiDocumentTransformer
    {
        private static readonly Dictionary<string, (string Schema, Dictionary<string, string> Members)> Descriptions = new()
        {
            ["QueueEntryEnvelope"] = ("A place in the waiting room.", new() { ["data"] = "The entry." }),
            ["QueueEntryView"] = ("A place in the waiting room.", new()
            {
                ["id"] = "The entry's id, for GET /queue/{id}.",
                ["status"] = "`waiting`, `admitted`, `sold_out` or `expired`.",
                ["position"] = "While waiting: 1 for the next fan to be admitted. Before the opening, the place drawn in the shuffle.",
                ["ahead"] = "While waiting: fans ahead in the line.",
                ["estimated_wait_seconds"] = "While waiting: seconds until admission at the current pace (plus the time to the opening).",
                ["poll_after_seconds"] = "Seconds to wait before asking again; grows with the place in the line.",
                ["admission_token"] = "Once admitted: send it as the `Admission-Token` header of POST /orders, with the same email.",
                ["admitted_until"] = "Once admitted: until when the admission (and its token) is valid.",
            }),
            ["JoinQueueRequest"] = ("The body of POST /queue.", new() { ["email"] = "The fan's email; trimmed and compared case-insensitively." }),
            ["QueueInfoEnvelope"] = ("The waiting room.", new() { ["data"] = "Its state." }),
            ["QueueInfo"] = ("The waiting room's state.", new()
            {
                ["opens_at"] = "When the sale opens (`Queue:OpensAt`); null when no opening time is set.",
                ["open"] = "Whether the sale is open now.",
                ["sold_out"] = "Whether every category is sold out (nothing free, nothing held).",
            }),
        };

        public Task TransformAsync(OpenApiDocument document, OpenApiDocumentTransformerContext context, CancellationToken ct)
        {
            document.Tags ??= new HashSet<OpenApiTag>();
            document.Tags.Add(new OpenApiTag
            {
                Name = "Queue",
                Description = "The waiting room in front of POST /orders when `Queue:Enabled`: join, poll, get an admission token.",
            });
            if (document.Components?.Schemas is not { } schemas) return Task.CompletedTask;
            foreach (var (name, (description, members)) in Descriptions)
            {
                if (!schemas.TryGetValue(name, out var found) || found is not OpenApiSchema schema) continue;
                schema.Description = description;
                foreach (var (member, text) in members)
                {
                    if (schema.Properties?.TryGetValue(member, out var property) != true) continue;
                    switch (property)
                    {
                        case OpenApiSchema inline: inline.Description = text; break;
                        case OpenApiSchemaReference reference: reference.Description = text; break;
                    }
                    if (name == "QueueEntryView" && member == "status" && property is OpenApiSchema status)
                        status.Enum = QueueStatus.All.Select(v => (JsonNode)JsonValue.Create(v)).ToList();
                }
            }
            return Task.CompletedTask;
        }
    }
}
