using Selftune.AdapterKit;
using Selftune.Host.Tests.Support;

namespace Selftune.Host.Tests;

/// <summary>Eval generation pinned on real Claude Code transcripts from the shared corpus, read by the real Claude
/// ingestor through <c>selftune sync</c>.</summary>
public sealed class EvalCorpusTests : IDisposable
{
    private const string Pending = "TODO(evals): enable once the Claude ingestor is on main; remove before merging.";
    private readonly SelftuneCli _cli = new();

    public EvalCorpusTests()
    {
        var projects = Path.Combine(_cli.UserHome, ".claude", "projects");
        var spotter = IngestorContractTests.CorpusPath("claude-code", "spotter");
        CopyTree(spotter, Path.Combine(projects, "-home-USER-projects-spotter"));
        CopyTree(IngestorContractTests.CorpusPath("claude-code", "selftune-fixtures"), Path.Combine(projects, "-sandbox"));
    }

    [Fact(Skip = Pending)]
    public void TheRealSkillTriggerIsThePositiveAndNeverANegative()
    {
        Assert.Equal(0, _cli.Run("sync").ExitCode);

        var result = _cli.Run("eval", "generate", "--skill", "hex-docs-search", "--seed", "42");

        Assert.True(result.ExitCode == 0, result.Stderr);
        var entries = result.Json.GetProperty("eval_set").GetProperty("entries").EnumerateArray().ToList();
        var positive = Assert.Single(entries, e => e.GetProperty("should_trigger").GetBoolean());
        Assert.StartsWith("Work on bead spotter-4te.", positive.GetProperty("query").GetString(), StringComparison.Ordinal);
        Assert.Equal("ae4a77f8-aedd-4bc1-888f-c94edc91af04", positive.GetProperty("session_id").GetString());
        Assert.DoesNotContain(entries, e => !e.GetProperty("should_trigger").GetBoolean() && e.GetProperty("query").GetString()!.StartsWith("Work on bead spotter-4te.", StringComparison.Ordinal));
    }

    public void Dispose() => _cli.Dispose();

    private static void CopyTree(string from, string to)
    {
        foreach (var file in Directory.EnumerateFiles(from, "*", SearchOption.AllDirectories))
        {
            var target = Path.Combine(to, Path.GetRelativePath(from, file));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target);
        }
    }
}
