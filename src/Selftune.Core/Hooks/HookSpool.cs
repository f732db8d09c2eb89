using Selftune.Core.Configuration;

namespace Selftune.Core.Hooks;

/// <summary>The hook spool as the drain and <c>doctor</c> see it: what waits in it and the error log of a home (the
/// format and the append are in <c>Hooks/FastPath/HookSpool.cs</c>).</summary>
internal static partial class HookSpool
{
    /// <summary>The hook error log of <paramref name="home"/>.</summary>
    public static string ErrorLogPath(SelftuneHome home) => ErrorLogPath(home.LogsPath);

    /// <summary>Appends one line to the hook error log of <paramref name="home"/>. Never throws.</summary>
    /// <param name="home">The home.</param>
    /// <param name="at">When it happened.</param>
    /// <param name="context">What was running.</param>
    /// <param name="message">What went wrong.</param>
    /// <returns>False when the log itself could not be written.</returns>
    public static bool LogError(SelftuneHome home, DateTimeOffset at, string context, string message) => LogError(home.LogsPath, at, context, message);

    /// <summary>The files holding events not stored yet: spool files and files a drain took but did not finish.</summary>
    /// <param name="home">The home.</param>
    public static IReadOnlyList<string> PendingFiles(SelftuneHome home)
    {
        if (!Directory.Exists(home.SpoolPath))
        {
            return [];
        }

        return Directory.EnumerateFiles(home.SpoolPath, "*.jsonl")
            .Where(f => Path.GetFileName(f) is var n && (n.StartsWith(SpoolPrefix, StringComparison.Ordinal) || n.StartsWith(DrainingPrefix, StringComparison.Ordinal)))
            .Order(StringComparer.Ordinal)
            .ToList();
    }

    /// <summary>True when a spool file holds events not stored yet (a drain leaves the day's file in place, emptied).</summary>
    /// <param name="home">The home.</param>
    public static bool HasPending(SelftuneHome home) => PendingFiles(home).Any(file => new FileInfo(file).Length > 0);

    /// <summary>How much waits in the spool: events (lines) and bytes, and the oldest file's last write.</summary>
    /// <param name="home">The home.</param>
    public static (long Events, long Bytes, DateTime? OldestWriteUtc) Backlog(SelftuneHome home)
    {
        long events = 0, bytes = 0;
        DateTime? oldest = null;
        var chunk = new byte[16 * 1024];
        foreach (var file in PendingFiles(home))
        {
            var info = new FileInfo(file);
            if (info.Length == 0)
            {
                continue;
            }

            bytes += info.Length;
            oldest = oldest is null || info.LastWriteTimeUtc < oldest ? info.LastWriteTimeUtc : oldest;
            using var stream = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            int n;
            while ((n = stream.Read(chunk)) > 0)
            {
                events += chunk.AsSpan(0, n).Count((byte)'\n');
            }
        }

        return (events, bytes, oldest);
    }
}
