using System.Runtime.InteropServices;

namespace Selftune.Core.Hooks;

/// <summary>
/// Reads a hook's payload from stdin, bounded in size and in time, so an agent that never closes the pipe cannot
/// hold the hook. On Unix it polls and reads file descriptor 0 directly (no <see cref="Console"/>, no thread: both
/// cost more start-up time than the rest of the hook); on Windows it reads on a helper thread.
/// </summary>
public static partial class HookInput
{
    private const int PollIn = 0x1, EINTR = 4;

    /// <summary>True when stdin is a pipe or a file (an agent's payload), false when it is a terminal (a person typing).</summary>
    public static bool StdinIsRedirected => OperatingSystem.IsWindows() ? Console.IsInputRedirected : IsATty(0) == 0;

    /// <summary>Reads stdin to its end.</summary>
    /// <param name="maxBytes">The largest payload accepted.</param>
    /// <param name="deadline">When to give up (<see cref="Environment.TickCount64"/> ms).</param>
    /// <returns>The bytes read.</returns>
    /// <exception cref="IOException">Stdin was not closed before <paramref name="deadline"/>, could not be read, or held
    /// more than <paramref name="maxBytes"/>.</exception>
    public static byte[] ReadStdin(int maxBytes, long deadline) =>
        OperatingSystem.IsWindows() ? ReadOnThread(maxBytes, deadline) : ReadPolling(maxBytes, deadline);

    private static unsafe byte[] ReadPolling(int maxBytes, long deadline)
    {
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
            fixed (byte* start = buffer)
            {
                n = Read(0, start + length, buffer.Length - length);
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

            length += (int)n;
            if (length > maxBytes)
            {
                throw new IOException($"the payload is larger than {maxBytes} bytes; it was not recorded");
            }

            if (length == buffer.Length)
            {
                Array.Resize(ref buffer, Math.Min(buffer.Length * 2, maxBytes + 1));
            }
        }
    }

    private static byte[] ReadOnThread(int maxBytes, long deadline)
    {
        byte[]? result = null;
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
                    copy.Write(chunk, 0, n);
                    if (copy.Length > maxBytes)
                    {
                        throw new IOException($"the payload is larger than {maxBytes} bytes; it was not recorded");
                    }
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

    [LibraryImport("libc", EntryPoint = "isatty")]
    private static partial int IsATty(int fd);
}
