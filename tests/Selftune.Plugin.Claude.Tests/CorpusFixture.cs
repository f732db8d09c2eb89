using Selftune.Abstractions;
using Selftune.AdapterKit;

namespace Selftune.Plugin.Claude.Tests;

/// <summary>The whole Claude Code corpus copied into a fake home's <c>.claude/projects</c> (the corpus tree as project
/// folders), ingested once from the start.</summary>
public sealed class CorpusFixture : IDisposable
{
    public CorpusFixture()
    {
        Home = Path.Combine(Path.GetTempPath(), "selftune-claude-corpus-" + Guid.NewGuid().ToString("N"));
        Projects = Path.Combine(Home, ".claude", "projects");
        IngestorContractTests.CopyTree(IngestorContractTests.CorpusPath("claude-code"), Projects);
        File.Delete(Path.Combine(Projects, "FORMAT.md"));
        Context = new PlatformContext(Home, Home, _ => null);
        var ingestor = new ClaudeTranscriptIngestor();
        Sink = new RecordingSink();
        foreach (var source in ingestor.Discover(Context, (path, reason) => Problems.Add($"{path}: {reason}")).OrderBy(s => s.Path, StringComparer.Ordinal))
        {
            ingestor.Ingest(source, null, Sink, CancellationToken.None);
        }
    }

    public string Home { get; }

    public string Projects { get; }

    public PlatformContext Context { get; }

    public RecordingSink Sink { get; }

    public List<string> Problems { get; } = [];

    /// <summary>Prompts by id (the last emission of each).</summary>
    public Dictionary<string, PromptRecord> Prompts => Sink.Prompts.GroupBy(p => p.PromptId).ToDictionary(g => g.Key, g => g.Last());

    /// <summary>Sessions by id (the last emission of each).</summary>
    public Dictionary<string, SessionRecord> Sessions => Sink.Sessions.GroupBy(s => s.SessionId).ToDictionary(g => g.Key, g => g.Last());

    public string PathOf(params string[] parts) => Path.Combine([Projects, .. parts]);

    public void Dispose()
    {
        try
        {
            Directory.Delete(Home, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
