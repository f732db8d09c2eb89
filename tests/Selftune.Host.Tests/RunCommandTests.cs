using System.Diagnostics;
using System.Text.Json;
using Selftune.AdapterKit;
using Selftune.Core.Configuration;
using Selftune.Core.Loop;
using Selftune.Core.Store;
using Selftune.Host.Commands;
using Selftune.Host.Tests.Support;

namespace Selftune.Host.Tests;

/// <summary><c>selftune run</c> through the real executable: on the bundled samples, on a home made from the shared corpus
/// (all four platforms), without an LLM, under the run lock with real concurrent processes, and started by a hook.</summary>
public sealed class RunCommandTests : IDisposable
{
    private static readonly string[] PhaseOrder = ["sync", "discover", "status", "grade", "select", "evolve", "watch"];
    private readonly SelftuneCli _cli = new();

    private SelftuneHome Home => new(_cli.SelftuneHome);

    [Fact]
    public void OnAMachineWithoutAgentDataItRunsOnTheBundledSamplesAndSaysSo()
    {
        var result = _cli.Run("run", "--dry-run");

        Assert.True(result.ExitCode == 0, result.ToString());
        var report = result.Json;
        Assert.True(report.GetProperty("data").GetProperty("sample").GetBoolean());
        Assert.Contains("bundled sample", report.GetProperty("data").GetProperty("note").GetString(), StringComparison.Ordinal);
        Assert.Contains("SAMPLE DATA:", result.Stderr, StringComparison.Ordinal);
        Assert.Equal(PhaseOrder, report.GetProperty("phases").EnumerateArray().Select(p => p.GetProperty("name").GetString()));
        Assert.Equal("selftune init", report.GetProperty("next_command").GetString());

        // The samples cover all four platforms; nothing lands in the user's own home but the selftune home.
        var sync = Phase(report, "sync").GetProperty("summary").GetString()!;
        Assert.All(new[] { "claude_code", "codex", "opencode", "openclaw" }, p => Assert.Contains(p, sync, StringComparison.Ordinal));
        Assert.Equal([".selftune"], Directory.GetFileSystemEntries(_cli.UserHome).Select(Path.GetFileName));
        Assert.True(File.Exists(Path.Combine(SampleData.HomeFolder(Home), ".claude", "skills", "systematic-debugging", "SKILL.md")));

        // The sample user asked "why didn't you use the systematic-debugging skill?": that signal makes it the candidate.
        var debugging = Candidate(report, "systematic-debugging");
        Assert.Equal("evolve", debugging.GetProperty("action").GetString());
        Assert.Equal(1, debugging.GetProperty("evidence").GetProperty("signals").GetInt32());
        var tdd = Candidate(report, "test-driven-development");
        Assert.Equal(1, tdd.GetProperty("evidence").GetProperty("misses").GetInt32());
        Assert.StartsWith("not enough real evidence", tdd.GetProperty("reason").GetString(), StringComparison.Ordinal);
        Assert.Equal(("skipped", "dry run: would evolve systematic-debugging"), (Phase(report, "evolve").GetProperty("status").GetString(), Phase(report, "evolve").GetProperty("summary").GetString()));

        // Both outputs are stored with the run.
        var runs = _cli.Run("runs").Json.GetProperty("runs");
        var stored = Assert.Single(runs.EnumerateArray());
        Assert.True(stored.GetProperty("sample_data").GetBoolean());
        var shown = _cli.Run("runs", "show", report.GetProperty("run_id").GetString()!).Json;
        Assert.Equal(result.Stderr, shown.GetProperty("text").GetString());
        Assert.Equal(report.GetProperty("candidates").GetRawText(), shown.GetProperty("report").GetProperty("candidates").GetRawText());
    }

    [Fact]
    public void WithoutAnLlmItRunsEveryPhaseThatNeedsNoneAndSaysHowToEnableTheRest()
    {
        var result = _cli.Run("run", "--sample");

        Assert.True(result.ExitCode == 0, result.ToString());
        var report = result.Json;
        Assert.StartsWith("none: ", report.GetProperty("llm").GetString(), StringComparison.Ordinal);
        foreach (var name in new[] { "grade", "evolve" })
        {
            var phase = Phase(report, name);
            Assert.Equal("skipped", phase.GetProperty("status").GetString());
            Assert.Contains("needs an LLM", phase.GetProperty("summary").GetString(), StringComparison.Ordinal);
            Assert.Equal("selftune llm test", phase.GetProperty("next_command").GetString());
        }

        Assert.All(new[] { "sync", "status", "select", "watch" }, name => Assert.Equal("ok", Phase(report, name).GetProperty("status").GetString()));
        Assert.Contains("would evolve systematic-debugging", Phase(report, "evolve").GetProperty("summary").GetString(), StringComparison.Ordinal);

        // The signal was not acted on, so it still counts for the next run.
        Assert.Equal(0, report.GetProperty("totals").GetProperty("signals_consumed").GetInt32());
        using var store = SelftuneStore.Open(Path.Combine(SampleData.SelftuneFolder(Home), "selftune.db"));
        Assert.Equal(0L, (long)store.Scalar("SELECT count(*) FROM improvement_signals WHERE consumed = 1")!);
    }

    [Fact]
    public void OnAHomeMadeFromTheCorpusADryRunReportsCandidatesWithTheirEvidence()
    {
        CorpusHome.Build(_cli.UserHome);

        var result = _cli.Run("run", "--dry-run");

        Assert.True(result.ExitCode == 0, result.ToString());
        var report = result.Json;
        Assert.False(report.GetProperty("data").GetProperty("sample").GetBoolean());
        var sync = Phase(report, "sync").GetProperty("summary").GetString()!;
        Assert.All(new[] { "claude_code", "codex", "opencode", "openclaw" }, p => Assert.Contains(p, sync, StringComparison.Ordinal));

        // The real Skill invocation in the corpus (a plugin skill not installed here), the installed corpus skills, and the
        // skills the corpus sessions read or named: each with its evidence and the rule that decided it.
        var hexDocs = Candidate(report, "elixir:hex-docs-search");
        Assert.Equal(1, hexDocs.GetProperty("evidence").GetProperty("triggers").GetInt32());
        Assert.StartsWith("not installed", hexDocs.GetProperty("reason").GetString(), StringComparison.Ordinal);
        Assert.Equal(1, Candidate(report, "ai-image-generation").GetProperty("evidence").GetProperty("misses").GetInt32());
        Assert.Equal(2, Candidate(report, "find-skills").GetProperty("evidence").GetProperty("reads_not_invoked").GetInt32());
        var pdf = Candidate(report, "pdf");
        Assert.True(pdf.GetProperty("evidence").GetProperty("installed").GetBoolean());
        Assert.Equal("review", pdf.GetProperty("action").GetString()); // the discover phase's offline leads only: proposed for review, not evolved blind
        Assert.StartsWith("only ", pdf.GetProperty("reason").GetString(), StringComparison.Ordinal);
        Assert.Contains("[discover] ok", result.Stderr, StringComparison.Ordinal);
        Assert.All(report.GetProperty("candidates").EnumerateArray(), c => Assert.False(string.IsNullOrEmpty(c.GetProperty("reason").GetString())));
        Assert.Contains("[select] ok", result.Stderr, StringComparison.Ordinal);
        Assert.Contains("- elixir:hex-docs-search: skip (not installed", result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task TwoRunsNeverOverlap()
    {
        var processes = Enumerable.Range(0, 3).Select(_ => _cli.Start(["run", "--sample", "--dry-run"])).ToList();
        var results = new List<(int Exit, string Stdout, string Stderr)>();
        foreach (var process in processes)
        {
            process.StandardInput.Close();
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEndAsync();
            await process.WaitForExitAsync();
            results.Add((process.ExitCode, await stdout, await stderr));
            process.Dispose();
        }

        Assert.All(results, r => Assert.True(r.Exit is 0 or 75, $"exit {r.Exit}: {r.Stderr}"));
        Assert.Contains(results, r => r.Exit == 0);
        Assert.All(results.Where(r => r.Exit == 75), r => Assert.Contains("\"code\":\"LOCKED\"", r.Stderr, StringComparison.Ordinal));

        using var store = SelftuneStore.Open(Home.DatabasePath);
        var runs = store.Query("SELECT started_at, ended_at FROM runs ORDER BY started_at", r => (r.GetInt64(0), r.GetInt64(1)));
        Assert.Equal(results.Count(r => r.Exit == 0), runs.Count);
        for (var i = 1; i < runs.Count; i++)
        {
            Assert.True(runs[i].Item1 >= runs[i - 1].Item2, "two runs overlapped");
        }

        Assert.False(File.Exists(Path.Combine(Home.Root, RunService.LockFile)));
    }

    [Fact]
    public void ACrashedRunsLockIsTakenOverAndTheCrashedRunIsMarked()
    {
        using (var dead = Process.Start("true")!)
        {
            dead.WaitForExit();
            Directory.CreateDirectory(Home.Root);
            var at = DateTimeOffset.UtcNow.AddMinutes(-5);
            File.WriteAllText(Path.Combine(Home.Root, RunService.LockFile), JsonSerializer.Serialize(new RunLockHolder(dead.Id, Environment.MachineName, at, at, "run_crashed"), Core.Json.Options));
            using var store = SelftuneStore.Open(Home.DatabasePath);
            RunHistory.Start(store, new RunReport("run_crashed", at, null, 0, RunTrigger.Schedule, RunStatus.Running, false, false, null, 3, new RunData(false, _cli.UserHome), "none", [], [], [], [], new RunTotals(0, 0, 0, 0, 0, 0, 0, 0, 0, 0)), dead.Id, Environment.MachineName);
        }

        var result = _cli.Run("run", "--sample", "--dry-run");

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains("run_crashed", result.Json.GetProperty("recovered_lock").GetString(), StringComparison.Ordinal);
        Assert.Contains("recovered a stale lock", result.Stderr, StringComparison.Ordinal);
        var runs = _cli.Run("runs").Json.GetProperty("runs").EnumerateArray().ToDictionary(r => r.GetProperty("run_id").GetString()!, r => r.GetProperty("status").GetString());
        Assert.Equal("crashed", runs["run_crashed"]);
        Assert.Equal("completed", runs[result.Json.GetProperty("run_id").GetString()!]);
    }

    [Fact]
    public void AScheduledRunIsRecordedAsSuch()
    {
        var result = _cli.Run("run", "--sample", "--dry-run", "--trigger", "schedule");
        Assert.Equal("schedule", result.Json.GetProperty("trigger").GetString());
        Assert.Equal("schedule", _cli.Run("runs").Json.GetProperty("runs")[0].GetProperty("trigger").GetString());
    }

    [Fact]
    public void ASessionEndingWithAnImprovementSignalStartsABackgroundRun()
    {
        var skill = Path.Combine(_cli.UserHome, ".claude", "skills", "pdf");
        Directory.CreateDirectory(skill);
        File.WriteAllText(Path.Combine(skill, "SKILL.md"), "---\nname: pdf\ndescription: Read, merge and split PDF files.\n---\n");

        Hook("UserPromptSubmit", new { session_id = "s1", cwd = "/w", hook_event_name = "UserPromptSubmit", prompt = "why didn't you use the pdf skill for that?" });
        Hook("Stop", new { session_id = "s1", hook_event_name = "Stop" });

        var clock = Stopwatch.StartNew();
        RunSummary? run = null;
        while (run is null && clock.Elapsed < TimeSpan.FromSeconds(90))
        {
            Thread.Sleep(200);
            if (File.Exists(Home.DatabasePath))
            {
                using var store = SelftuneStore.Open(Home.DatabasePath);
                run = RunHistory.List(store, 10).FirstOrDefault(r => r.Trigger == RunTrigger.Signal && r.Status != RunStatus.Running);
            }
        }

        Assert.True(run is not null, "no background run was started by the Stop hook");
        using var stored = SelftuneStore.Open(Home.DatabasePath);
        var report = RunHistory.Get(stored, run.RunId)!.Value.Report!;
        Assert.False(report.Data.Sample);
        Assert.Equal(2, report.MaxSkills);
        var pdf = Assert.Single(report.Candidates, c => c.Skill == "pdf");
        Assert.Equal((CandidateAction.Evolve, 1), (pdf.Action, pdf.Evidence.Signals));
        Assert.Contains(run.RunId, File.ReadAllText(Path.Combine(Home.LogsPath, "run.log")), StringComparison.Ordinal);
    }

    public void Dispose() => _cli.Dispose();

    private static JsonElement Phase(JsonElement report, string name) =>
        report.GetProperty("phases").EnumerateArray().Single(p => p.GetProperty("name").GetString() == name);

    private static JsonElement Candidate(JsonElement report, string skill) =>
        report.GetProperty("candidates").EnumerateArray().Single(c => c.GetProperty("skill").GetString() == skill);

    private void Hook(string eventName, object payload)
    {
        var result = _cli.ClaudeHook(eventName, JsonSerializer.Serialize(payload));
        Assert.Equal((0, string.Empty), (result.ExitCode, result.Stdout));
    }
}

/// <summary>A fake home made from the shared corpus: every platform's sessions where that agent keeps them, and two of the
/// corpus's skills installed for Claude Code.</summary>
internal static class CorpusHome
{
    /// <summary>Copies the corpus into <paramref name="home"/>.</summary>
    public static void Build(string home)
    {
        foreach (var project in Directory.GetDirectories(IngestorContractTests.CorpusPath("claude-code")))
        {
            Copy(project, Path.Combine(home, ".claude", "projects", Path.GetFileName(project)));
        }

        Copy(IngestorContractTests.CorpusPath("codex", "sessions"), Path.Combine(home, ".codex", "sessions"));
        foreach (var rollout in Directory.GetFiles(IngestorContractTests.CorpusPath("codex", "agtrace-samples")))
        {
            Copy(rollout, Path.Combine(home, ".codex", "sessions", "2025", "12", "11", "rollout-" + Path.GetFileName(rollout)));
        }

        Copy(IngestorContractTests.CorpusPath("opencode", "agent-sessions-fixtures", "storage_v2"), Path.Combine(home, ".local", "share", "opencode", "storage"));
        foreach (var session in Directory.GetFiles(IngestorContractTests.CorpusPath("openclaw", "agent-sessions-fixtures")).Concat(Directory.GetFiles(IngestorContractTests.CorpusPath("openclaw", "pi-mono-fixtures"))))
        {
            Copy(session, Path.Combine(home, ".openclaw", "agents", "main", "sessions", Path.GetFileName(session)));
        }

        Copy(IngestorContractTests.CorpusPath("skills", "anthropics-skills", "pdf"), Path.Combine(home, ".claude", "skills", "pdf"));
        Copy(IngestorContractTests.CorpusPath("skills", "obra-superpowers", "systematic-debugging"), Path.Combine(home, ".claude", "skills", "systematic-debugging"));
    }

    private static void Copy(string from, string to)
    {
        if (File.Exists(from))
        {
            Directory.CreateDirectory(Path.GetDirectoryName(to)!);
            File.Copy(from, to);
            return;
        }

        foreach (var file in Directory.EnumerateFiles(from, "*", SearchOption.AllDirectories))
        {
            Copy(file, Path.Combine(to, Path.GetRelativePath(from, file)));
        }
    }
}
