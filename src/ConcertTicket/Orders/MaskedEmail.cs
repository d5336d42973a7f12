namespace ConcertTicket.Orders;

/// <summary>An email as a log template argument: masked only when a line is actually written.</summary>
internal readonly struct MaskedEmail(string email)
{
    public override string ToString() => EmailAddress.Mask(email);
}
