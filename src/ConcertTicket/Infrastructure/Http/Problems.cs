using System.Diagnostics;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Http.HttpResults;
using Npgsql;
using StackExchange.Redis;

namespace ConcertTicket.Infrastructure;

/// <summary>
/// RFC 9457 problem responses. Every problem carries a stable machine-readable <c>code</c>; its <c>type</c> is
/// derived from it, so clients can branch on either.
/// </summary>
internal static class Problems
{
    public const string TypePrefix = "https://concert-ticket.dev/problems/";

    public static ProblemHttpResult Create(int status, string code, string title, string? detail = null,
        IDictionary<string, object?>? extensions = null)
    {
        var all = extensions is null ? new Dictionary<string, object?>() : new Dictionary<string, object?>(extensions);
        all["code"] = code;
        return TypedResults.Problem(detail, statusCode: status, title: title, type: TypePrefix + code, extensions: all);
    }

    /// <summary>A problem with the title <see cref="ProblemCatalog"/> gives its code: the one source of that text.</summary>
    public static ProblemHttpResult Of(int status, string code, string? detail, IDictionary<string, object?>? extensions = null) =>
        Create(status, code, ProblemCatalog.Get(code).Title, detail, extensions);

    public static ProblemHttpResult Validation(string detail, IDictionary<string, string[]> errors) =>
        Of(StatusCodes.Status400BadRequest, "validation_failed", detail,
            new Dictionary<string, object?> { ["errors"] = errors });

    /// <summary>Problem responses for errors the framework itself produces (404 route, 405, 415, 500 ...).</summary>
    public static IHostApplicationBuilder AddProblemResponses(this IHostApplicationBuilder builder)
    {
        builder.Services.AddProblemDetails(options => options.CustomizeProblemDetails = context =>
        {
            var problem = context.ProblemDetails;
            var status = problem.Status ?? context.HttpContext.Response.StatusCode;
            if (!problem.Extensions.ContainsKey("code"))
            {
                var code = status switch
                {
                    400 => "bad_request",
                    404 => "not_found",
                    405 => "method_not_allowed",
                    413 => "payload_too_large",
                    415 => "unsupported_media_type",
                    429 => "rate_limited",
                    503 => "service_unavailable",
                    _ when status >= 500 => "internal_error",
                    _ => "http_" + status,
                };
                problem.Extensions["code"] = code;
                problem.Type = TypePrefix + code;
            }
            problem.Extensions["trace_id"] = Activity.Current?.TraceId.ToString() ?? context.HttpContext.TraceIdentifier;
        });
        builder.Services.AddExceptionHandler<DependencyOutageHandler>();
        return builder;
    }

    /// <summary>
    /// A PostgreSQL or Redis outage is not a bug: the client gets a quick 503 with Retry-After, and the log a
    /// warning without a stack trace.
    /// </summary>
    private sealed class DependencyOutageHandler(IProblemDetailsService problems, ILogger<DependencyOutageHandler> logger)
        : IExceptionHandler
    {
        public async ValueTask<bool> TryHandleAsync(HttpContext context, Exception exception, CancellationToken ct)
        {
            var dependency = exception switch
            {
                NpgsqlException { IsTransient: true } or NpgsqlException { SqlState: null } => "PostgreSQL",
                PostgresException { SqlState: PostgresErrorCodes.AdminShutdown or PostgresErrorCodes.CannotConnectNow } => "PostgreSQL",
                PostgresTimeoutException => "PostgreSQL",
                RedisException => "Redis",
                TimeoutException => "a dependency",
                _ => null,
            };
            if (dependency is null) return false;
            logger.LogWarning("{Method} {Path} failed: {Dependency} is unavailable ({Reason})",
                context.Request.Method, context.Request.Path, dependency, exception.Message);
            context.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
            context.Response.Headers.RetryAfter = "2";
            return await problems.TryWriteAsync(new ProblemDetailsContext
            {
                HttpContext = context,
                Exception = exception,
                ProblemDetails =
                {
                    Status = 503,
                    Title = "The service is temporarily unavailable.",
                    Detail = $"{dependency} is not reachable right now; retry shortly.",
                    Type = TypePrefix + "dependency_unavailable",
                    Extensions = { ["code"] = "dependency_unavailable" },
                },
            });
        }
    }
}
