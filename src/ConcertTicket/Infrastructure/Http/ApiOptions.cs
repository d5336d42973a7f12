namespace ConcertTicket.Infrastructure;

internal sealed class ApiOptions
{
    public const string Section = "Api";

    /// <summary>Bodies larger than this get 413 without being read further.</summary>
    public int MaxRequestBodyBytes { get; set; } = 16 * 1024;

    /// <summary>Serves the Scalar reference page at /scalar outside Development too (it is always on in Development).</summary>
    public bool Reference { get; set; }

    /// <summary>
    /// Where /metrics, /health and /health/ready are served instead of the public URLs (e.g. http://127.0.0.1:9090;
    /// several separated by ';'). Unset: they are served on the public URLs.
    /// </summary>
    public string? ManagementUrls { get; set; }
}
