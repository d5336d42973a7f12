using System.Buffers;

namespace ConcertTicket.Infrastructure;

/// <summary>
/// Masks anything email-shaped in free text ('a***@example.com'), for the log formatter's safety net: the code masks
/// the emails it logs, this catches the ones that slip into exception messages or third-party log lines.
/// Errs towards masking: any run of address characters before an '@' followed by a dotted domain.
/// </summary>
internal static class SensitiveText
{
    private const string Mask = "***";

    // What EmailAddress accepts: printable ASCII except the RFC 5322 specials it rejects.
    private static readonly SearchValues<char> AddressChars = SearchValues.Create(
        "!#$%&'*+-./0123456789=?ABCDEFGHIJKLMNOPQRSTUVWXYZ^_`abcdefghijklmnopqrstuvwxyz{|}~");

    /// <summary>Room enough for <see cref="MaskEmails(ReadOnlySpan{char}, Span{char})"/>: a one-letter local part grows by the mask.</summary>
    public static int MaxMaskedLength(ReadOnlySpan<char> text) => text.Length + Mask.Length * text.Count('@');

    /// <summary>Copies <paramref name="text"/> to <paramref name="destination"/> with every email's local part masked.</summary>
    /// <returns>The number of characters written.</returns>
    public static int MaskEmails(ReadOnlySpan<char> text, Span<char> destination)
    {
        var written = 0;
        var copied = 0;
        var at = text.IndexOf('@');
        while (at >= 0)
        {
            var start = at;
            while (start > copied && AddressChars.Contains(text[start - 1])) start--;
            var end = at + 1;
            while (end < text.Length && AddressChars.Contains(text[end])) end++;
            var domain = text[(at + 1)..end].TrimEnd('.');
            if (start < at && domain.IndexOf('.') > 0)
            {
                text[copied..(start + 1)].CopyTo(destination[written..]);
                written += start + 1 - copied;
                Mask.CopyTo(destination[written..]);
                written += Mask.Length;
                copied = at;
            }
            var next = text[(at + 1)..].IndexOf('@');
            at = next < 0 ? -1 : at + 1 + next;
        }
        text[copied..].CopyTo(destination[written..]);
        return written + text.Length - copied;
    }

    public static string MaskEmails(string text)
    {
        if (!text.Contains('@', StringComparison.Ordinal)) return text;
        var buffer = new char[MaxMaskedLength(text)];
        return new string(buffer, 0, MaskEmails(text, buffer));
    }
}
