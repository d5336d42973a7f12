using ConcertTicket.Categories;
using ConcertTicket.Infrastructure;
using Microsoft.AspNetCore.Http.HttpResults;

namespace ConcertTicket.Concerts;

/// <summary>The public reads: what is on sale or coming, one concert, and its categories (the seed's shape).</summary>
internal static class ConcertEndpoints
{
    public static IHostApplicationBuilder AddConcerts(this IHostApplicationBuilder builder)
    {
        builder.Services.AddSingleton<ConcertStore>();
        builder.Services.AddSingleton<ConcertCatalog>();
        return builder;
    }

    public static IEndpointRouteBuilder MapConcerts(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/concerts").WithTags("Concerts");
        group.MapGet("/", ListAsync)
            .WithName("ListConcerts")
            .WithSummary("Concerts on sale and coming up (paused ones included), by start time")
            .WithDescription("Served from a copy refreshed every Categories:RefreshSeconds (3 s). Drafts and closed concerts are not listed.")
            .ProducesProblemCodes(StatusCodes.Status503ServiceUnavailable, "dependency_unavailable");
        group.MapGet("/{id:int}", GetAsync)
            .WithName("GetConcert")
            .WithSummary("A concert: its venue, start time, sale window and state")
            .ProducesProblemCodes(StatusCodes.Status404NotFound, "unknown_concert")
            .ProducesProblemCodes(StatusCodes.Status503ServiceUnavailable, "dependency_unavailable");
        group.MapGet("/{id:int}/categories", CategoriesAsync)
            .WithName("ListConcertCategories")
            .WithSummary("A concert's seat categories with their price and the number of seats still free")
            .WithDescription("The shape of GET /categories; `total` may lag sales by a few seconds.")
            .ProducesProblemCodes(StatusCodes.Status404NotFound, "unknown_concert")
            .ProducesProblemCodes(StatusCodes.Status503ServiceUnavailable, "dependency_unavailable");
        return app;
    }

    private static async Task<Ok<ConcertList>> ListAsync(ConcertCatalog catalog, CancellationToken ct) =>
        TypedResults.Ok(new ConcertList((await catalog.GetAsync(ct)).Listed));

    private static async Task<Results<Ok<ConcertEnvelope>, ProblemHttpResult>> GetAsync(int id, ConcertCatalog catalog, CancellationToken ct) =>
        (await catalog.GetAsync(ct)).ById.TryGetValue(id, out var entry)
            ? TypedResults.Ok(new ConcertEnvelope(entry.Concert))
            : UnknownConcert(id);

    private static async Task<Results<Ok<CategoryList>, ProblemHttpResult>> CategoriesAsync(int id, ConcertCatalog catalog, CancellationToken ct) =>
        (await catalog.GetAsync(ct)).ById.TryGetValue(id, out var entry)
            ? TypedResults.Ok(entry.Categories)
            : UnknownConcert(id);

    internal static ProblemHttpResult UnknownConcert(int id) =>
        Problems.Of(404, "unknown_concert", $"Concert {id} does not exist.");
}
