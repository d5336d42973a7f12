namespace ConcertTicket.Admin;

/// <summary>
/// The live dashboard's page at /admin/: static files embedded in the assembly (wwwroot/admin), no build step. The
/// page itself needs no key; it asks for one and sends it to the admin API. Its Content-Security-Policy allows the
/// page's own script and styles and requests to this origin, nothing else.
/// </summary>
internal static class AdminPage
{
    public const string ContentSecurityPolicy =
        "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; " +
        "base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

    private static readonly (string Path, string Resource, string ContentType)[] Files =
    [
        ("/admin/", "admin/index.html", "text/html; charset=utf-8"),
        ("/admin/dashboard.js", "admin/dashboard.js", "text/javascript; charset=utf-8"),
        ("/admin/dashboard.css", "admin/dashboard.css", "text/css; charset=utf-8"),
    ];

    public static void Map(IEndpointRouteBuilder app)
    {
        foreach (var (path, resource, contentType) in Files)
        {
            var body = Read(resource);
            app.MapGet(path, (HttpContext context) =>
            {
                // Protection sets a policy that allows nothing on every response; the page needs its own files.
                context.Response.Headers.ContentSecurityPolicy = ContentSecurityPolicy;
                context.Response.Headers.CacheControl = "no-cache";
                return TypedResults.Bytes(body, contentType);
            }).ExcludeFromDescription();
        }
    }

    private static byte[] Read(string resource)
    {
        using var stream = typeof(AdminPage).Assembly.GetManifestResourceStream(resource)
            ?? throw new InvalidOperationException($"The embedded file {resource} is missing from the build.");
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    }
}
