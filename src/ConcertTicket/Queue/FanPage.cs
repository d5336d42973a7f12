namespace ConcertTicket.Queue;

/// <summary>The fans' web page at / (wwwroot: plain HTML, CSS and JavaScript, no build step).</summary>
internal static class FanPage
{
    // The API's own policy allows nothing; the page may load its own scripts, styles and images and call the API.
    private const string PagePolicy =
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; " +
        "base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

    public static WebApplication UseFanPage(this WebApplication app)
    {
        app.UseDefaultFiles();
        app.UseStaticFiles(new StaticFileOptions
        {
            OnPrepareResponse = file =>
            {
                file.Context.Response.Headers.ContentSecurityPolicy = PagePolicy;
                file.Context.Response.Headers.CacheControl = "no-cache";
            },
        });
        return app;
    }
}
