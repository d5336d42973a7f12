using System.Runtime.CompilerServices;

namespace ConcertTicket.Tests.Infrastructure;

/// <summary>
/// The apps the tests run in-process log to this process's console, the same console the test runner prints its
/// results on: hundreds of JSON lines between the results. When scripts/test.sh names a file in
/// CONCERT_TICKET_TEST_SERVICE_LOG, the console goes there instead, and the script prints it only when a test fails.
/// </summary>
internal static class ServiceLog
{
    public const string Variable = "CONCERT_TICKET_TEST_SERVICE_LOG";

    // Before any test builds an app: a console logger keeps the writer it found when it was created.
    [ModuleInitializer]
    internal static void RedirectConsole()
    {
        var path = Environment.GetEnvironmentVariable(Variable);
        if (string.IsNullOrEmpty(path)) return;
        var file = new StreamWriter(new FileStream(path, FileMode.Append, FileAccess.Write, FileShare.ReadWrite)) { AutoFlush = true };
        Console.SetOut(TextWriter.Synchronized(file));
    }
}
