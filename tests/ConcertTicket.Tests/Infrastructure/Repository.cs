namespace ConcertTicket.Tests.Infrastructure;

/// <summary>Files of the repository that are not built into the service: scripts, requests.http.</summary>
internal static class Repository
{
    public static string Root { get; } = FindRoot();

    public static string PathOf(params string[] parts) => Path.Combine([Root, .. parts]);

    /// <summary>
    /// Where a browser test saves a screenshot: docs/images/ when CONCERT_TICKET_SCREENSHOTS=docs (to renew the docs'
    /// pictures), else a temporary folder, so that a test run leaves the work tree as it was.
    /// </summary>
    public static string ScreenshotPath(string fileName)
    {
        var folder = Environment.GetEnvironmentVariable("CONCERT_TICKET_SCREENSHOTS") == "docs"
            ? PathOf("docs", "images")
            : Path.Combine(Path.GetTempPath(), "concert-ticket-screenshots");
        Directory.CreateDirectory(folder);
        return Path.Combine(folder, fileName);
    }

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "ConcertTicket.slnx"))) return dir.FullName;
        }
        throw new InvalidOperationException("The repository root (ConcertTicket.slnx) is not above " + AppContext.BaseDirectory);
    }
}
