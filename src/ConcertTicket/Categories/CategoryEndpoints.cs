using ConcertTicket.Infrastructure;
using Microsoft.AspNetCore.Http.HttpResults;
using OpenTelemetry.Metrics;

namespace ConcertTicket.Categories;

internal static class CategoryEndpoints
{
    public static IHostApplicationBuilder AddCategories(this IHostApplicationBuilder builder, bool withRefresher)
    {
        builder.Services.AddValidatedOptions<CategoriesOptions>(CategoriesOptions.Section,
            o => OptionsValidation.Range("Categories:RefreshSeconds", o.RefreshSeconds, 1, 3600));
        builder.Services.AddSingleton<CategoryQueries>();
        builder.Services.AddSingleton<CategoryCache>();
        if (withRefresher) builder.Services.AddHostedService<CategoryCacheRefresher>();
        builder.Services.AddSingleton<CategoryMetrics>();
        // Nothing else needs it, so the gauges come to life with the meter provider (when metrics are on).
        builder.Services.ConfigureOpenTelemetryMeterProvider(metrics =>
            metrics.AddInstrumentation(services => services.GetRequiredService<CategoryMetrics>()));
        return builder;
    }

    public static IEndpointRouteBuilder MapCategories(this IEndpointRouteBuilder app)
    {
        app.MapGet("/categories", ListAsync)
            .WithTags("Categories")
            .WithName("ListCategories")
            .WithOpenApiText(CategoriesOpenApi.ListCategories, CategoriesOpenApi.Schemas)
            .WithSummary("Seat categories with their price and the number of seats still free")
            .WithDescription("Served from a cache refreshed every Categories:RefreshSeconds (3 s), so `total` may lag sales by a few seconds; the order decides.")
            .Produces<CategoryList>()
            .ProducesProblemCodes(StatusCodes.Status503ServiceUnavailable, "categories_unavailable");
        return app;
    }

    internal const string StaleHeader = "X-Cache-Stale";

    private static async Task<Results<FileContentHttpResult, ProblemHttpResult>> ListAsync(
        CategoryCache cache, HttpContext context, CancellationToken ct)
    {
        var snapshot = await cache.GetAsync(ct);
        if (snapshot is null)
        {
            context.Response.Headers.RetryAfter = "2";
            return Problems.Of(StatusCodes.Status503ServiceUnavailable, "categories_unavailable", "Neither the cache nor the database can answer; retry shortly.");
        }
        var headers = context.Response.Headers;
        headers.Age = ((long)Math.Max(0, cache.AgeOf(snapshot).TotalSeconds)).ToString(System.Globalization.CultureInfo.InvariantCulture);
        if (snapshot.Stale) headers[StaleHeader] = "true";
        return TypedResults.Bytes(snapshot.Body, "application/json");
    }
}
