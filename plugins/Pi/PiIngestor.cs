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
        folders.AddRange(List(root, problems, dirs: true));
        foreach (var folder in folders)
        {
            foreach (var file in List(folder, problems, dirs: false))
            {
                if (!PiTranscriptFiles.IsTranscript(Path.GetFileName(file)))
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
    }

    /// <inheritdoc />
    public IngestResult Ingest(SourceFile source, SourceCursor? from, IRecordSink sink, CancellationToken cancellationToken) =>
        PiTranscriptFiles.Ingest(PiPaths.Platform, source, from, sink, PiPaths.SessionIdFromFileName, cancellationToken);

    private static IEnumerable<string> List(string dir, Action<string, string> problems, bool dirs)
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
}
