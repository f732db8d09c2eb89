using System.Diagnostics;
using System.Text.Json;
using Selftune.AdapterKit;
using Selftune.Core.Store;

namespace Selftune.Host.Tests;

/// <summary>
/// <c>selftune sync</c>, <c>status</c>, <c>last</c> and <c>sessions</c> run as real processes over a copy of the Claude Code
/// corpus, with <c>HOME</c> and <c>SELFTUNE_HOME</c> in a temp folder.
/// </summary>
public sealed class SyncStatusTests : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "selftune-host-" + Guid.NewGuid().ToString("N"));
    private readonly string _home;
    private readonly string _projects;

    public SyncStatusTests()
    {
        _home = Path.Combine(_root, "home");
        _projects = Path.Combine(_home, ".claude", "projects");
        IngestorContractTests.CopyTree(IngestorContractTests.CorpusPath("claude-code"), _projects);
    }

    [Fact]
    public async Task SyncThenStatusShowsTheRealSkillTriggerAndTheSkillFileReads()
    {
        var sync = await Run("sync");
        Assert.Equal(0, sync.ExitCode);
        var counters = sync.Json.GetProperty("platforms")[0];
        Assert.Equal("claude_code", counters.GetProperty("platform").GetString());
        Assert.Equal(37, counters.GetProperty("sessions").GetInt32());
        Assert.Equal(38, counters.GetProperty("malformed").GetInt32());

        var status = await Run("status");
        Assert.Equal(0, status.ExitCode);
        var skills = status.Json.GetProperty("skills").EnumerateArray().ToDictionary(s => s.GetProperty("name").GetString()!);
        Assert.Equal(1, skills["elixir:hex-docs-search"].GetProperty("triggers").GetInt32());
        Assert.Equal("/home/USER/.claude/plugins/cache/elixir/elixir/1.2.0/skills/hex-docs-search", skills["elixir:hex-docs-search"].GetProperty("path").GetString());
        Assert.Equal(2, skills["find-skills"].GetProperty("reads_not_invoked").GetInt32());
        Assert.Equal(1, skills["ai-image-generation"].GetProperty("reads_not_invoked").GetInt32());
        Assert.Equal(1, skills["ai-image-generation"].GetProperty("misses").GetInt32());
        Assert.Equal("warning", skills["find-skills"].GetProperty("health").GetString());
        Assert.Equal(38, status.Json.GetProperty("system").GetProperty("last_sync").GetProperty("malformed").GetInt32());

        // selftune alone shows the same status.
        var bare = await Run();
        Assert.Equal(0, bare.ExitCode);
        Assert.Equal(skills.Count, bare.Json.GetProperty("skills").GetArrayLength());
    }

    [Fact]
    public async Task SessionsAndLastReportTokensCostAndSkills()
    {
        Assert.Equal(0, (await Run("sync")).ExitCode);
        var sessions = await Run("sessions", "--skill", "elixir:hex-docs-search");
        var session = Assert.Single(sessions.Json.GetProperty("sessions").EnumerateArray());
        Assert.Equal("ae4a77f8-aedd-4bc1-888f-c94edc91af04", session.GetProperty("session_id").GetString());
        Assert.Equal(2, session.GetProperty("subagents").GetInt32());
        Assert.Equal(6.1725718, session.GetProperty("tokens").GetProperty("cost_usd").GetDouble(), 1e-6); // = ccusage, sub-agents included
        Assert.Equal(12, session.GetProperty("tool_errors").GetInt32());

        var limited = await Run("sessions", "--project", "livecd-gen", "--limit", "2");
        Assert.Equal(2, limited.Json.GetProperty("sessions").GetArrayLength());

        var last = await Run("last");
        Assert.Equal(0, last.ExitCode);
        Assert.False(string.IsNullOrEmpty(last.Json.GetProperty("session").GetProperty("session_id").GetString()));
        Assert.True(last.Json.TryGetProperty("recommendation", out _));
    }

    [Fact]
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public async Task AnUnreadableFolderIsReportedAndTheSyncCompletes()
    {
        var locked = Path.Combine(_projects, "locked-project");
        Directory.CreateDirectory(locked);
        File.Copy(Path.Combine(_projects, "spotter", "short.jsonl"), Path.Combine(locked, "short-copy.jsonl"));
        File.SetUnixFileMode(locked, UnixFileMode.None);
        try
        {
            // Root reads any folder: run selftune as an unprivileged user so the permission really applies.
            var asNobody = Environment.UserName == "root";
            if (asNobody)
            {
                foreach (var dir in Directory.EnumerateDirectories(_root, "*", SearchOption.AllDirectories).Where(d => d != locked && !d.StartsWith(locked + "/", StringComparison.Ordinal)).Append(_root))
                {
                    File.SetUnixFileMode(dir, (UnixFileMode)0b111_111_111);
                }
            }

            var sync = await Run(asNobody, "sync");
            Assert.Equal(0, sync.ExitCode);
            var counters = sync.Json.GetProperty("platforms")[0];
            Assert.Contains(counters.GetProperty("problems").EnumerateArray(), p => p.GetString()!.StartsWith(locked, StringComparison.Ordinal));
            Assert.Equal(30, counters.GetProperty("sources_read").GetInt32());
        }
        finally
        {
            File.SetUnixFileMode(locked, (UnixFileMode)0b111_101_101);
        }
    }

    [Fact]
    public async Task RedactionCanBeTurnedOff()
    {
        var secret = "sk-ant-api03-AbCdEfGhIjKlMnOpQrStUvWxYz0123456789";
        var project = Path.Combine(_projects, "-home-dev-secret");
        Directory.CreateDirectory(project);
        File.WriteAllText(Path.Combine(project, "s1.jsonl"),
            $$$"""{"type":"user","sessionId":"s1","uuid":"u1","timestamp":"2026-02-01T10:00:00.000Z","message":{"role":"user","content":"deploy with {{{secret}}} now"}}""" + "\n");

        var redacted = await Run("sync");
        Assert.Equal(1, redacted.Json.GetProperty("platforms")[0].GetProperty("redactions").GetInt32());
        Assert.Equal("deploy with [REDACTED:anthropic_key] now", PromptText("s1:u1"));

        var plain = await Run(false, new Dictionary<string, string> { ["SELFTUNE_REDACTION_ENABLED"] = "false" }, "sync", "--force");
        Assert.Equal(0, plain.Json.GetProperty("platforms")[0].GetProperty("redactions").GetInt32());
        Assert.Equal("deploy with [REDACTED:anthropic_key] now", PromptText("s1:u1")); // prompts are immutable once stored
        File.AppendAllText(Path.Combine(project, "s1.jsonl"),
            $$$"""{"type":"user","sessionId":"s1","uuid":"u2","timestamp":"2026-02-01T10:01:00.000Z","message":{"role":"user","content":"again {{{secret}}}"}}""" + "\n");
        await Run(false, new Dictionary<string, string> { ["SELFTUNE_REDACTION_ENABLED"] = "false" }, "sync");
        Assert.Equal($"again {secret}", PromptText("s1:u2"));
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(_root, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    private string? PromptText(string id)
    {
        using var store = SelftuneStore.Open(Path.Combine(_root, "selftune", "selftune.db"), readOnly: true);
        return store.Scalar("SELECT text FROM prompts WHERE prompt_id = $id", ("$id", id)) as string;
    }

    private Task<Result> Run(params string[] args) => Run(false, null, args);

    private Task<Result> Run(bool asNobody, params string[] args) => Run(asNobody, null, args);

    private async Task<Result> Run(bool asNobody, Dictionary<string, string>? environment, params string[] args)
    {
        var exe = Executable();
        var info = new ProcessStartInfo(asNobody ? "setpriv" : exe)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        if (asNobody)
        {
            foreach (var a in new[] { "--reuid=65534", "--regid=65534", "--clear-groups", exe })
            {
                info.ArgumentList.Add(a);
            }
        }

        foreach (var a in args)
        {
            info.ArgumentList.Add(a);
        }

        info.Environment["HOME"] = _home;
        info.Environment["SELFTUNE_HOME"] = Path.Combine(_root, "selftune");
        info.Environment.Remove("CLAUDE_CONFIG_DIR");
        foreach (var (key, value) in environment ?? [])
        {
            info.Environment[key] = value;
        }

        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        var output = await stdout;
        Assert.True(output.Length > 0, $"selftune {string.Join(' ', args)} printed nothing; stderr: {await stderr}");
        return new Result(process.ExitCode, JsonDocument.Parse(output).RootElement, await stderr);
    }

    /// <summary>The selftune built beside this test (the Host project's output folder, with plugins/ staged).</summary>
    private static string Executable()
    {
        var bin = new DirectoryInfo(AppContext.BaseDirectory);
        var configuration = bin.Parent!.Name;
        var repo = bin.Parent!.Parent!.Parent!.Parent!.Parent!.FullName;
        return Path.Combine(repo, "src", "Selftune.Host", "bin", configuration, bin.Name, "selftune");
    }

    private sealed record Result(int ExitCode, JsonElement Json, string Stderr);
}
