namespace ConcertTicket.Queue;

/// <summary>
/// When a POST /orders reached the service, stamped before any other middleware (an <see cref="IStartupFilter"/>),
/// so that the latency the admitter paces on includes the wait in the rate limiter's queue, as clients see it.
/// </summary>
internal sealed record OrderArrival(long Timestamp)
{
    public sealed class StartupFilter : IStartupFilter
    {
        public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
        {
            app.Use((context, nextMiddleware) =>
            {
                if (HttpMethods.IsPost(context.Request.Method) && context.Request.Path.StartsWithSegments("/orders"))
                {
                    context.Features.Set(new OrderArrival(System.Diagnostics.Stopwatch.GetTimestamp()));
                }
                return nextMiddleware(context);
            });
            next(app);
        };
    }
}
