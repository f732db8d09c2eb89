using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;
using Selftune.AdapterKit;
using Selftune.Core.Configuration;
using Selftune.Core.Store;
using Selftune.Host.Tests.Support;

namespace Selftune.Host.Tests;

/// <summary>The hook command run as Claude Code runs it: payload on stdin, a temporary home, the real executable.</summary>
public sealed class HookProcessTests : IDisposable
{
    private readonly SelftuneCli _cli = new();

    private SelftuneHome Home => new(_cli.SelftuneHome);

    [Fact]
    public void PromptsSkillHintsAndSignalsLandInTheStoreAfterADrain()
    {
        InstallSkill("pdf-tools");

        Hook("UserPromptSubmit", new { session_id = "s1", cwd = "/w", hook_event_name = "UserPromptSubmit", prompt = "Why didn't you use the pdf-tools skill? key sk-ant-api03-" + new string('A', 60) });
        Hook("PostToolUse", new { session_id = "s1", hook_event_name = "PostToolUse", tool_name = "Skill", tool_use_id = "toolu_1", tool_input = new { skill = "pdf-tools" } });
        Hook("PostToolUse", new { session_id = "s1", hook_event_name = "PostToolUse", tool_name = "Read", tool_use_id = "toolu_2", tool_input = new { file_path = "/h/.claude/skills/pdf-tools/SKILL.md" } });
        var drain = _cli.Run("hook-drain");

        Assert.Equal(0, drain.ExitCode);
        using var report = JsonDocument.Parse(drain.Stdout);
        Assert.Equal(3, report.RootElement.GetProperty("hooks").GetProperty("events").GetInt32());
        using var store = SelftuneStore.Open(Home.DatabasePath);
        var prompt = store.Query("SELECT text, capture_mode, actionable FROM prompts", r => (r.GetString(0), r.GetString(1), r.GetInt64(2))).Single();
        Assert.Equal(("hook", 1L), (prompt.Item2, prompt.Item3));
        Assert.StartsWith("Why didn't you use the pdf-tools skill? key ", prompt.Item1);
        Assert.DoesNotContain("AAAAAAAAAA", prompt.Item1);
        Assert.Equal(["implicit", "read"], store.Query("SELECT kind FROM skill_invocations WHERE skill_name = 'pdf-tools' ORDER BY kind", r => r.GetString(0)));
        Assert.Equal(("pdf-tools", "correction", 0L), store.Query("SELECT skill_name, signal_type, consumed FROM improvement_signals", r => (r.GetString(0), r.GetString(1), r.GetInt64(2))).Single());
    }

    [Fact]
    public async Task TwentyHooksStartedAtOnceAllLand()
    {
        var processes = Enumerable.Range(0, 20).Select(_ => _cli.Start(["hook", "UserPromptSubmit", "--platform", "claude_code"])).ToList();
        for (var i = 0; i < processes.Count; i++)
        {
            await processes[i].StandardInput.WriteAsync(Payload(new { session_id = "s20", hook_event_name = "UserPromptSubmit", prompt = $"concurrent prompt number {i}" }));
            processes[i].StandardInput.Close();
        }

        foreach (var process in processes)
        {
            await process.WaitForExitAsync();
            Assert.Equal(0, process.ExitCode);
            Assert.Equal(string.Empty, await process.StandardOutput.ReadToEndAsync());
            process.Dispose();
        }

        Assert.Equal(0, _cli.Run("hook-drain").ExitCode);
        Assert.Equal(20L, Count("SELECT count(DISTINCT text) FROM prompts WHERE session_id = 's20'"));
    }

    [Fact]
    public void TheEndOfATurnStoresTheSpoolInTheBackground()
    {
        Hook("UserPromptSubmit", new { session_id = "s2", hook_event_name = "UserPromptSubmit", prompt = "add a retry to the uploader" });
        Hook("Stop", new { session_id = "s2", hook_event_name = "Stop", transcript_path = Path.Combine(_cli.UserHome, ".claude", "projects", "-w", "s2.jsonl") });

        WaitFor(() => File.Exists(Home.DatabasePath) && Count("SELECT count(*) FROM prompts WHERE session_id = 's2'") == 1, "the background drain");
    }

    /// <summary>A real session (fasthooks' hook log and the transcript of the same session): the prompts the hooks
    /// captured are replaced by the transcript's as soon as the session's Stop hook has run.</summary>
    [Fact]
    public void TheTranscriptSupersedesTheHookRecordsWhenTheTurnEnds()
    {
        const string session = "c45af7b1-cb7c-4e51-93db-8cbb250a877a";
        var corpus = IngestorContractTests.CorpusPath("claude-code", "fasthooks");
        foreach (var line in File.ReadLines(Path.Combine(corpus, "sample_hook_logs.jsonl")))
        {
            var payload = JsonNode.Parse(line)!.AsObject();
            if (payload["event"]!.GetValue<string>() == "UserPromptSubmit")
            {
                payload["hook_event_name"] = "UserPromptSubmit";
                Hook("UserPromptSubmit", payload);
            }
        }

        Assert.Equal(0, _cli.Run("hook-drain").ExitCode);
        Assert.Equal(5L, Count("SELECT count(*) FROM prompts WHERE capture_mode = 'hook'"));

        var transcript = Path.Combine(_cli.UserHome, ".claude", "projects", "-workspace", session + ".jsonl");
        Directory.CreateDirectory(Path.GetDirectoryName(transcript)!);
        File.Copy(Path.Combine(corpus, "sample_main_transcript.jsonl"), transcript);
        Hook("Stop", new { session_id = session, transcript_path = transcript, hook_event_name = "Stop", stop_hook_active = false });

        WaitFor(() => Count("SELECT count(*) FROM prompts WHERE capture_mode = 'hook'") == 0, "the transcript to replace the hook prompts");
        Assert.Equal(5L, Count($"SELECT count(*) FROM prompts WHERE session_id = '{session}' AND actionable = 1 AND capture_mode = 'transcript'"));
        Assert.True(Count("SELECT count(*) FROM token_usage") > 0);
        Assert.Equal(0L, Count("SELECT count(*) FROM token_usage WHERE cost_usd IS NULL")); // priced as a sync prices it
    }

    [Fact]
    public void AMalformedPayloadExitsZeroSilentlyAndIsLogged()
    {
        var result = _cli.Run(["hook", "UserPromptSubmit", "--platform", "claude_code"], "{\"session_id\": \"s3\", \"prompt\": ");

        Assert.Equal((0, string.Empty), (result.ExitCode, result.Stdout));
        using var drain = JsonDocument.Parse(_cli.Run("hook-drain").Stdout);
        Assert.Contains("hook UserPromptSubmit --platform claude_code: the payload is not valid JSON", File.ReadAllText(Path.Combine(Home.LogsPath, "hook-errors.log")));
        var claude = drain.RootElement.GetProperty("hooks").GetProperty("platforms").EnumerateArray().Single();
        Assert.Equal(1, claude.GetProperty("malformed").GetInt32());
    }

    [Fact]
    public void ACorruptStoreStillExitsZeroKeepsTheEventAndLogsTheDrainFailure()
    {
        Directory.CreateDirectory(Home.Root);
        File.WriteAllText(Home.DatabasePath, "this is not a SQLite database, it is plain text long enough to be read as a header");

        var result = Hook("Stop", new { session_id = "s4", hook_event_name = "Stop" });

        Assert.Equal(0, result.ExitCode);
        var log = Path.Combine(Home.LogsPath, "hook-errors.log");
        WaitFor(() => File.Exists(log) && File.ReadAllText(log).Contains("hook-drain", StringComparison.Ordinal), "the drain failure in the log");
        Assert.Contains("damaged", File.ReadAllText(log));
        Assert.Equal(1, Spooled());
    }

    [Fact]
    public async Task AnAgentThatNeverClosesStdinIsNotWaitedForBeyondTheBound()
    {
        _cli.Environment["SELFTUNE_HOOK_TIMEOUT_MS"] = "300";
        using var process = _cli.Start(["hook", "UserPromptSubmit", "--platform", "claude_code"]);
        await process.StandardInput.WriteAsync("{\"session_id\":");
        await process.StandardInput.FlushAsync();

        using var bound = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        await process.WaitForExitAsync(bound.Token);

        Assert.Equal(0, process.ExitCode);
        Assert.Contains("stdin was not closed in time (14 bytes read)", File.ReadAllText(Path.Combine(Home.LogsPath, "hook-errors.log")));
    }

    [Fact]
    public void AnUnwritableSpoolExitsZeroAndLogsWhy()
    {
        Directory.CreateDirectory(Home.Root);
        File.WriteAllText(Home.SpoolPath, "a file where the spool folder should be");

        var result = Hook("UserPromptSubmit", new { session_id = "s5", hook_event_name = "UserPromptSubmit", prompt = "hello there" });

        Assert.Equal((0, string.Empty), (result.ExitCode, result.Stdout));
        Assert.Contains("hook UserPromptSubmit --platform claude_code: ", File.ReadAllText(Path.Combine(Home.LogsPath, "hook-errors.log")));
    }

    [Fact]
    public void AHomeThatCannotBeCreatedExitsZeroAndSaysSoOnStderr()
    {
        File.WriteAllText(Path.Combine(_cli.Root, "file"), string.Empty);
        _cli.Environment[SelftuneHome.EnvironmentVariable] = Path.Combine(_cli.Root, "file", "home");

        var result = Hook("UserPromptSubmit", new { session_id = "s6", hook_event_name = "UserPromptSubmit", prompt = "hello there" });

        Assert.Equal((0, string.Empty), (result.ExitCode, result.Stdout));
        Assert.Contains("cannot be written", result.Stderr);
    }

    public void Dispose() => _cli.Dispose();

    private CliResult Hook(string eventName, object payload)
    {
        var result = _cli.ClaudeHook(eventName, Payload(payload));
        Assert.Equal((0, string.Empty), (result.ExitCode, result.Stdout));
        return result;
    }

    private int Spooled() => Directory.EnumerateFiles(Home.SpoolPath, "*.jsonl").Sum(f => File.ReadAllLines(f).Length);

    private static string Payload(object payload) => JsonSerializer.Serialize(payload);

    private long Count(string sql)
    {
        using var store = SelftuneStore.Open(Home.DatabasePath);
        return (long)store.Scalar(sql)!;
    }

    private void InstallSkill(string name)
    {
        var dir = Path.Combine(_cli.UserHome, ".claude", "skills", name);
        Directory.CreateDirectory(dir);
        File.WriteAllText(Path.Combine(dir, "SKILL.md"), $"---\nname: {name}\ndescription: Test skill {name}.\n---\nBody.\n");
    }

    /// <summary>Waits for a background process's work, up to a generous bound (a wait, not a timing assertion).</summary>
    private static void WaitFor(Func<bool> condition, string what)
    {
        var clock = Stopwatch.StartNew();
        while (!condition())
        {
            Assert.True(clock.Elapsed < TimeSpan.FromMinutes(2), $"Gave up waiting for {what}.");
            Thread.Sleep(100);
        }
    }
}
