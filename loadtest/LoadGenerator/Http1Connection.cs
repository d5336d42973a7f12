using System.Buffers.Text;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace LoadGenerator;

/// <summary>The outcome of one exchange; the body is in <see cref="Http1Connection.Body"/> until the next one.</summary>
internal readonly record struct Http1Response(short Status, Failure Failure, int BodyLength);

/// <summary>
/// One VU's HTTP/1.1 client: a single keep-alive connection, as k6 gives each VU. It replaces the shared
/// SocketsHttpHandler, whose per-request objects, header collections and pool bookkeeping cost the client
/// about twice wrk's CPU per request, CPU taken from the server under test on a shared machine. Plain HTTP
/// only, one request in flight, reusable buffers: no allocation per request once the buffers have grown.
/// Not thread-safe: only its VU uses it.
/// </summary>
internal sealed class Http1Connection(IReadOnlyList<IPEndPoint> endPoints, IConnector connector) : IDisposable
{
    private const int MaxLine = 64 * 1024;

    private IStreamConnection? _socket;
    private int _preferredEndPoint;
    private byte[] _buffer = new byte[4096];
    private int _start;
    private int _end;
    private long _received;
    private byte[] _body = new byte[4096];
    private int _bodyLength;

    /// <summary>The body of the last response.</summary>
    public ReadOnlySpan<byte> Body => _body.AsSpan(0, _bodyLength);

    /// <summary>
    /// Sends <paramref name="request"/> (a whole HTTP/1.1 request) and reads the response. Failures are
    /// returned; cancellation (timeout or hard stop) throws and closes the connection, whose state is then unknown.
    /// </summary>
    public async ValueTask<Http1Response> SendAsync(ReadOnlyMemory<byte> request, CancellationToken cancellationToken)
    {
        _bodyLength = 0;
        if (_start != _end)
        {
            // Bytes nobody asked for: the server and this client disagree on where the last response ended.
            Close();
        }

        while (true)
        {
            var reused = _socket is not null;
            if (!reused && !await ConnectAsync(cancellationToken))
            {
                return new Http1Response(0, Failure.ConnectFailed, 0);
            }

            _received = 0;
            try
            {
                var socket = _socket!;
                for (var sent = 0; sent < request.Length;)
                {
                    sent += await socket.SendAsync(request[sent..], cancellationToken);
                }

                return await ReadResponseAsync(socket, cancellationToken);
            }
            catch (OperationCanceledException)
            {
                Close();
                throw;
            }
            catch (Exception e) when (e is SocketException or IOException or InvalidDataException)
            {
                Close();
                cancellationToken.ThrowIfCancellationRequested();
                if (e is InvalidDataException)
                {
                    return new Http1Response(0, Failure.Protocol, 0);
                }

                // The server closed a keep-alive connection while it was idle (the send may still succeed):
                // retry once on a new connection, as HttpClient does. A fresh connection is not retried.
                if (reused && _received == 0)
                {
                    continue;
                }

                return new Http1Response(0, Failure.ConnectionClosed, 0);
            }
        }
    }

    public void Dispose() => Close();

    private void Close()
    {
        _socket?.Dispose();
        _socket = null;
        _start = _end = 0;
    }

    private async ValueTask<bool> ConnectAsync(CancellationToken cancellationToken)
    {
        for (var i = 0; i < endPoints.Count; i++)
        {
            var index = (_preferredEndPoint + i) % endPoints.Count;
            IStreamConnection socket;
            try
            {
                socket = await connector.ConnectAsync(endPoints[index], cancellationToken);
            }
            catch (SocketException)
            {
                continue;
            }

            _socket = socket;
            _preferredEndPoint = index;
            _start = _end = 0;
            return true;
        }

        return false;
    }

    private async ValueTask<Http1Response> ReadResponseAsync(IStreamConnection socket, CancellationToken cancellationToken)
    {
        Head head;
        do
        {
            var length = await ReadHeadAsync(socket, cancellationToken);
            head = ParseHead(_buffer.AsSpan(_start, length));
            _start += length;
        }
        while (head.Status < 200);

        var closeAfter = head.Close;
        if (head.Status is 204 or 304)
        {
            _bodyLength = 0;
        }
        else if (head.Chunked)
        {
            await ReadChunkedAsync(socket, cancellationToken);
        }
        else if (head.ContentLength >= 0)
        {
            EnsureBody(head.ContentLength);
            await ReadBodyBytesAsync(socket, head.ContentLength, cancellationToken);
        }
        else
        {
            // Neither a length nor chunked: the body ends when the server closes the connection.
            while (_start < _end || await FillAsync(socket, cancellationToken))
            {
                EnsureBody(_bodyLength + _end - _start);
                await ReadBodyBytesAsync(socket, _end - _start, cancellationToken);
            }

            closeAfter = true;
        }

        if (closeAfter)
        {
            Close();
        }

        return new Http1Response(head.Status, Failure.None, _bodyLength);
    }

    /// <summary>Reads up to the blank line that ends a response head; returns its length from _start, CRLFCRLF included.</summary>
    private async ValueTask<int> ReadHeadAsync(IStreamConnection socket, CancellationToken cancellationToken)
    {
        var searched = 0;
        while (true)
        {
            var unread = _buffer.AsSpan(_start, _end - _start);
            var end = unread[searched..].IndexOf("\r\n\r\n"u8);
            if (end >= 0)
            {
                return searched + end + 4;
            }

            searched = Math.Max(0, unread.Length - 3);
            if (!await FillAsync(socket, cancellationToken))
            {
                throw new EndOfStreamException("the connection closed before the end of the response head");
            }
        }
    }

    /// <summary>Reads one CRLF-terminated line; returns its length from _start without the CRLF (not consumed).</summary>
    private async ValueTask<int> ReadLineAsync(IStreamConnection socket, CancellationToken cancellationToken)
    {
        var searched = 0;
        while (true)
        {
            var unread = _buffer.AsSpan(_start, _end - _start);
            var end = unread[searched..].IndexOf("\r\n"u8);
            if (end >= 0)
            {
                return searched + end;
            }

            searched = Math.Max(0, unread.Length - 1);
            if (!await FillAsync(socket, cancellationToken))
            {
                throw new EndOfStreamException("the connection closed inside a chunked body");
            }
        }
    }

    private async ValueTask ReadChunkedAsync(IStreamConnection socket, CancellationToken cancellationToken)
    {
        while (true)
        {
            var lineLength = await ReadLineAsync(socket, cancellationToken);
            var size = ParseChunkSize(_buffer.AsSpan(_start, lineLength));
            _start += lineLength + 2;
            if (size == 0)
            {
                break;
            }

            if (size > Array.MaxLength - _bodyLength)
            {
                throw new InvalidDataException("chunked body too large");
            }

            EnsureBody(_bodyLength + (int)size);
            await ReadBodyBytesAsync(socket, (int)size, cancellationToken);
            if (await ReadLineAsync(socket, cancellationToken) != 0)
            {
                throw new InvalidDataException("chunk data longer than its size");
            }

            _start += 2;
        }

        // Trailer fields, which nothing here uses, up to the blank line.
        int trailerLength;
        while ((trailerLength = await ReadLineAsync(socket, cancellationToken)) != 0)
        {
            if (_buffer.AsSpan(_start, trailerLength).IndexOf((byte)':') <= 0)
            {
                throw new InvalidDataException("malformed trailer field");
            }

            _start += trailerLength + 2;
        }

        _start += 2;
    }

    /// <summary>Appends <paramref name="count"/> body bytes to _body (sized by the caller), buffered first.</summary>
    private async ValueTask ReadBodyBytesAsync(IStreamConnection socket, int count, CancellationToken cancellationToken)
    {
        while (true)
        {
            var take = Math.Min(count, _end - _start);
            _buffer.AsSpan(_start, take).CopyTo(_body.AsSpan(_bodyLength));
            _start += take;
            _bodyLength += take;
            count -= take;
            if (count == 0)
            {
                return;
            }

            // A large remainder goes straight into the body buffer; a small one through _buffer, with what follows.
            if (count >= _buffer.Length)
            {
                var read = await socket.ReceiveAsync(_body.AsMemory(_bodyLength, count), cancellationToken);
                if (read == 0)
                {
                    throw new EndOfStreamException("the connection closed inside the body");
                }

                _received += read;
                _bodyLength += read;
                count -= read;
                if (count == 0)
                {
                    return;
                }
            }
            else if (!await FillAsync(socket, cancellationToken))
            {
                throw new EndOfStreamException("the connection closed inside the body");
            }
        }
    }

    /// <summary>Receives more bytes after _end, making room first; false at end of stream.</summary>
    private async ValueTask<bool> FillAsync(IStreamConnection socket, CancellationToken cancellationToken)
    {
        if (_start == _end)
        {
            _start = _end = 0;
        }
        else if (_end == _buffer.Length)
        {
            if (_start > 0)
            {
                _buffer.AsSpan(_start, _end - _start).CopyTo(_buffer);
                _end -= _start;
                _start = 0;
            }
            else if (_buffer.Length >= MaxLine)
            {
                throw new InvalidDataException("response head or chunk line too long");
            }
            else
            {
                Array.Resize(ref _buffer, _buffer.Length * 2);
            }
        }

        var read = await socket.ReceiveAsync(_buffer.AsMemory(_end), cancellationToken);
        _received += read;
        _end += read;
        return read > 0;
    }

    private void EnsureBody(int length)
    {
        if (length > _body.Length)
        {
            Array.Resize(ref _body, (int)Math.Min(Array.MaxLength, Math.Max(length, 2L * _body.Length)));
        }
    }

    /// <summary>Parses a status line and header fields (CRLF line ends, the head's final CRLFCRLF included).</summary>
    internal static Head ParseHead(ReadOnlySpan<byte> head)
    {
        var lineEnd = head.IndexOf("\r\n"u8);
        var statusLine = head[..lineEnd];

        // HTTP/1.x SP 3DIGIT [SP reason]
        if (statusLine.Length < 12 || !statusLine.StartsWith("HTTP/1."u8) || !char.IsAsciiDigit((char)statusLine[7])
            || statusLine[8] != ' ' || !IsDigits(statusLine.Slice(9, 3)) || (statusLine.Length > 12 && statusLine[12] != ' '))
        {
            throw new InvalidDataException("malformed status line");
        }

        var status = (short)(((statusLine[9] - '0') * 100) + ((statusLine[10] - '0') * 10) + (statusLine[11] - '0'));
        if (status is < 100 or 101)
        {
            throw new InvalidDataException("unexpected status code");
        }

        var http10 = statusLine[7] == '0';
        var close = http10;
        var chunked = false;
        var transferEncoding = false;
        long contentLength = -1;
        var rest = head[(lineEnd + 2)..];
        while (true)
        {
            lineEnd = rest.IndexOf("\r\n"u8);
            var line = rest[..lineEnd];
            rest = rest[(lineEnd + 2)..];
            if (line.IsEmpty)
            {
                break;
            }

            var colon = line.IndexOf((byte)':');
            if (colon <= 0 || line[colon - 1] is (byte)' ' or (byte)'\t' || line[0] is (byte)' ' or (byte)'\t')
            {
                throw new InvalidDataException("malformed header field");
            }

            var name = line[..colon];
            var value = line[(colon + 1)..].Trim(" \t"u8);
            if (Ascii.EqualsIgnoreCase(name, "Content-Length"u8))
            {
                if (!IsDigits(value) || !Utf8Parser.TryParse(value, out long parsed, out _)
                    || parsed > Array.MaxLength || (contentLength >= 0 && contentLength != parsed))
                {
                    throw new InvalidDataException("bad Content-Length");
                }

                contentLength = parsed;
            }
            else if (Ascii.EqualsIgnoreCase(name, "Transfer-Encoding"u8))
            {
                // Only the final coding decides: chunked ends the body, anything else reads until close.
                transferEncoding = true;
                chunked = Ascii.EqualsIgnoreCase(LastToken(value), "chunked"u8);
            }
            else if (Ascii.EqualsIgnoreCase(name, "Connection"u8))
            {
                foreach (var range in value.Split((byte)','))
                {
                    var token = value[range].Trim(" \t"u8);
                    if (Ascii.EqualsIgnoreCase(token, "close"u8))
                    {
                        close = true;
                    }
                    else if (http10 && Ascii.EqualsIgnoreCase(token, "keep-alive"u8))
                    {
                        close = false;
                    }
                }
            }
        }

        // With a transfer coding, Content-Length is meaningless and the connection not reusable (RFC 9112 6.3).
        if (transferEncoding)
        {
            close |= contentLength >= 0 || !chunked;
            contentLength = -1;
        }

        return new Head(status, (int)contentLength, chunked, close);
    }

    /// <summary>chunk-size [ chunk-ext ]: hex digits, then optional whitespace and ;name=value extensions.</summary>
    internal static long ParseChunkSize(ReadOnlySpan<byte> line)
    {
        long size = 0;
        var i = 0;
        for (; i < line.Length; i++)
        {
            var digit = HexValue(line[i]);
            if (digit < 0)
            {
                break;
            }

            size = (size << 4) | (uint)digit;
            if (size > Array.MaxLength)
            {
                throw new InvalidDataException("chunk too large");
            }
        }

        var after = line[i..].TrimStart(" \t"u8);
        if (i == 0 || !(after.IsEmpty || after[0] == ';'))
        {
            throw new InvalidDataException("malformed chunk size");
        }

        return size;
    }

    private static int HexValue(byte b) => b switch
    {
        >= (byte)'0' and <= (byte)'9' => b - '0',
        >= (byte)'a' and <= (byte)'f' => b - 'a' + 10,
        >= (byte)'A' and <= (byte)'F' => b - 'A' + 10,
        _ => -1,
    };

    private static bool IsDigits(ReadOnlySpan<byte> text) => !text.IsEmpty && !text.ContainsAnyExceptInRange((byte)'0', (byte)'9');

    private static ReadOnlySpan<byte> LastToken(ReadOnlySpan<byte> value)
    {
        var comma = value.LastIndexOf((byte)',');
        return value[(comma + 1)..].Trim(" \t"u8);
    }

    internal readonly record struct Head(short Status, int ContentLength, bool Chunked, bool Close);
}

/// <summary>Builds the requests' bytes: the constant part once per run, the per-request part into a VU's buffer.</summary>
internal static class Http1Request
{
    /// <summary>A whole GET request, sent as it is.</summary>
    public static byte[] Get(Uri uri) =>
        Encoding.ASCII.GetBytes($"GET {uri.PathAndQuery} HTTP/1.1\r\nHost: {uri.Host}:{uri.Port}\r\n\r\n");

    /// <summary>A POST request up to the Content-Length value, which <see cref="WritePost"/> completes.</summary>
    public static byte[] PostHead(Uri uri) =>
        Encoding.ASCII.GetBytes(
            $"POST {uri.PathAndQuery} HTTP/1.1\r\nHost: {uri.Host}:{uri.Port}\r\nContent-Type: application/json\r\nContent-Length: ");

    /// <summary>Writes head + length + CRLFCRLF + body into <paramref name="buffer"/> (grown if needed); returns the length.</summary>
    public static int WritePost(ref byte[] buffer, ReadOnlySpan<byte> head, ReadOnlySpan<byte> body)
    {
        var needed = head.Length + 10 + 4 + body.Length;
        if (buffer.Length < needed)
        {
            buffer = new byte[Math.Max(needed, buffer.Length * 2)];
        }

        head.CopyTo(buffer);
        Utf8Formatter.TryFormat(body.Length, buffer.AsSpan(head.Length), out var digits);
        var at = head.Length + digits;
        "\r\n\r\n"u8.CopyTo(buffer.AsSpan(at));
        body.CopyTo(buffer.AsSpan(at + 4));
        return at + 4 + body.Length;
    }
}
