using Selftune.AdapterKit;

namespace Selftune.Plugin.Codex.Tests;

/// <summary>Places the shared corpus's Codex rollouts in a fake home as Codex keeps them
/// (<c>~/.codex/sessions/YYYY/MM/DD/rollout-*.jsonl</c>). Files outside a dated folder in the corpus get the
/// folder of their first timestamp and a <c>rollout-</c> name.</summary>
internal static class CodexCorpus
{
    public const string Guideai = ".codex/sessions/2025/10/06/rollout-guideai-0199bb2a-4c23-76b1-bfb0-2d78295c0f29.jsonl";
    public const string Agtrace = ".codex/sessions/2025/12/10/rollout-2025-12-10T04-55-16-019b04ae-b1c6-7c72-a134-a4c2de66058c.jsonl";
    public const string ReviewParent = ".codex/sessions/2026/01/04/rollout-parent-019b88e0.jsonl";
    public const string ReviewSubagent = ".codex/sessions/2026/01/04/rollout-subagent-019b88e5.jsonl";
    public const string CcusageAlpha = ".codex/sessions/2026/05/13/rollout-session-alpha.jsonl";
    public const string SchemaLarge = ".codex/sessions/2025/12/18/rollout-large.jsonl";
    public const string SchemaNewest = ".codex/sessions/2026/08/03/rollout-small.jsonl";
    public const string SchemaDrift = ".codex/sessions/2025/09/10/rollout-schema_drift.jsonl";

    private static readonly (string From, string To)[] Files =
    [
        ("agtrace-samples/rollout-parent-019b88e0.jsonl", ReviewParent),
        ("agtrace-samples/rollout-subagent-019b88e5.jsonl", ReviewSubagent),
        ("ccusage-fixtures/session-alpha.jsonl", CcusageAlpha),
        ("agent-sessions-fixtures/large.jsonl", SchemaLarge),
        ("agent-sessions-fixtures/small.jsonl", SchemaNewest),
        ("agent-sessions-fixtures/schema_drift.jsonl", SchemaDrift),
    ];

    /// <summary>Copies every Codex corpus file into <paramref name="home"/>.</summary>
    public static void Arrange(string home)
    {
        IngestorContractTests.CopyTree(IngestorContractTests.CorpusPath("codex", "sessions"), Path.Combine(home, ".codex", "sessions"));
        foreach (var (from, to) in Files)
        {
            var target = Path.Combine(home, to);
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(IngestorContractTests.CorpusPath(["codex", .. from.Split('/')]), target, overwrite: true);
        }
    }
}
