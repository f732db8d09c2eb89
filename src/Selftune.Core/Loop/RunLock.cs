using System.Diagnostics;
using System.Text.Json;

namespace Selftune.Core.Loop;

/// <summary>Who holds the run lock.</summary>
/// <param name="Pid">The holder's process id.</param>
/// <param name="Hostname">The machine it runs on (a pid means nothing on another machine).</param>
/// <param name="StartedAt">When it took the lock (UTC).</param>
/// <param name="HeartbeatAt">When it last showed it was alive (UTC); the lock is stale when this is older than the bound.</param>
/// <param name="RunId">The run it belongs to.</param>
internal sealed record RunLockHolder(int Pid, string Hostname, DateTimeOffset StartedAt, DateTimeOffset HeartbeatAt, string RunId);

/// <summary>
/// Keeps two <c>selftune run</c>s from overlapping: <c>~/.selftune/run.lock</c> names the holder (pid, host, start,
/// heartbeat, run id). A lock is stale, and is taken over, when its process is gone (same host, pid not running or
/// reused by a younger process) or its heartbeat is older than the bound (any host), or it cannot be parsed and is
/// older than a few seconds. Taking and releasing the lock happen under a short kernel lock on
/// <c>run.lock.guard</c>, so two processes that find the same stale lock cannot both take it over.
/// </summary>
internal sealed class RunLock : IDisposable
{
    private static readonly TimeSpan GuardWait = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan UnreadableGrace = TimeSpan.FromSeconds(10);
    private readonly string _path;
    private readonly TimeProvider _time;
    private bool _released;

    private RunLock(string path, TimeProvider time, RunLockHolder holder, RunLockHolder? recovered, string? recoveredReason)
    {
        _path = path;
        _time = time;
        Holder = holder;
        Recovered = recovered;
        RecoveredReason = recoveredReason;
    }

    /// <summary>This process's entry in the lock.</summary>
    public RunLockHolder Holder { get; private set; }

    /// <summary>The stale lock this one replaced, if any.</summary>
    public RunLockHolder? Recovered { get; }

    /// <summary>Why the replaced lock was stale.</summary>
    public string? RecoveredReason { get; }

    /// <summary>Takes the lock, taking over a stale one.</summary>
    /// <param name="path">The lock file (<c>~/.selftune/run.lock</c>).</param>
    /// <param name="runId">The run taking it.</param>
    /// <param name="staleAfter">A holder whose heartbeat is older than this is presumed dead.</param>
    /// <param name="time">The clock.</param>
    /// <exception cref="SelftuneException"><see cref="ErrorCodes.Locked"/> naming the live holder.</exception>
    public static RunLock Acquire(string path, string runId, TimeSpan staleAfter, TimeProvider time)
    {
        using var guard = Guard(path);
        var now = time.GetUtcNow();
        var current = ReadHolder(path, out var unreadable);
        string? reason = null;
        if (current is not null || unreadable)
        {
            reason = StaleReason(path, current, now, staleAfter);
            if (reason is null)
            {
                var who = current is null ? "whose lock file is being written" : $"{current.RunId}, pid {current.Pid} on {current.Hostname}, started {current.StartedAt:u}";
                throw new SelftuneException(
                    ErrorCodes.Locked,
                    $"Another selftune run ({who}) is in progress; runs never overlap. It releases '{path}' when it finishes; a crashed run's lock is taken over automatically.",
                    "selftune runs",
                    exitCode: 75);
            }
        }

        var self = new RunLockHolder(Environment.ProcessId, Environment.MachineName, now, now, runId);
        Write(path, self);
        return new RunLock(path, time, self, current, reason);
    }

    /// <summary>Reads the lock's holder; null when there is no lock or it cannot be parsed.</summary>
    public static RunLockHolder? ReadHolder(string path) => ReadHolder(path, out _);

    /// <summary>Records that the holder is still alive (call between phases), so a long run is not taken for a crashed one.</summary>
    public void Heartbeat()
    {
        using var guard = Guard(_path);
        if (IsStillOurs())
        {
            Holder = Holder with { HeartbeatAt = _time.GetUtcNow() };
            Write(_path, Holder);
        }
    }

    /// <summary>Releases the lock if it is still this process's.</summary>
    public void Dispose()
    {
        if (_released)
        {
            return;
        }

        _released = true;
        using var guard = Guard(_path);
        if (IsStillOurs())
        {
            File.Delete(_path);
        }
    }

    /// <summary>Why <paramref name="holder"/>'s lock is stale, or null when its holder may still be running.</summary>
    internal static string? StaleReason(string path, RunLockHolder? holder, DateTimeOffset now, TimeSpan staleAfter)
    {
        if (holder is null)
        {
            var age = now - File.GetLastWriteTimeUtc(path);
            return age > UnreadableGrace ? "the lock file could not be read" : null;
        }

        if (now - holder.HeartbeatAt > staleAfter)
        {
            return $"its last heartbeat was {(now - holder.HeartbeatAt).TotalMinutes:0} min ago (bound: {staleAfter.TotalMinutes:0} min)";
        }

        if (!string.Equals(holder.Hostname, Environment.MachineName, StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }

        try
        {
            using var process = Process.GetProcessById(holder.Pid);
            if (process.HasExited)
            {
                return $"process {holder.Pid} has exited";
            }

            // The pid was reused when its process started after the lock was taken.
            return process.StartTime.ToUniversalTime() > holder.StartedAt.UtcDateTime.AddSeconds(2) ? $"process {holder.Pid} is a different, younger process" : null;
        }
        catch (ArgumentException)
        {
            return $"process {holder.Pid} is not running";
        }
        catch (InvalidOperationException)
        {
            return $"process {holder.Pid} is not running";
        }
    }

    private static RunLockHolder? ReadHolder(string path, out bool unreadable)
    {
        unreadable = false;
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (FileNotFoundException)
        {
            return null;
        }
        catch (DirectoryNotFoundException)
        {
            return null;
        }

        try
        {
            return JsonSerializer.Deserialize<RunLockHolder>(text, Json.Options) ?? throw new JsonException("null");
        }
        catch (JsonException)
        {
            unreadable = true;
            return null;
        }
    }

    private static void Write(string path, RunLockHolder holder) => AtomicFile.WriteAllText(path, JsonSerializer.Serialize(holder, Json.Options) + "\n");

    /// <summary>Holds an exclusive kernel lock on <c>&lt;path&gt;.guard</c> (released by the OS if the process dies).</summary>
    private static FileStream Guard(string path)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        var clock = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                return new FileStream(path + ".guard", FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            }
            catch (IOException) when (clock.Elapsed < GuardWait)
            {
                Thread.Sleep(15);
            }
            catch (IOException ex)
            {
                throw new SelftuneException(ErrorCodes.Locked, $"The run lock guard '{path}.guard' stayed busy for {GuardWait.TotalSeconds:0} s: {ex.Message}", "selftune runs", exitCode: 75, inner: ex);
            }
        }
    }

    private bool IsStillOurs() => ReadHolder(_path) is { } h && h.Pid == Holder.Pid && h.RunId == Holder.RunId && h.Hostname == Holder.Hostname;
}
