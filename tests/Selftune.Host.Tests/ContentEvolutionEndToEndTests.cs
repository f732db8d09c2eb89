using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Selftune.Abstractions;
using Selftune.Core.Eval;
using Selftune.Core.Store;
using Selftune.Host.Tests.Support;

namespace Selftune.Host.Tests;

/// <summary>
/// Body and routing evolution and the baseline through the real executable: a 4 KB SKILL.md with a <c>## Workflow
/// Routing</c> table, an eval set of 20 entries (12 train, 8 held out), and an OpenAI-compatible server on 127.0.0.1
/// playing the LLM: scripted proposals; a trigger judge that says YES when a request shares two topic words with the
/// description, and NO to everything when the skill's body says "Do not use this skill"; a quality judge that scores a
/// version with a checklist 0.9 and any other 0.5.
/// </summary>
public sealed partial class ContentEvolutionEndToEndTests : IDisposable
{
    private const string Description = "Research npm packages and open-source libraries, compare candidates for a technical problem.";
    private const string Table = "| Trigger | Workflow |\n|---|---|\n| compare packages | workflows/compare.md |\n| audit a dependency | workflows/audit.md |\n";
    private const string BetterTable = "| Trigger | Workflow |\n|---|---|\n| compare packages or libraries | workflows/compare.md |\n| audit a dependency | workflows/audit.md |\n| find a library for a task | workflows/find.md |\n";
    private const string GoodBody = "\nChecklist: search the registries, read each candidate's README and issues, then compare them in a table with licence, activity and size.\n";
    private const string NarrowingBody = "\nChecklist: compare candidates in a table. Do not use this skill unless the user pastes a package.json.\n";

    private static readonly string[] Positives =
    [
        "compare npm packages for parsing typescript files", "find open-source libraries that render workflow diagrams",
        "which npm packages compare best for telemetry collection", "research libraries for parsing markdown tables",
        "compare open-source packages for schema validation", "find npm libraries for diffing json documents",
        "research packages that compare image formats", "compare libraries for typescript parsing speed",
        "find open-source packages for workflow diagrams in svg", "research npm libraries for telemetry exporters",
    ];

    private static readonly string[] Negatives =
    [
        "fix the failing unit test in the auth module", "rename the user service class", "write release notes for version two",
        "explain this stack trace from the server", "add a dark mode toggle to settings", "review my pull request for style",
        "deploy the staging environment now", "format the sql migration file", "update the readme installation steps",
        "why is the build slow on my laptop",
    ];

    private readonly SelftuneCli _cli = new();
    private readonly ChatCompletionsServer _llm;
    private readonly string _skillPath;
    private readonly string _skillMd;
    private List<object> _proposals = [];
    private const double OriginalQuality = 0.5;

    public ContentEvolutionEndToEndTests()
    {
        _llm = new ChatCompletionsServer(Respond);
        _cli.Environment["SELFTUNE_LLM_BACKEND"] = "openai-compatible";
        _cli.Environment["SELFTUNE_LLM_BASE_URL"] = _llm.BaseUrl;
        _cli.Environment["SELFTUNE_LLM_MODEL"] = "loopback-judge";
        _cli.Environment["OPENAI_API_KEY"] = "test-key";
        _cli.Environment["PATH"] = "/usr/bin:/bin";
        _skillPath = Path.Combine(_cli.Root, "project", ".claude", "skills", "research", "SKILL.md");
        Directory.CreateDirectory(Path.GetDirectoryName(_skillPath)!);
        var body = new StringBuilder("\nSearch registries and repositories, then compare the candidates.\n\n## Workflow Routing\n\n").Append(Table).Append("\n## Notes\n\n");
        for (var i = 0; body.Length < 3900; i++)
        {
            body.Append("- Note ").Append(i).Append(": prefer maintained packages with a clear licence, recent releases and few open security advisories.\n");
        }

        _skillMd = "---\nname: research\ndescription: " + Description + "\nlicense: MIT\n---\n# Research\n" + body;
        File.WriteAllText(_skillPath, _skillMd);
        Seed();
    }

    public void Dispose()
    {
        _llm.Dispose();
        _cli.Dispose();
    }

    [Fact]
    public void A_body_evolve_gates_deploys_the_better_body_and_rolls_back_byte_exact_within_fifteen_llm_calls()
    {
        Assert.InRange(_skillMd.Length, 3900, 4300);
        var original = File.ReadAllBytes(_skillPath);
        _proposals = [Candidate("# Research again\n" + GoodBody), Candidate(NarrowingBody), Candidate(GoodBody), Candidate(GoodBody)];

        var evolve = _cli.Run("evolve", "--skill", "research", "--skill-path", _skillPath, "--target", "body", "--validation", "judge", "--candidates", "4");

        Assert.True(evolve.ExitCode == 0, evolve.ToString());
        var result = evolve.Json;
        Assert.True(result.GetProperty("deployed").GetBoolean(), evolve.Stdout);
        var candidates = result.GetProperty("candidates").EnumerateArray().ToList();
        Assert.Equal(["rejected", "rejected", "deployed", "rejected"], candidates.Select(c => c.GetProperty("status").GetString()));
        Assert.Equal(["structure", "trigger"], candidates.Take(2).Select(c => c.GetProperty("gate").GetString()));
        Assert.Equal(candidates[2].GetProperty("fingerprint").GetString(), candidates[3].GetProperty("fingerprint").GetString());
        Assert.Equal("duplicate", candidates[3].GetProperty("gate").GetString());
        Assert.Contains("adds a '# ' title", candidates[0].GetProperty("checks_failed")[0].GetString(), StringComparison.Ordinal);

        // 1 proposal call + 3 judge runs for the original + 3 for each of the two distinct candidates past structure + 1 quality
        // call; the fourth candidate is the third again (same fingerprint) and is not evaluated twice.
        Assert.Equal(11, _llm.Requests.Count);
        Assert.Equal(11, result.GetProperty("spend").GetProperty("calls").GetInt32());
        Assert.Equal(3, _llm.Requests.Count(r => r.System.Contains("routing decisions", StringComparison.Ordinal) && r.User.Contains("Search registries and repositories", StringComparison.Ordinal)));
        var quality = _llm.Requests.Single(r => r.System.Contains("You review rewrites", StringComparison.Ordinal));
        Assert.DoesNotContain("Do not use this skill", quality.User, StringComparison.Ordinal);
        using (var store = SelftuneStore.Open(Path.Combine(_cli.SelftuneHome, "selftune.db")))
        {
            var calls = store.Query("SELECT purpose, input_tokens + output_tokens FROM llm_calls", r => (r.GetString(0), r.GetInt64(1)));
            Assert.Equal(11, calls.Count);
            Assert.All(calls, c => Assert.True(c.Item2 > 0));
            Assert.Equal(1, calls.Count(c => c.Item1 == "evolve.body.propose"));
            Assert.Equal(1, calls.Count(c => c.Item1 == "evolve.body.quality"));
        }

        // Frontmatter and title stay byte for byte; the body is the new one; the backup holds the original.
        Assert.Equal(_skillMd[.._skillMd.IndexOf("# Research\n", StringComparison.Ordinal)] + "# Research\n" + GoodBody, File.ReadAllText(_skillPath));
        Assert.Equal(original, File.ReadAllBytes(result.GetProperty("deploy").GetProperty("backup_path").GetString()!));
        var history = _cli.Run("history", "--skill", "research").Json;
        var deployed = history.GetProperty("proposals").EnumerateArray().Single(p => p.GetProperty("proposal").GetProperty("status").GetString() == "deployed");
        Assert.Equal("body", deployed.GetProperty("proposal").GetProperty("target").GetString());
        Assert.Equal(["created", "validated", "deployed"], deployed.GetProperty("audit").EnumerateArray().Select(a => a.GetProperty("action").GetString()));

        var rollback = _cli.Run("rollback", "--skill", "research");

        Assert.True(rollback.ExitCode == 0, rollback.ToString());
        Assert.Equal(original, File.ReadAllBytes(_skillPath));
    }

    [Fact]
    public void A_body_that_judges_better_but_makes_triggering_worse_is_refused_and_the_file_is_untouched()
    {
        var original = File.ReadAllBytes(_skillPath);
        _proposals = [Candidate(NarrowingBody)];

        var evolve = _cli.Run("evolve", "--skill", "research", "--skill-path", _skillPath, "--target", "body", "--candidates", "1", "--validation", "judge");

        Assert.True(evolve.ExitCode == 0, evolve.ToString());
        Assert.False(evolve.Json.GetProperty("deployed").GetBoolean());
        var candidate = evolve.Json.GetProperty("candidates")[0];
        Assert.Equal("trigger", candidate.GetProperty("gate").GetString());
        Assert.Contains("makes triggering worse", candidate.GetProperty("reason").GetString(), StringComparison.Ordinal);
        Assert.True(candidate.GetProperty("trigger").GetProperty("after").GetDouble() < candidate.GetProperty("trigger").GetProperty("before").GetDouble());
        Assert.DoesNotContain(_llm.Requests, r => r.System.Contains("You review rewrites", StringComparison.Ordinal));
        Assert.Equal(original, File.ReadAllBytes(_skillPath));
    }

    [Fact]
    public void A_routing_evolve_replaces_only_the_table_and_rolls_back_byte_exact()
    {
        var original = File.ReadAllBytes(_skillPath);
        _proposals = [Candidate("| Trigger | Workflow |\n| compare packages | workflows/compare.md |\n"), Candidate(BetterTable)];

        var evolve = _cli.Run("evolve", "--skill", "research", "--skill-path", _skillPath, "--target", "routing", "--validation", "judge", "--candidates", "2");

        Assert.True(evolve.ExitCode == 0, evolve.ToString());
        var candidates = evolve.Json.GetProperty("candidates").EnumerateArray().ToList();
        Assert.Equal("structure", candidates[0].GetProperty("gate").GetString());
        Assert.Contains("separator", candidates[0].GetProperty("checks_failed")[0].GetString(), StringComparison.Ordinal);
        Assert.Equal("deployed", candidates[1].GetProperty("status").GetString());
        Assert.Equal(_skillMd.Replace(Table, BetterTable, StringComparison.Ordinal), File.ReadAllText(_skillPath));

        Assert.Equal(0, _cli.Run("rollback", "--skill", "research").ExitCode);
        Assert.Equal(original, File.ReadAllBytes(_skillPath));
    }

    [Fact]
    public void A_package_search_deploys_an_improving_variant_evaluates_a_repeat_once_stops_at_max_candidates_and_rolls_back_byte_exact()
    {
        var original = File.ReadAllBytes(_skillPath);
        const string improved = Description + " Use for library research reports.";
        var body = GoodBody + "\n## Workflow Routing\n\n" + BetterTable;
        _proposals = [Package(improved, body), Package(Description, "\nSloppy: pick any package.\n\n## Workflow Routing\n\n" + Table)];

        // Round 1 evaluates both; round 2 (from the accepted variant) gets the same two again: both are fingerprints seen
        // before, so nothing is evaluated twice and the search stops at 4 candidates.
        var improve = _cli.Run("improve", "--skill", "research", "--skill-path", _skillPath, "--scope", "package", "--max-candidates", "4", "--validation", "judge");

        Assert.True(improve.ExitCode == 0, improve.ToString());
        var result = improve.Json;
        Assert.Equal("package", result.GetProperty("target").GetString());
        Assert.True(result.GetProperty("deployed").GetBoolean(), improve.Stdout);
        var candidates = result.GetProperty("candidates").EnumerateArray().ToList();
        Assert.Equal(["deployed", "rejected", "rejected", "rejected"], candidates.Select(c => c.GetProperty("status").GetString()));
        Assert.Equal(["quality", "duplicate", "duplicate"], candidates.Skip(1).Select(c => c.GetProperty("gate").GetString()));
        Assert.Contains("a metric regressed", candidates[1].GetProperty("reason").GetString(), StringComparison.Ordinal);
        Assert.Equal(candidates[0].GetProperty("fingerprint").GetString(), candidates[2].GetProperty("fingerprint").GetString());
        Assert.Equal(candidates[1].GetProperty("fingerprint").GetString(), candidates[3].GetProperty("fingerprint").GetString());
        Assert.Equal(0.9, candidates[2].GetProperty("quality").GetDouble());

        // 2 proposal calls + 3 judge runs for the original + 3 for each of the two distinct variants + 1 quality call.
        Assert.Equal(12, _llm.Requests.Count);
        Assert.Equal(2, _llm.Requests.Count(r => r.System.Contains("the whole package", StringComparison.Ordinal)));
        Assert.Single(_llm.Requests, r => r.System.Contains("You review rewrites", StringComparison.Ordinal));

        // The description and the body changed together; every other frontmatter byte and the title are kept.
        var written = File.ReadAllText(_skillPath);
        Assert.Equal(_skillMd[.._skillMd.IndexOf("# Research\n", StringComparison.Ordinal)].Replace(Description, improved, StringComparison.Ordinal) + "# Research\n" + body, written);
        Assert.Equal(DescriptionEditorHash(File.ReadAllBytes(_skillPath)), result.GetProperty("deploy").GetProperty("after_sha256").GetString());
        Assert.Equal(candidates[0].GetProperty("fingerprint").GetString(), result.GetProperty("deploy").GetProperty("after_sha256").GetString());
        Assert.Equal(original, File.ReadAllBytes(result.GetProperty("deploy").GetProperty("backup_path").GetString()!));
        var history = _cli.Run("history", "--skill", "research").Json;
        var deployed = history.GetProperty("proposals").EnumerateArray().Single(p => p.GetProperty("proposal").GetProperty("status").GetString() == "deployed");
        Assert.Equal("package", deployed.GetProperty("proposal").GetProperty("target").GetString());
        Assert.Equal(["created", "validated", "deployed"], deployed.GetProperty("audit").EnumerateArray().Select(a => a.GetProperty("action").GetString()));

        Assert.Equal(0, _cli.Run("rollback", "--skill", "research").ExitCode);
        Assert.Equal(original, File.ReadAllBytes(_skillPath));
    }

    [Fact]
    public void A_package_search_whose_llm_budget_runs_out_after_an_accepted_round_deploys_what_it_accepted()
    {
        _proposals = [Package(Description + " Use for library research reports.", GoodBody + "\n## Workflow Routing\n\n" + BetterTable)];
        _cli.Environment["SELFTUNE_LLM_MAX_CALLS"] = "8";

        // Round 1 spends 1 + 3 + 3 + 1 = 8 calls and accepts its variant; round 2's proposal call is over the budget.
        var improve = _cli.Run("improve", "--skill", "research", "--skill-path", _skillPath, "--scope", "package", "--max-candidates", "3", "--validation", "judge");

        Assert.True(improve.ExitCode == 0, improve.ToString());
        Assert.True(improve.Json.GetProperty("deployed").GetBoolean(), improve.Stdout);
        Assert.Single(improve.Json.GetProperty("candidates").EnumerateArray());
        Assert.Equal(8, _llm.Requests.Count);
        Assert.Contains("library research reports", File.ReadAllText(_skillPath), StringComparison.Ordinal);
    }

    [Fact]
    public void A_package_search_refuses_variants_with_a_regressed_metric_or_no_improvement_and_considers_no_more_than_max_candidates()
    {
        var original = File.ReadAllBytes(_skillPath);
        _proposals = [Package(Description, NarrowingBody + "\n## Workflow Routing\n\n" + Table), Package(Description + " Compare them.", null), Package(Description + " Use for library research reports.", GoodBody + "\n## Workflow Routing\n\n" + Table)];

        var improve = _cli.Run("improve", "--skill", "research", "--skill-path", _skillPath, "--scope", "package", "--max-candidates", "2", "--validation", "judge");

        Assert.True(improve.ExitCode == 0, improve.ToString());
        Assert.False(improve.Json.GetProperty("deployed").GetBoolean());
        var candidates = improve.Json.GetProperty("candidates").EnumerateArray().ToList();
        Assert.Equal(2, candidates.Count);
        Assert.Equal(["trigger", "no_improvement"], candidates.Select(c => c.GetProperty("gate").GetString()));
        Assert.Contains("makes triggering worse", candidates[0].GetProperty("reason").GetString(), StringComparison.Ordinal);
        Assert.Contains("no metric improved", candidates[1].GetProperty("reason").GetString(), StringComparison.Ordinal);

        // The third variant (past the bound) is never evaluated: 1 proposal + 3 × (original + 2 variants) + 1 quality call.
        Assert.Equal(11, _llm.Requests.Count);
        Assert.DoesNotContain(_llm.Requests, r => r.User.Contains("library research reports", StringComparison.Ordinal));
        Assert.Equal(original, File.ReadAllBytes(_skillPath));
    }

    [Theory]
    [InlineData("body", "---\nname: research\ndescription: d\n---\nNo title here.\n", "no '# Title' line", "$EDITOR")]
    [InlineData("routing", "---\nname: research\ndescription: d\n---\n# Research\n\nJust prose.\n", "no '## Workflow Routing' section", "selftune evolve --skill research --target body")]
    [InlineData("routing", "---\nname: research\ndescription: d\n---\n# Research\n\n## Workflow Routing\n\n| Trigger | Workflow |\n| a | b |\n| c | d |\n", "the second row must be the separator", "selftune evolve --skill research --target body")]
    public void A_skill_without_what_the_target_needs_is_refused_with_the_reason_and_the_fix(string target, string skillMd, string reason, string next)
    {
        File.WriteAllText(_skillPath, skillMd);

        var evolve = _cli.Run("evolve", "--skill", "research", "--skill-path", _skillPath, "--target", target);

        Assert.NotEqual(0, evolve.ExitCode);
        Assert.Equal("SKILL_INVALID", evolve.Error.GetProperty("code").GetString());
        Assert.Contains(reason, evolve.Error.GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.Contains("SKILL.md:", evolve.Error.GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.StartsWith(next, evolve.Error.GetProperty("next_command").GetString(), StringComparison.Ordinal);
        Assert.Empty(_llm.Requests);
        Assert.Equal(skillMd, File.ReadAllText(_skillPath));
    }

    [Fact]
    public void Baseline_stores_the_lift_and_refuses_a_skill_that_adds_nothing_over_no_skill()
    {
        var good = _cli.Run("baseline", "--skill", "research", "--skill-path", _skillPath);

        Assert.True(good.ExitCode == 0, good.ToString());
        Assert.True(good.Json.GetProperty("adds_value").GetBoolean());
        Assert.Equal(0.5, good.Json.GetProperty("no_skill_pass_rate").GetDouble());
        Assert.True(good.Json.GetProperty("lift").GetDouble() >= 0.4, good.Stdout);
        Assert.Equal(6, _llm.Requests.Count);

        File.WriteAllText(_skillPath, _skillMd.Replace(Description, "Helps with things.", StringComparison.Ordinal));
        var none = _cli.Run("baseline", "--skill", "research", "--skill-path", _skillPath);

        Assert.Equal(1, none.ExitCode);
        Assert.False(none.Json.GetProperty("adds_value").GetBoolean());
        Assert.Equal(0.0, none.Json.GetProperty("lift").GetDouble());
        Assert.Contains("adds no value", none.Json.GetProperty("reason").GetString(), StringComparison.Ordinal);
        using (var store = SelftuneStore.Open(Path.Combine(_cli.SelftuneHome, "selftune.db")))
        {
            Assert.Equal([1L, 0L], store.Query("SELECT adds_value FROM skill_baselines ORDER BY id", r => r.GetInt64(0)));
        }

        var status = _cli.Run("status", "--json");
        Assert.True(status.ExitCode == 0, status.ToString());
        var research = status.Json.GetProperty("skills").EnumerateArray().Single(s => s.GetProperty("name").GetString() == "research");
        Assert.False(research.GetProperty("baseline").GetProperty("adds_value").GetBoolean());
    }

    [Fact]
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public void Unit_tests_are_drafted_stored_beside_the_eval_data_and_run_through_the_agent_with_the_skill_installed()
    {
        File.WriteAllText(Path.Combine(Path.GetDirectoryName(_skillPath)!, "template.md"), "report template\n");
        _cli.Environment["PATH"] = FakeClaude() + Path.PathSeparator + "/usr/bin:/bin";

        var run = _cli.Run("eval", "unit-test", "--skill", "research", "--skill-path", _skillPath, "--generate");

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Equal(2, run.Json.GetProperty("generated").GetInt32());
        Assert.Equal(2, run.Json.GetProperty("passed").GetInt32());
        Assert.Equal("claude", run.Json.GetProperty("agent").GetString());
        var file = run.Json.GetProperty("file").GetString()!;
        Assert.Equal(Path.Combine(_cli.SelftuneHome, "evals", "research", "unit-tests.json"), file);
        Assert.Contains(_llm.Requests, r => r.System.Contains("test engineer", StringComparison.Ordinal) && r.User.Contains("compare npm packages", StringComparison.Ordinal));

        // A test that expects a file the agent does not write fails, and the run says which assertion.
        File.WriteAllText(file, File.ReadAllText(file).Replace("report.md", "missing.md", StringComparison.Ordinal));
        var failing = _cli.Run("eval", "unit-test", "--skill", "research", "--skill-path", _skillPath);

        Assert.Equal(1, failing.ExitCode);
        var first = failing.Json.GetProperty("results")[0];
        Assert.False(first.GetProperty("passed").GetBoolean());
        Assert.Contains(first.GetProperty("assertions").EnumerateArray(), a => a.TryGetProperty("value", out var v) && v.GetString() == "missing.md" && a.GetProperty("detail").GetString() == "not written");
    }

    [Fact]
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public void Verify_runs_the_baseline_with_the_llm_and_the_unit_tests_through_the_agent_and_skips_them_without_it()
    {
        File.WriteAllText(Path.Combine(Path.GetDirectoryName(_skillPath)!, "template.md"), "report template\n");
        _cli.Environment["PATH"] = FakeClaude() + Path.PathSeparator + "/usr/bin:/bin";
        Assert.Equal(0, _cli.Run("eval", "unit-test", "--skill", "research", "--skill-path", _skillPath, "--generate").ExitCode);

        var verify = _cli.Run("verify", "--skill", "research", "--skill-path", _skillPath);

        Assert.True(verify.ExitCode == 0, verify.ToString());
        static JsonElement Step(CliResult r, string name) => r.Json.GetProperty("steps").EnumerateArray().Single(s => s.GetProperty("name").GetString() == name);
        Assert.Equal("passed", Step(verify, "baseline").GetProperty("status").GetString());
        Assert.Equal("passed", Step(verify, "unit_tests").GetProperty("status").GetString());
        var baseline = verify.Json.GetProperty("baseline");
        Assert.Equal(0.5, baseline.GetProperty("no_skill_pass_rate").GetDouble());
        Assert.True(baseline.GetProperty("lift").GetDouble() >= 0.4, verify.Stdout);
        Assert.Equal((2, 2, "claude"), (verify.Json.GetProperty("unit_tests").GetProperty("total").GetInt32(), verify.Json.GetProperty("unit_tests").GetProperty("passed").GetInt32(), verify.Json.GetProperty("unit_tests").GetProperty("agent").GetString()));
        using (var store = SelftuneStore.Open(Path.Combine(_cli.SelftuneHome, "selftune.db")))
        {
            Assert.Equal(1L, store.Scalar("SELECT count(*) FROM skill_baselines WHERE skill_name = 'research'"));
        }

        // No agent CLI on PATH: the unit tests cannot run, and verify says so and what shows the agents; it still verifies.
        _cli.Environment["PATH"] = "/usr/bin:/bin";
        var without = _cli.Run("verify", "--skill", "research", "--skill-path", _skillPath);

        Assert.True(without.ExitCode == 0, without.ToString());
        Assert.Equal("skipped", Step(without, "unit_tests").GetProperty("status").GetString());
        Assert.Equal("selftune plugins", Step(without, "unit_tests").GetProperty("next_command").GetString());

        // A test the agent now fails makes verify fail, naming the test and the assertion.
        _cli.Environment["PATH"] = FakeClaude() + Path.PathSeparator + "/usr/bin:/bin";
        var file = Path.Combine(_cli.SelftuneHome, "evals", "research", "unit-tests.json");
        File.WriteAllText(file, File.ReadAllText(file).Replace("report.md", "missing.md", StringComparison.Ordinal));
        var failing = _cli.Run("verify", "--skill", "research", "--skill-path", _skillPath);

        Assert.Equal(1, failing.ExitCode);
        Assert.Equal("failed", Step(failing, "unit_tests").GetProperty("status").GetString());
        Assert.Contains("ut-1", Step(failing, "unit_tests").GetProperty("problems")[0].GetString(), StringComparison.Ordinal);
        Assert.Contains("file_written missing.md: not written", Step(failing, "unit_tests").GetProperty("problems")[0].GetString(), StringComparison.Ordinal);
    }

    /// <summary>A fake <c>claude</c>: with the research skill (and its template) staged in the workspace, a prompt naming
    /// research invokes it and, when it asks for a report, writes <c>report.md</c>.</summary>
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    private string FakeClaude()
    {
        var folder = Directory.CreateDirectory(Path.Combine(_cli.Root, "fake-claude")).FullName;
        var script = Path.Combine(folder, "claude");
        File.WriteAllText(script, """
            #!/bin/sh
            query=$(cat)
            echo '{"type":"system","subtype":"init","session_id":"s-1","tools":["Bash","Read","Skill","Write"]}'
            if printf '%s' "$query" | grep -qi research && [ -f .claude/skills/research/template.md ]; then
              echo '{"type":"assistant","message":{"id":"m2","type":"message","role":"assistant","content":[{"type":"tool_use","id":"t2","name":"Skill","input":{"skill":"research"}}]},"session_id":"s-1"}'
              if printf '%s' "$query" | grep -qi report; then cp .claude/skills/research/template.md report.md; fi
            fi
            echo '{"type":"result","subtype":"success","is_error":false,"num_turns":2,"result":"Done.","session_id":"s-1","total_cost_usd":0.001,"usage":{"input_tokens":10,"output_tokens":5}}'
            """.Replace("\r\n", "\n", StringComparison.Ordinal));
        File.SetUnixFileMode(script, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        return folder;
    }

    private static object Candidate(string content) => new { content, rationale = "scripted" };

    private static object Package(string description, string? body) => new { description, body, rationale = "scripted" };

    private static string DescriptionEditorHash(byte[] bytes) => Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(bytes));

    private string Respond(string system, string user)
    {
        if (system.Contains("You improve agent skills", StringComparison.Ordinal))
        {
            return JsonSerializer.Serialize(new { candidates = _proposals });
        }

        if (system.Contains("test engineer", StringComparison.Ordinal))
        {
            return JsonSerializer.Serialize(new
            {
                tests = new object[]
                {
                    new { query = "research npm packages for parsing and write a report", assertions = new object[] { new { type = "skill_invoked" }, new { type = "file_written", value = "report.md" } } },
                    new { query = "fix the failing unit test in the auth module", assertions = new object[] { new { type = "skill_not_invoked" } } },
                },
            });
        }

        if (system.Contains("You review rewrites", StringComparison.Ordinal))
        {
            var blocks = Block().Matches(user).Select(m => m.Groups[1].Value).ToList();
            return JsonSerializer.Serialize(new
            {
                original = new { score = OriginalQuality, reason = "as it is" },
                candidates = blocks.Skip(1).Select((b, i) => new { id = i + 1, score = b.Contains("Sloppy", StringComparison.Ordinal) ? 0.2 : b.Contains("Checklist", StringComparison.Ordinal) || b.Contains("find a library", StringComparison.Ordinal) ? 0.9 : 0.5, reason = "scripted" }),
            });
        }

        var description = Words(Block().Match(user).Groups[1].Value);
        var narrowed = user.Contains("Do not use this skill", StringComparison.Ordinal);
        return string.Join('\n', RequestLine().Matches(user).Select(m => $"{m.Groups[1].Value}: {(!narrowed && Words(m.Groups[2].Value).Count(description.Contains) >= 2 ? "YES" : "NO")}"));
    }

    private static HashSet<string> Words(string text) =>
        WordPattern().Matches(text.ToLowerInvariant()).Select(m => m.Value).Where(w => w.Length >= 5).ToHashSet(StringComparer.Ordinal);

    /// <summary>Sessions of the positives (the skill named by the user: misses), then the eval set: 6 positives and 6
    /// negatives to train, 4 and 4 held out.</summary>
    private void Seed()
    {
        var start = DateTimeOffset.UtcNow.AddDays(-30);
        StoredSessions.Write(_cli.SelftuneHome, "research", Positives.Select((q, i) => ($"pos-{i}", start.AddHours(i), q, (InvocationKind?)InvocationKind.Explicit))
            .Concat(Negatives.Select((q, i) => ($"neg-{i}", start.AddHours(20 + i), q, (InvocationKind?)null))));
        var entries = Positives.Select((q, i) => new EvalEntry(q, true, InvocationType.Implicit, $"pos-{i}", $"pos-{i}-p", false, i < 6 ? EvalEntry.TrainSplit : EvalEntry.ValidationSplit))
            .Concat(Negatives.Select((q, i) => new EvalEntry(q, false, InvocationType.Implicit, $"neg-{i}", $"neg-{i}-p", false, i < 6 ? EvalEntry.TrainSplit : EvalEntry.ValidationSplit)))
            .ToList();
        using var store = SelftuneStore.Open(Path.Combine(_cli.SelftuneHome, "selftune.db"));
        new EvalSetStore().Save(store, new EvalSet("es-research0001", "research", start.AddDays(1), 42, entries));
    }

    [GeneratedRegex(@"<<<\n([\s\S]*?)\n>>>")]
    private static partial Regex Block();

    [GeneratedRegex(@"^(\d+)\. (.*)$", RegexOptions.Multiline)]
    private static partial Regex RequestLine();

    [GeneratedRegex(@"[a-z0-9]+")]
    private static partial Regex WordPattern();
}
