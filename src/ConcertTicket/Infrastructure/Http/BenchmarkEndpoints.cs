using System.Text;

namespace ConcertTicket.Infrastructure;

/// <summary>
/// A constant answer of the same size as GET /categories, served by the same server: the ceiling that the benchmark
/// compares GET /categories with. Mapped only when Api:BenchmarkEndpoints is true.
/// </summary>
internal static class BenchmarkEndpoints
{
    private static readonly byte[] Constant = Encoding.UTF8.GetBytes(
        """{"data":[{"id":1,"name":"VIP","price":3800000,"total":15000},{"id":2,"name":"PLATINUM","price":3400000,"total":15000},{"id":3,"name":"CAT 1","price":2900000,"total":15000},{"id":4,"name":"CAT 2","price":2600000,"total":15000},{"id":5,"name":"CAT 3","price":2100000,"total":15000}]}""");

    public static IEndpointRouteBuilder MapBenchmarkEndpoints(this IEndpointRouteBuilder app, IConfiguration configuration)
    {
        if (configuration.GetValue<bool>("Api:BenchmarkEndpoints"))
        {
            app.MapGet("/bench/constant", () => TypedResults.Bytes(Constant, "application/json")).ExcludeFromDescription();
        }
        return app;
    }
}
