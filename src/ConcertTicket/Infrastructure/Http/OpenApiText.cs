using System.Text.Json.Nodes;
using Microsoft.OpenApi;

namespace ConcertTicket.Infrastructure;

/// <summary>
/// Endpoint metadata: how a feature completes its operation's OpenAPI text (descriptions, examples, headers) and,
/// optionally, the text of the schemas its operations use.
/// </summary>
internal sealed record OpenApiOperationText(Action<OpenApiOperation> Describe, Action<IDictionary<string, IOpenApiSchema>>? DescribeSchemas);

/// <summary>
/// Lets each feature keep its endpoints' OpenAPI text beside them (Orders/OrdersOpenApi.cs, …); the document's
/// operation transformer applies it after the problem responses. Helpers for the common parts.
/// </summary>
internal static class OpenApiText
{
    public static TBuilder WithOpenApiText<TBuilder>(this TBuilder endpoint, Action<OpenApiOperation> describe,
        Action<IDictionary<string, IOpenApiSchema>>? schemas = null)
        where TBuilder : IEndpointConventionBuilder =>
        endpoint.WithMetadata(new OpenApiOperationText(describe, schemas));

    /// <summary>Describes a component schema and its members (members the schema lacks are skipped).</summary>
    public static void Schema(IDictionary<string, IOpenApiSchema> schemas, string name, string description,
        Dictionary<string, string>? members = null)
    {
        if (!schemas.TryGetValue(name, out var found) || found is not OpenApiSchema schema) return;
        schema.Description = description;
        foreach (var (member, text) in members ?? [])
        {
            if (schema.Properties?.TryGetValue(member, out var property) != true) continue;
            switch (property)
            {
                case OpenApiSchema inline: inline.Description = text; break;
                case OpenApiSchemaReference reference: reference.Description = text; break;
            }
        }
    }

    public static void Enum(IDictionary<string, IOpenApiSchema> schemas, string schemaName, string member, IEnumerable<string> values)
    {
        if (schemas.TryGetValue(schemaName, out var found) && found is OpenApiSchema schema
            && schema.Properties?.TryGetValue(member, out var property) == true && property is OpenApiSchema inline)
        {
            inline.Enum = values.Select(v => (JsonNode)JsonValue.Create(v)).ToList();
        }
    }

    public static void Body(OpenApiOperation operation, string description, params (string Name, JsonNode Value)[] examples)
    {
        if (operation.RequestBody is not OpenApiRequestBody body) return;
        body.Description = description;
        if (body.Content?.TryGetValue("application/json", out var media) == true) media.Examples = Examples(examples);
    }

    public static OpenApiResponse Success(OpenApiOperation operation, string status, string description,
        params (string Name, JsonNode Value)[] examples)
    {
        if (operation.Responses?.TryGetValue(status, out var found) != true || found is not OpenApiResponse response)
            throw new InvalidOperationException($"{operation.OperationId} has no {status} response to describe.");
        response.Description = description;
        if (response.Content?.TryGetValue("application/json", out var media) == true) media.Examples = Examples(examples);
        return response;
    }

    public static OpenApiParameter? Parameter(OpenApiOperation operation, string name) =>
        operation.Parameters?.OfType<OpenApiParameter>().FirstOrDefault(p => p.Name == name);

    public static OpenApiHeader Header(JsonSchemaType type, string description, JsonNode example) => new()
    {
        Description = description,
        Schema = new OpenApiSchema { Type = type },
        Example = example,
    };

    private static Dictionary<string, IOpenApiExample> Examples((string Name, JsonNode Value)[] examples) =>
        examples.ToDictionary(e => e.Name, e => (IOpenApiExample)new OpenApiExample { Value = e.Value });
}
