namespace ConcertTicket.CheckIn;

/// <summary>Check-in: one bearer token per gate, CheckIn:Gates:&lt;gate name&gt;.</summary>
internal sealed class CheckInOptions
{
    public const string Section = "CheckIn";

    public const int MinTokenLength = 16;

    public Dictionary<string, string> Gates { get; set; } = new(StringComparer.Ordinal);

    public IEnumerable<string> Validate()
    {
        foreach (var (gate, token) in Gates)
        {
            if (gate.Length is 0 or > 64) yield return $"CheckIn:Gates:{gate} must be named with 1 to 64 characters.";
            if (token is null || token.Length < MinTokenLength)
                yield return $"CheckIn:Gates:{gate} must be a token of at least {MinTokenLength} characters.";
        }
    }
}
