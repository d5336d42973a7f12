namespace ConcertTicket.Admin;

internal sealed class AdminOptions
{
    public const string Section = "Admin";

    /// <summary>
    /// Admin API keys by name (Admin:ApiKeys:&lt;name&gt;=&lt;key&gt;): several at once, so a key can be rotated by adding the
    /// new one before removing the old. The name is what the audit records; the key is never logged. None: the admin
    /// API answers 401 to everything.
    /// </summary>
    public Dictionary<string, string> ApiKeys { get; set; } = [];

    /// <summary>How long the dashboard's shared snapshot is served before one query renews it.</summary>
    public int DashboardRefreshMilliseconds { get; set; } = 1000;

    public TimeSpan DashboardRefreshPeriod => TimeSpan.FromMilliseconds(DashboardRefreshMilliseconds);

    public IEnumerable<string> Validate()
    {
        foreach (var e in Infrastructure.OptionsValidation.Range("Admin:DashboardRefreshMilliseconds", DashboardRefreshMilliseconds, 100, 2000)) yield return e;
        foreach (var (name, key) in ApiKeys)
        {
            // A short key can be guessed; an empty one (a variable left blank) must not open the API.
            if (key.Length < 16) yield return $"Admin:ApiKeys:{name} must be at least 16 characters long.";
        }
    }
}
