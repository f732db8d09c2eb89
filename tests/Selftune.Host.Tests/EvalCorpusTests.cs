using System.Text.Json;
using Selftune.AdapterKit;
using Selftune.Host.Tests.Support;

namespace Selftune.Host.Tests;

/// <summary>Eval generation pinned on real Claude Code transcripts from the shared corpus (spotter's session with a real
/// <c>Skill</c> call, selftune's sandbox sessions that read SKILL.md files), read by the real Claude ingestor through
/// <c>selftune sync</c>.</summary>
public sealed class EvalCorpusTests : IDisposable
{
    private const string SpotterSession = "ae4a77f8-aedd-4bc1-888f-c94edc91af04";
    private readonly SelftuneCli _cli = new();

    public EvalCorpusTests()
    {
        var projects = Path.Combine(_cli.UserHome, ".claude", "projects");
        CopyTree(IngestorContractTests.CorpusPath("claude-code", "spotter"), Path.Combine(projects, "-home-USER-projects-spotter"));
        CopyTree(IngestorContractTests.CorpusPath("claude-code", "selftune-fixtures"), Path.Combine(projects, "-sandbox"));
    }

    [Fact]
    public void TheRealSkillTriggerIsThePositiveAndEveryOtherActionablePromptANegative()
    {
        Assert.Equal(0, _cli.Run("sync").ExitCode);

        var result = _cli.Run("eval", "generate", "--skill", "hex-docs-search", "--seed", "42");

        Assert.True(result.ExitCode == 0, result.Stderr);
        var entries = result.Json.GetProperty("eval_set").GetProperty("entries").EnumerateArray().ToList();
        var positive = Assert.Single(entries, e => e.GetProperty("should_trigger").GetBoolean());
        Assert.StartsWith("Work on bead spotter-4te. Run bd show spotter-4te", positive.GetProperty("query").GetString(), StringComparison.Ordinal);
        Assert.Equal(SpotterSession, positive.GetProperty("session_id").GetString());
        Assert.Equal("contextual", positive.GetProperty("invocation_type").GetString());
        var negatives = entries.Where(e => !e.GetProperty("should_trigger").GetBoolean()).Select(e => e.GetProperty("query").GetString()!).ToList();
        Assert.Equal(
            ["continue implementation", "create the beads", "find me a skill for web scraping", "great, install the bright data one", "mix phx.server doesnt seem to start",
             "scrolling back in xterm.js", "search for a skill that does image generation", "start phoenix in background", "what about the ai-image-generation one?"],
            negatives.Select(n => n.StartsWith("scrolling back in xterm.js", StringComparison.Ordinal) ? "scrolling back in xterm.js" : n).Order(StringComparer.Ordinal));
        Assert.Equal("search for a skill that does image generation", negatives[0]); // shares "search" with the skill's name: the near miss first
        var counts = result.Json.GetProperty("counts");
        Assert.Equal((1, 6, 4), (counts.GetProperty("near_miss_negatives").GetInt32(), counts.GetProperty("train").GetInt32(), counts.GetProperty("validation").GetInt32()));

        var evidence = _cli.Run("eval", "list").Json.GetProperty("skills").EnumerateArray().ToDictionary(s => s.GetProperty("skill").GetString()!);
        Assert.Equal(("cold_start", 1), (evidence["elixir:hex-docs-search"].GetProperty("readiness").GetString(), evidence["elixir:hex-docs-search"].GetProperty("real_positives").GetInt32()));
        Assert.Equal((0, 2), (evidence["find-skills"].GetProperty("real_positives").GetInt32(), evidence["find-skills"].GetProperty("reads").GetInt32()));
    }

    [Fact]
    public void APromptAfterWhichTheSkillWasReadIsNeverANegativeForIt()
    {
        Assert.Equal(0, _cli.Run("sync").ExitCode);
        using var claude = new FakeAgentCli("claude").Install();
        _cli.Environment["PATH"] = claude.Folder + Path.PathSeparator + System.Environment.GetEnvironmentVariable("PATH");
        claude.Stdout = JsonSerializer.Serialize(new Dictionary<string, object>
        {
            ["type"] = "result",
            ["subtype"] = "success",
            ["is_error"] = false,
            ["result"] = """{"should_trigger":[{"query":"is there a skill for parsing invoices?"},{"query":"find a skill that can read Excel files"}],"should_not_trigger":[{"query":"install the skill I just downloaded"}]}""",
            ["total_cost_usd"] = 0.002,
            ["usage"] = new { input_tokens = 900, output_tokens = 120 },
        });
        var skill = Path.Combine(_cli.Root, "find-skills");
        Directory.CreateDirectory(skill);
        File.WriteAllText(Path.Combine(skill, "SKILL.md"), "---\nname: find-skills\ndescription: Find and install agent skills from the public registries.\n---\n# Find skills\n");

        var result = _cli.Run("eval", "generate", "--skill", "find-skills", "--synthetic", "--skill-path", skill);

        Assert.True(result.ExitCode == 0, result.Stderr);
        var entries = result.Json.GetProperty("eval_set").GetProperty("entries").EnumerateArray().ToList();
        var negatives = entries.Where(e => !e.GetProperty("should_trigger").GetBoolean()).Select(e => e.GetProperty("query").GetString()).ToList();
        Assert.DoesNotContain("find me a skill for web scraping", negatives);
        Assert.DoesNotContain("search for a skill that does image generation", negatives);
        Assert.Contains("what about the ai-image-generation one?", negatives);
        Assert.All(entries.Where(e => e.GetProperty("should_trigger").GetBoolean()), e => Assert.True(e.GetProperty("synthetic").GetBoolean()));
        // 8 real negatives are short of 10, so the synthetic negative is kept too; synthetic entries come after the real ones.
        Assert.Equal(3, entries.Count(e => e.GetProperty("synthetic").GetBoolean()));
        Assert.Equal(8, entries.TakeWhile(e => !e.GetProperty("synthetic").GetBoolean()).Count());
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
