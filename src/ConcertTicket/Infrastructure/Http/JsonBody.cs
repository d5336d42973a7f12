using System.Buffers;
using System.Text.Json;
using System.Text.Unicode;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;

namespace ConcertTicket.Infrastructure;

/// <summary>Reads a small JSON request body, answering the client's mistakes with a problem instead of an exception.</summary>
internal static class JsonBody
{
    public static async Task<(JsonDocument? Document, ProblemHttpResult? Problem)> ReadAsync(
        HttpRequest request, IOptions<ApiOptions> options, CancellationToken ct)
    {
        if (!IsJson(request.ContentType))
        {
            return (null, Problems.Create(415, "unsupported_media_type", "The body must be JSON.",
                "Send Content-Type: application/json."));
        }
        var limit = options.Value.MaxRequestBodyBytes;
        if (request.ContentLength > limit) return (null, TooLarge(limit));

        var buffer = ArrayPool<byte>.Shared.Rent(Math.Min(limit + 1, 4096));
        try
        {
            var length = 0;
            while (true)
            {
                if (length == buffer.Length)
                {
                    if (length > limit) return (null, TooLarge(limit));
                    var bigger = ArrayPool<byte>.Shared.Rent(Math.Min(limit + 1, buffer.Length * 2));
                    buffer.AsSpan(0, length).CopyTo(bigger);
                    ArrayPool<byte>.Shared.Return(buffer);
                    buffer = bigger;
                }
                var read = await request.Body.ReadAsync(buffer.AsMemory(length), ct);
                if (read == 0) break;
                length += read;
            }
            if (length > limit) return (null, TooLarge(limit));
            if (length == 0) return (null, Problems.Create(400, "invalid_json", "The body is empty.", "Send a JSON object."));
            // The reader checks structure, not the bytes inside strings: invalid UTF-8 there would throw later, when a
            // name or value is decoded (InvalidOperationException, a 500), so the whole body is checked here first.
            if (!Utf8.IsValid(buffer.AsSpan(0, length)))
            {
                return (null, Problems.Of(400, "invalid_json", "The body is not valid UTF-8."));
            }
            try
            {
                // The document keeps a reference to its input, so it gets its own copy of the (small) body.
                var document = JsonDocument.Parse(buffer.AsSpan(0, length).ToArray(), new JsonDocumentOptions { MaxDepth = 16 });
                if (document.RootElement.ValueKind != JsonValueKind.Object)
                {
                    document.Dispose();
                    return (null, Problems.Create(400, "invalid_json", "The body must be a JSON object.", null));
                }
                return (document, null);
            }
            catch (JsonException e)
            {
                return (null, Problems.Of(400, "invalid_json", e.Message));
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    public static bool IsJson(string? contentType) =>
        contentType is not null
        && (contentType.StartsWith("application/json", StringComparison.OrdinalIgnoreCase)
            || (contentType.StartsWith("application/", StringComparison.OrdinalIgnoreCase)
                && contentType.Contains("+json", StringComparison.OrdinalIgnoreCase)));

    private static ProblemHttpResult TooLarge(int limit) =>
        Problems.Of(413, "payload_too_large", $"At most {limit} bytes are accepted.");
}
