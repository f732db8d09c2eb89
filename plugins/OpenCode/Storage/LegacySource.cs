using System.Text.Json;
using Selftune.Plugin.Shared;
using Selftune.Abstractions;

namespace Selftune.Plugin.OpenCode.Storage;

/// <summary>
/// Reads OpenCode's legacy JSON session tree (OpenCode ≤ 1.1, <c>&lt;data&gt;/storage/</c>; corpus FORMAT.md):
/// <c>session/&lt;project&gt;/&lt;session&gt;.json</c>, <c>message/&lt;session&gt;/&lt;message&gt;.json</c>,
/// <c>part/&lt;message&gt;/&lt;part&gt;.json</c>. A file's id is its JSON <c>id</c>, else its file name (OpenCode names each
/// file after its id, and its migration to SQLite keeps those ids), so the same session yields the same record ids from
/// either store.
/// <para>
/// One source per session file. Its <see cref="SourceFile.Length"/> and <see cref="SourceFile.LastWriteUtc"/> cover
/// the session file, its message folder and every message file (OpenCode rewrites an assistant message when its turn
/// completes), so a new turn marks the source changed. The cursor state keeps the newest message change read (a
/// message's change time is the later of its file's and its part folder's); a re-read emits only the turns holding a
/// message changed since.
/// </para>
/// </summary>
internal static class LegacySource
{
    /// <summary>Lists the session files under <paramref name="storage"/> (no file is opened).</summary>
    public static List<SourceFile> Discover(string storage, Action<string, string> problems)
    {
        var sources = new List<SourceFile>();
        var sessionRoot = Path.Combine(storage, "session");
        if (!Directory.Exists(sessionRoot))
        {
            return sources;
        }

        foreach (var project in List(sessionRoot, problems, Directory.EnumerateDirectories))
        {
            foreach (var file in List(project, problems, d => Directory.EnumerateFiles(d, "*.json")))
            {
                var info = new FileInfo(file);
                var length = info.Length;
                var lastWrite = info.LastWriteTimeUtc;
                var messages = new DirectoryInfo(MessageFolder(storage, Path.GetFileNameWithoutExtension(file)));
                if (messages.Exists)
                {
                    lastWrite = Max(lastWrite, messages.LastWriteTimeUtc);
                    foreach (var message in List(messages.FullName, problems, d => new DirectoryInfo(d).EnumerateFiles("*.json")))
                    {
                        length += message.Length;
                        lastWrite = Max(lastWrite, message.LastWriteTimeUtc);
                    }
                }

                sources.Add(new SourceFile(Path.GetFullPath(file), length, lastWrite, AppendOnly: false));
            }
        }

        return sources;
    }

    /// <summary>True when <paramref name="path"/> is a legacy session file (<c>…/session/&lt;project&gt;/&lt;id&gt;.json</c>).</summary>
    public static bool IsSessionFile(string path) =>
        path.EndsWith(".json", StringComparison.OrdinalIgnoreCase) &&
        Path.GetFileName(Path.GetDirectoryName(Path.GetDirectoryName(path))) == "session";

    public static IngestResult Read(SourceFile source, SourceCursor? from, IRecordSink sink, CancellationToken cancellationToken)
    {
        var storage = Path.GetDirectoryName(Path.GetDirectoryName(Path.GetDirectoryName(source.Path)))!;
        var sessionId = Path.GetFileNameWithoutExtension(source.Path);
        var rows = 1L;
        StoredSession session;
        using (var document = ParseFile(source.Path, sink, optional: false))
        {
            if (document is null || document.RootElement.ValueKind != JsonValueKind.Object)
            {
                if (document is not null)
                {
                    sink.Malformed(source.Path, 0, "session file is not a JSON object; skipped.");
                }

                return new IngestResult(new SourceCursor(0, source.Length, source.LastWriteUtc, from?.State), rows);
            }

            var root = document.RootElement;
            sessionId = JsonFields.Text(root, "id") is { Length: > 0 } id ? id : sessionId;
            var time = JsonFields.Child(root, "time");
            var summary = JsonFields.Child(root, "summary");
            session = new StoredSession(
                sessionId, JsonFields.Text(root, "parentID"), JsonFields.Text(root, "directory"), JsonFields.Text(root, "version"),
                JsonFields.Number(time, "created"), JsonFields.Number(time, "updated"), new RowLocation(source.Path, null),
                JsonFields.Number(summary, "additions"), JsonFields.Number(summary, "deletions"));
        }

        var messages = new List<StoredMessage>();
        var messageFolder = MessageFolder(storage, sessionId);
        var files = Directory.Exists(messageFolder) ? Directory.GetFiles(messageFolder, "*.json") : [];
        Array.Sort(files, StringComparer.Ordinal);
        foreach (var file in files)
        {
            cancellationToken.ThrowIfCancellationRequested();
            rows++;
            using var document = ParseFile(file, sink);
            if (document is null)
            {
                continue;
            }

            var id = JsonFields.Text(document.RootElement, "id") is { Length: > 0 } messageId ? messageId : Path.GetFileNameWithoutExtension(file);
            var updated = Max(File.GetLastWriteTimeUtc(file), Directory.GetLastWriteTimeUtc(PartFolder(storage, id)));
            var location = new RowLocation(file, null);
            if (StoredMessage.Parse(document.RootElement, id, new DateTimeOffset(updated).ToUnixTimeMilliseconds(), location, out var problem) is { } message)
            {
                messages.Add(message);
            }
            else
            {
                sink.Malformed(file, 0, $"{problem}; skipped.");
            }
        }

        messages.Sort((a, b) => a.Created != b.Created ? a.Created.CompareTo(b.Created) : string.CompareOrdinal(a.Id, b.Id));
        var previous = ParseState(from?.State);
        var since = previous > 0 ? previous - DatabaseSource.RewindMs : long.MinValue;
        new SessionEmitter(sink).Emit(sessionId, session, session.Location, messages, m => m.Updated >= since, m =>
        {
            var parts = ReadParts(storage, m.Id, sink, cancellationToken);
            rows += parts.Files;
            return parts.Parts;
        });
        var next = messages.Count > 0 ? Math.Max(previous, messages.Max(m => m.Updated)) : previous;
        return new IngestResult(new SourceCursor(0, source.Length, source.LastWriteUtc, $"{{\"updated\":{next}}}"), rows);
    }

    private static (List<StoredPart> Parts, int Files) ReadParts(string storage, string messageId, IRecordSink sink, CancellationToken cancellationToken)
    {
        var folder = PartFolder(storage, messageId);
        var parts = new List<StoredPart>();
        if (!Directory.Exists(folder))
        {
            return (parts, 0);
        }

        var files = Directory.GetFiles(folder, "*.json");
        Array.Sort(files, StringComparer.Ordinal);
        foreach (var file in files)
        {
            cancellationToken.ThrowIfCancellationRequested();
            using var document = ParseFile(file, sink);
            if (document is null)
            {
                continue;
            }

            var id = JsonFields.Text(document.RootElement, "id") is { Length: > 0 } partId ? partId : Path.GetFileNameWithoutExtension(file);
            if (StoredPart.Parse(document.RootElement, id, new RowLocation(file, null), out var problem) is { } part)
            {
                parts.Add(part);
            }
            else
            {
                sink.Malformed(file, 0, $"{problem}; skipped.");
            }
        }

        return (parts, files.Length);
    }

    /// <summary>Parses a JSON file; null (reported) when it is not JSON, or (silently) when an optional file vanished
    /// between listing and reading (OpenCode deletes reverted messages and parts).</summary>
    private static JsonDocument? ParseFile(string path, IRecordSink sink, bool optional = true)
    {
        try
        {
            return JsonDocument.Parse(File.ReadAllBytes(path));
        }
        catch (JsonException ex)
        {
            sink.Malformed(path, (ex.LineNumber ?? 0) + 1, $"not valid JSON ({ex.Message}); skipped.");
            return null;
        }
        catch (Exception ex) when (optional && ex is FileNotFoundException or DirectoryNotFoundException)
        {
            return null;
        }
    }

    private static long ParseState(string? state)
    {
        if (string.IsNullOrEmpty(state))
        {
            return 0;
        }

        try
        {
            using var document = JsonDocument.Parse(state);
            return JsonFields.Number(document.RootElement, "updated") ?? 0;
        }
        catch (JsonException)
        {
            return 0;
        }
    }

    private static string MessageFolder(string storage, string sessionId) => Path.Combine(storage, "message", sessionId);

    private static string PartFolder(string storage, string messageId) => Path.Combine(storage, "part", messageId);

    private static DateTime Max(DateTime a, DateTime b) => a > b ? a : b;

    private static IEnumerable<T> List<T>(string folder, Action<string, string> problems, Func<string, IEnumerable<T>> list)
    {
        try
        {
            return list(folder).ToList();
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            problems(folder, ex.Message);
            return [];
        }
    }
}
