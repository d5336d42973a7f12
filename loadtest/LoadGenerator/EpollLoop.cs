using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Threading.Tasks.Sources;

namespace LoadGenerator;

/// <summary>
/// One event-loop thread over its own epoll instance, owning the connections of the VUs assigned to it, the way
/// wrk runs one loop per thread. A VU's awaits complete on this thread and its code runs here until its next
/// socket operation, so a request costs its send, its recv and a share of one epoll_wait. .NET's socket engine
/// adds a recv tried before each wait (which, right after a request is sent, finds nothing) and its bookkeeping:
/// a third more client CPU per request, CPU taken from the server under test on a shared machine
/// (loadtest/README.md). Linux on x64 or arm64 only; elsewhere loadgen uses .NET's sockets.
/// </summary>
internal sealed class EpollLoop : IConnector, IDisposable
{
    private const int MaxEvents = 256;
    private const ulong WakeData = ulong.MaxValue;

    private readonly int _epoll;
    private readonly int _wake;
    private readonly Thread _thread;
    private readonly ConcurrentQueue<(Action<object?> Action, object? State)> _posted = new();
    private readonly List<EpollConnection?> _connections = [];
    private readonly Stack<int> _freeSlots = new();
    private int _wakePending;
    private volatile bool _stopping;
    private int _generation;

    public EpollLoop(string name)
    {
        if (!IsSupported)
        {
            throw new PlatformNotSupportedException("the epoll engine needs Linux on x64 or arm64");
        }

        _epoll = Libc.Check(Libc.epoll_create1(Libc.EPOLL_CLOEXEC), "epoll_create1");
        _wake = Libc.Check(Libc.eventfd(0, Libc.EFD_CLOEXEC | Libc.EFD_NONBLOCK), "eventfd");
        Control(Libc.EPOLL_CTL_ADD, _wake, Libc.EPOLLIN, WakeData);
        _thread = new Thread(Run) { Name = name, IsBackground = true };
        _thread.Start();
    }

    public static bool IsSupported =>
        OperatingSystem.IsLinux() && RuntimeInformation.ProcessArchitecture is Architecture.X64 or Architecture.Arm64;

    /// <summary>True on the loop's own thread, where connections may be used directly.</summary>
    public bool IsCurrent => Thread.CurrentThread == _thread;

    /// <summary>Runs <paramref name="action"/> on the loop thread, soon; from any thread.</summary>
    public unsafe void Post(Action<object?> action, object? state)
    {
        _posted.Enqueue((action, state));
        if (Interlocked.Exchange(ref _wakePending, 1) == 0)
        {
            ulong one = 1;
            Libc.write(_wake, &one, sizeof(ulong));
        }
    }

    /// <summary><c>await loop.Enter()</c> continues on the loop thread.</summary>
    public LoopAwaitable Enter() => new(this);

    public async ValueTask<IStreamConnection> ConnectAsync(IPEndPoint endPoint, CancellationToken cancellationToken)
    {
        await Enter();
        cancellationToken.ThrowIfCancellationRequested();
        var socket = new Socket(endPoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true, Blocking = false };
        var connected = false;
        try
        {
            socket.Connect(endPoint);
            connected = true;
        }
        catch (SocketException e) when (e.SocketErrorCode is SocketError.WouldBlock or SocketError.InProgress)
        {
            // Non-blocking: the handshake goes on; the socket turns writable when it is done, or failed.
        }
        catch
        {
            socket.Dispose();
            throw;
        }

        var connection = new EpollConnection(this, socket);
        Register(connection);
        if (!connected)
        {
            try
            {
                await connection.ConnectedAsync(cancellationToken);
            }
            catch
            {
                connection.Dispose();
                throw;
            }
        }

        return connection;
    }

    public void Dispose()
    {
        _stopping = true;
        Post(static _ => { }, null);
        _thread.Join();
        Libc.close(_wake);
        Libc.close(_epoll);
    }

    internal void Unregister(EpollConnection connection)
    {
        Control(Libc.EPOLL_CTL_DEL, connection.Fd, 0, 0);
        _connections[connection.Slot] = null;
        _freeSlots.Push(connection.Slot);
    }

    private void Register(EpollConnection connection)
    {
        var slot = _freeSlots.Count > 0 ? _freeSlots.Pop() : _connections.Count;
        if (slot == _connections.Count)
        {
            _connections.Add(null);
        }

        _connections[slot] = connection;
        connection.Slot = slot;
        connection.Generation = ++_generation;

        // Edge-triggered: one registration for the connection's life, an event only when something changes.
        Control(Libc.EPOLL_CTL_ADD, connection.Fd, Libc.EPOLLIN | Libc.EPOLLOUT | Libc.EPOLLRDHUP | Libc.EPOLLET,
            ((ulong)(uint)connection.Generation << 32) | (uint)slot);
    }

    private unsafe void Control(int operation, int fd, uint events, ulong data)
    {
        // struct epoll_event is packed on x64 (12 bytes), naturally aligned on arm64 (16 bytes).
        var ev = stackalloc byte[16];
        *(uint*)ev = events;
        *(ulong*)(ev + DataOffset) = data;
        Libc.Check(Libc.epoll_ctl(_epoll, operation, fd, ev), "epoll_ctl");
    }

    private static int EventSize => RuntimeInformation.ProcessArchitecture == Architecture.X64 ? 12 : 16;

    private static int DataOffset => RuntimeInformation.ProcessArchitecture == Architecture.X64 ? 4 : 8;

    private unsafe void Run()
    {
        var size = EventSize;
        var events = (byte*)NativeMemory.Alloc((nuint)(MaxEvents * size));
        try
        {
            while (!_stopping)
            {
                var count = Libc.epoll_wait(_epoll, events, MaxEvents, -1);
                if (count < 0)
                {
                    if (Marshal.GetLastPInvokeError() == Libc.EINTR)
                    {
                        continue;
                    }

                    Libc.Check(count, "epoll_wait");
                }

                for (var i = 0; i < count; i++)
                {
                    var ev = events + (i * size);
                    var data = *(ulong*)(ev + DataOffset);
                    if (data == WakeData)
                    {
                        ulong ignored;
                        Libc.read(_wake, &ignored, sizeof(ulong));
                        Volatile.Write(ref _wakePending, 0);
                        continue;
                    }

                    var slot = (int)(uint)data;
                    if (slot < _connections.Count && _connections[slot] is { } connection
                        && (uint)connection.Generation == (uint)(data >> 32))
                    {
                        Guard(static (c, e) => c.OnEvents(e), connection, *(uint*)ev);
                    }
                }

                while (_posted.TryDequeue(out var work))
                {
                    Guard(static (a, s) => a.Action(s), work, work.State);
                }
            }

            foreach (var connection in _connections.ToArray())
            {
                connection?.Dispose();
            }
        }
        finally
        {
            NativeMemory.Free(events);
        }
    }

    /// <summary>The VUs' code runs inside these calls; their async methods keep their own exceptions, so this is a backstop.</summary>
    private static void Guard<TTarget, TArg>(Action<TTarget, TArg> action, TTarget target, TArg argument)
    {
        try
        {
            action(target, argument);
        }
        catch (Exception e)
        {
            Console.Error.WriteLine($"loadgen: unexpected error on an I/O loop: {e}");
        }
    }

    internal readonly struct LoopAwaitable(EpollLoop loop) : ICriticalNotifyCompletion
    {
        public LoopAwaitable GetAwaiter() => this;

        public bool IsCompleted => loop.IsCurrent;

        public void GetResult()
        {
        }

        public void OnCompleted(Action continuation) => loop.Post(static c => ((Action)c!)(), continuation);

        public void UnsafeOnCompleted(Action continuation) => OnCompleted(continuation);
    }
}

/// <summary>
/// A non-blocking socket on an <see cref="EpollLoop"/>. Its state is touched only on the loop thread; a call from
/// another thread first moves there. Completions run the awaiting code inline, on the loop thread.
/// </summary>
internal sealed class EpollConnection : IStreamConnection, IValueTaskSource<int>
{
    private enum Operation { None, Connect, Send, Receive }

    private readonly EpollLoop _loop;
    private readonly Socket _socket;
    private ManualResetValueTaskSourceCore<int> _source; // continuations run synchronously: on the loop thread
    private Operation _pending;
    private ReadOnlyMemory<byte> _sendBuffer;
    private Memory<byte> _receiveBuffer;
    private CancellationToken _token;
    private CancellationTokenRegistration _registration;

    // What the edges reported and no call has used up yet.
    private bool _readable;
    private bool _writable;
    private bool _peerClosed;
    private bool _disposed;

    public EpollConnection(EpollLoop loop, Socket socket)
    {
        _loop = loop;
        _socket = socket;
        Fd = (int)socket.Handle;
    }

    internal int Fd { get; }

    internal int Slot { get; set; }

    internal int Generation { get; set; }

    public ValueTask<int> SendAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken)
    {
        if (!_loop.IsCurrent)
        {
            return OnLoopAsync(this, static (c, b, t) => c.SendAsync(b, t), buffer, cancellationToken);
        }

        if (!TryStart(cancellationToken))
        {
            return ValueTask.FromCanceled<int>(cancellationToken);
        }

        var sent = TrySend(buffer.Span);
        if (sent >= 0)
        {
            return new ValueTask<int>(sent);
        }

        _sendBuffer = buffer;
        return Pend(Operation.Send, cancellationToken);
    }

    public ValueTask<int> ReceiveAsync(Memory<byte> buffer, CancellationToken cancellationToken)
    {
        if (!_loop.IsCurrent)
        {
            return OnLoopAsync(this, static (c, b, t) => c.ReceiveAsync(b, t), buffer, cancellationToken);
        }

        if (!TryStart(cancellationToken))
        {
            return ValueTask.FromCanceled<int>(cancellationToken);
        }

        // Only when an edge said so: right after a request, the answer is not there yet and a recv is wasted.
        if (_readable)
        {
            var received = TryReceive(buffer.Span);
            if (received >= 0)
            {
                return new ValueTask<int>(received);
            }
        }

        _receiveBuffer = buffer;
        return Pend(Operation.Receive, cancellationToken);
    }

    /// <summary>Waits for the non-blocking connect to finish; throws <see cref="SocketException"/> when it failed.</summary>
    internal ValueTask<int> ConnectedAsync(CancellationToken cancellationToken)
    {
        if (!TryStart(cancellationToken))
        {
            return ValueTask.FromCanceled<int>(cancellationToken);
        }

        return _writable ? new ValueTask<int>(ConnectResult()) : Pend(Operation.Connect, cancellationToken);
    }

    public void Dispose()
    {
        if (!_loop.IsCurrent)
        {
            _loop.Post(static c => ((EpollConnection)c!).Dispose(), this);
            return;
        }

        if (_disposed)
        {
            return;
        }

        _disposed = true;
        _loop.Unregister(this);
        _socket.Dispose();
        if (_pending != Operation.None)
        {
            Complete(0, new ObjectDisposedException(nameof(EpollConnection)));
        }
    }

    /// <summary>Called by the loop with what an edge reported.</summary>
    internal void OnEvents(uint events)
    {
        if ((events & (Libc.EPOLLIN | Libc.EPOLLRDHUP | Libc.EPOLLHUP | Libc.EPOLLERR)) != 0)
        {
            _readable = true;
        }

        if ((events & (Libc.EPOLLRDHUP | Libc.EPOLLHUP | Libc.EPOLLERR)) != 0)
        {
            _peerClosed = true;
        }

        if ((events & (Libc.EPOLLOUT | Libc.EPOLLHUP | Libc.EPOLLERR)) != 0)
        {
            _writable = true;
        }

        try
        {
            switch (_pending)
            {
                case Operation.Receive when _readable:
                    var received = TryReceive(_receiveBuffer.Span);
                    if (received >= 0)
                    {
                        Complete(received, null);
                    }

                    break;
                case Operation.Send when _writable:
                    var sent = TrySend(_sendBuffer.Span);
                    if (sent >= 0)
                    {
                        Complete(sent, null);
                    }

                    break;
                case Operation.Connect when _writable:
                    Complete(ConnectResult(), null);
                    break;
            }
        }
        catch (SocketException e)
        {
            Complete(0, e);
        }
    }

    int IValueTaskSource<int>.GetResult(short token) => _source.GetResult(token);

    ValueTaskSourceStatus IValueTaskSource<int>.GetStatus(short token) => _source.GetStatus(token);

    void IValueTaskSource<int>.OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
        _source.OnCompleted(continuation, state, token, flags);

    private static async ValueTask<int> OnLoopAsync<TBuffer>(EpollConnection connection,
        Func<EpollConnection, TBuffer, CancellationToken, ValueTask<int>> operation, TBuffer buffer, CancellationToken cancellationToken)
    {
        await connection._loop.Enter();
        return await operation(connection, buffer, cancellationToken);
    }

    /// <returns>False when the token is already cancelled.</returns>
    private bool TryStart(CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_pending != Operation.None)
        {
            throw new InvalidOperationException("one operation at a time on a connection");
        }

        return !cancellationToken.IsCancellationRequested;
    }

    private ValueTask<int> Pend(Operation operation, CancellationToken cancellationToken)
    {
        _pending = operation;
        _token = cancellationToken;
        _source.Reset();
        if (cancellationToken.CanBeCanceled)
        {
            // Timer threads cancel: the completion itself happens on the loop thread, if still pending then.
            _registration = cancellationToken.UnsafeRegister(static (state, token) =>
            {
                var connection = (EpollConnection)state!;
                connection._loop.Post(static s =>
                {
                    var (c, t) = ((EpollConnection, CancellationToken))s!;
                    if (c._pending != Operation.None && c._token == t)
                    {
                        c.Complete(0, new OperationCanceledException(t));
                    }
                }, (connection, token));
            }, this);
        }

        return new ValueTask<int>(this, _source.Version);
    }

    private void Complete(int result, Exception? error)
    {
        _pending = Operation.None;
        _sendBuffer = default;
        _receiveBuffer = default;
        _token = default;
        _registration.Unregister();
        _registration = default;
        if (error is null)
        {
            _source.SetResult(result);
        }
        else
        {
            _source.SetException(error);
        }
    }

    /// <returns>Bytes sent, or -1 when the socket's buffer is full (wait for an edge).</returns>
    private unsafe int TrySend(ReadOnlySpan<byte> buffer)
    {
        nint sent;
        fixed (byte* bytes = buffer)
        {
            sent = Libc.send(Fd, bytes, buffer.Length, Libc.MSG_DONTWAIT | Libc.MSG_NOSIGNAL);
        }

        if (sent >= 0)
        {
            return (int)sent;
        }

        var errno = Marshal.GetLastPInvokeError();
        if (errno == Libc.EAGAIN)
        {
            _writable = false;
            return -1;
        }

        throw Libc.SocketError(errno);
    }

    /// <returns>Bytes received (0 at the end of the stream), or -1 when there is nothing (wait for an edge).</returns>
    private unsafe int TryReceive(Span<byte> buffer)
    {
        nint received;
        fixed (byte* bytes = buffer)
        {
            received = Libc.recv(Fd, bytes, buffer.Length, Libc.MSG_DONTWAIT);
        }

        if (received > 0)
        {
            // A short read drained the socket and new bytes bring a new edge; but an end of stream that came with
            // the last bytes brings none, so once the peer has closed, every read goes to the socket (it returns 0).
            if (received < buffer.Length && !_peerClosed)
            {
                _readable = false;
            }

            return (int)received;
        }

        if (received == 0)
        {
            return 0;
        }

        var errno = Marshal.GetLastPInvokeError();
        if (errno == Libc.EAGAIN)
        {
            _readable = false;
            return -1;
        }

        throw Libc.SocketError(errno);
    }

    private int ConnectResult()
    {
        var error = (int)_socket.GetSocketOption(SocketOptionLevel.Socket, SocketOptionName.Error)!;
        return error == 0 ? 0 : throw new SocketException((int)SocketError.ConnectionRefused);
    }
}

/// <summary>The few libc calls the epoll engine makes (Linux numbering).</summary>
internal static unsafe partial class Libc
{
    public const int EPOLL_CLOEXEC = 0x80000;
    public const int EPOLL_CTL_ADD = 1;
    public const int EPOLL_CTL_DEL = 2;
    public const uint EPOLLIN = 0x1;
    public const uint EPOLLOUT = 0x4;
    public const uint EPOLLERR = 0x8;
    public const uint EPOLLHUP = 0x10;
    public const uint EPOLLRDHUP = 0x2000;
    public const uint EPOLLET = 1u << 31;
    public const int EFD_CLOEXEC = 0x80000;
    public const int EFD_NONBLOCK = 0x800;
    public const int MSG_DONTWAIT = 0x40;
    public const int MSG_NOSIGNAL = 0x4000;
    public const int EINTR = 4;
    public const int EAGAIN = 11;

    [LibraryImport("libc", SetLastError = true)]
    public static partial int epoll_create1(int flags);

    [LibraryImport("libc", SetLastError = true)]
    public static partial int epoll_ctl(int epfd, int op, int fd, byte* ev);

    [LibraryImport("libc", SetLastError = true)]
    public static partial int epoll_wait(int epfd, byte* events, int maxevents, int timeout);

    [LibraryImport("libc", SetLastError = true)]
    public static partial int eventfd(uint initval, int flags);

    [LibraryImport("libc", SetLastError = true)]
    public static partial nint read(int fd, void* buf, nint count);

    [LibraryImport("libc", SetLastError = true)]
    public static partial nint write(int fd, void* buf, nint count);

    [LibraryImport("libc", SetLastError = true)]
    public static partial nint send(int fd, void* buf, nint len, int flags);

    [LibraryImport("libc", SetLastError = true)]
    public static partial nint recv(int fd, void* buf, nint len, int flags);

    [LibraryImport("libc", SetLastError = true)]
    public static partial int close(int fd);

    public static int Check(int result, string call) =>
        result >= 0 ? result : throw new InvalidOperationException($"{call} failed: errno {Marshal.GetLastPInvokeError()}");

    /// <summary>The errno of a failed send or recv as the exception Http1Connection handles.</summary>
    public static SocketException SocketError(int errno) => new((int)(errno switch
    {
        104 => System.Net.Sockets.SocketError.ConnectionReset, // ECONNRESET
        32 => System.Net.Sockets.SocketError.Shutdown,         // EPIPE
        110 => System.Net.Sockets.SocketError.TimedOut,        // ETIMEDOUT
        111 => System.Net.Sockets.SocketError.ConnectionRefused, // ECONNREFUSED
        _ => System.Net.Sockets.SocketError.SocketError,
    }));
}
