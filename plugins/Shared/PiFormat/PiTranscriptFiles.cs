using System.Text.RegularExpressions;
using Selftune.Abstractions;

namespace Selftune.Plugin.Shared.PiFormat;

/// <summary>
/// Reads one Pi-format session file (the JSONL tree format of the pi coding agent, which OpenClaw's runtime also writes):
/// incrementally from a cursor, complete lines only, every line through <see cref="PiTranscriptParser"/>. Format: corpus
/// <c>openclaw/FORMAT.md</c>; pi-mono <c>packages/coding-agent/src/core/session-manager.ts</c>.
/// </summary>
internal static class PiTranscriptFiles
{
    // <stem>.jsonl, optionally followed by .reset.<time> or .deleted.<time> (OpenClaw's rotated transcripts).
    private static readonly Regex TranscriptName = new(
        "^(?<stem>.+)\\.jsonl(?:\\.(?:reset|deleted)\\.[^/\\\\]+)?$", RegexOptions.CultureInvariant, TimeSpan.FromSeconds(1));

    /// <summary>True for a transcript file name: <c>*.jsonl</c>, <c>*.jsonl.reset.*</c>, <c>*.jsonl.deleted.*</c>, but not a
    /// <c>*.trajectory.jsonl</c> trace.</summary>
    public static bool IsTranscript(string fileName) =>
        TranscriptName.Match(fileName) is { Success: true } m && !m.Groups["stem"].Value.EndsWith(".trajectory", StringComparison.Ordinal);

    /// <summary>The transcripts directly in <paramref name="folder"/> (<see cref="IsTranscript"/>), in name order, as append-only
    /// sources; a folder or file that cannot be read is reported to <paramref name="problems"/> and left out.</summary>
    /// <param name="folder">A folder of session files.</param>
    /// <param name="problems">Receives (path, message) for what could not be read.</param>
    public static IEnumerable<SourceFile> InFolder(string folder, Action<string, string> problems)
    {
        foreach (var file in Entries(folder, problems, dirs: false))
        {
            if (!IsTranscript(Path.GetFileName(file)))
            {
                continue;
            }

            FileInfo info;
            try
            {
                info = new FileInfo(file);
                if (!info.Exists)
                {
                    continue;
                }
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                problems(file, ex.Message);
                continue;
            }

            yield return new SourceFile(info.FullName, info.Length, info.LastWriteTimeUtc, AppendOnly: true);
        }
    }

    /// <summary>The sub-folders (<paramref name="dirs"/>) or files of <paramref name="dir"/> in ordinal order; a folder that
    /// cannot be listed is reported to <paramref name="problems"/> and has none.</summary>
    /// <param name="dir">The folder.</param>
    /// <param name="problems">Receives (path, message).</param>
    /// <param name="dirs">True for sub-folders, false for files.</param>
    public static IReadOnlyList<string> Entries(string dir, Action<string, string> problems, bool dirs)
    {
        try
        {
            return (dirs ? Directory.EnumerateDirectories(dir) : Directory.EnumerateFiles(dir)).Order(StringComparer.Ordinal).ToList();
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            problems(dir, ex.Message);
            return [];
        }
    }

    /// <summary>The file name's stem (<c>&lt;stem&gt;.jsonl[.reset.…]</c>), for files whose header is missing.</summary>
    public static string SessionIdFromFileName(string path)
    {
        var name = Path.GetFileName(path);
        return TranscriptName.Match(name) is { Success: true } m ? m.Groups["stem"].Value : name;
    }

    /// <summary>Reads <paramref name="source"/> from <paramref name="from"/> (null: from the start) into
    /// <paramref name="sink"/>; a source shorter than the cursor (rewritten in place) is read again from the start, which
    /// re-emits the same ids. Returns the cursor after the last complete line.</summary>
    /// <param name="platform">The platform id put in every record's provenance.</param>
    /// <param name="source">The session file.</param>
    /// <param name="from">Where the last read stopped.</param>
    /// <param name="sink">Receives the records; malformed lines go to <see cref="IRecordSink.Malformed"/> with their line.</param>
    /// <param name="sessionIdFromPath">The session id a file without a header has (normally the header's <c>id</c> wins).</param>
    /// <param name="cancellationToken">Stops between lines.</param>
    /// <exception cref="IOException">The file vanished or cannot be read.</exception>
    public static IngestResult Ingest(
        string platform, SourceFile source, SourceCursor? from, IRecordSink sink, Func<string, string> sessionIdFromPath, CancellationToken cancellationToken)
    {
        var state = from is { Offset: > 0 } ? PiTranscriptState.Parse(from.State) : null;
        var offset = state is null ? 0 : from!.Offset;
        state ??= new PiTranscriptState { Session = sessionIdFromPath(source.Path) };

        using var stream = new FileStream(source.Path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, 1, FileOptions.SequentialScan);
        var length = stream.Length;
        var lastWrite = File.GetLastWriteTimeUtc(source.Path);
        if (length < offset)
        {
            // Rewritten in place (a repair or a context cleaner): read it again; ids are stable, so nothing doubles.
            offset = 0;
            state = new PiTranscriptState { Session = sessionIdFromPath(source.Path) };
        }

        using var reader = new JsonlLineReader(stream, offset);
        var transcript = new PiTranscriptParser(platform, source.Path, state, sink, source.LastWriteUtc);
        long lines = 0;
        while (reader.TryReadLine(out var line))
        {
            cancellationToken.ThrowIfCancellationRequested();
            lines++;
            transcript.Read(line);
        }

        if (lines > 0)
        {
            transcript.EmitSession();
        }

        return new IngestResult(new SourceCursor(reader.Offset, length, lastWrite, state.Serialize()), lines);
    }
}
