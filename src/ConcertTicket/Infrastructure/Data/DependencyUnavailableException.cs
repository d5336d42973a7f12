namespace ConcertTicket.Infrastructure;

/// <summary>PostgreSQL or Redis cannot be reached at start-up: the message names what was tried.</summary>
internal sealed class DependencyUnavailableException(string message, Exception? inner = null)
    : Exception(message, inner);
