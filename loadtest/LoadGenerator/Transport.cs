using System.Net;
using System.Net.Sockets;

namespace LoadGenerator;

/// <summary>A connected TCP stream as <see cref="Http1Connection"/> uses it: one operation in flight at a time.</summary>
internal interface IStreamConnection : IDisposable
{
    /// <returns>How many bytes were sent (at least one).</returns>
    ValueTask<int> SendAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken);

    /// <returns>How many bytes were received; 0 at the end of the stream.</returns>
    ValueTask<int> ReceiveAsync(Memory<byte> buffer, CancellationToken cancellationToken);
}

/// <summary>Opens connections; a failed connect throws <see cref="SocketException"/>.</summary>
internal interface IConnector
{
    ValueTask<IStreamConnection> ConnectAsync(IPEndPoint endPoint, CancellationToken cancellationToken);
}

/// <summary>How loadgen does its socket I/O (<c>--io</c>).</summary>
internal enum IoEngine
{
    /// <summary>Its own epoll loops (Linux): <see cref="EpollLoop"/>.</summary>
    Epoll,

    /// <summary>.NET's <see cref="Socket"/> async methods, on any OS.</summary>
    Sockets,
}

/// <summary>The portable engine: .NET's sockets, whose completions come from the runtime's own epoll/kqueue/IOCP threads.</summary>
internal sealed class SocketConnector : IConnector
{
    public static readonly SocketConnector Instance = new();

    public async ValueTask<IStreamConnection> ConnectAsync(IPEndPoint endPoint, CancellationToken cancellationToken)
    {
        var socket = new Socket(endPoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(endPoint, cancellationToken);
            return new SocketStream(socket);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    private sealed class SocketStream(Socket socket) : IStreamConnection
    {
        public ValueTask<int> SendAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken) =>
            socket.SendAsync(buffer, SocketFlags.None, cancellationToken);

        public ValueTask<int> ReceiveAsync(Memory<byte> buffer, CancellationToken cancellationToken) =>
            socket.ReceiveAsync(buffer, SocketFlags.None, cancellationToken);

        public void Dispose() => socket.Dispose();
    }
}
