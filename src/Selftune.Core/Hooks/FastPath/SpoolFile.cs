using System.Runtime.InteropServices;

namespace Selftune.Core.Hooks;

/// <summary>
/// Appends whole lines to a file shared by many processes, and lets one process take the file's content away
/// without losing a line appended meanwhile.
/// <para>On Unix a writer opens the file with <c>O_APPEND</c> (so every <c>write()</c> lands at the end, whatever the
/// other writers do) and holds a shared <c>flock</c> while it writes (an exclusive one for lines over
/// <see cref="AtomicLineBytes"/>, so a long line that the kernel splits into several writes is never interleaved);
/// a reader that takes the content (<see cref="TakeContent"/>) holds the exclusive lock while it copies and
/// truncates. .NET's <c>FileMode.Append</c> does not use <c>O_APPEND</c> (it seeks once, then writes at its own
/// offset), hence the direct system calls. On Windows the same guarantees come from exclusive share modes.</para>
/// <para>An append cut short (a full disk, a kill) leaves a line without its newline; the next append then starts with
/// one, so only the broken line is lost, and the reader counts it as malformed.</para>
/// </summary>
internal static partial class SpoolFile
{
    /// <summary>Lines up to this size are appended under a shared lock (concurrent <c>O_APPEND</c> writes of this size
    /// are not interleaved); longer lines take the exclusive lock.</summary>
    public const int AtomicLineBytes = 4096;

    private const int LockShared = 1, LockExclusive = 2, LockNonBlocking = 4;
    private const int ENOENT = 2, EINTR = 4, EAGAIN_LINUX = 11, EAGAIN_MAC = 35;
    private const int SeekEnd = 2;

    /// <summary>Appends <paramref name="line"/> (which should end with a newline) to <paramref name="path"/>, creating
    /// the file (mode 0600) and its folder when missing.</summary>
    /// <param name="path">The file.</param>
    /// <param name="line">The bytes to append, written in one piece.</param>
    /// <param name="deadline">When to give up waiting for the lock (UTC, <see cref="Environment.TickCount64"/> ms).</param>
    /// <exception cref="IOException">The file cannot be opened or written (full disk, no permission), or the lock was
    /// not obtained before <paramref name="deadline"/>.</exception>
    public static void Append(string path, ReadOnlySpan<byte> line, long deadline)
    {
        if (OperatingSystem.IsWindows())
        {
            AppendWindows(path, line, deadline);
            return;
        }

        var fd = OpenForAppend(path);
        try
        {
            var shared = line.Length <= AtomicLineBytes;
            Lock(fd, shared ? LockShared : LockExclusive, deadline, path);
            var midLine = EndsMidLine(fd, path);
            if (midLine && shared)
            {
                // Under the shared lock another append may be half visible: a write that crosses a page boundary grows
                // the file in steps. Decide again under the exclusive lock, where no append runs.
                Lock(fd, LockExclusive, deadline, path);
                midLine = EndsMidLine(fd, path);
            }

            if (midLine)
            {
                // An earlier append was cut short (a full disk, a kill): start on a fresh line, in the same single write,
                // so the broken line stays one line the reader counts and skips, and this one is not glued to it.
                var fresh = new byte[line.Length + 1];
                fresh[0] = (byte)'\n';
                line.CopyTo(fresh.AsSpan(1));
                WriteAll(fd, fresh, path);
            }
            else
            {
                WriteAll(fd, line, path);
            }
        }
        finally
        {
            _ = Close(fd);
        }
    }

    /// <summary>Moves everything in <paramref name="path"/> into <paramref name="destination"/> (created, flushed to
    /// disk) and truncates <paramref name="path"/> to empty, holding the exclusive lock so that no line appended
    /// meanwhile is lost: it lands either in the copy or, after the truncation, in the emptied file.</summary>
    /// <param name="path">The shared file.</param>
    /// <param name="destination">A new file that receives the content.</param>
    /// <param name="deadline">When to give up waiting for the lock (<see cref="Environment.TickCount64"/> ms).</param>
    /// <returns>Bytes moved (0: the file is empty or missing, and no destination file is created).</returns>
    /// <exception cref="IOException">The files cannot be read or written, or the lock was not obtained in time.</exception>
    public static long TakeContent(string path, string destination, long deadline)
    {
        if (!File.Exists(path))
        {
            return 0;
        }

        using var source = OpenExclusive(path, FileMode.Open, deadline);
        if (source.Length == 0)
        {
            return 0;
        }

        using (var target = new FileStream(destination, PrivateFile(FileMode.CreateNew, FileShare.None)))
        {
            source.CopyTo(target);
            target.Flush(flushToDisk: true);
        }

        var moved = source.Length;
        source.SetLength(0);
        source.Flush(flushToDisk: true);
        return moved;
    }

    /// <summary>Detaches this process from its session and controlling terminal (<c>setsid()</c>), so a hangup of the
    /// agent's terminal does not stop a background job. No-op on Windows or when already a group leader.</summary>
    public static void DetachFromSession()
    {
        if (!OperatingSystem.IsWindows())
        {
            _ = Setsid();
        }
    }

    /// <summary>Waits until process <paramref name="pid"/> runs in a session other than this process's (it called
    /// <c>setsid</c>), or <paramref name="deadline"/> passes, or it is gone. A native hook exits in a millisecond: an agent
    /// that kills its process group as soon as the hook returns would otherwise take the child with it before it left.</summary>
    /// <param name="pid">The child.</param>
    /// <param name="deadline">When to stop waiting (<see cref="Environment.TickCount64"/> ms).</param>
    public static void WaitForOwnSession(int pid, long deadline)
    {
        if (OperatingSystem.IsWindows())
        {
            return;
        }

        var own = Getsid(0);
        while (Getsid(pid) is var sid && sid >= 0 && sid == own && Environment.TickCount64 < deadline)
        {
            Thread.Sleep(1);
        }
    }

    /// <summary>Opens <paramref name="path"/> for reading and writing and holds its exclusive lock (the one
    /// <see cref="Append"/> and <see cref="TakeContent"/> respect) until the stream is disposed.</summary>
    /// <param name="path">The file.</param>
    /// <param name="mode">How to open it (<see cref="FileMode.OpenOrCreate"/> for a lock file).</param>
    /// <param name="deadline">When to give up waiting (<see cref="Environment.TickCount64"/> ms).</param>
    /// <exception cref="IOException">The file cannot be opened, or the lock was not obtained in time.</exception>
    public static FileStream OpenExclusive(string path, FileMode mode, long deadline)
    {
        while (true)
        {
            FileStream? stream = null;
            try
            {
                stream = new FileStream(path, mode, FileAccess.ReadWrite, OperatingSystem.IsWindows() ? FileShare.None : FileShare.ReadWrite);
                if (!OperatingSystem.IsWindows())
                {
                    Lock((int)stream.SafeFileHandle.DangerousGetHandle(), LockExclusive, deadline, path);
                }

                return stream;
            }
            catch (IOException) when (Environment.TickCount64 < deadline && File.Exists(path))
            {
                stream?.Dispose();
                Thread.Sleep(5);
            }
            catch
            {
                stream?.Dispose();
                throw;
            }
        }
    }

    /// <summary>Options for a new file only the user may read (spooled prompts are private).</summary>
    private static FileStreamOptions PrivateFile(FileMode mode, FileShare share)
    {
        var options = new FileStreamOptions { Mode = mode, Access = FileAccess.Write, Share = share };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        return options;
    }

    private static int OpenForAppend(string path)
    {
        var flags = OperatingSystem.IsMacOS() || OperatingSystem.IsFreeBSD()
            ? 0x2 | 0x8 | 0x1000000 // O_RDWR | O_APPEND | O_CLOEXEC (BSD values); read: the last byte (EndsMidLine)
            : 0x2 | 0x400 | 0x80000; // O_RDWR | O_APPEND | O_CLOEXEC (Linux values)
        for (var attempt = 0; ; attempt++)
        {
            // open() is variadic; O_CREAT would need the mode argument, which some ABIs pass differently, so the file
            // is created by .NET and then opened without O_CREAT.
            var fd = Open(path, flags);
            if (fd >= 0)
            {
                return fd;
            }

            var errno = Marshal.GetLastPInvokeError();
            if (errno == EINTR)
            {
                continue;
            }

            if (errno != ENOENT || attempt > 2)
            {
                throw new IOException($"Cannot open '{path}' for appending: {Marshal.GetPInvokeErrorMessage(errno)}.");
            }

            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            try
            {
                new FileStream(path, PrivateFile(FileMode.OpenOrCreate, FileShare.ReadWrite | FileShare.Delete)).Dispose();
            }
            catch (IOException) when (File.Exists(path))
            {
                // Another hook created it first and holds its exclusive lock (a long line): .NET's own shared lock on
                // opening then fails. The file exists now; open it without .NET, as above, and wait for the lock there.
            }
        }
    }

    /// <summary>True when the file does not end with a newline (a previous append was cut short).</summary>
    private static unsafe bool EndsMidLine(int fd, string path)
    {
        var size = Lseek(fd, 0, SeekEnd);
        if (size <= 0)
        {
            return false;
        }

        byte last;
        nint n;
        while ((n = Pread(fd, &last, 1, size - 1)) < 0 && Marshal.GetLastPInvokeError() == EINTR)
        {
        }

        return n < 0 ? throw new IOException($"Cannot read '{path}': {Marshal.GetPInvokeErrorMessage(Marshal.GetLastPInvokeError())}.") : n == 1 && last != (byte)'\n';
    }

    private static void Lock(int fd, int operation, long deadline, string path)
    {
        while (Flock(fd, operation | LockNonBlocking) != 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            if (errno is not (EINTR or EAGAIN_LINUX or EAGAIN_MAC))
            {
                throw new IOException($"Cannot lock '{path}': {Marshal.GetPInvokeErrorMessage(errno)}.");
            }

            if (Environment.TickCount64 >= deadline)
            {
                throw new IOException($"'{path}' stayed locked by another process; gave up waiting.");
            }

            Thread.Sleep(2);
        }
    }

    private static unsafe void WriteAll(int fd, ReadOnlySpan<byte> bytes, string path)
    {
        fixed (byte* start = bytes)
        {
            var done = 0;
            while (done < bytes.Length)
            {
                var n = Write(fd, start + done, bytes.Length - done);
                if (n < 0)
                {
                    var errno = Marshal.GetLastPInvokeError();
                    if (errno == EINTR)
                    {
                        continue;
                    }

                    throw new IOException($"Cannot write '{path}': {Marshal.GetPInvokeErrorMessage(errno)}.");
                }

                done += (int)n;
            }
        }
    }

    private static void AppendWindows(string path, ReadOnlySpan<byte> line, long deadline)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        while (true)
        {
            try
            {
                using var stream = new FileStream(path, FileMode.Append, FileAccess.Write, FileShare.Read);
                stream.Write(line);
                return;
            }
            catch (IOException) when (Environment.TickCount64 < deadline)
            {
                Thread.Sleep(2);
            }
        }
    }

    [LibraryImport("libc", EntryPoint = "open", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int Open(string path, int flags);

    [LibraryImport("libc", EntryPoint = "write", SetLastError = true)]
    private static unsafe partial nint Write(int fd, byte* buffer, nint count);

    [LibraryImport("libc", EntryPoint = "lseek", SetLastError = true)]
    private static partial long Lseek(int fd, long offset, int whence);

    [LibraryImport("libc", EntryPoint = "pread", SetLastError = true)]
    private static unsafe partial nint Pread(int fd, byte* buffer, nint count, long offset);

    [LibraryImport("libc", EntryPoint = "close")]
    private static partial int Close(int fd);

    [LibraryImport("libc", EntryPoint = "flock", SetLastError = true)]
    private static partial int Flock(int fd, int operation);

    [LibraryImport("libc", EntryPoint = "setsid")]
    private static partial int Setsid();

    [LibraryImport("libc", EntryPoint = "getsid")]
    private static partial int Getsid(int pid);
}
