namespace Selftune.Abstractions;

/// <summary>One readable source of an agent's saved sessions: a transcript file, or a database.</summary>
/// <param name="Path">Absolute path; also the key the core remembers the <see cref="SourceCursor"/> under.</param>
/// <param name="Length">Size in bytes when enumerated.</param>
/// <param name="LastWriteUtc">Last modification time when enumerated.</param>
/// <param name="AppendOnly">True when the source only ever grows (JSONL): the core then asks for the bytes after the
/// last offset read. False (a database, a JSON document): a changed source is re-read whole, and the plugin's
/// <see cref="SourceCursor.State"/> tells it what it already emitted.</param>
public sealed record SourceFile(string Path, long Length, DateTime LastWriteUtc, bool AppendOnly = true);

/// <summary>A folder (or file) under which an ingestor's sources live (see <see cref="IIngestor.SourceRoots"/>).</summary>
/// <param name="Path">The folder or file; it need not exist.</param>
/// <param name="Recursive">True: every file in the folder and its subfolders counts; false: only the files directly in it
/// (for a folder that also holds large unrelated trees).</param>
public sealed record SourceRoot(string Path, bool Recursive = true);

/// <summary>How far a source was read last time.</summary>
/// <param name="Offset">Byte offset just after the last complete line consumed (append-only sources).</param>
/// <param name="Length">Source length at that time.</param>
/// <param name="LastWriteUtc">Source modification time at that time.</param>
/// <param name="State">Opaque plugin state (e.g. the current prompt id and models of a transcript read so far), at most a few KB.</param>
public sealed record SourceCursor(long Offset, long Length, DateTime LastWriteUtc, string? State = null);

/// <summary>The outcome of reading one source.</summary>
/// <param name="Cursor">Where to resume next time.</param>
/// <param name="Lines">Records (lines, rows) read.</param>
public sealed record IngestResult(SourceCursor Cursor, long Lines);

/// <summary>
/// Finds an agent's saved sessions and turns them into canonical records, incrementally.
/// Implementations stream (never hold a whole source in memory), skip and report malformed records through
/// <see cref="IRecordSink.Malformed"/>, and set <see cref="Provenance.Mode"/> to <see cref="CaptureMode.Transcript"/>.
/// </summary>
public interface IIngestor
{
    /// <summary>The platform id this ingestor reads (one of <see cref="Platforms"/>, or the plugin's own).</summary>
    string Platform { get; }

    /// <summary>Lists the sources present on this machine, cheaply (a directory walk; no file is opened).
    /// Missing or unreadable folders yield nothing; unreadable subfolders are reported through <paramref name="problems"/>.</summary>
    /// <param name="context">The machine.</param>
    /// <param name="problems">Receives (path, reason) for folders that could not be listed.</param>
    IEnumerable<SourceFile> Discover(PlatformContext context, Action<string, string> problems);

    /// <summary>The folders (or files) under which lives every file that <see cref="Discover"/> lists or <see cref="Ingest"/>
    /// reads; roots that do not exist yet may be listed too. They, like <see cref="Discover"/>'s result, must depend only
    /// on <see cref="PlatformContext.UserHome"/> and the environment read through <see cref="PlatformContext.Environment"/>.
    /// A sync records every file under them (path, length, modification time); when the next sync finds exactly the same
    /// files, it knows nothing changed without loading any plugin. The default, none, means "cannot tell": every sync then
    /// loads this plugin and discovers. Added in contract 1.1; an ingestor that does not declare roots works as before.</summary>
    /// <param name="context">The machine.</param>
    IReadOnlyList<SourceRoot> SourceRoots(PlatformContext context) => [];

    /// <summary>The environment variables whose values change where <see cref="Discover"/> and <see cref="SourceRoots"/>
    /// look (e.g. <c>CODEX_HOME</c>); a name ending in <c>*</c> stands for every variable with that prefix. A run on the
    /// bundled sample data hides them from every plugin so it reads none of the user's sessions. Added in contract 1.2;
    /// the default is none.</summary>
    IReadOnlyList<string> EnvironmentVariables => [];

    /// <summary>Reads one source from <paramref name="from"/> (null: from the start) and emits its records. Called for
    /// different sources from several threads at once (the sync parses on every core, its writer included), so an
    /// implementation keeps per-read state local and guards what it shares.</summary>
    /// <param name="source">The source, as discovered.</param>
    /// <param name="from">Where the previous read stopped, or null to read from the start.</param>
    /// <param name="sink">Receives the records.</param>
    /// <param name="cancellationToken">Stops the read; the returned cursor is then not saved.</param>
    /// <returns>The cursor to resume from.</returns>
    /// <exception cref="IOException">The source vanished or could not be read; the core counts it and moves on.</exception>
    IngestResult Ingest(SourceFile source, SourceCursor? from, IRecordSink sink, CancellationToken cancellationToken);
}
