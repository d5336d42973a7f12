using System.Diagnostics.CodeAnalysis;

namespace ConcertTicket.Orders;

/// <summary>A fan's email: trimmed and lower-cased, so ' A@x.com' and 'a@x.com' are one fan.</summary>
internal static class EmailAddress
{
    public const int MaxLength = 254;

    public static bool TryNormalize(string? raw, [NotNullWhen(true)] out string? email, [NotNullWhen(false)] out string? error)
    {
        email = null;
        var value = raw?.Trim();
        if (string.IsNullOrEmpty(value))
        {
            error = "email is required.";
            return false;
        }
        if (value.Length > MaxLength)
        {
            error = $"email must be at most {MaxLength} characters.";
            return false;
        }
        var at = value.LastIndexOf('@');
        if (at <= 0 || at == value.Length - 1 || at > 64 || value.IndexOf('@') != at)
        {
            error = "email must look like name@example.com.";
            return false;
        }
        foreach (var c in value)
        {
            // Printable ASCII only: no spaces, control characters or look-alike Unicode in an identity key.
            if (c <= ' ' || c > '~' || c is '(' or ')' or '<' or '>' or ',' or ';' or ':' or '\\' or '"' or '[' or ']')
            {
                error = "email contains a character that is not allowed.";
                return false;
            }
        }
        var domain = value.AsSpan(at + 1);
        if (domain.IndexOf('.') <= 0 || domain.EndsWith(".") || domain.Contains("..", StringComparison.Ordinal))
        {
            error = "email must have a domain such as example.com.";
            return false;
        }
        email = value.ToLowerInvariant();
        error = null;
        return true;
    }

    /// <summary>For logs: the first letter and the domain, 'a***@example.com'.</summary>
    public static string Mask(string email)
    {
        var at = email.IndexOf('@');
        return at <= 0 ? "***" : string.Concat(email.AsSpan(0, 1), "***", email.AsSpan(at));
    }
}
