using System.Text.Json;
using Selftune.Abstractions;
using Selftune.AdapterKit;
using Selftune.Host.Tests.Support;

namespace Selftune.Host.Tests;

/// <summary>
/// The loop deploying and watching a real improvement, through the real executable with a fake <c>claude</c> on PATH as
/// both the LLM (it proposes a description) and the agent (it replays held-out prompts against the staged skill). The
/// prompts are the corpus's <c>research</c> trigger eval set (real queries mined from sessions; selftune-dev/selftune, MIT):
/// the narrow description made the user invoke the skill by name for four of the five it should have served. A first run picks the skill by that
/// evidence, evolves and deploys it, and leaves the fresh deploy alone; later runs watch it: not enough data, then — once
/// post-deploy sessions show the skill no longer triggering by itself — a regression, rolled back to the exact bytes.
/// </summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class RunEvolutionEndToEndTests : IDisposable
{
    private const string Original = "Research npm packages.";
    private const string Better = Original + " Use when the user wants open-source libraries or tools found and compared for a technical problem: TypeScript parsers, workflow diagram renderers, telemetry practices.";
    private const string SkillMd = "---\nname: research\ndescription: " + Original + "\n---\n# Research\n\nSearch registries and repositories, then compare the candidates in a table.\n";

    private readonly SelftuneCli _cli = new();
    private readonly string _skillPath;
    private readonly List<(string Query, bool Positive)> _corpus;

    public RunEvolutionEndToEndTests()
    {
        _skillPath = Path.Combine(_cli.UserHome, ".claude", "skills", "research", "SKILL.md");
        Directory.CreateDirectory(Path.GetDirectoryName(_skillPath)!);
        File.WriteAllText(_skillPath, SkillMd);
        FakeClaude();
        _cli.Environment["SELFTUNE_RUN_MAX_GRADE"] = "0";
        _cli.Environment["SELFTUNE_EVOLVE_CANDIDATES"] = "1";
        using var file = File.OpenRead(IngestorContractTests.CorpusPath("skills", "selftune", "Research_trigger_eval.json"));
        _corpus = JsonDocument.Parse(file).RootElement.EnumerateArray()
            .Select(e => (e.GetProperty("query").GetString()!, e.GetProperty("should_trigger").GetBoolean()))
            .Where(e => !e.Item1.StartsWith('<'))
            .ToList();
        var start = DateTimeOffset.UtcNow.AddDays(-30);
        var positives = _corpus.Where(e => e.Positive).ToList();
        StoredSessions.Write(_cli.SelftuneHome, "research", positives.Select((e, i) => ($"pos-{i}", start.AddHours(i), e.Query, (InvocationKind?)(i == 1 ? InvocationKind.Implicit : InvocationKind.Explicit)))
            .Concat(_corpus.Where(e => !e.Positive).Select((e, i) => ($"neg-{i}", start.AddHours(10 + i), e.Query, (InvocationKind?)null))));
    }

    [Fact]
    public void A_run_deploys_a_validated_improvement_and_later_runs_watch_it_and_roll_a_regression_back()
    {
        var original = File.ReadAllBytes(_skillPath);

        var first = _cli.Run("run");

        Assert.True(first.ExitCode == 0, first.ToString());
        var report = first.Json;
        var candidate = report.GetProperty("candidates").EnumerateArray().Single(c => c.GetProperty("skill").GetString() == "research");
        Assert.Equal("evolve", candidate.GetProperty("action").GetString());
        Assert.True(candidate.GetProperty("evidence").GetProperty("explicit_only").GetInt32() > 0);
        var evolution = report.GetProperty("evolutions").EnumerateArray().Single();
        Assert.True(evolution.GetProperty("outcome").GetString() == "deployed", first.ToString());
        Assert.True(evolution.GetProperty("pass_rate_after").GetDouble() > evolution.GetProperty("pass_rate_before").GetDouble());
        Assert.Equal(SkillMd.Replace("description: " + Original, "description: \"" + Better + "\"", StringComparison.Ordinal), File.ReadAllText(_skillPath));
        Assert.True(File.ReadLines(Path.Combine(_cli.Root, "fake-claude", "calls")).Count(l => l == "replay") > 0);

        // A skill deployed in this run is never judged by watch in the same run.
        Assert.Empty(report.GetProperty("watches").EnumerateArray());
        Assert.Contains("deployed in this run, judged by a later run", Phase(report, "watch"), StringComparison.Ordinal);
        Assert.Equal(1, report.GetProperty("totals").GetProperty("deployed").GetInt32());

        // The next run leaves the fresh deploy alone (cooldown) and watch waits for post-deploy sessions.
        var second = _cli.Run("run").Json;
        Assert.StartsWith("cooldown", second.GetProperty("candidates").EnumerateArray().Single(c => c.GetProperty("skill").GetString() == "research").GetProperty("reason").GetString(), StringComparison.Ordinal);
        Assert.Empty(second.GetProperty("evolutions").EnumerateArray());
        var waiting = second.GetProperty("watches").EnumerateArray().Single();
        Assert.Equal(("research", "not_enough_data", false), (waiting.GetProperty("skill").GetString(), waiting.GetProperty("verdict").GetString(), waiting.GetProperty("rolled_back").GetBoolean()));

        // After the deploy the user had to name the skill every time: watch sees the regression and rolls it back.
        var now = DateTimeOffset.UtcNow;
        StoredSessions.Write(_cli.SelftuneHome, "research", Enumerable.Range(0, 3).Select(i => ($"after-{i}", now.AddHours(i + 1), _corpus.Where(e => e.Positive).ElementAt(i).Query, (InvocationKind?)InvocationKind.Explicit)));
        var third = _cli.Run("run");
        Assert.True(third.ExitCode == 0, third.ToString());
        var watched = third.Json.GetProperty("watches").EnumerateArray().Single();
        Assert.Equal(("regressed", true), (watched.GetProperty("verdict").GetString(), watched.GetProperty("rolled_back").GetBoolean()));
        Assert.Equal(1, third.Json.GetProperty("totals").GetProperty("rolled_back").GetInt32());
        Assert.Equal(original, File.ReadAllBytes(_skillPath));

        var runs = _cli.Run("runs").Json.GetProperty("runs").EnumerateArray().ToList();
        Assert.Equal([0, 0, 1], runs.Select(r => r.GetProperty("rolled_back").GetInt32()).Reverse());
        Assert.Equal([1, 0, 0], runs.Select(r => r.GetProperty("deployed").GetInt32()).Reverse());
    }

    [Fact]
    public void With_review_required_the_validated_proposal_waits_for_approval()
    {
        var run = _cli.Run("run", "--review-required");

        Assert.True(run.ExitCode == 0, run.ToString());
        var evolution = run.Json.GetProperty("evolutions").EnumerateArray().Single();
        Assert.Equal("awaiting_review", evolution.GetProperty("outcome").GetString());
        Assert.Equal("selftune proposals list", run.Json.GetProperty("next_command").GetString());
        Assert.Equal(SkillMd, File.ReadAllText(_skillPath));

        var list = _cli.Run("proposals", "list").Json;
        var proposal = list.GetProperty("proposals").EnumerateArray().Single();
        var id = proposal.GetProperty("proposal_id").GetString()!;
        Assert.Equal((id, Better, false), (evolution.GetProperty("proposal_id").GetString(), proposal.GetProperty("proposed_description").GetString(), proposal.GetProperty("stale").GetBoolean()));
        Assert.Equal($"selftune proposals approve {id}", list.GetProperty("next_command").GetString());

        var approve = _cli.Run("proposals", "approve", id);
        Assert.True(approve.ExitCode == 0, approve.ToString());
        Assert.Contains(Better, File.ReadAllText(_skillPath), StringComparison.Ordinal);
        Assert.Empty(_cli.Run("proposals", "list").Json.GetProperty("proposals").EnumerateArray());
        Assert.Equal("deployed", _cli.Run("proposals", "list", "--all").Json.GetProperty("proposals")[0].GetProperty("status").GetString());
        Assert.Equal("INVALID_ARGUMENT", _cli.Run("proposals", "reject", id).Error.GetProperty("code").GetString());
    }

    [Fact]
    public void A_rejected_proposal_leaves_the_skill_untouched()
    {
        var run = _cli.Run("run", "--review-required").Json;
        var id = run.GetProperty("evolutions")[0].GetProperty("proposal_id").GetString()!;

        var reject = _cli.Run("proposals", "reject", id, "--reason", "too broad");

        Assert.True(reject.ExitCode == 0, reject.ToString());
        Assert.Equal(SkillMd, File.ReadAllText(_skillPath));
        var history = _cli.Run("history", "--skill", "research").Json;
        Assert.Contains(history.GetProperty("proposals").EnumerateArray().Single().GetProperty("audit").EnumerateArray(), a => a.GetProperty("message").GetString() == "Rejected by the user: too broad");
        Assert.Equal("NOT_FOUND", _cli.Run("proposals", "approve", "evo-nope").Error.GetProperty("code").GetString());
    }

    public void Dispose() => _cli.Dispose();

    private static string Phase(JsonElement report, string name) =>
        report.GetProperty("phases").EnumerateArray().Single(p => p.GetProperty("name").GetString() == name).GetProperty("summary").GetString()!;

    /// <summary>A fake <c>claude</c>. As an LLM (<c>--output-format json</c>) it proposes <see cref="Better"/>. As an agent replaying
    /// a prompt (<c>stream-json</c>, in a workspace with the candidate staged as a real skill) it invokes the skill — after an
    /// unrelated Bash call, so only a whole-turn reading counts it — when the prompt and the staged description share two
    /// topic words. It logs each call's mode.</summary>
    private void FakeClaude()
    {
        var folder = Directory.CreateDirectory(Path.Combine(_cli.Root, "fake-claude")).FullName;
        var answer = JsonSerializer.Serialize(JsonSerializer.Serialize(new { description = Better, rationale = "names the intents behind the prompts it missed" }));
        _cli.AddTool("claude", $$$"""
            input=$(cat)
            case "$*" in
              *stream-json*)
                echo replay >> '{{{folder}}}/calls'
                front=$(sed -n '2,/^---$/p' .claude/skills/research/SKILL.md)
                n=0
                for w in typescript workflow telemetry libraries diagram renderers parsers packages research codebase; do
                  if printf '%s' "$input" | grep -qi "$w" && printf '%s' "$front" | grep -qi "$w"; then n=$((n+1)); fi
                done
                echo '{"type":"system","subtype":"init","session_id":"s-1","tools":["Bash","Read","Skill"]}'
                echo '{"type":"assistant","message":{"id":"m1","type":"message","role":"assistant","content":[{"type":"tool_use","id":"t1","name":"Bash","input":{"command":"git status"}}]},"session_id":"s-1"}'
                if [ $n -ge 2 ]; then
                  echo '{"type":"assistant","message":{"id":"m2","type":"message","role":"assistant","content":[{"type":"tool_use","id":"t2","name":"Skill","input":{"skill":"research"}}]},"session_id":"s-1"}'
                fi
                echo '{"type":"result","subtype":"success","is_error":false,"num_turns":2,"result":"Done.","session_id":"s-1","total_cost_usd":0.001,"usage":{"input_tokens":10,"output_tokens":5}}'
                ;;
              *)
                echo complete >> '{{{folder}}}/calls'
                printf '%s\n' '{"type":"result","subtype":"success","is_error":false,"result":{{{answer.Replace("'", "'\\''", StringComparison.Ordinal)}}},"total_cost_usd":0.002,"usage":{"input_tokens":900,"output_tokens":80}}'
                ;;
            esac
            """);
    }
}
