using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;

namespace ConcertTicket.Admin;

/// <summary>
/// The OpenAPI document's security: the admin API's bearer scheme on every /admin operation, <c>security: []</c>
/// (no credentials) on every other one, and server URLs without a trailing slash (Redocly's recommended rules).
/// </summary>
internal static class AdminOpenApi
{
    public const string Scheme = "adminKey";

    /// <summary>Registered after AddApiDocumentation, so that it runs after the document's own transformer.</summary>
    public static IHostApplicationBuilder AddAdminApiDocumentation(this IHostApplicationBuilder builder)
    {
        builder.Services.Configure<OpenApiOptions>("v1", o => o.AddDocumentTransformer(new Transformer()));
        return builder;
    }

    private sealed class Transformer : IOpenApiDocumentTransformer
    {
        public Task TransformAsync(OpenApiDocument document, OpenApiDocumentTransformerContext context, CancellationToken ct)
        {
            document.Components ??= new OpenApiComponents();
            document.Components.SecuritySchemes ??= new Dictionary<string, IOpenApiSecurityScheme>();
            document.Components.SecuritySchemes[Scheme] = new OpenApiSecurityScheme
            {
                Type = SecuritySchemeType.Http,
                Scheme = "bearer",
                Description = "An admin API key from `Admin:ApiKeys:<name>`, sent as `Authorization: Bearer <key>`.",
            };
            document.Tags ??= new HashSet<OpenApiTag>();
            document.Tags.Add(new OpenApiTag { Name = "Concerts", Description = "The concerts on sale and coming up." });
            document.Tags.Add(new OpenApiTag { Name = "Admin", Description = "The organiser's API: concerts, their sale, orders and refunds (bearer key)." });
            foreach (var (path, item) in document.Paths ?? [])
            {
                foreach (var operation in item.Operations?.Values ?? Enumerable.Empty<OpenApiOperation>())
                {
                    // An operation another feature secured (the gates' POST /checkin) keeps its scheme; the rest are public.
                    if (path.StartsWith("/admin", StringComparison.Ordinal))
                        operation.Security = [new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference(Scheme, document)] = [] }];
                    else if (operation.Security is not { Count: > 0 })
                        operation.Security = [];
                }
            }
            // concert_id appears in GET /categories only while several concerts exist; the seed's one-concert answer,
            // which the document's examples and clients rely on, has exactly id, name, price and total.
            if (document.Components.Schemas?.TryGetValue("Category", out var found) == true && found is OpenApiSchema category)
            {
                category.Properties?.Remove("concert_id");
                category.Description += " With several concerts, GET /categories also gives each category's `concert_id`.";
            }
            foreach (var server in document.Servers ?? [])
            {
                if (server.Url is { Length: > 1 } url && url.EndsWith('/')) server.Url = url.TrimEnd('/');
            }
            return Task.CompletedTask;
        }
    }
}
