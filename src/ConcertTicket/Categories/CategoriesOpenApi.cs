using System.Text.Json;
using System.Text.Json.Nodes;
using ConcertTicket.Infrastructure;
using Microsoft.OpenApi;

namespace ConcertTicket.Categories;

/// <summary>GET /categories in the OpenAPI document: what the answer and its headers mean, with an example.</summary>
internal static class CategoriesOpenApi
{
    public static void ListCategories(OpenApiOperation operation)
    {
        var list = OpenApiText.Success(operation, "200", "The categories, ordered by id.", ("categories", Categories()));
        list.Headers = new Dictionary<string, IOpenApiHeader>
        {
            ["Age"] = OpenApiText.Header(JsonSchemaType.Integer, "Seconds since the list was computed from PostgreSQL (RFC 9111 Age).", 1),
            [CategoryEndpoints.StaleHeader] = OpenApiText.Header(JsonSchemaType.String,
                "Present, with the value `true`, only when the list may be out of date: no refresher renewed it for three periods, or Redis is unreachable and the answer is this instance's last copy (or was read from PostgreSQL directly).",
                "true"),
        };
    }

    public static void Schemas(IDictionary<string, IOpenApiSchema> schemas)
    {
        OpenApiText.Schema(schemas, "CategoryList", "The seat categories of the sale.", new() { ["data"] = "Ordered by id." });
        OpenApiText.Schema(schemas, "Category", "A seat category.", new()
        {
            ["id"] = "The id to order with (`category_id`).",
            ["name"] = "The category's name, such as VIP.",
            ["price"] = "The price of one ticket, in whole rupiah (IDR).",
            ["total"] = "Seats still free (a few seconds old at most; the original service's name). An order may still find it sold out.",
        });
    }

    private static JsonNode Categories() => JsonSerializer.SerializeToNode(new CategoryList(
        [
            new CategoryView(1, "VIP", OpenApiExamples.VipPrice, 14_873),
            new CategoryView(2, "PLATINUM", 3_400_000, 15_000),
            new CategoryView(3, "CAT 1", 2_900_000, 0),
        ]), AppJsonContext.Default.CategoryList)!;
}
