using Selftune.Abstractions;
using Selftune.AdapterKit;

namespace Selftune.Plugin.Claude.Tests;

/// <summary>The adapter kit's contract, run over real Claude Code transcripts from the shared corpus.</summary>
public sealed class ClaudeIngestorContractTests : IngestorContractTests
{
    protected override IIngestor CreateIngestor() => new ClaudeTranscriptIngestor();

    protected override void ArrangeSamples(string home)
    {
        var projects = Path.Combine(home, ".claude", "projects");
        CopyTree(CorpusPath("claude-code", "spotter"), Path.Combine(projects, "spotter"));
        CopyTree(CorpusPath("claude-code", "swordintel"), Path.Combine(projects, "swordintel"));
        CopyTree(CorpusPath("claude-code", "selftune-fixtures"), Path.Combine(projects, "selftune-fixtures"));
    }

    // A real 2.1 session with a Skill call, sub-agents beside it, compaction and tool errors.
    protected override string? AppendableSample => Path.Combine(".claude", "projects", "spotter", "ae4a77f8-aedd-4bc1-888f-c94edc91af04.jsonl");
}
