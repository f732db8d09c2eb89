using Selftune.Abstractions;
using Selftune.Plugin.OpenCode.Storage;

namespace Selftune.Plugin.OpenCode;

/// <summary>
/// Reads OpenCode's saved sessions: the SQLite store <c>opencode.db</c> (OpenCode ≥ 1.2; in
/// <c>$XDG_DATA_HOME/opencode</c>, default <c>~/.local/share/opencode</c>, or <c>OPENCODE_DB</c>) and the legacy JSON tree
/// <c>storage/</c> beside it (OpenCode ≤ 1.1; frozen once OpenCode migrates it into the database, and read too: the
/// migration keeps every id, so sessions found in both yield the same records).
/// <para>
/// Sources are not append-only: a database is one source (its length and time include a non-empty <c>-wal</c> file,
/// where OpenCode's recent writes live until a checkpoint); the legacy tree has one source per session file. The cursor state
/// records what was emitted, so a changed source re-emits only the turns that changed.
/// </para>
/// <para>
/// Emits: sessions (parent for sub-agent sessions, directory, OpenCode version, models, start/end, status), prompts
/// (user text parts; OpenCode's synthetic parts are not what the user typed), tool calls (status <c>error</c>, or a
/// non-zero exit, is an error), usage per model response (<c>step-finish</c> parts, else the assistant message's
/// totals), errors (assistant <c>error</c>, <c>retry</c> parts) and skill use: a <c>skill</c> tool call is an implicit
/// invocation; a <c>read</c> of a <c>…/SKILL.md</c> with no call of that skill in the same turn is a read. Tool calls
/// and skill use link to the turn's prompt when it is actionable.
/// </para>
/// <para>
/// SQLite comes from the host (this plugin is compiled against <c>Microsoft.Data.Sqlite</c> but does not ship it): the
/// plugin load context resolves the provider to the host's copy, which initializes the one native SQLite on first use.
/// </para>
/// </summary>
public sealed class OpenCodeIngestor : IIngestor
{
    /// <inheritdoc />
    public string Platform => Platforms.OpenCode;

    /// <inheritdoc />
    public IReadOnlyList<string> EnvironmentVariables => OpenCodePaths.EnvironmentVariables;

    /// <inheritdoc />
    /// <remarks>The data folder's own files (each database with its <c>-wal</c>; not its large <c>snapshot/</c> tree), the
    /// folder of an <c>OPENCODE_DB</c> set elsewhere, and the legacy JSON tree.</remarks>
    public IReadOnlyList<SourceRoot> SourceRoots(PlatformContext context)
    {
        var data = OpenCodePaths.DataDirectory(context);
        var roots = new List<SourceRoot> { new(data, Recursive: false), new(OpenCodePaths.LegacyStorage(context)) };
        if (OpenCodePaths.CustomDatabase(context) is { } custom)
        {
            roots.Add(new SourceRoot(Path.GetDirectoryName(custom)!, Recursive: false));
        }

        return roots;
    }

    /// <inheritdoc />
    public IEnumerable<SourceFile> Discover(PlatformContext context, Action<string, string> problems)
    {
        var sources = new List<SourceFile>();
        try
        {
            foreach (var database in OpenCodePaths.DatabaseFiles(context))
            {
                // An empty -wal holds nothing the database file lacks (a reader may create one); ignore its time.
                var info = new FileInfo(database);
                var wal = new FileInfo(database + "-wal");
                var pending = wal.Exists && wal.Length > 0;
                var length = info.Length + (pending ? wal.Length : 0);
                var lastWrite = pending && wal.LastWriteTimeUtc > info.LastWriteTimeUtc ? wal.LastWriteTimeUtc : info.LastWriteTimeUtc;
                sources.Add(new SourceFile(database, length, lastWrite, AppendOnly: false));
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            problems(OpenCodePaths.DataDirectory(context), ex.Message);
        }

        sources.AddRange(LegacySource.Discover(OpenCodePaths.LegacyStorage(context), problems));
        return sources;
    }

    /// <inheritdoc />
    /// <exception cref="IOException">The source vanished, or the database could not be opened.</exception>
    public IngestResult Ingest(SourceFile source, SourceCursor? from, IRecordSink sink, CancellationToken cancellationToken) =>
        LegacySource.IsSessionFile(source.Path)
            ? LegacySource.Read(source, from, sink, cancellationToken)
            : DatabaseSource.Read(source, from, sink, cancellationToken);
}
