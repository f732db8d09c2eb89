using Selftune.AdapterKit;

namespace Selftune.Plugin.OpenClaw.Tests;

/// <summary>
/// The corpus' OpenClaw and Pi transcripts (shared/corpus/openclaw, MIT, see MANIFEST.md) laid out in a fake home the
/// way OpenClaw stores them: <c>~/.openclaw/agents/&lt;agentId&gt;/sessions/&lt;sessionId&gt;.jsonl</c>. One Pi session is
/// stored as a rotated transcript (<c>.jsonl.reset.&lt;time&gt;</c>), and the folder also holds files that are not
/// transcripts (the index, a lock, a repair backup, a trajectory trace), which discovery must skip.
/// </summary>
internal static class Samples
{
    public const string Large = ".openclaw/agents/main/sessions/openclaw-stage0-large.jsonl";
    public const string Small = ".openclaw/agents/main/sessions/openclaw-stage0-small.jsonl";
    public const string Drift = ".openclaw/agents/main/sessions/openclaw-stage0-drift.jsonl";
    public const string PiSmall = ".openclaw/agents/pi/sessions/019e19b4-eb48-746a-aa6b-8dfcfa37954b.jsonl";
    public const string PiBranched = ".openclaw/agents/pi/sessions/ffae836b-9420-4060-ac13-7745215f90ff.jsonl";
    public const string PiLarge = ".openclaw/agents/pi/sessions/d703a1a9-1b7b-4fb1-b512-c9738b1fe617.jsonl.reset.2025-11-21T10-00-00.000Z";
    public const string Selftune = ".openclaw/agents/agent-alpha/sessions/sess-oc-002.jsonl";

    public static readonly (string Corpus, string Home)[] Files =
    [
        ("agent-sessions-fixtures/large.jsonl", Large),
        ("agent-sessions-fixtures/small.jsonl", Small),
        ("agent-sessions-fixtures/schema_drift.jsonl", Drift),
        ("agent-sessions-fixtures/pi-small.jsonl", PiSmall),
        ("pi-mono-fixtures/before-compaction.jsonl", PiBranched),
        ("pi-mono-fixtures/large-session.jsonl", PiLarge),
        ("selftune-fixtures/agents/agent-alpha/sessions/sess-oc-002.jsonl", Selftune),
    ];

    /// <summary>Copies every sample into <paramref name="home"/> and adds the non-transcript files.</summary>
    public static void Arrange(string home)
    {
        foreach (var (corpus, target) in Files)
        {
            Copy(corpus, home, target);
        }

        var sessions = Path.Combine(home, ".openclaw/agents/main/sessions");
        File.WriteAllText(Path.Combine(sessions, "sessions.json"), "{\"agent:main:main\":{\"sessionId\":\"openclaw-stage0-large\"}}");
        File.WriteAllText(Path.Combine(sessions, "openclaw-stage0-large.jsonl.lock"), "");
        File.Copy(Path.Combine(home, Small), Path.Combine(sessions, "openclaw-stage0-small.jsonl.bak-1700000000"));
        File.WriteAllText(Path.Combine(sessions, "openclaw-stage0-large.trajectory.jsonl"), "{\"type\":\"session.start\"}\n");
    }

    /// <summary>Copies one corpus file to <paramref name="target"/> (relative to <paramref name="home"/>).</summary>
    public static string Copy(string corpus, string home, string target)
    {
        var to = Path.Combine(home, target);
        Directory.CreateDirectory(Path.GetDirectoryName(to)!);
        File.Copy(IngestorContractTests.CorpusPath(["openclaw", .. corpus.Split('/')]), to, overwrite: true);
        return to;
    }
}
