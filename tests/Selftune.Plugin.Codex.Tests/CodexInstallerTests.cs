using System.Text.Json;
using Selftune.Abstractions;

namespace Selftune.Plugin.Codex.Tests;

public sealed class CodexInstallerTests : IDisposable
{
    private const string HookCommand = "/usr/local/bin/selftune hook";
    private readonly string _home = Path.Combine(Path.GetTempPath(), "selftune-codex-install-" + Guid.NewGuid().ToString("N"));
    private readonly CodexInstaller _installer = new();

    public CodexInstallerTests() => Directory.CreateDirectory(Path.Combine(_home, ".codex"));

    public void Dispose() => Directory.Delete(_home, recursive: true);

    private PlatformContext Context => new(_home, Path.Combine(_home, "proj"), _ => null);

    private string HooksPath => Path.Combine(_home, ".codex", "hooks.json");

    private string ConfigPath => Path.Combine(_home, ".codex", "config.toml");

    /// <summary>Does what the core does with a plan: write or delete each file.</summary>
    private static void Apply(InstallPlan plan)
    {
        foreach (var change in plan.Changes)
        {
            Assert.Equal(File.Exists(change.Path) ? File.ReadAllText(change.Path) : null, change.OriginalContent);
            if (change.NewContent is null)
            {
                File.Delete(change.Path);
            }
            else
            {
                Directory.CreateDirectory(Path.GetDirectoryName(change.Path)!);
                File.WriteAllText(change.Path, change.NewContent);
            }
        }
    }

    [Fact]
    public void FreshInstallCreatesHooksAndEnablesThem()
    {
        var plan = _installer.PlanInstall(Context, InstallScope.User, HookCommand);
        Apply(plan);

        using var hooks = JsonDocument.Parse(File.ReadAllText(HooksPath));
        var events = hooks.RootElement.GetProperty("hooks").EnumerateObject().ToDictionary(
            p => p.Name, p => p.Value.EnumerateArray().Single().GetProperty("hooks").EnumerateArray().Single());
        Assert.Equal(["SessionStart", "UserPromptSubmit", "PostToolUse", "Stop"], events.Keys);
        Assert.Equal($"{HookCommand} Stop --platform codex --turn-end", events["Stop"].GetProperty("command").GetString());
        Assert.Equal($"{HookCommand} PostToolUse --platform codex", events["PostToolUse"].GetProperty("command").GetString());
        Assert.Equal("command", events["Stop"].GetProperty("type").GetString());
        Assert.Equal(10, events["PostToolUse"].GetProperty("timeout").GetInt32());
        Assert.Equal("[features] # added by selftune\ncodex_hooks = true # added by selftune\n", File.ReadAllText(ConfigPath));

        Assert.Empty(_installer.PlanInstall(Context, InstallScope.User, HookCommand).Changes);

        Apply(_installer.PlanUninstall(Context, InstallScope.User, HookCommand));
        Assert.False(File.Exists(HooksPath));
        Assert.False(File.Exists(ConfigPath));
    }

    public static TheoryData<string> UserHooksFiles() => new()
    {
        // two-space indentation, user hooks on two events, unknown keys before and after
        """
        {
          "version": 1,
          "hooks": {
            "Stop": [
              {
                "hooks": [ { "type": "command", "command": "notify-send 'codex done'", "timeout": 5 } ]
              }
            ],
            "PreToolUse": [
              { "matcher": "Bash", "hooks": [ { "type": "command", "command": "/opt/guard.sh" } ] }
            ]
          },
          "x-team": { "owner": "platform", "tags": ["a", "b"] }
        }

        """,
        // tabs, CRLF
        "{\r\n\t\"hooks\": {\r\n\t\t\"UserPromptSubmit\": [\r\n\t\t\t{\"hooks\": [{\"type\": \"command\", \"command\": \"/opt/log-prompt\"}]}\r\n\t\t]\r\n\t}\r\n}\r\n",
        // one line, no hooks key yet, no final newline
        """{"statusMessage":"x","disabled":false}""",
        // four-space indentation, the hooks key last
        """
        {
            "z": null,
            "hooks": {
                "SessionStart": [
                    {
                        "matcher": "startup",
                        "hooks": [{"type": "command", "command": "direnv export json"}]
                    },
                ]
            }
        }
        """,
    };

    [Theory]
    [MemberData(nameof(UserHooksFiles))]
    public void InstallKeepsUserHooksAndUninstallRestoresEveryByte(string original)
    {
        File.WriteAllText(HooksPath, original);
        const string config = "model = \"gpt-5.2-codex\"\n\n[features]\nweb_search_request = true\n\n[profiles.fast]\nmodel = \"gpt-5.1-codex-mini\"\n";
        File.WriteAllText(ConfigPath, config);

        Apply(_installer.PlanInstall(Context, InstallScope.User, HookCommand));
        var installed = File.ReadAllText(HooksPath);
        using (var document = JsonDocument.Parse(installed, new JsonDocumentOptions { AllowTrailingCommas = true }))
        {
            var hooks = document.RootElement.GetProperty("hooks");
            Assert.All(new[] { "SessionStart", "UserPromptSubmit", "PostToolUse", "Stop" }, e =>
                Assert.Contains(hooks.GetProperty(e).EnumerateArray(), g => g.GetProperty("hooks")[0].GetProperty("command").GetString() == $"{HookCommand} {e} --platform codex" + (e == "Stop" ? " --turn-end" : "")));
        }

        foreach (var kept in new[] { "notify-send 'codex done'", "/opt/guard.sh", "x-team", "/opt/log-prompt", "statusMessage" }.Where(original.Contains))
        {
            Assert.Contains(kept, installed);
        }

        Assert.Contains("[features]\ncodex_hooks = true # added by selftune\nweb_search_request = true", File.ReadAllText(ConfigPath));
        Assert.Empty(_installer.PlanInstall(Context, InstallScope.User, HookCommand).Changes);

        Apply(_installer.PlanUninstall(Context, InstallScope.User, HookCommand));
        Assert.Equal(original, File.ReadAllText(HooksPath));
        Assert.Equal(config, File.ReadAllText(ConfigPath));
    }

    /// <summary>The one case uninstall does not restore byte for byte: an event the user had left empty is removed
    /// with selftune's handler (an empty event runs nothing).</summary>
    [Fact]
    public void AnEventTheUserLeftEmptyIsRemovedWithOurHandler()
    {
        File.WriteAllText(HooksPath, "{\n  \"hooks\": {\n    \"Stop\": [],\n    \"PostToolUse\": [{\"hooks\": [{\"type\": \"command\", \"command\": \"/opt/fmt\"}]}]\n  }\n}\n");

        Apply(_installer.PlanInstall(Context, InstallScope.User, HookCommand));
        Apply(_installer.PlanUninstall(Context, InstallScope.User, HookCommand));

        Assert.Equal("{\n  \"hooks\": {\n    \"PostToolUse\": [{\"hooks\": [{\"type\": \"command\", \"command\": \"/opt/fmt\"}]}]\n  }\n}\n", File.ReadAllText(HooksPath));
    }

    [Fact]
    public void AHookInstalledFromAnotherLocationIsReplacedAndUninstalled()
    {
        File.WriteAllText(HooksPath, """
            {
              "hooks": {
                "Stop": [
                  { "hooks": [ { "type": "command", "command": "/old/bin/selftune hook Stop --platform codex" }, { "type": "command", "command": "say done" } ] }
                ],
                "PreToolUse": [ { "hooks": [ { "type": "command", "command": "/old/bin/selftune hook PreToolUse --platform codex" } ] } ]
              }
            }
            """);

        var plan = _installer.PlanInstall(Context, InstallScope.User, HookCommand);
        Apply(plan);
        var text = File.ReadAllText(HooksPath);

        Assert.DoesNotContain("/old/bin/selftune", text);
        Assert.DoesNotContain("PreToolUse", text);
        Assert.Contains("say done", text);
        Assert.Contains("add selftune hooks for SessionStart, UserPromptSubmit, PostToolUse, Stop", plan.Changes[0].Summary);

        Apply(_installer.PlanUninstall(Context, InstallScope.User, HookCommand));
        using var left = JsonDocument.Parse(File.ReadAllText(HooksPath));
        var stop = Assert.Single(left.RootElement.GetProperty("hooks").EnumerateObject());
        Assert.Equal("say done", stop.Value[0].GetProperty("hooks").EnumerateArray().Single().GetProperty("command").GetString());
    }

    [Fact]
    public void InvalidJsonIsRefusedWithItsPosition()
    {
        File.WriteAllText(HooksPath, "{\n  \"hooks\": {\n    \"Stop\": [,]\n  }\n}\n");

        var error = Assert.Throws<InstallerException>(() => _installer.PlanInstall(Context, InstallScope.User, HookCommand));

        Assert.Equal(HooksPath, error.Path);
        Assert.Contains("line 3, column 14", error.Message);
        Assert.Throws<InstallerException>(() => _installer.PlanUninstall(Context, InstallScope.User, HookCommand));
    }

    [Theory]
    [InlineData("""{"hooks": [1]}""")]
    [InlineData("""[]""")]
    [InlineData("""{"hooks": {"Stop": {"command": "x"}}}""")]
    public void UnexpectedShapesAreRefused(string text)
    {
        File.WriteAllText(HooksPath, text);
        Assert.Throws<InstallerException>(() => _installer.PlanInstall(Context, InstallScope.User, HookCommand));
    }

    [Theory]
    [InlineData("[features]\ncodex_hooks = false\n", "hooks are turned off")]
    [InlineData("features.codex_hooks = true\n", null)]
    [InlineData("features = { hooks = true }\n", "could not edit config.toml safely")]
    [InlineData("[features]\nhooks = true\n", null)]
    [InlineData("notes = \"\"\"\n[features]\n\"\"\"\n[features]\nx = 1\n[features]\n", "could not edit config.toml safely")]
    [InlineData("model = \"gpt-5\"\nsandbox = = 1\n", "could not edit config.toml safely (it is not valid TOML: line 2")]
    [InlineData("[ \"features\" ] # quoted\r\ncodex_hooks = false\r\n", "hooks are turned off")]
    public void ConfigThatCannotOrNeedNotChangeIsLeftAlone(string config, string? manualStep)
    {
        File.WriteAllText(ConfigPath, config);

        var plan = _installer.PlanInstall(Context, InstallScope.User, HookCommand);

        Assert.DoesNotContain(plan.Changes, c => c.Path == ConfigPath);
        var summary = Assert.Single(plan.Changes).Summary;
        if (manualStep is null)
        {
            Assert.DoesNotContain("manual step", summary);
        }
        else
        {
            Assert.Contains("manual step: " + manualStep, summary);
        }
    }

    [Fact]
    public void ProjectScopeEditsTheProjectsCodexFolder()
    {
        Apply(_installer.PlanInstall(Context, InstallScope.Project, HookCommand));

        Assert.True(File.Exists(Path.Combine(_home, "proj", ".codex", "hooks.json")));
        Assert.False(File.Exists(HooksPath));
    }

    [Fact]
    public void DetectFindsTheCodexHomeAndTheSkillRoots()
    {
        Directory.CreateDirectory(Path.Combine(_home, "proj", ".agents", "skills"));
        var detection = _installer.Detect(Context);

        Assert.True(detection.Installed);
        Assert.Equal(Path.Combine(_home, ".codex"), detection.Evidence);
        Assert.Equal(HooksPath, detection.SettingsPath);
        Assert.Equal([Path.Combine(_home, ".codex", "skills"), Path.Combine(_home, ".agents", "skills")], detection.SkillRoots);
        Assert.Equal(Path.Combine(_home, ".codex", "skills"), detection.UserSkillFolder);
        Assert.Equal([Path.Combine(".agents", "skills")], _installer.ProjectSkillFolders);

        var bin = Path.Combine(_home, "bin");
        Directory.CreateDirectory(bin);
        var codex = Path.Combine(bin, "codex");
        File.WriteAllText(codex, "#!/bin/sh\n");
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(codex, UnixFileMode.UserRead | UnixFileMode.UserExecute);
        }

        var elsewhere = new PlatformContext(Path.Combine(_home, "other"), _home, v => v == "PATH" ? "/nonexistent:" + bin : null);
        Assert.Equal((true, codex), (_installer.Detect(elsewhere).Installed, _installer.Detect(elsewhere).Evidence));
        Assert.False(_installer.Detect(new PlatformContext(Path.Combine(_home, "other"), _home, _ => null)).Installed);
    }
}
