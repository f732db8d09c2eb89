using System.Diagnostics;
using System.Text.Json;
using Selftune.Abstractions;
using Selftune.AdapterKit;

namespace Selftune.Plugin.OpenClaw.Tests;

/// <summary>The installer's plans round-trip, the installed handler (run by node) sends what the hook handler reads.</summary>
public sealed class OpenClawHookTests : IDisposable
{
    private const string HookCommand = "/usr/local/bin/selftune hook";
    private readonly string _home = Path.Combine(Path.GetTempPath(), "selftune-openclaw-hook-" + Guid.NewGuid().ToString("N"));
    private readonly OpenClawInstaller _installer = new();
    private readonly OpenClawHookHandler _handler = new();

    public OpenClawHookTests() => Directory.CreateDirectory(_home);

    private string HookDir => Path.Combine(_home, ".openclaw", "hooks", "selftune");

    private PlatformContext Context(string? path = null) => new(_home, _home, name => name == "PATH" ? path : null);

    [Fact]
    public void InstallIsIdempotentAndUninstallRemovesExactlyWhatInstallAdded()
    {
        var install = _installer.PlanInstall(Context(), InstallScope.User, HookCommand);
        Assert.Equal([Path.Combine(HookDir, "HOOK.md"), Path.Combine(HookDir, "handler.ts")], install.Changes.Select(c => c.Path));
        Assert.All(install.Changes, c => Assert.Null(c.OriginalContent));
        Assert.Contains("\"events\": [\"agent:bootstrap\",\"command:new\",\"command:reset\",\"command:stop\",\"session:compact:after\"]", install.Changes[0].NewContent);
        Assert.Contains("const SELFTUNE_COMMAND = \"/usr/local/bin/selftune hook\";", install.Changes[1].NewContent);
        InstallPlans.Apply(install);
        File.WriteAllText(Path.Combine(HookDir, "notes.txt"), "the user's own file");

        Assert.Empty(_installer.PlanInstall(Context(), InstallScope.User, HookCommand).Changes);
        var moved = _installer.PlanInstall(Context(), InstallScope.User, "/opt/selftune/selftune hook");
        Assert.Equal(Path.Combine(HookDir, "handler.ts"), Assert.Single(moved.Changes).Path);

        var uninstall = _installer.PlanUninstall(Context(), InstallScope.User, HookCommand);
        Assert.Equal(install.Changes.Select(c => c.Path), uninstall.Changes.Select(c => c.Path));
        Assert.All(uninstall.Changes, c => Assert.Null(c.NewContent));
        InstallPlans.Apply(uninstall);
        Assert.Equal(["notes.txt"], Directory.GetFiles(HookDir).Select(Path.GetFileName));
        Assert.Empty(_installer.PlanUninstall(Context(), InstallScope.User, HookCommand).Changes);
    }

    [Fact]
    public void AUsersOwnHookOfTheSameNameIsNeverOverwrittenNorRemoved()
    {
        Directory.CreateDirectory(HookDir);
        var mine = Path.Combine(HookDir, "HOOK.md");
        File.WriteAllText(mine, "---\nname: selftune\n---\nmy own hook\n");

        var error = Assert.Throws<InstallerException>(() => _installer.PlanInstall(Context(), InstallScope.User, HookCommand));

        Assert.Equal(mine, error.Path);
        Assert.Contains("not written by selftune", error.Message);
        Assert.Empty(_installer.PlanUninstall(Context(), InstallScope.User, HookCommand).Changes);
    }

    [Fact]
    public void ProjectScopeIsRefusedWithAReason()
    {
        var error = Assert.Throws<InstallerException>(() => _installer.PlanInstall(Context(), InstallScope.Project, HookCommand));
        Assert.Contains("user scope", error.Message);
    }

    [Fact]
    public void DetectFindsTheStateFolderOrTheExecutable()
    {
        var bin = Path.Combine(_home, "bin");
        Directory.CreateDirectory(bin);
        Assert.False(_installer.Detect(Context(bin)).Installed);

        Scripts.Write(Path.Combine(bin, "openclaw"), "exit 0\n");
        var onPath = _installer.Detect(Context(bin));
        Assert.Equal((true, Path.Combine(bin, "openclaw")), (onPath.Installed, onPath.Evidence));

        Directory.CreateDirectory(Path.Combine(_home, ".openclaw"));
        var detected = _installer.Detect(Context());
        Assert.Equal((true, Path.Combine(_home, ".openclaw"), Path.Combine(HookDir, "HOOK.md")), (detected.Installed, detected.Evidence, detected.SettingsPath));
        Assert.Equal(
            [Path.Combine(_home, ".openclaw", "workspace", "skills"), Path.Combine(_home, ".openclaw", "skills"), Path.Combine(_home, ".agents", "skills")],
            detected.SkillRoots);
    }

    [Fact]
    public void TheInstalledHandlerSendsAPayloadTheHookHandlerReads()
    {
        // The real handler.ts (plain JavaScript too) run by node against a fake `selftune hook` that saves what it receives.
        var record = Path.Combine(_home, "received");
        var fake = Scripts.Write(Path.Combine(_home, "fake-selftune"), $"echo \"$@\" > '{record}.args'\ncat > '{record}.tmp' && mv '{record}.tmp' '{record}'\n");
        InstallPlans.Apply(_installer.PlanInstall(Context(), InstallScope.User, fake + " hook"));
        var sessions = Path.Combine(_home, ".openclaw", "agents", "ops", "sessions");
        Directory.CreateDirectory(sessions);
        var archived = Path.Combine(sessions, "s-42.jsonl.reset.2026-03-01T10-00-00.000Z");
        File.WriteAllText(archived, "{}\n");
        var module = Path.Combine(_home, "handler.mjs");
        File.Copy(Path.Combine(HookDir, "handler.ts"), module);
        var script = $$"""
            const { default: handler } = await import({{JsonSerializer.Serialize(new Uri(module).AbsoluteUri)}});
            await handler({ type: "command", action: "reset", sessionKey: "agent:ops:main", timestamp: new Date("2026-03-01T10:00:00Z"), messages: [],
              context: { previousSessionEntry: { sessionId: "s-42", sessionFile: "s-42.jsonl" }, sessionEntry: { sessionId: "s-43" }, commandSource: "telegram" } });
            await handler({ type: "message", action: "received", sessionKey: "agent:ops:main", timestamp: new Date(), messages: [], context: {} });
            """;

        RunNode(script, ("HOME", _home));
        var payload = WaitForFile(record);

        Assert.Equal("hook command:reset --platform openclaw --turn-end", File.ReadAllText(record + ".args").Trim());
        Assert.True(_handler.Recognizes(payload));
        var sink = new RecordingSink();
        var outcome = _handler.Handle(new HookEvent("command:reset", payload, DateTimeOffset.UtcNow), sink);
        Assert.Equal(("s-42", archived), (outcome.SessionId, outcome.TranscriptPath));
        var session = Assert.Single(sink.Sessions);
        Assert.Equal(("s-42", CaptureMode.Hook, Platforms.OpenClaw), (session.SessionId, session.Provenance.Mode, session.Provenance.Platform));
        Assert.Empty(sink.MalformedLines);
    }

    [Fact]
    public void BootstrapGivesTheWorkspaceAndNoTranscript()
    {
        var payload = """{"selftune_hook":"openclaw/1","event":"agent:bootstrap","session_id":"s-1","transcript_path":"/tmp/none/s-1.jsonl","workspace_dir":"/home/me/.openclaw/workspace"}""";
        var sink = new RecordingSink();

        var outcome = _handler.Handle(new HookEvent("agent:bootstrap", payload, DateTimeOffset.UtcNow), sink);

        Assert.Equal(new HookOutcome("s-1"), outcome);
        Assert.Equal("/home/me/.openclaw/workspace", Assert.Single(sink.Sessions).Cwd);
    }

    [Theory]
    [InlineData("""{"session_id":"abc","transcript_path":"/x.jsonl","hook_event_name":"Stop"}""")]
    [InlineData("""{"selftune_hook":"codex/1","session_id":"abc"}""")]
    [InlineData("""{"selftune_hook":"openclaw/1",""")]
    [InlineData("not json")]
    [InlineData("[1]")]
    public void OnlyThisHooksPayloadIsRecognized(string payload)
    {
        Assert.False(_handler.Recognizes(payload));
        var sink = new RecordingSink();
        Assert.Equal(new HookOutcome(null), _handler.Handle(new HookEvent("command:stop", payload, DateTimeOffset.UtcNow), sink));
        Assert.Single(sink.MalformedLines);
        Assert.Empty(sink.Sessions);
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(_home, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    private static void RunNode(string script, params (string Name, string Value)[] env)
    {
        var start = new ProcessStartInfo("node", ["--input-type=module", "-e", script]) { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var (name, value) in env)
        {
            start.Environment[name] = value;
        }

        start.Environment.Remove("OPENCLAW_HOME");
        start.Environment.Remove("OPENCLAW_STATE_DIR");
        using var node = Process.Start(start) ?? throw new InvalidOperationException("node could not be started; it is needed to run the OpenClaw hook handler.");
        var stderr = node.StandardError.ReadToEnd();
        node.WaitForExit();
        Assert.True(node.ExitCode == 0, $"node failed: {stderr}");
    }

    /// <summary>The fake command runs detached, after node has returned; it renames its file into place when done.</summary>
    private static string WaitForFile(string path)
    {
        for (var i = 0; i < 200 && !File.Exists(path); i++)
        {
            Thread.Sleep(50);
        }

        return File.ReadAllText(path);
    }
}
