using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Selftune.AdapterKit;
using Selftune.Core.Configuration;
using Selftune.Core.Hooks;
using Selftune.Core.Store;
using Selftune.Host.Tests.Support;

namespace Selftune.Host.Tests;

/// <summary>The managed hook, <c>selftune hook &lt;event&gt;</c> (the fallback where the native hook was not built).</summary>
public sealed class ManagedHookProcessTests : HookProcessTests;

/// <summary>The native hook, <c>selftune-hook &lt;event&gt;</c>, as installers write it.</summary>
public sealed class NativeHookProcessTests : HookProcessTests
{
    public NativeHookProcessTests() => Cli.HookProgram = SelftuneCli.NativeHook;
}

/// <summary>The hook command run as Claude Code runs it: payload on stdin, a temporary home, the real executables; every
/// test runs on both hook executables (the subclasses above).</summary>
public abstract class HookProcessTests : IDisposable
{
    private readonly SelftuneCli _cli = new();

    /// <summary>The CLI and hook under test.</summary>
    protected SelftuneCli Cli => _cli;

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
        var processes = Enumerable.Range(0, 20).Select(_ => _cli.StartHook(["UserPromptSubmit", "--platform", "claude_code"])).ToList();
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

        SelftuneCli.WaitFor(() => File.Exists(Home.DatabasePath) && Count("SELECT count(*) FROM prompts WHERE session_id = 's2'") == 1, "the background drain");
        SelftuneCli.WaitFor(() => Count("SELECT count(*) FROM status_snapshot") == 1, "status's miss set made current by the drain");
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

        SelftuneCli.WaitFor(() => Count("SELECT count(*) FROM prompts WHERE capture_mode = 'hook'") == 0, "the transcript to replace the hook prompts");
        Assert.Equal(5L, Count($"SELECT count(*) FROM prompts WHERE session_id = '{session}' AND actionable = 1 AND capture_mode = 'transcript'"));
        Assert.True(Count("SELECT count(*) FROM token_usage") > 0);
        Assert.Equal(0L, Count("SELECT count(*) FROM token_usage WHERE cost_usd IS NULL")); // priced as a sync prices it
    }

    [Fact]
    public void AMalformedPayloadExitsZeroSilentlyAndIsLogged()
    {
        var result = _cli.RunHook(["UserPromptSubmit", "--platform", "claude_code"], "{\"session_id\": \"s3\", \"prompt\": ");

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
        SelftuneCli.WaitFor(() => File.Exists(log) && File.ReadAllText(log).Contains("hook-drain", StringComparison.Ordinal), "the drain failure in the log");
        Assert.Contains("damaged", File.ReadAllText(log));
        Assert.Equal(1, Spooled());
    }

    [Fact]
    public async Task AnAgentThatNeverClosesStdinIsNotWaitedForBeyondTheBound()
    {
        _cli.Environment["SELFTUNE_HOOK_TIMEOUT_MS"] = "300";
        using var process = _cli.StartHook(["UserPromptSubmit", "--platform", "claude_code"]);
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

    [Fact]
    public async Task FiftyHooksWithLargePromptsCreatingTheSpoolAtOnceAllLand()
    {
        // Issue 20 #3: no spool file yet, 9 KB prompts (over the 4 KB shared-lock size), 50 hooks at once.
        _cli.Environment["SELFTUNE_HOOK_TIMEOUT_MS"] = "120000"; // a loaded machine must not turn into a lock timeout
        var processes = Enumerable.Range(0, 50).Select(_ => _cli.StartHook(["UserPromptSubmit", "--platform", "claude_code"])).ToList();
        await Task.WhenAll(processes.Select(async (process, i) =>
        {
            await process.StandardInput.WriteAsync(Payload(new { session_id = "s50", hook_event_name = "UserPromptSubmit", prompt = $"large prompt {i} " + new string('p', 9 * 1024) }));
            process.StandardInput.Close();
            await process.WaitForExitAsync();
        }));
        foreach (var process in processes)
        {
            Assert.Equal(0, process.ExitCode);
            process.Dispose();
        }

        Assert.False(File.Exists(Path.Combine(Home.LogsPath, "hook-errors.log")), File.Exists(Path.Combine(Home.LogsPath, "hook-errors.log")) ? File.ReadAllText(Path.Combine(Home.LogsPath, "hook-errors.log")) : null);
        Assert.Equal(0, _cli.Run("hook-drain").ExitCode);
        Assert.Equal(50L, Count("SELECT count(DISTINCT text) FROM prompts WHERE session_id = 's50'"));
    }

    [Fact]
    public void AnAppendCutShortDoesNotTakeTheNextEventWithIt()
    {
        // Issue 20 #4, simulated: a 20 KB append that stopped half way (a full disk) leaves half a line, then the next
        // hook runs. And a spool written before the fresh-line rule: a cut line with the next event glued to it.
        var spool = HookSpool.FileFor(Home.SpoolPath, DateTimeOffset.UtcNow);
        var cut = Encoding.UTF8.GetString(HookSpool.Envelope(DateTimeOffset.UtcNow, "UserPromptSubmit", "claude_code", null, Encoding.UTF8.GetBytes(Payload(new { session_id = "s7", hook_event_name = "UserPromptSubmit", prompt = new string('c', 20 * 1024) }))))[..(10 * 1024)];
        Directory.CreateDirectory(Home.SpoolPath);
        File.WriteAllText(spool, cut);

        Hook("UserPromptSubmit", new { session_id = "s7", hook_event_name = "UserPromptSubmit", prompt = "the prompt after the cut line" });
        File.AppendAllText(spool, cut + Encoding.UTF8.GetString(HookSpool.Envelope(DateTimeOffset.UtcNow, "UserPromptSubmit", "claude_code", null, Encoding.UTF8.GetBytes(Payload(new { session_id = "s7", hook_event_name = "UserPromptSubmit", prompt = "the prompt glued to a cut line" })))));
        var drain = _cli.Run("hook-drain");

        Assert.Equal(0, drain.ExitCode);
        Assert.Equal(["the prompt after the cut line", "the prompt glued to a cut line"], Texts("s7"));
        using var report = JsonDocument.Parse(drain.Stdout);
        Assert.Equal(2, report.RootElement.GetProperty("hooks").GetProperty("platforms").EnumerateArray().Sum(p => p.GetProperty("malformed").GetInt32()));
    }

    [MountNamespaceFact]
    public void AFullDiskDuringAnAppendDoesNotTakeTheNextEventWithIt()
    {
        // Issue 20 #4 on a real full disk: the spool on an 8 MB tmpfs filled to 12 KB short of full, a 20 KB prompt,
        // space freed, a second prompt; all within one private mount namespace (unshare -m), then drained there.
        var hook = _cli.HookProgram is { } native ? $"'{native}'" : "\"$0\" hook";
        var script = $"""
            set -e
            S='{Home.SpoolPath}'
            mkdir -p "$S" && mount -t tmpfs -o size=8m selftune-test "$S"
            dd if=/dev/zero of="$S/fill" bs=4k 2>/dev/null || true
            truncate -s -12K "$S/fill"
            {hook} UserPromptSubmit --platform claude_code < '{WritePayload("big", new string('b', 20 * 1024))}'
            rm "$S/fill"
            {hook} UserPromptSubmit --platform claude_code < '{WritePayload("next", "the prompt after the full disk")}'
            "$0" hook-drain > '{Path.Combine(_cli.Root, "drain.json")}'
            """;
        _cli.Wrapper = ["unshare", "-m", "sh", "-c", script];

        var result = _cli.Run([]);

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains("No space left on device", File.ReadAllText(Path.Combine(Home.LogsPath, "hook-errors.log")));
        Assert.Equal(["the prompt after the full disk"], Texts("s8"));
    }

    [Fact]
    public void AClosedStdinIsToldAtOnceAndTheEventIsKept()
    {
        // Issue 20 #9: `selftune hook … <&-`; descriptor 0 is then reused by the runtime for a file of its own. The bound
        // is ten minutes: a hook that waits for that descriptor hits the test's two-minute limit instead.
        _cli.Environment["SELFTUNE_HOOK_TIMEOUT_MS"] = "600000";
        _cli.Wrapper = ["sh", "-c", "exec \"$0\" \"$@\" <&-"];

        var result = _cli.RunHook(["UserPromptSubmit", "--platform", "claude_code"], null);

        Assert.Equal((0, string.Empty), (result.ExitCode, result.Stdout));
        Assert.Contains("\"event\":\"UserPromptSubmit\"", File.ReadAllText(HookSpool.FileFor(Home.SpoolPath, DateTimeOffset.UtcNow)), StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(Home.LogsPath, "hook-errors.log")));
    }

    [Fact]
    public void APromptOverTheLimitIsStoredCutWithAMarker()
    {
        // Issue 20 #10: a 5 MiB prompt is kept up to the 4 MiB limit, with a marker, not dropped.
        var prompt = "summarise this log: " + new string('l', 5 * 1024 * 1024) + " END";
        Hook("UserPromptSubmit", new { session_id = "s9", cwd = "/w", hook_event_name = "UserPromptSubmit", prompt });
        Assert.Equal(0, _cli.Run("hook-drain").ExitCode);

        var stored = Assert.Single(Texts("s9"));
        Assert.StartsWith("summarise this log: lll", stored, StringComparison.Ordinal);
        Assert.Matches(@"\[… cut by selftune: the hook payload was \d+ bytes, over the limit\]$", stored);
        Assert.InRange(stored.Length, (4 * 1024 * 1024) - 200, 4 * 1024 * 1024);
    }

    [Fact]
    public void TheEvolutionGuardBlocksOnlyAnEditOfADeployedSkillStillWatched()
    {
        var watched = InstallSkill("pdf-tools");
        var other = InstallSkill("slides");
        WriteHookState($$"""{"version":1,"skill_change_guard":false,"watched":[{"skill":"pdf-tools","path":{{JsonSerializer.Serialize(watched)}},"deployed_at":"2026-12-01T10:00:00Z"}],"unmatched_sessions":{},"failing_skills":[],"pending_proposals":0}""");

        var blocked = PreToolUse("g1", "Edit", watched);
        var relative = PreToolUse("g1", "Write", Path.GetRelativePath(_cli.UserHome, watched), cwd: _cli.UserHome);
        var otherSkill = PreToolUse("g1", "Edit", other);
        var notASkill = PreToolUse("g1", "Edit", Path.Combine(Path.GetDirectoryName(watched)!, "notes.md"));
        var unguarded = PreToolUse("g1", "Edit", watched, "--no-guard");

        Assert.Equal((2, string.Empty), (blocked.ExitCode, blocked.Stdout));
        Assert.Contains("selftune watch --skill pdf-tools", blocked.Stderr, StringComparison.Ordinal);
        Assert.Contains("selftune rollback --skill pdf-tools", blocked.Stderr, StringComparison.Ordinal);
        Assert.Equal(2, relative.ExitCode);
        Assert.Equal((0, string.Empty, string.Empty), (otherSkill.ExitCode, otherSkill.Stdout, otherSkill.Stderr));
        Assert.Equal((0, string.Empty), (notASkill.ExitCode, notASkill.Stdout));
        Assert.Equal((0, string.Empty), (unguarded.ExitCode, unguarded.Stdout));
        Assert.Equal(5, Spooled()); // blocked or not, every event is recorded
    }

    [Fact]
    public void TheSkillChangeGuardTellsTheAgentOncePerSkillPerSession()
    {
        var skill = InstallSkill("pdf-tools");
        WriteHookState("""{"version":1,"skill_change_guard":true,"watched":[],"unmatched_sessions":{},"failing_skills":[],"pending_proposals":0}""");

        var first = PreToolUse("c1", "Write", skill);
        var again = PreToolUse("c1", "Edit", skill);
        var otherSession = PreToolUse("c2", "Edit", skill);

        Assert.Equal(0, first.ExitCode);
        using (var output = JsonDocument.Parse(first.Stdout))
        {
            var specific = output.RootElement.GetProperty("hookSpecificOutput");
            Assert.Equal("PreToolUse", specific.GetProperty("hookEventName").GetString());
            Assert.Contains("selftune history --skill pdf-tools", specific.GetProperty("additionalContext").GetString(), StringComparison.Ordinal);
        }

        Assert.Equal((0, string.Empty), (again.ExitCode, again.Stdout));
        Assert.Contains("pdf-tools", otherSession.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public void PromptsGetOneNudgePerRuleOncePerSession()
    {
        WriteHookState("""{"version":1,"skill_change_guard":true,"watched":[],"unmatched_sessions":{"n1":4},"failing_skills":["pdf-tools"],"pending_proposals":2}""");

        var contexts = Enumerable.Range(0, 4).Select(i => Prompt("n1", $"prompt {i}")).ToList();
        var otherSession = Prompt("n2", "another session");

        Assert.Contains("latest grading of pdf-tools failed", contexts[0], StringComparison.Ordinal);
        Assert.Contains("2 validated skill proposal(s)", contexts[1], StringComparison.Ordinal);
        Assert.Contains("4 prompts of this session used no skill", contexts[2], StringComparison.Ordinal);
        Assert.Null(contexts[3]);
        Assert.Contains("latest grading of pdf-tools failed", otherSession, StringComparison.Ordinal); // n2 has no unmatched count
    }

    [Fact]
    public void AGarbageHookStateLetsTheEditThroughAndLogsWhy()
    {
        var skill = InstallSkill("pdf-tools");
        WriteHookState("{\"watched\": [ this is not json");

        var edit = PreToolUse("f1", "Edit", skill);
        var prompt = _cli.ClaudeHook("UserPromptSubmit", Payload(new { session_id = "f1", hook_event_name = "UserPromptSubmit", prompt = "hello" }));

        Assert.Equal((0, string.Empty), (edit.ExitCode, edit.Stdout));
        Assert.Equal((0, string.Empty), (prompt.ExitCode, prompt.Stdout));
        Assert.Contains("in-turn hooks skipped", File.ReadAllText(Path.Combine(Home.LogsPath, "hook-errors.log")), StringComparison.Ordinal);
        Assert.Equal(2, Spooled());
    }

    public void Dispose() => _cli.Dispose();

    private CliResult Hook(string eventName, object payload, bool allowOutput = false)
    {
        var result = _cli.ClaudeHook(eventName, Payload(payload));
        Assert.Equal(0, result.ExitCode);
        Assert.True(allowOutput || result.Stdout.Length == 0, result.ToString());
        return result;
    }

    private int Spooled() => Directory.EnumerateFiles(Home.SpoolPath, "*.jsonl").Sum(f => File.ReadAllLines(f).Length);

    private static string Payload(object payload) => JsonSerializer.Serialize(payload);

    private string WritePayload(string name, string prompt)
    {
        var path = Path.Combine(_cli.Root, name + ".json");
        File.WriteAllText(path, Payload(new { session_id = "s8", hook_event_name = "UserPromptSubmit", prompt }));
        return path;
    }

    private List<string> Texts(string session)
    {
        using var store = SelftuneStore.Open(Home.DatabasePath);
        return store.Query("SELECT text FROM prompts WHERE session_id = $s ORDER BY occurred_at, text", r => r.GetString(0), ("$s", session));
    }

    private long Count(string sql)
    {
        using var store = SelftuneStore.Open(Home.DatabasePath);
        return (long)store.Scalar(sql)!;
    }

    private string InstallSkill(string name)
    {
        var dir = Path.Combine(_cli.UserHome, ".claude", "skills", name);
        Directory.CreateDirectory(dir);
        File.WriteAllText(Path.Combine(dir, "SKILL.md"), $"---\nname: {name}\ndescription: Test skill {name}.\n---\nBody.\n");
        return Path.Combine(dir, "SKILL.md");
    }

    private void WriteHookState(string json)
    {
        Directory.CreateDirectory(Home.Root);
        File.WriteAllText(Path.Combine(Home.Root, InTurnHooks.StateFileName), json);
    }

    /// <summary>A Claude Code <c>PreToolUse</c> of <paramref name="tool"/> on <paramref name="path"/>, as the installer
    /// writes it (with <paramref name="flag"/> appended when given).</summary>
    private CliResult PreToolUse(string session, string tool, string path, string? flag = null, string? cwd = null) =>
        _cli.RunHook(
            flag is null ? ["PreToolUse", "--platform", "claude_code"] : ["PreToolUse", "--platform", "claude_code", flag],
            Payload(new { session_id = session, hook_event_name = "PreToolUse", cwd = cwd ?? "/w", tool_name = tool, tool_input = new { file_path = path, content = "---\nname: x\n---\n" } }));

    /// <summary>A prompt; returns the context line the hook added, or null.</summary>
    private string? Prompt(string session, string prompt)
    {
        var result = Hook("UserPromptSubmit", new { session_id = session, hook_event_name = "UserPromptSubmit", prompt }, allowOutput: true);
        if (result.Stdout.Length == 0)
        {
            return null;
        }

        using var output = JsonDocument.Parse(result.Stdout);
        var specific = output.RootElement.GetProperty("hookSpecificOutput");
        Assert.Equal("UserPromptSubmit", specific.GetProperty("hookEventName").GetString());
        return specific.GetProperty("additionalContext").GetString();
    }
}

/// <summary>A fact that needs a private mount namespace (root and <c>unshare</c>) to mount a small tmpfs; skipped, saying
/// why, elsewhere (a simulated short write covers the same rule there).</summary>
public sealed class MountNamespaceFactAttribute : FactAttribute
{
    public MountNamespaceFactAttribute()
    {
        if (OperatingSystem.IsWindows() || Environment.UserName != "root" || !new[] { "/usr/bin/unshare", "/bin/unshare" }.Any(File.Exists))
        {
            Skip = "needs root and unshare to mount a tmpfs in a private mount namespace; AnAppendCutShortDoesNotTakeTheNextEventWithIt simulates it.";
        }
    }
}
