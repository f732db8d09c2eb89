using System.Diagnostics;
using System.Text.Json;
using Selftune.Abstractions;
using Selftune.AdapterKit;

namespace Selftune.Plugin.Pi.Tests;

/// <summary>The installer's plans round-trip; the installed extension, loaded by node the way Pi calls it, sends what the
/// hook handler reads.</summary>
public sealed class PiHookTests : IDisposable
{
    private const string HookCommand = "/usr/local/bin/selftune hook";
    private readonly string _home = Path.Combine(Path.GetTempPath(), "selftune-pi-hook-" + Guid.NewGuid().ToString("N"));
    private readonly PiInstaller _installer = new();
    private readonly PiHookHandler _handler = new();

    public PiHookTests() => Directory.CreateDirectory(_home);

    private string Extension => Path.Combine(_home, ".pi", "agent", "extensions", "selftune.ts");

    private PlatformContext Context => new(_home, _home, _ => null);

    [Fact]
    public void InstallIsIdempotentAndUninstallRemovesExactlyWhatInstallAdded()
    {
        var install = _installer.PlanInstall(Context, InstallScope.User, HookCommand);
        var change = Assert.Single(install.Changes);
        Assert.Equal((Extension, (string?)null), (change.Path, change.OriginalContent));
        Assert.StartsWith("// selftune-managed Pi extension", change.NewContent);
        Assert.Contains("const SELFTUNE_COMMAND = \"/usr/local/bin/selftune hook\";", change.NewContent);
        InstallPlans.Apply(install);

        Assert.Empty(_installer.PlanInstall(Context, InstallScope.User, HookCommand).Changes);
        Assert.Single(_installer.PlanInstall(Context, InstallScope.User, "/opt/selftune hook").Changes);
        var uninstall = Assert.Single(_installer.PlanUninstall(Context, InstallScope.User, HookCommand).Changes);
        Assert.Equal((Extension, (string?)null), (uninstall.Path, uninstall.NewContent));
        InstallPlans.Apply(_installer.PlanUninstall(Context, InstallScope.User, HookCommand));
        Assert.False(File.Exists(Extension));
        Assert.Empty(_installer.PlanUninstall(Context, InstallScope.User, HookCommand).Changes);
    }

    [Fact]
    public void AnExtensionSelftuneDidNotWriteIsNeverTouched()
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Extension)!);
        File.WriteAllText(Extension, "export default function (pi) {}\n");

        var error = Assert.Throws<InstallerException>(() => _installer.PlanInstall(Context, InstallScope.User, HookCommand));
        Assert.Equal(Extension, error.Path);
        Assert.Empty(_installer.PlanUninstall(Context, InstallScope.User, HookCommand).Changes);
    }

    [Fact]
    public void DetectsTheAgentFolderAndNamesItsSkillFolders()
    {
        Assert.False(_installer.Detect(Context).Installed);
        Directory.CreateDirectory(Path.Combine(_home, ".pi", "agent"));

        var detected = _installer.Detect(Context);

        Assert.True(detected.Installed);
        Assert.Equal(Path.Combine(_home, ".pi", "agent", "skills"), detected.UserSkillFolder);
        Assert.Equal([Path.Combine(".pi", "skills")], _installer.ProjectSkillFolders);
    }

    [Fact]
    public void TheInstalledExtensionSendsAPayloadTheHookHandlerReads()
    {
        var record = Path.Combine(_home, "received");
        var fake = Path.Combine(_home, "fake-selftune");
        File.WriteAllText(fake, $"#!/bin/sh\necho \"$@\" > '{record}.args'\ncat > '{record}.tmp' && mv '{record}.tmp' '{record}'\n");
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(fake, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }

        InstallPlans.Apply(_installer.PlanInstall(Context, InstallScope.User, fake + " hook"));
        var sessionFile = Path.Combine(_home, "s.jsonl");
        File.WriteAllText(sessionFile, "{}\n");
        var module = Path.Combine(_home, "extension.mjs");
        File.Copy(Extension, module);
        var script = $$"""
            const { default: extension } = await import({{JsonSerializer.Serialize(new Uri(module).AbsoluteUri)}});
            const handlers = {};
            extension({ on: (event, handler) => { handlers[event] = handler; } });
            if (Object.keys(handlers).join() !== "session_start,agent_end,session_shutdown") throw new Error(Object.keys(handlers).join());
            await handlers.agent_end({ type: "agent_end" }, { cwd: "/work/project",
              sessionManager: { getSessionId: () => "s-7", getSessionFile: () => {{JsonSerializer.Serialize(sessionFile)}} } });
            """;
        var start = new ProcessStartInfo("node", ["--input-type=module", "-e", script]) { RedirectStandardError = true };
        using (var node = Process.Start(start)!)
        {
            var stderr = node.StandardError.ReadToEnd();
            node.WaitForExit();
            Assert.True(node.ExitCode == 0, $"node failed: {stderr}");
        }

        for (var i = 0; i < 200 && !File.Exists(record); i++)
        {
            Thread.Sleep(50);
        }

        var payload = File.ReadAllText(record);
        Assert.Equal("hook agent_end --platform pi --turn-end", File.ReadAllText(record + ".args").Trim());
        Assert.True(_handler.Recognizes(payload));
        var sink = new RecordingSink();
        var outcome = _handler.Handle(new HookEvent("agent_end", payload, DateTimeOffset.UtcNow), sink);
        Assert.Equal(new HookOutcome("s-7", sessionFile), outcome);
        var session = Assert.Single(sink.Sessions);
        Assert.Equal(("/work/project", CaptureMode.Hook, "pi"), (session.Cwd, session.Provenance.Mode, session.Provenance.Platform));
    }

    [Theory]
    [InlineData("""{"selftune_hook":"openclaw/1","session_id":"abc"}""")]
    [InlineData("""{"selftune_hook":"pi/1",""")]
    [InlineData("not json")]
    public void OnlyThisExtensionsPayloadIsRecognized(string payload)
    {
        Assert.False(_handler.Recognizes(payload));
        var sink = new RecordingSink();
        Assert.Equal(new HookOutcome(null), _handler.Handle(new HookEvent("agent_end", payload, DateTimeOffset.UtcNow), sink));
        Assert.Single(sink.MalformedLines);
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
}
