using System.Text.Json;
using Selftune.Plugin.Shared;

namespace Selftune.Plugin.Codex.Rollout;

/// <summary>
/// Finds the parent of a sub-agent rollout whose header does not name it. Up to cli 0.77 a review sub-agent's
/// <c>session_meta.source</c> is only <c>{"subagent":"review"}</c>; its parent is the rollout that logged
/// <c>entered_review_mode</c> at the moment the sub-agent started (same time to the millisecond in the agtrace
/// samples) in the same working directory. Candidates are the other rollouts of the same sessions tree modified
/// since the sub-agent started (the parent was being written then), so the search opens few files; it runs once
/// per sub-agent rollout (its result is kept in the cursor state).
/// </summary>
internal static class ReviewParentLocator
{
    /// <summary>Largest distance between the parent's <c>entered_review_mode</c> and the sub-agent's start.</summary>
    private static readonly TimeSpan Window = TimeSpan.FromSeconds(2);

    /// <summary>Returns the parent session id, or null when no rollout matches.</summary>
    /// <param name="childPath">The sub-agent's rollout.</param>
    /// <param name="childId">The sub-agent's session id (excluded).</param>
    /// <param name="childStart">The sub-agent's start.</param>
    /// <param name="cwd">The sub-agent's working directory, when known.</param>
    public static string? Find(string childPath, string childId, DateTimeOffset childStart, string? cwd)
    {
        string? best = null;
        var bestDistance = TimeSpan.MaxValue;
        foreach (var candidate in Candidates(childPath, childStart))
        {
            try
            {
                if (Scan(candidate, childStart, cwd) is { } found && found.Id != childId && found.Distance < bestDistance)
                {
                    (best, bestDistance) = (found.Id, found.Distance);
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or JsonException)
            {
                // a candidate that cannot be read cannot be the parent we can prove
            }
        }

        return best;
    }

    private static IEnumerable<string> Candidates(string childPath, DateTimeOffset childStart)
    {
        var folder = Path.GetDirectoryName(Path.GetFullPath(childPath))!;
        var root = folder;
        var day = new DirectoryInfo(folder);
        if (day.Parent?.Parent is { } year && IsNumber(day.Name, 2) && IsNumber(day.Parent.Name, 2) && IsNumber(year.Name, 4) && year.Parent is not null)
        {
            root = year.Parent.FullName; // sessions/YYYY/MM/DD
        }

        var since = childStart.UtcDateTime - TimeSpan.FromMinutes(5);
        IEnumerable<FileInfo> files;
        try
        {
            files = new DirectoryInfo(root).EnumerateFiles("rollout-*.jsonl", new EnumerationOptions { RecurseSubdirectories = true, IgnoreInaccessible = true, AttributesToSkip = FileAttributes.ReparsePoint }).ToList();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            yield break;
        }

        var self = Path.GetFullPath(childPath);
        foreach (var file in files)
        {
            if (file.LastWriteTimeUtc >= since && !string.Equals(file.FullName, self, StringComparison.Ordinal))
            {
                yield return file.FullName;
            }
        }
    }

    private static (string Id, TimeSpan Distance)? Scan(string path, DateTimeOffset childStart, string? cwd)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, 1, FileOptions.SequentialScan);
        using var reader = new JsonlLineReader(stream, 0);
        string? id = null;
        (string, TimeSpan)? match = null;
        while (reader.TryReadLine(out var line))
        {
            var span = line.Span;
            if (id is null)
            {
                if (span.IndexOf("\"session_meta\""u8) < 0)
                {
                    return null; // every rollout starts with its header
                }

                using var header = JsonDocument.Parse(line);
                if (!header.RootElement.TryGetProperty("payload", out var meta) || meta.ValueKind != JsonValueKind.Object
                    || !meta.TryGetProperty("id", out var idElement) || idElement.ValueKind != JsonValueKind.String)
                {
                    return null;
                }

                if (cwd is not null && meta.TryGetProperty("cwd", out var c) && c.ValueKind == JsonValueKind.String && c.GetString() != cwd)
                {
                    return null;
                }

                id = idElement.GetString();
                continue;
            }

            if (span.IndexOf("\"entered_review_mode\""u8) >= 0 && EnvelopePeek.Read(span) is { Timestamp: { } at, PayloadType: "entered_review_mode" })
            {
                var distance = (at - childStart).Duration();
                if (distance <= Window && (match is null || distance < match.Value.Item2))
                {
                    match = (id, distance);
                }
            }
        }

        return match;
    }

    private static bool IsNumber(string text, int length) => text.Length == length && text.All(char.IsAsciiDigit);
}
