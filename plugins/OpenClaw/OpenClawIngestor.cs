using Selftune.Abstractions;
using Selftune.Plugin.Shared;
using Selftune.Plugin.Shared.PiFormat;

namespace Selftune.Plugin.OpenClaw;

/// <summary>
/// Reads OpenClaw's saved sessions: <c>&lt;state&gt;/agents/&lt;agentId&gt;/sessions/&lt;sessionId&gt;.jsonl</c> (state folder:
/// see <see cref="OpenClawPaths"/>), including the transcripts OpenClaw has rotated (<c>…jsonl.reset.&lt;time&gt;</c> after
/// <c>/new</c>, <c>/reset</c> or a daily reset) or archived (<c>…jsonl.deleted.&lt;time&gt;</c>); these are still history.
/// Pi session files share the format and are read the same way. Format: corpus <c>openclaw/FORMAT.md</c>.
/// </summary>
/// <remarks>
/// <para><b>No double counting.</b> OpenClaw archives a transcript by renaming it (gateway/session-archive.fs.ts,
/// <c>archiveFileOnDisk</c>), so the live file and its archive hold the same lines. Every id is built from the session id
/// in the header and the entry's own <c>id</c> (or, for Pi's older id-less lines, the line number), never from the file
/// name: reading the archive after the live file re-emits the same ids, which the store keeps once. Lock files
/// (<c>.lock</c>), repair backups (<c>.bak-*</c>), the <c>sessions.json</c> index and <c>*.trajectory.jsonl</c> traces are not
/// transcripts and are skipped. A Pi session branched from another (header <c>branchedFrom</c> or <c>parentSession</c>)
/// starts with a copy of the parent's entries, stamped before the header's own time; those are skipped too, since the
/// parent's file holds them (the corpus' <c>before-compaction.jsonl</c> is such a copy: 1,001 of its 1,002 entries).</para>
/// <para><b>Skills.</b> OpenClaw and Pi list skills in the system prompt and the model loads one by calling its
/// <c>read</c> tool on <c>…/&lt;name&gt;/SKILL.md</c>; such a call is recorded as an <see cref="InvocationKind.Implicit"/>
/// invocation with confidence <see cref="SkillReadConfidence"/> (the read is how the skill is invoked, but the model may
/// also read a SKILL.md to inspect or edit it), named after the skill's folder (which may carry a version suffix, e.g.
/// <c>skill-creator-0.1.0</c>). A user's skill command is <see cref="InvocationKind.Explicit"/>
/// (confidence 1): Pi's <c>/skill:name</c> arrives as a <c>&lt;skill name=… location=…&gt;</c> block, OpenClaw's
/// <c>/skill name</c> and per-skill commands as <c>Use the "name" skill for this request.</c>.</para>
/// <para><b>Compaction.</b> A <c>compaction</c> (or Pi <c>branch_summary</c>) entry is emitted as a prompt of kind
/// <see cref="PromptKind.Continuation"/> carrying its summary; it does not end the turn.</para>
/// </remarks>
public sealed class OpenClawIngestor : IIngestor
{
    /// <summary>Confidence given to a skill invocation inferred from a <c>read</c> of its SKILL.md.</summary>
    public const double SkillReadConfidence = PiTranscriptParser.SkillReadConfidence;

    /// <inheritdoc />
    public string Platform => Platforms.OpenClaw;

    /// <inheritdoc />
    public IReadOnlyList<string> EnvironmentVariables => OpenClawPaths.EnvironmentVariables;

    /// <inheritdoc />
    public IReadOnlyList<SourceRoot> SourceRoots(PlatformContext context) => [.. OpenClawPaths.AgentsDirs(context).Distinct(StringComparer.Ordinal).Select(dir => new SourceRoot(dir))];

    /// <inheritdoc />
    public IEnumerable<SourceFile> Discover(PlatformContext context, Action<string, string> problems)
    {
        foreach (var agentsDir in OpenClawPaths.AgentsDirs(context).Distinct(StringComparer.Ordinal))
        {
            if (!Directory.Exists(agentsDir))
            {
                continue;
            }

            foreach (var agentDir in PiTranscriptFiles.Entries(agentsDir, problems, dirs: true))
            {
                var sessions = Path.Combine(agentDir, "sessions");
                if (!Directory.Exists(sessions))
                {
                    continue;
                }

                foreach (var source in PiTranscriptFiles.InFolder(sessions, problems))
                {
                    yield return source;
                }
            }
        }
    }

    /// <inheritdoc />
    public IngestResult Ingest(SourceFile source, SourceCursor? from, IRecordSink sink, CancellationToken cancellationToken) =>
        PiTranscriptFiles.Ingest(Platforms.OpenClaw, source, from, sink, PiTranscriptFiles.SessionIdFromFileName, cancellationToken);
}
