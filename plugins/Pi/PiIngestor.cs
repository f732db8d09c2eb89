using Selftune.Abstractions;
using Selftune.Plugin.Shared.PiFormat;

namespace Selftune.Plugin.Pi;

/// <summary>
/// Reads the pi coding agent's saved sessions: <c>&lt;agent&gt;/sessions/--&lt;cwd&gt;--/&lt;time&gt;_&lt;sessionId&gt;.jsonl</c>
/// (agent folder: <see cref="PiPaths"/>), append-only JSONL in Pi's session tree format (a <c>session</c> header, then
/// <c>message</c>, <c>model_change</c>, <c>compaction</c>, … entries; corpus <c>openclaw/agent-sessions-fixtures/pi-small.jsonl</c>
/// and <c>pi-mono-fixtures/</c>). The lines are read by the Pi-format reader the OpenClaw plugin shares
/// (<see cref="PiTranscriptParser"/>): ids from the header's session id and each entry's id (older id-less lines: the line
/// number), so re-reading or moving a file never doubles a record; a line still being written is left for the next sync;
/// a malformed line is reported with its file and line and skipped.
/// </summary>
/// <remarks>Skills: Pi lists skills in the system prompt and the model loads one with its <c>read</c> tool on
/// <c>…/&lt;name&gt;/SKILL.md</c> (an implicit invocation, confidence <see cref="PiTranscriptParser.SkillReadConfidence"/>);
/// <c>/skill:name</c> arrives as a <c>&lt;skill name=…&gt;</c> block (explicit, confidence 1).</remarks>
public sealed class PiIngestor : IIngestor
{
    /// <inheritdoc />
    public string Platform => PiPaths.Platform;

    /// <inheritdoc />
    public IReadOnlyList<string> EnvironmentVariables => PiPaths.EnvironmentVariables;

    /// <inheritdoc />
    public IReadOnlyList<SourceRoot> SourceRoots(PlatformContext context) => [new SourceRoot(PiPaths.SessionsDir(context))];

    /// <inheritdoc />
    public IEnumerable<SourceFile> Discover(PlatformContext context, Action<string, string> problems)
    {
        var root = PiPaths.SessionsDir(context);
        if (!Directory.Exists(root))
        {
            yield break;
        }

        // Session files sit one level down (one folder per working directory); files directly in the root are read too.
        var folders = new List<string> { root };
        folders.AddRange(PiTranscriptFiles.Entries(root, problems, dirs: true));
        foreach (var folder in folders)
        {
            foreach (var source in PiTranscriptFiles.InFolder(folder, problems))
            {
                yield return source;
            }
        }
    }

    /// <inheritdoc />
    public IngestResult Ingest(SourceFile source, SourceCursor? from, IRecordSink sink, CancellationToken cancellationToken) =>
        PiTranscriptFiles.Ingest(PiPaths.Platform, source, from, sink, PiPaths.SessionIdFromFileName, cancellationToken);
}
