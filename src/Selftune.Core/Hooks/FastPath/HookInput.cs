using System.Runtime.InteropServices;

namespace Selftune.Core.Hooks;

/// <summary>
/// Reads a hook's payload from stdin, bounded in size and in time, so an agent that never closes the pipe cannot
/// hold the hook. On Unix it polls and reads file descriptor 0 directly (no <see cref="Console"/>, no thread: both
/// cost more start-up time than the rest of the hook); on Windows it reads on a helper thread.
/// </summary>
internal static partial class HookInput
{
    private const int PollIn = 0x1, EINTR = 4;

    private const int GetDescriptorFlags = 1, CloseOnExec = 1; // F_GETFD, FD_CLOEXEC (same on Linux and macOS)

    /// <summary>True when stdin is a pipe or a file (an agent's payload); false when it is a terminal (a person typing) or
    /// was closed (<c>&lt;&amp;-</c>).</summary>
    /// <remarks>A closed stdin is told at once: either descriptor 0 is not open, or the runtime has already reused it for
    /// a file of its own, which it opens close-on-exec, whereas a stdin inherited from the agent never is (it survived
    /// an exec). Reading such a reused descriptor would wait for the whole hook timeout.</remarks>
    public static bool StdinIsRedirected => OperatingSystem.IsWindows()
        ? Console.IsInputRedirected
        : IsATty(0) == 0 && Fcntl(0, GetDescriptorFlags) is var flags && flags >= 0 && (flags & CloseOnExec) == 0;

    /// <summary>Reads stdin to its end, keeping at most <paramref name="maxBytes"/>: the rest is read and dropped, so the
    /// agent's write completes.</summary>
    /// <param name="maxBytes">The most bytes kept.</param>
    /// <param name="deadline">When to give up (<see cref="Environment.TickCount64"/> ms).</param>
    /// <param name="received">How many bytes stdin held in all (more than the result's length when it was cut).</param>
    /// <returns>The first <paramref name="maxBytes"/> bytes at most.</returns>
    /// <exception cref="IOException">Stdin was not closed before <paramref name="deadline"/> or could not be read.</exception>
    public static byte[] ReadStdin(int maxBytes, long deadline, out long received) =>
        OperatingSystem.IsWindows() ? ReadOnThread(maxBytes, deadline, out received) : ReadPolling(maxBytes, deadline, out received);

    private static unsafe byte[] ReadPolling(int maxBytes, long deadline, out long received)
    {
        received = 0;
        byte[]? spill = null;
        var buffer = new byte[64 * 1024];
        var length = 0;
        while (true)
        {
            var wait = deadline - Environment.TickCount64;
            var poll = new PollFd { Fd = 0, Events = PollIn };
            var ready = wait <= 0 ? 0 : Poll(&poll, 1, (int)Math.Min(wait, int.MaxValue));
            if (ready == 0)
            {
                throw new IOException($"stdin was not closed in time ({length} bytes read); the event was not recorded");
            }

            if (ready < 0)
            {
                if (Marshal.GetLastPInvokeError() == EINTR)
                {
                    continue;
                }

                throw new IOException($"cannot wait for stdin: {Marshal.GetPInvokeErrorMessage(Marshal.GetLastPInvokeError())}");
            }

            nint n;
            if (length < maxBytes)
            {
                fixed (byte* start = buffer)
                {
                    n = Read(0, start + length, Math.Min(buffer.Length, maxBytes) - length);
                }
            }
            else
            {
                spill ??= new byte[64 * 1024];
                fixed (byte* start = spill)
                {
                    n = Read(0, start, spill.Length);
                }
            }

            if (n == 0)
            {
                return buffer[..length];
            }

            if (n < 0)
            {
                if (Marshal.GetLastPInvokeError() == EINTR)
                {
                    continue;
                }

                throw new IOException($"cannot read stdin: {Marshal.GetPInvokeErrorMessage(Marshal.GetLastPInvokeError())}");
            }

            received += n;
            if (length < maxBytes)
            {
                length += (int)n;
                if (length == buffer.Length && length < maxBytes)
                {
                    Array.Resize(ref buffer, Math.Min(buffer.Length * 2, maxBytes));
                }
            }
        }
    }

    private static byte[] ReadOnThread(int maxBytes, long deadline, out long received)
    {
        byte[]? result = null;
        long total = 0;
        Exception? failure = null;
        var reader = new Thread(() =>
        {
            try
            {
                using var stdin = Console.OpenStandardInput();
                using var copy = new MemoryStream();
                var chunk = new byte[64 * 1024];
                int n;
                while ((n = stdin.Read(chunk)) > 0)
                {
                    copy.Write(chunk, 0, (int)Math.Min(n, Math.Max(0, maxBytes - copy.Length)));
                    total += n;
                }

                result = copy.ToArray();
            }
#pragma warning disable CA1031 // Handed to the calling thread, which reports it.
            catch (Exception ex)
#pragma warning restore CA1031
            {
                failure = ex;
            }
        })
        { IsBackground = true };
        reader.Start();
        if (!reader.Join(TimeSpan.FromMilliseconds(Math.Max(0, deadline - Environment.TickCount64))))
        {
            throw new IOException("stdin was not closed in time; the event was not recorded");
        }

        received = total;
        return failure is null ? result! : throw new IOException(failure.Message, failure);
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct PollFd
    {
        public int Fd;
        public short Events;
        public short Revents;
    }

    [LibraryImport("libc", EntryPoint = "poll", SetLastError = true)]
    private static unsafe partial int Poll(PollFd* fds, nuint count, int timeoutMs);

    [LibraryImport("libc", EntryPoint = "read", SetLastError = true)]
    private static unsafe partial nint Read(int fd, byte* buffer, nint count);

    [LibraryImport("libc", EntryPoint = "fcntl")]
    private static partial int Fcntl(int fd, int command);

    [LibraryImport("libc", EntryPoint = "isatty")]
    private static partial int IsATty(int fd);
}
