using Selftune.AdapterKit;

namespace Selftune.Plugin.Pi.Tests;

/// <summary>
/// Pi sessions from the shared corpus (shared/corpus/openclaw: jazzyalex/agent-sessions and badlogic/pi-mono, MIT, see
/// MANIFEST.md) laid out in a fake home the way Pi stores them:
/// <c>~/.pi/agent/sessions/--&lt;cwd&gt;--/&lt;time&gt;_&lt;sessionId&gt;.jsonl</c>.
/// </summary>
internal static class Samples
{
    public const string Small = ".pi/agent/sessions/--tmp-as-agent-fixture-project--/2026-05-12T01-02-27-657Z_019e19b4-eb48-746a-aa6b-8dfcfa37954b.jsonl";
    public const string Large = ".pi/agent/sessions/--home-mario-dev-pi-mono--/2025-11-20T09-00-00-000Z_d703a1a9-1b7b-4fb1-b512-c9738b1fe617.jsonl";

    public static readonly (string Corpus, string Home)[] Files =
    [
        ("agent-sessions-fixtures/pi-small.jsonl", Small),
        ("pi-mono-fixtures/large-session.jsonl", Large),
    ];

    /// <summary>Copies every sample into <paramref name="home"/>, plus a file that is not a session.</summary>
    public static void Arrange(string home)
    {
        foreach (var (corpus, target) in Files)
        {
            var to = Path.Combine(home, target);
            Directory.CreateDirectory(Path.GetDirectoryName(to)!);
            File.Copy(IngestorContractTests.CorpusPath(["openclaw", .. corpus.Split('/')]), to, overwrite: true);
        }

        File.WriteAllText(Path.Combine(home, ".pi/agent/sessions/--tmp-as-agent-fixture-project--/notes.txt"), "not a session");
    }
}
