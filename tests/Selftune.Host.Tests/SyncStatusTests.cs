using System.Runtime.Versioning;
using System.Text.Json;
using Selftune.AdapterKit;
using Selftune.Core.Store;
using Selftune.Host.Tests.Support;

namespace Selftune.Host.Tests;

/// <summary>
/// <c>selftune sync</c>, <c>status</c>, <c>last</c> and <c>sessions</c> run as real processes over a copy of the Claude Code
/// corpus in a temporary home's <c>.claude/projects</c>.
/// </summary>
public sealed class SyncStatusTests : IDisposable
{
    private readonly SelftuneCli _cli = new();
    private readonly string _projects;

    public SyncStatusTests()
    {
        _projects = Path.Combine(_cli.UserHome, ".claude", "projects");
        IngestorContractTests.CopyTree(IngestorContractTests.CorpusPath("claude-code"), _projects);
    }

    [Fact]
    public void SyncThenStatusShowsTheRealSkillTriggerAndTheSkillFileReads()
    {
        var sync = Run("sync");
        var counters = sync.GetProperty("platforms").EnumerateArray().Single(p => p.GetProperty("platform").GetString() == "claude_code");
        Assert.Equal(37, counters.GetProperty("sessions").GetInt32());
        Assert.Equal(38, counters.GetProperty("malformed").GetInt32());

        var status = Run("status");
        var skills = status.GetProperty("skills").EnumerateArray().ToDictionary(s => s.GetProperty("name").GetString()!);
        Assert.Equal(1, skills["elixir:hex-docs-search"].GetProperty("triggers").GetInt32());
        Assert.Equal("/home/USER/.claude/plugins/cache/elixir/elixir/1.2.0/skills/hex-docs-search", skills["elixir:hex-docs-search"].GetProperty("path").GetString());
        Assert.Equal(2, skills["find-skills"].GetProperty("reads_not_invoked").GetInt32());
        Assert.Equal(1, skills["ai-image-generation"].GetProperty("reads_not_invoked").GetInt32());
        Assert.Equal(1, skills["ai-image-generation"].GetProperty("misses").GetInt32());
        Assert.Equal("warning", skills["find-skills"].GetProperty("health").GetString());
        Assert.Equal(38, status.GetProperty("system").GetProperty("last_sync").GetProperty("malformed").GetInt32());

        // selftune alone shows the same status.
        Assert.Equal(skills.Count, Run().GetProperty("skills").GetArrayLength());
    }

    [Fact]
    public void SessionsAndLastReportTokensCostAndSkills()
    {
        Run("sync");
        var session = Assert.Single(Run("sessions", "--skill", "elixir:hex-docs-search").GetProperty("sessions").EnumerateArray());
        Assert.Equal("ae4a77f8-aedd-4bc1-888f-c94edc91af04", session.GetProperty("session_id").GetString());
        Assert.Equal(2, session.GetProperty("subagents").GetInt32());
        Assert.Equal(6.1725718, session.GetProperty("tokens").GetProperty("cost_usd").GetDouble(), 1e-6); // = ccusage, sub-agents included
        Assert.Equal(12, session.GetProperty("tool_errors").GetInt32());
        Assert.Equal(2, Run("sessions", "--project", "livecd-gen", "--limit", "2").GetProperty("sessions").GetArrayLength());

        var last = Run("last");
        Assert.False(string.IsNullOrEmpty(last.GetProperty("session").GetProperty("session_id").GetString()));
        Assert.False(string.IsNullOrEmpty(last.GetProperty("recommendation").GetString()));
    }

    [UnprivilegedRunFact]
    [UnsupportedOSPlatform("windows")]
    public void AnUnreadableFolderIsReportedAndTheSyncCompletes()
    {
        var locked = Path.Combine(_projects, "locked-project");
        Directory.CreateDirectory(locked);
        File.Copy(Path.Combine(_projects, "spotter", "short.jsonl"), Path.Combine(locked, "short-copy.jsonl"));
        if (Environment.UserName == "root")
        {
            // Root reads any folder: run selftune as an unprivileged user, so the permission really applies. That user
            // runs a copy of the build inside the test's folder: the checkout may sit where only its owner can enter.
            _cli.UseCopyOfBuild();
            foreach (var dir in Directory.EnumerateDirectories(_cli.Root, "*", SearchOption.AllDirectories).Append(_cli.Root))
            {
                File.SetUnixFileMode(dir, (UnixFileMode)0b111_111_111);
            }

            _cli.Wrapper = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"];
        }

        File.SetUnixFileMode(locked, UnixFileMode.None);
        try
        {
            var counters = Run("sync").GetProperty("platforms").EnumerateArray().Single(p => p.GetProperty("platform").GetString() == "claude_code");
            Assert.Contains(counters.GetProperty("problems").EnumerateArray(), p => p.GetString()!.StartsWith(locked, StringComparison.Ordinal));
            Assert.Equal(30, counters.GetProperty("sources_read").GetInt32());
        }
        finally
        {
            File.SetUnixFileMode(locked, (UnixFileMode)0b111_101_101);
        }
    }

    [Fact]
    [UnsupportedOSPlatform("windows")]
    public void SymlinkLoopsAndAFifoNamedLikeATranscriptDoNotHoldTheSync()
    {
        // Issue 20 #1, as reproduced: P=$HOME/.claude/projects; mkdir -p $P/p; cp x.jsonl $P/p/; ln -s $P $P/p/loop1;
        // ln -s $P $P/p/loop2; mkfifo $P/p/pipe.jsonl; selftune sync (twice: the second is told from the stamp).
        var p = Path.Combine(_projects, "p");
        Directory.CreateDirectory(p);
        File.Copy(Path.Combine(_projects, "spotter", "short.jsonl"), Path.Combine(p, "x.jsonl"));
        Directory.CreateSymbolicLink(Path.Combine(p, "loop1"), _projects);
        Directory.CreateSymbolicLink(Path.Combine(p, "loop2"), _projects);
        using (var mkfifo = System.Diagnostics.Process.Start("mkfifo", [Path.Combine(p, "pipe.jsonl")]))
        {
            mkfifo.WaitForExit();
        }

        var read = new List<int>();
        foreach (var _ in new[] { "first", "stamped" })
        {
            var result = _cli.Run(["sync"], timeoutMs: 60_000);
            Assert.True(result.ExitCode == 0, result.ToString());
            read.Add(ClaudeCounters(result.Json).GetProperty("sources_read").GetInt32());
        }

        Assert.Equal(0, read[1]); // the second sync is told from the stamp

        using var store = SelftuneStore.Open(Path.Combine(_cli.SelftuneHome, "selftune.db"), readOnly: true);
        var cursors = store.Query("SELECT path FROM source_cursors WHERE path LIKE $p", r => r.GetString(0), ("$p", p + "/%"));
        Assert.Equal([Path.Combine(p, "x.jsonl")], cursors); // once, not through a link; the FIFO never opened
    }

    [Fact]
    public void AfterAStampedSyncNothingChangedIsReportedAndEveryChangeIsStillRead()
    {
        var first = ClaudeCounters(Run("sync"));
        using (var store = SelftuneStore.Open(Path.Combine(_cli.SelftuneHome, "selftune.db"), readOnly: true))
        {
            Assert.Equal(6L, store.Scalar("SELECT count(*) FROM sync_stamp_platforms")); // every bundled plugin declares its roots
        }

        var unchanged = ClaudeCounters(Run("sync"));
        Assert.Equal((first.GetProperty("sources_found").GetInt32(), 0), (unchanged.GetProperty("sources_unchanged").GetInt32(), unchanged.GetProperty("sources_read").GetInt32()));

        File.AppendAllText(Path.Combine(_projects, "spotter", "short.jsonl"), Line("s-spotter", "u-appended", "one more prompt"));
        Assert.Equal(1, ClaudeCounters(Run("sync")).GetProperty("sources_read").GetInt32());

        var added = Path.Combine(_projects, "-home-dev-new-project", "s-new.jsonl");
        Directory.CreateDirectory(Path.GetDirectoryName(added)!);
        File.WriteAllText(added, Line("s-new", "u-new", "a prompt in a new project"));
        var read = ClaudeCounters(Run("sync"));
        Assert.Equal((1, 1), (read.GetProperty("sources_read").GetInt32(), read.GetProperty("actionable_prompts").GetInt32()));
        Assert.Equal("a prompt in a new project", PromptText("s-new:u-new"));
        Assert.Equal(0, ClaudeCounters(Run("sync")).GetProperty("sources_read").GetInt32());
    }

    [Fact]
    public void TheQuickFormsAnswerAsTheCommandTreeDoes()
    {
        Run("sync");

        // "sync --json" and "status --json" skip the command-line parser; "--json sync" and "--json status" go through it.
        Assert.Equal(Platforms(Run("--json", "sync")), Platforms(Run("sync", "--json")));
        Assert.Equal(Status(Run("--json", "status")), Status(Run("status", "--json")));
        Assert.Equal(Status(Run("--json", "status")), Status(Run()));

        static string Platforms(JsonElement sync) => string.Join(";", sync.GetProperty("platforms").EnumerateArray()
            .Select(p => $"{p.GetProperty("platform")} {p.GetProperty("sources_found")} {p.GetProperty("sources_read")} {p.GetProperty("sources_unchanged")}"));

        static string Status(JsonElement status) => string.Join(";", status.GetProperty("skills").EnumerateArray()
            .Select(s => $"{s.GetProperty("name")} {s.GetProperty("triggers")} {s.GetProperty("misses")} {s.GetProperty("reads_not_invoked")} {s.GetProperty("health")}"))
            + $" | {status.GetProperty("unmatched").GetProperty("count")} {status.GetProperty("system").GetProperty("sessions")} {status.GetProperty("system").GetProperty("skill_problems")}";
    }

    /// <summary><c>status</c> finds the installed skills under the skill roots the plugins named at the last sync, without
    /// loading them, and still sees a skill folder added or removed and the agent's folder moved by its variable (a plugin
    /// added: <see cref="PluginLoadingTests"/>).</summary>
    [Fact]
    public void StatusUsesTheRememberedSkillRootsAndSeesEverySkillFolderChange()
    {
        Run("sync");
        var cache = Path.Combine(_cli.SelftuneHome, "skill-roots.json");
        Assert.True(File.Exists(cache), "the sync remembers the plugins' skill roots");
        Assert.DoesNotContain("release-notes", Installed(Run("status")));

        var skill = Path.Combine(_cli.UserHome, ".claude", "skills", "release-notes");
        WriteSkill(skill);
        Assert.Contains("release-notes", Installed(Run("status")));
        var remembered = File.GetLastWriteTimeUtc(cache);
        Assert.Contains("release-notes", Installed(Run("status")));
        Assert.Equal(remembered, File.GetLastWriteTimeUtc(cache)); // nothing changed: the remembered roots were used

        Directory.Delete(skill, recursive: true);
        Assert.DoesNotContain("release-notes", Installed(Run("status")));

        var relocated = Path.Combine(_cli.UserHome, "claude-config");
        WriteSkill(Path.Combine(relocated, "skills", "deploy-checklist"));
        _cli.Environment["CLAUDE_CONFIG_DIR"] = relocated;
        Assert.Contains("deploy-checklist", Installed(Run("status")));
        _cli.Environment.Remove("CLAUDE_CONFIG_DIR");
        Assert.DoesNotContain("deploy-checklist", Installed(Run("status")));
    }

    /// <summary>Writes a minimal valid skill named after its folder.</summary>
    internal static void WriteSkill(string folder)
    {
        Directory.CreateDirectory(folder);
        File.WriteAllText(Path.Combine(folder, "SKILL.md"), $"---\nname: {Path.GetFileName(folder)}\ndescription: Does {Path.GetFileName(folder)} work when asked.\n---\nBody.\n");
    }

    /// <summary>The names of the skills in a status report.</summary>
    internal static IReadOnlyList<string> Installed(JsonElement status) =>
        status.GetProperty("skills").EnumerateArray().Select(s => s.GetProperty("name").GetString()!).ToList();

    [Fact]
    public void RedactionCanBeTurnedOff()
    {
        const string secret = "sk-ant-api03-AbCdEfGhIjKlMnOpQrStUvWxYz0123456789";
        var file = Path.Combine(_projects, "-home-dev-secret", "s1.jsonl");
        Directory.CreateDirectory(Path.GetDirectoryName(file)!);
        File.WriteAllText(file, Line("s1", "u1", $"deploy with {secret} now"));
        Assert.Equal(1, ClaudeCounters(Run("sync")).GetProperty("redactions").GetInt32());
        Assert.Equal("deploy with [REDACTED:anthropic_key] now", PromptText("s1:u1"));

        _cli.Environment["SELFTUNE_REDACTION_ENABLED"] = "false";
        File.AppendAllText(file, Line("s1", "u2", $"again {secret}"));
        Assert.Equal(0, ClaudeCounters(Run("sync")).GetProperty("redactions").GetInt32());
        Assert.Equal($"again {secret}", PromptText("s1:u2"));
    }

    [Fact]
    public void ATokenAcrossTheDetailCutIsRedactedWhole()
    {
        // Issue 20 #5 through a plugin: the command's first line is cut at 200 characters only after redaction.
        var command = "echo " + new string('x', 180) + " ghp_abcdefghijklmnopqrstuvwxyz0123456789 | gh auth login --with-token";
        var file = Path.Combine(_projects, "-home-dev-token", "s2.jsonl");
        Directory.CreateDirectory(Path.GetDirectoryName(file)!);
        File.WriteAllText(file, Line("s2", "u1", "log in to github") + JsonSerializer.Serialize(new
        {
            type = "assistant", sessionId = "s2", uuid = "a1", parentUuid = "u1", timestamp = "2026-02-01T10:00:01.000Z",
            message = new { id = "msg_1", role = "assistant", model = "claude-sonnet-4-5", content = new object[] { new { type = "tool_use", id = "toolu_1", name = "Bash", input = new { command } } } },
        }) + "\n");

        Run("sync");

        using var store = SelftuneStore.Open(Path.Combine(_cli.SelftuneHome, "selftune.db"), readOnly: true);
        var detail = (string)store.Scalar("SELECT detail FROM tool_calls WHERE session_id = 's2'")!;
        Assert.Equal(200, detail.Length);
        Assert.DoesNotContain("ghp_", detail, StringComparison.Ordinal);
        Assert.EndsWith(" [REDACTED:gith", detail, StringComparison.Ordinal); // the marker is what the cut falls in
    }

    private static string Line(string session, string uuid, string text) =>
        JsonSerializer.Serialize(new { type = "user", sessionId = session, uuid, timestamp = "2026-02-01T10:00:00.000Z", message = new { role = "user", content = text } }) + "\n";

    public void Dispose() => _cli.Dispose();

    private static JsonElement ClaudeCounters(JsonElement sync) =>
        sync.GetProperty("platforms").EnumerateArray().Single(p => p.GetProperty("platform").GetString() == "claude_code");

    private string? PromptText(string id)
    {
        using var store = SelftuneStore.Open(Path.Combine(_cli.SelftuneHome, "selftune.db"), readOnly: true);
        return store.Scalar("SELECT text FROM prompts WHERE prompt_id = $id", ("$id", id)) as string;
    }

    private JsonElement Run(params string[] args)
    {
        var result = _cli.Run(args);
        Assert.True(result.ExitCode == 0, $"selftune {string.Join(' ', args)} exited {result.ExitCode}: {result.Stderr}");
        return result.Json;
    }
}

/// <summary>A fact that, run as root, runs selftune as an unprivileged user (<c>setpriv</c>, uid 65534); skipped, saying
/// why, when that user could not run it: no <c>setpriv</c>, or a .NET runtime in a folder other users cannot enter.</summary>
public sealed class UnprivilegedRunFactAttribute : FactAttribute
{
    public UnprivilegedRunFactAttribute()
    {
        if (OperatingSystem.IsWindows() || Environment.UserName != "root")
        {
            return;
        }

        if (!new[] { "/usr/bin/setpriv", "/bin/setpriv", "/usr/sbin/setpriv" }.Any(File.Exists))
        {
            Skip = "running as root without setpriv: selftune cannot be run as an unprivileged user here.";
            return;
        }

        foreach (var (what, path) in new[] { (".NET runtime", System.Runtime.InteropServices.RuntimeEnvironment.GetRuntimeDirectory()), ("temporary folder", Path.GetTempPath()) })
        {
            for (var dir = new DirectoryInfo(path); dir is not null; dir = dir.Parent)
            {
                if ((File.GetUnixFileMode(dir.FullName) & UnixFileMode.OtherExecute) == 0)
                {
                    Skip = $"the {what} lies under '{dir.FullName}', which an unprivileged user cannot enter, so selftune cannot be run as one.";
                    return;
                }
            }
        }
    }
}
