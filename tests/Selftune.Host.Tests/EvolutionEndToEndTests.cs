using System.Text.Json;
using System.Text.RegularExpressions;
using Selftune.Abstractions;
using Selftune.AdapterKit;
using Selftune.Core.Eval;
using Selftune.Core.Store;
using Selftune.Host.Tests.Support;

namespace Selftune.Host.Tests;

/// <summary>
/// The evolution loop through the real executable, on real prompts: the queries of the corpus's <c>research</c> trigger
/// eval set (mined from real sessions; selftune-dev/selftune, MIT). The research skill's narrow description made the
/// user name the skill for two of them (misses); an OpenAI-compatible server on 127.0.0.1 plays the LLM (scripted
/// proposals; a word-overlap judge), or a fake <c>claude</c> on PATH plays the agent for replay.
/// </summary>
public sealed partial class EvolutionEndToEndTests : IDisposable
{
    private const string Original = "Research npm packages.";
    private const string Better = Original + " Use when the user wants open-source libraries or tools found and compared for a technical problem: TypeScript parsers, workflow diagram renderers, telemetry practices.";
    private const string Angled = Original + " Use for <anything> about packages.";
    private const string Broad = "Research packages and anything else: explore codebases, review changes, plan features, write documentation and answer questions about any project.";
    private const string SkillMd = "---\nname: research\ndescription: " + Original + "\nlicense: MIT\n---\n# Research\n\nSearch registries and repositories, then compare the candidates in a table.\n";

    private static readonly HashSet<string> JudgeStopWords = new(StringComparer.Ordinal)
    {
        "about", "which", "their", "there", "these", "those", "would", "could", "should", "where", "while", "using", "other", "after",
        "before", "being", "every", "maybe", "still", "really", "thing", "things",
    };

    private readonly SelftuneCli _cli = new();
    private readonly Queue<string> _proposals = new([Angled, Better, Broad]);
    private readonly ChatCompletionsServer _llm;
    private readonly string _skillPath;
    private readonly List<(string Query, bool Positive, InvocationType Type)> _corpus;

    public EvolutionEndToEndTests()
    {
        _llm = new ChatCompletionsServer(Respond);
        _cli.Environment["SELFTUNE_LLM_BACKEND"] = "openai-compatible";
        _cli.Environment["SELFTUNE_LLM_BASE_URL"] = _llm.BaseUrl;
        _cli.Environment["SELFTUNE_LLM_MODEL"] = "loopback-judge";
        _cli.Environment["OPENAI_API_KEY"] = "test-key";
        _cli.Environment["PATH"] = "/usr/bin:/bin";
        _skillPath = Path.Combine(_cli.Root, "project", ".claude", "skills", "research", "SKILL.md");
        Directory.CreateDirectory(Path.GetDirectoryName(_skillPath)!);
        File.WriteAllText(_skillPath, SkillMd);
        using var file = File.OpenRead(IngestorContractTests.CorpusPath("skills", "selftune", "Research_trigger_eval.json"));
        _corpus = JsonDocument.Parse(file).RootElement.EnumerateArray()
            .Select(e => (e.GetProperty("query").GetString()!, e.GetProperty("should_trigger").GetBoolean(), Enum.Parse<InvocationType>(e.GetProperty("invocation_type").GetString()!, ignoreCase: true)))
            .Where(e => !e.Item1.StartsWith('<'))
            .ToList();
        Seed();
    }

    public void Dispose()
    {
        _llm.Dispose();
        _cli.Dispose();
    }

    [Fact]
    public void A_validated_proposal_is_deployed_then_a_regression_is_caught_by_watch_and_rolled_back_to_the_exact_bytes()
    {
        var original = File.ReadAllBytes(_skillPath);

        var evolve = _cli.Run("evolve", "--skill", "research", "--skill-path", _skillPath, "--validation", "judge");

        Assert.True(evolve.ExitCode == 0, evolve.Stderr);
        var result = evolve.Json;
        Assert.True(result.GetProperty("deployed").GetBoolean(), evolve.Stdout);
        Assert.Equal("judge", result.GetProperty("validation_method").GetString());
        Assert.Equal(["rejected", "deployed", "rejected"], result.GetProperty("candidates").EnumerateArray().Select(c => c.GetProperty("status").GetString()));

        // 3 proposals + 3 judge runs for the original + 3 for each of the two candidates that passed the static checks.
        var judged = _llm.Requests.Where(r => r.System.Contains("routing decisions", StringComparison.Ordinal)).ToList();
        Assert.Equal(3, judged.Count(r => r.User.Contains("<<<\n" + Original + "\n>>>", StringComparison.Ordinal)));
        Assert.Equal(9, judged.Count);
        Assert.Equal(12, _llm.Requests.Count);
        Assert.Equal(12, result.GetProperty("spend").GetProperty("calls").GetInt32());
        var validationQueries = _corpus.Where(e => e.Positive).Skip(3).Select(e => e.Query).ToList();
        Assert.All(_llm.Requests.Where(r => r.System.Contains("description field", StringComparison.Ordinal)),
            r => Assert.DoesNotContain(validationQueries, q => r.User.Contains(q[..80], StringComparison.Ordinal)));

        // The file differs in its description only; the backup holds the original bytes.
        Assert.Equal(SkillMd.Replace(Original, Better, StringComparison.Ordinal).Replace("description: " + Better, "description: \"" + Better + "\"", StringComparison.Ordinal), File.ReadAllText(_skillPath));
        var backup = result.GetProperty("deploy").GetProperty("backup_path").GetString()!;
        Assert.Equal(original, File.ReadAllBytes(backup));

        // The audit trail is complete, with evidence.
        var history = _cli.Run("history", "--skill", "research").Json;
        var proposals = history.GetProperty("proposals").EnumerateArray().ToList();
        Assert.Equal(3, proposals.Count);
        var winner = proposals.Single(p => p.GetProperty("proposal").GetProperty("status").GetString() == "deployed");
        var actions = winner.GetProperty("audit").EnumerateArray().Select(a => a.GetProperty("action").GetString()).ToList();
        Assert.Equal(["created", "validated", "deployed"], actions);
        var evidence = winner.GetProperty("audit")[1].GetProperty("evidence");
        Assert.Equal(10, evidence.GetProperty("per_entry").GetArrayLength());
        Assert.Equal("loopback-judge", evidence.GetProperty("llm").GetProperty("model").GetString());
        Assert.All(proposals.Where(p => p.GetProperty("proposal").GetProperty("status").GetString() != "deployed"), p => Assert.Equal("rejected", p.GetProperty("audit").EnumerateArray().Last().GetProperty("action").GetString()));

        // Watch waits for post-deploy sessions, then sees the skill no longer triggering by itself and rolls it back.
        var early = _cli.Run("watch", "--skill", "research", "--auto-rollback");
        Assert.Equal(0, early.ExitCode);
        Assert.Equal("not_enough_data", early.Json.GetProperty("verdict").GetString());

        var now = DateTimeOffset.UtcNow;
        StoredSessions.Write(_cli.SelftuneHome, "research", Enumerable.Range(0, 3).Select(i => ($"after-{i}", now.AddHours(i + 1), _corpus.Where(e => e.Positive).ElementAt(i).Query, (InvocationKind?)InvocationKind.Explicit)));
        var watch = _cli.Run("watch", "--skill", "research", "--auto-rollback");

        Assert.Equal(1, watch.ExitCode);
        Assert.Equal("regressed", watch.Json.GetProperty("verdict").GetString());
        Assert.Equal(0.3333, watch.Json.GetProperty("before").GetProperty("trigger_rate").GetDouble()); // the misses before the deploy (MissFinder) count as wanted turns
        Assert.Equal(0.0, watch.Json.GetProperty("after").GetProperty("trigger_rate").GetDouble());
        Assert.Equal(original, File.ReadAllBytes(_skillPath));
        var after = _cli.Run("history", "--skill", "research").Json;
        Assert.Empty(after.GetProperty("active_deploys").EnumerateArray());
        Assert.Equal("rolled_back", after.GetProperty("writes")[1].GetProperty("action").GetString());
    }

    [Fact]
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public void Auto_validation_replays_each_held_out_query_through_the_agent_with_the_candidate_staged_as_a_real_skill()
    {
        var skills = Path.Combine(_cli.UserHome, ".claude", "skills");
        var skillPath = Path.Combine(skills, "research", "SKILL.md");
        Directory.CreateDirectory(Path.GetDirectoryName(skillPath)!);
        File.WriteAllText(skillPath, SkillMd);
        Directory.CreateDirectory(Path.Combine(skills, "pdf"));
        File.WriteAllText(Path.Combine(skills, "pdf", "SKILL.md"), "---\nname: pdf\ndescription: Read, merge and split PDF files.\n---\n");
        var claude = FakeClaude();
        _cli.Environment["PATH"] = claude + Path.PathSeparator + "/usr/bin:/bin";

        var evolve = _cli.Run("evolve", "--skill", "research", "--skill-path", skillPath);

        Assert.True(evolve.ExitCode == 0, evolve.Stderr);
        var result = evolve.Json;
        Assert.Equal("replay", result.GetProperty("validation_method").GetString());
        Assert.Contains("auto: replay through claude", result.GetProperty("validation_note").GetString(), StringComparison.Ordinal);
        Assert.True(result.GetProperty("deployed").GetBoolean(), evolve.Stdout);
        Assert.Equal(Better, Core.Skills.SkillFile.Load(skillPath).Description);

        // One agent run per held-out query: 10 for the original (once, not once per candidate), 10 for the winner, and 2 for
        // the broad candidate, stopped once it could no longer beat the original.
        var runs = File.ReadAllLines(Path.Combine(claude, "replays"));
        Assert.Equal(22, runs.Length);
        Assert.Equal(22, result.GetProperty("spend").GetProperty("replay_runs").GetInt32());
        Assert.Equal(10, runs.Count(r => r.StartsWith("description: " + Original + "|", StringComparison.Ordinal)));
        Assert.StartsWith("stopped after 2 of 10 entries", result.GetProperty("candidates")[2].GetProperty("reason").GetString(), StringComparison.Ordinal);
        Assert.All(runs, r => Assert.Contains("|sibling|project|shadowed|", r, StringComparison.Ordinal));
        Assert.False(File.Exists(skillPath + Core.Evolution.ReplayValidator.ShadowSuffix));
        Assert.Equal(3, _llm.Requests.Count);
    }

    [Fact]
    public void Doctor_restores_a_skill_an_interrupted_replay_left_hidden()
    {
        var userSkill = Path.Combine(_cli.UserHome, ".claude", "skills", "research", "SKILL.md");
        Directory.CreateDirectory(Path.GetDirectoryName(userSkill)!);
        File.WriteAllText(userSkill + Core.Evolution.ReplayValidator.ShadowSuffix, SkillMd);
        File.WriteAllText(Path.Combine(_cli.SelftuneHome, "replay-shadowed.json"), JsonSerializer.Serialize(new[] { userSkill }));

        var doctor = _cli.Run("doctor");

        var replay = doctor.Json.GetProperty("checks").EnumerateArray().Single(c => c.GetProperty("name").GetString() == "replay");
        Assert.Equal("warn", replay.GetProperty("status").GetString());
        Assert.Equal(SkillMd, File.ReadAllText(userSkill));
    }

    [Fact]
    public void Offline_mode_runs_the_loop_without_a_model_and_says_so()
    {
        var evolve = _cli.Run("evolve", "--skill", "research", "--skill-path", _skillPath, "--llm", "offline", "--dry-run");

        Assert.True(evolve.ExitCode == 0, evolve.Stderr);
        Assert.True(evolve.Json.GetProperty("heuristic").GetBoolean());
        Assert.Equal("lexical", evolve.Json.GetProperty("validation_method").GetString());
        Assert.StartsWith("[heuristic]", evolve.Json.GetProperty("reason").GetString(), StringComparison.Ordinal);
        Assert.Empty(_llm.Requests);
        Assert.Equal(SkillMd, File.ReadAllText(_skillPath));
    }

    [Fact]
    public void Bad_input_is_refused_clearly_and_nothing_is_written()
    {
        File.WriteAllText(_skillPath, "# Research\n\nNo frontmatter here.\n");
        var noFrontmatter = _cli.Run("evolve", "--skill", "research", "--skill-path", _skillPath);
        Assert.Equal("SKILL_INVALID", noFrontmatter.Error.GetProperty("code").GetString());
        Assert.Contains("no YAML frontmatter", noFrontmatter.Error.GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.Equal("# Research\n\nNo frontmatter here.\n", File.ReadAllText(_skillPath));

        File.WriteAllText(_skillPath, "---\nname: research\ndescription: [unclosed\n---\n");
        var invalidYaml = _cli.Run("evolve", "--skill", "research", "--skill-path", _skillPath);
        Assert.Equal("SKILL_INVALID", invalidYaml.Error.GetProperty("code").GetString());
        Assert.StartsWith(_skillPath + ":", invalidYaml.Error.GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.Equal("---\nname: research\ndescription: [unclosed\n---\n", File.ReadAllText(_skillPath));

        var rollback = _cli.Run("rollback", "--skill", "research");
        Assert.Equal("NOT_FOUND", rollback.Error.GetProperty("code").GetString());
        var watch = _cli.Run("watch", "--skill", "research");
        Assert.Equal("selftune evolve --skill research", watch.Error.GetProperty("next_command").GetString());
        Assert.Empty(_llm.Requests);
    }

    /// <summary>The scripted LLM: proposals in order; the judge says YES when the request shares at least two words of five
    /// letters or more with the description.</summary>
    private string Respond(string system, string user)
    {
        if (system.Contains("description field", StringComparison.Ordinal))
        {
            lock (_proposals)
            {
                return JsonSerializer.Serialize(new { description = _proposals.Dequeue(), rationale = "names the intents behind the misses" });
            }
        }

        var description = Words(DescriptionBlock().Match(user).Groups[1].Value);
        return string.Join('\n', RequestLine().Matches(user).Select(m => $"{m.Groups[1].Value}: {(Words(m.Groups[2].Value).Count(description.Contains) >= 2 ? "YES" : "NO")}"));
    }

    /// <summary>A fake <c>claude</c> for replay: it reads the staged skill in its working directory and "invokes" it — after
    /// an unrelated Bash call, so only a whole-turn reading counts it — when the query and the staged description share two
    /// topic words. It logs, per run, the staged description line, whether the sibling skill was staged beside it and
    /// whether the workspace is a project root, and whether the user's own copy of the skill was hidden.</summary>
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    private string FakeClaude()
    {
        var folder = Directory.CreateDirectory(Path.Combine(_cli.Root, "fake-claude")).FullName;
        var script = Path.Combine(folder, "claude");
        File.WriteAllText(script, $$$"""
            #!/bin/sh
            query=$(cat)
            skill=.claude/skills/research/SKILL.md
            front=$(sed -n '2,/^---$/p' "$skill")
            n=0
            for w in typescript workflow telemetry libraries diagram renderers parsers packages research codebase; do
              if printf '%s' "$query" | grep -qi "$w" && printf '%s' "$front" | grep -qi "$w"; then n=$((n+1)); fi
            done
            sibling=none; [ -f .claude/skills/pdf/SKILL.md ] && sibling=sibling
            root=none; [ -d .git ] && root=project
            user=visible; [ -f "$HOME/.claude/skills/research/SKILL.md" ] || user=shadowed
            echo "$(grep -m1 '^description:' "$skill")|$sibling|$root|$user|$n" >> '{{{folder}}}/replays'
            echo '{"type":"system","subtype":"init","session_id":"s-1","tools":["Bash","Read","Skill"]}'
            echo '{"type":"assistant","message":{"id":"m1","type":"message","role":"assistant","content":[{"type":"tool_use","id":"t1","name":"Bash","input":{"command":"git status"}}]},"session_id":"s-1"}'
            if [ $n -ge 2 ]; then
              echo '{"type":"assistant","message":{"id":"m2","type":"message","role":"assistant","content":[{"type":"tool_use","id":"t2","name":"Skill","input":{"skill":"research"}}]},"session_id":"s-1"}'
            fi
            echo '{"type":"result","subtype":"success","is_error":false,"num_turns":2,"result":"Done.","session_id":"s-1","total_cost_usd":0.001,"usage":{"input_tokens":10,"output_tokens":5}}'
            """.Replace("\r\n", "\n", StringComparison.Ordinal));
        File.SetUnixFileMode(script, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        return folder;
    }

    private static HashSet<string> Words(string text) =>
        WordPattern().Matches(text.ToLowerInvariant()).Select(m => m.Value).Where(w => w.Length >= 5 && !JudgeStopWords.Contains(w)).ToHashSet(StringComparer.Ordinal);

    /// <summary>Sessions 30 days ago for every corpus query: the first five positives each in a session where the skill came
    /// into play — by itself for the 2nd and 4th (the narrow description covered them), named by the user for the others;
    /// then the eval set: positives 1–3 and 25 negatives to train, positives 4–5 and 8 negatives held out.</summary>
    private void Seed()
    {
        var start = DateTimeOffset.UtcNow.AddDays(-30);
        var positives = _corpus.Where(e => e.Positive).ToList();
        var negatives = _corpus.Where(e => !e.Positive).ToList();
        StoredSessions.Write(_cli.SelftuneHome, "research", positives.Select((e, i) => ($"pos-{i}", start.AddHours(i), e.Query, (InvocationKind?)(i is 1 or 3 ? InvocationKind.Implicit : InvocationKind.Explicit)))
            .Concat(negatives.Select((e, i) => ($"neg-{i}", start.AddHours(10 + i), e.Query, (InvocationKind?)null))));
        var entries = positives.Take(3).Select((e, i) => Entry(e, $"pos-{i}", EvalEntry.TrainSplit))
            .Concat(negatives.Take(25).Select((e, i) => Entry(e, $"neg-{i}", EvalEntry.TrainSplit)))
            .Concat(positives.Skip(3).Select((e, i) => Entry(e, $"pos-{i + 3}", EvalEntry.ValidationSplit)))
            .Concat(negatives.Skip(25).Take(8).Select((e, i) => Entry(e, $"neg-{i + 25}", EvalEntry.ValidationSplit)))
            .ToList();
        using var store = SelftuneStore.Open(Path.Combine(_cli.SelftuneHome, "selftune.db"));
        new EvalSetStore().Save(store, new EvalSet("es-research0001", "research", start.AddDays(1), 42, entries));

        static EvalEntry Entry((string Query, bool Positive, InvocationType Type) e, string session, string split) =>
            new(e.Query, e.Positive, e.Type, session, session + "-p", false, split);
    }

    [GeneratedRegex(@"<<<\n([\s\S]*?)\n>>>")]
    private static partial Regex DescriptionBlock();

    [GeneratedRegex(@"^(\d+)\. (.*)$", RegexOptions.Multiline)]
    private static partial Regex RequestLine();

    [GeneratedRegex(@"[a-z0-9]+")]
    private static partial Regex WordPattern();
}
