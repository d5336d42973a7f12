using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;

namespace ConcertTicket.Tickets;

/// <summary>The Tickets and Check-in parts of the OpenAPI document: their tags and the gates' bearer scheme.</summary>
internal static class TicketApiDocumentation
{
    public const string GateScheme = "GateToken";

    private static readonly string[] GatedPaths = ["/checkin", "/checkin/batch"];

    public static IServiceCollection AddTicketApiDocumentation(this IServiceCollection services)
    {
        // After the document's own transformer, which sets the tags it knows.
        services.PostConfigure<OpenApiOptions>("v1", o => o.AddDocumentTransformer((document, _, _) =>
        {
            document.Tags ??= new HashSet<OpenApiTag>();
            document.Tags.Add(new OpenApiTag { Name = "Tickets", Description = "The e-ticket of a paid order: its page, its QR code, the keys that verify it offline." });
            document.Tags.Add(new OpenApiTag { Name = "Check-in", Description = "Admitting tickets at the gates (gate staff, with a gate's bearer token)." });
            document.Components ??= new OpenApiComponents();
            document.Components.SecuritySchemes ??= new Dictionary<string, IOpenApiSecurityScheme>();
            document.Components.SecuritySchemes[GateScheme] = new OpenApiSecurityScheme
            {
                Type = SecuritySchemeType.Http,
                Scheme = "bearer",
                Description = "The token of a gate, configured as CheckIn:Gates:<gate name>.",
            };
            foreach (var path in GatedPaths)
            {
                if (document.Paths?.TryGetValue(path, out var item) != true || item!.Operations is null) continue;
                foreach (var operation in item.Operations.Values)
                {
                    operation.Security = [new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference(GateScheme, document)] = [] }];
                }
            }
            return Task.CompletedTask;
        }));
        return services;
    }
}
