namespace ConcertTicket.Tests.Infrastructure;

/// <summary>Files of the repository that are not built into the service: scripts, requests.http.</summary>
internal static class Repository
{
    public static string Root { get; } = FindRoot();

    public static string PathOf(params string[] parts) => Path.Combine([Root, .. parts]);

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "ConcertTicket.slnx"))) return dir.FullName;
        }
        throw new InvalidOperationException("The repository root (ConcertTicket.slnx) is not above " + AppContext.BaseDirectory);
    }
}
