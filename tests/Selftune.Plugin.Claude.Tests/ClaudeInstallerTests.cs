using System.Text.Json.Nodes;
using Selftune.Abstractions;

namespace Selftune.Plugin.Claude.Tests;

public sealed class ClaudeInstallerTests : IDisposable
{
    private const string Command = "/opt/selftune/selftune hook";

    /// <summary>Settings as Claude Code writes them (JSON.stringify, 2 spaces), with the user's own hooks on the same
    /// events, a hook selftune does not use, permissions and keys selftune does not know.</summary>
    private const string UserSettings = """
        {
          "model": "opus",
          "permissions": {
            "allow": [
              "Bash(npm run test:*)"
            ],
            "deny": []
          },
          "hooks": {
            "PostToolUse": [
              {
                "matcher": "Edit|Write",
                "hooks": [
                  {
                    "type": "command",
                    "command": "prettier --write \"$CLAUDE_FILE\""
                  }
                ]
              }
            ],
            "Notification": [
              {
                "hooks": [
                  {
                    "type": "command",
                    "command": "notify-send 'Claude'"
                  }
                ]
              }
            ]
          },
          "feedbackSurveyState": {
            "lastShownTime": 1754000000000
          },
          "unicode": "héllo ✓ \u00e9"
        }

        """;

    private readonly string _home = Path.Combine(Path.GetTempPath(), "selftune-claude-" + Guid.NewGuid().ToString("N"));
    private readonly ClaudeInstaller _installer = new();

    public ClaudeInstallerTests() => Directory.CreateDirectory(_home);

    private PlatformContext Context => new(_home, Path.Combine(_home, "project"), name => name == "PATH" ? string.Empty : null);

    private string SettingsPath => Path.Combine(_home, ".claude", "settings.json");

    [Theory]
    [InlineData("  ", "\n")]
    [InlineData("    ", "\n")]
    [InlineData("\t", "\n")]
    [InlineData("  ", "\r\n")]
    public void InstallThenUninstallGivesBackTheSameBytes(string indent, string newLine)
    {
        var original = UserSettings.Replace("  ", indent, StringComparison.Ordinal).ReplaceLineEndings(newLine);
        Write(original);

        var installed = Apply(_installer.PlanInstall(Context, InstallScope.User, Command));
        var removed = Apply(_installer.PlanUninstall(Context, InstallScope.User, Command));

        Assert.Equal(original, removed);
        Assert.NotEqual(original, installed);
        Assert.Contains(newLine + indent + indent + "\"UserPromptSubmit\": [", installed);
        Assert.DoesNotContain(newLine == "\n" ? "\r" : "\r\r", installed);
    }

    [Fact]
    public void InstallAddsOneEntryPerEventAndKeepsEveryUserSetting()
    {
        Write(UserSettings);

        var settings = JsonNode.Parse(Apply(_installer.PlanInstall(Context, InstallScope.User, Command)))!;
        var hooks = settings["hooks"]!.AsObject();

        Assert.Equal(["PostToolUse", "Notification", "UserPromptSubmit", "PreToolUse", "Stop", "SessionEnd", "SessionStart"], hooks.Select(h => h.Key));
        Assert.Equal("prettier --write \"$CLAUDE_FILE\"", hooks["PostToolUse"]![0]!["hooks"]![0]!["command"]!.GetValue<string>());
        var ours = hooks["PostToolUse"]![1]!;
        Assert.Equal("Skill|Read", ours["matcher"]!.GetValue<string>());
        Assert.Equal("/opt/selftune/selftune hook PostToolUse --platform claude_code", ours["hooks"]![0]!["command"]!.GetValue<string>());
        Assert.True(ours["hooks"]![0]!["async"]!.GetValue<bool>());
        Assert.Null(hooks["UserPromptSubmit"]![0]!["matcher"]);
        Assert.Equal("opus", settings["model"]!.GetValue<string>());
        Assert.Equal("héllo ✓ é", settings["unicode"]!.GetValue<string>());
    }

    [Fact]
    public void ASecondInstallChangesNothing()
    {
        Write(UserSettings);
        Apply(_installer.PlanInstall(Context, InstallScope.User, Command));

        Assert.Empty(_installer.PlanInstall(Context, InstallScope.User, Command).Changes);
    }

    [Fact]
    public void AMissingFileIsCreatedAndRemovingOurHooksLeavesAnEmptyObject()
    {
        var plan = _installer.PlanInstall(Context, InstallScope.User, Command);
        var change = Assert.Single(plan.Changes);
        Assert.Null(change.OriginalContent);
        Assert.StartsWith("{\n  \"hooks\": {\n    \"UserPromptSubmit\": [\n      {\n        \"hooks\": [", change.NewContent);
        Apply(plan);

        Assert.Equal("{}\n", Apply(_installer.PlanUninstall(Context, InstallScope.User, Command)));
    }

    [Fact]
    public void InstallingFromAnotherPathReplacesTheOldEntries()
    {
        Write(UserSettings);
        Apply(_installer.PlanInstall(Context, InstallScope.User, "/old/place/selftune hook"));

        var text = Apply(_installer.PlanInstall(Context, InstallScope.User, "\"/new place/selftune\" hook"));

        Assert.DoesNotContain("/old/place", text);
        Assert.Equal(6, CountOccurrences(text, "/new place/selftune\\\" hook"));
        Assert.Equal(UserSettings, Apply(_installer.PlanUninstall(Context, InstallScope.User, "/anywhere/selftune hook")));
    }

    [Fact]
    public void UninstallTakesOnlyOurEntryFromAGroupTheUserShares()
    {
        Write("""{"hooks":{"Stop":[{"hooks":[{"type":"command","command":"say done"},{"type":"command","command":"/x/selftune hook Stop --platform claude_code"}]}]}}""");

        Assert.Equal("""{"hooks":{"Stop":[{"hooks":[{"type":"command","command":"say done"}]}]}}""", Apply(_installer.PlanUninstall(Context, InstallScope.User, Command)));
    }

    [Fact]
    public void AnEventListTheUserLeftEmptyGetsOurGroupInsideItsBrackets()
    {
        Write("{\n  \"hooks\": {\n    \"Stop\": [],\n    \"SessionEnd\": []\n  }\n}\n");

        var text = Apply(_installer.PlanInstall(Context, InstallScope.User, Command));

        var stop = JsonNode.Parse(text)!["hooks"]!["Stop"]!.AsArray();
        Assert.Equal(Command + " Stop --platform claude_code " + PluginContract.TurnEndFlag, Assert.Single(stop)!["hooks"]![0]!["command"]!.GetValue<string>());
        Assert.Contains("    \"Stop\": [\n      {\n        \"hooks\": [", text, StringComparison.Ordinal);
    }

    [Fact]
    public void ACompactFileGetsCompactEntries()
    {
        Write("""{"model":"opus"}""");

        var text = Apply(_installer.PlanInstall(Context, InstallScope.User, Command));

        Assert.DoesNotContain("\n", text);
        Assert.StartsWith("""{"model":"opus","hooks":{"UserPromptSubmit":[{"hooks":[{"type":"command","command":"/opt/selftune/selftune hook UserPromptSubmit --platform claude_code","timeout":10}]}]""", text);
        Assert.Equal("""{"model":"opus"}""", Apply(_installer.PlanUninstall(Context, InstallScope.User, Command)));
    }

    [Fact]
    public void InvalidJsonIsRefusedWithItsLineAndColumn()
    {
        Write("{\n  \"model\": \"opus\",\n  \"hooks\": {,}\n}\n");

        var error = Assert.Throws<InstallerException>(() => _installer.PlanInstall(Context, InstallScope.User, Command));

        Assert.Contains("line 3, column 13", error.Message);
        Assert.Equal(SettingsPath, error.Path);
        Assert.Throws<InstallerException>(() => _installer.PlanUninstall(Context, InstallScope.User, Command));
    }

    [Theory]
    [InlineData("""{"hooks":[]}""")]
    [InlineData("""{"hooks":{"Stop":{}}}""")]
    [InlineData("""[1,2]""")]
    public void SettingsOfAnotherShapeAreRefused(string settings)
    {
        Write(settings);

        Assert.Throws<InstallerException>(() => _installer.PlanInstall(Context, InstallScope.User, Command));
    }

    [Fact]
    public void ProjectScopeUsesTheProjectsSettingsAndDetectionFollowsClaudeConfigDir()
    {
        var change = Assert.Single(_installer.PlanInstall(Context, InstallScope.Project, Command).Changes);
        Assert.Equal(Path.Combine(_home, "project", ".claude", "settings.json"), change.Path);

        var custom = Path.Combine(_home, "claude-config");
        Directory.CreateDirectory(custom);
        var detection = _installer.Detect(new PlatformContext(_home, _home, name => name == "CLAUDE_CONFIG_DIR" ? custom : null));
        Assert.True(detection.Installed);
        Assert.Equal(Path.Combine(custom, "settings.json"), detection.SettingsPath);
        Assert.Contains(Path.Combine(custom, "skills"), detection.SkillRoots);
        Assert.False(_installer.Detect(Context).Installed);
    }

    /// <summary>Issue 20 #19: <c>claude -p</c> cancels async hooks once its result is out, so the Stop hook is not async;
    /// the turn-ending events carry the contract's turn-end mark and the others do not.</summary>
    [Fact]
    public void StopIsNotAsyncAndTheTurnEndingEventsAreMarked()
    {
        var hooks = JsonNode.Parse(Apply(_installer.PlanInstall(Context, InstallScope.User, Command)))!["hooks"]!.AsObject();
        var commands = hooks.ToDictionary(h => h.Key, h => h.Value![0]!["hooks"]![0]!);

        Assert.Null(commands["Stop"]["async"]);
        Assert.Equal(
            ["PostToolUse", "PreToolUse", "SessionEnd --turn-end", "SessionStart", "Stop --turn-end", "UserPromptSubmit"],
            commands.Select(c => c.Value["command"]!.GetValue<string>()).Select(c => c.Replace(Command + " ", string.Empty, StringComparison.Ordinal).Replace(" --platform claude_code", string.Empty, StringComparison.Ordinal)).Order(StringComparer.Ordinal));
    }

    /// <summary>Issue 20 #11: an executable path with <c>$</c>, spaces and a quote arrives POSIX-quoted; install recognises
    /// such entries as its own (a second install changes nothing) and uninstall removes them.</summary>
    [Theory]
    [InlineData("'/opt/it'\\''s $HOME/bin/selftune' hook")]
    [InlineData("\"/opt/my tools/selftune\" hook")]
    public void QuotedExecutablePathsAreRecognisedAsSelftunes(string command)
    {
        Write(UserSettings);
        Write(Apply(_installer.PlanInstall(Context, InstallScope.User, command)));

        Assert.Contains(JsonNode.Parse(File.ReadAllText(SettingsPath))!["hooks"]!["Stop"]!.AsArray().SelectMany(g => g!["hooks"]!.AsArray()),
            h => h!["command"]!.GetValue<string>() == command + " Stop --platform claude_code --turn-end");
        Assert.Empty(_installer.PlanInstall(Context, InstallScope.User, command).Changes);
        Assert.Equal(UserSettings, Apply(_installer.PlanUninstall(Context, InstallScope.User, command)));
    }

    /// <summary>Issue 20 #20 and #21: Claude Code reads the user's skills in <c>$CLAUDE_CONFIG_DIR</c> or <c>~/.claude</c>
    /// only, never <c>~/.config/claude</c>, whatever the working directory; folders that do not exist are not listed, and
    /// the project's skill folder is declared apart.</summary>
    [Fact]
    public void TheUserSkillFolderIsWhereClaudeCodeReadsIt()
    {
        Directory.CreateDirectory(Path.Combine(_home, ".config", "claude", "projects"));
        var above = new PlatformContext(_home, Path.GetDirectoryName(_home)!, _ => null);

        var detection = _installer.Detect(above);

        Assert.Equal(Path.Combine(_home, ".claude", "skills"), detection.UserSkillFolder);
        Assert.Equal([Path.Combine(_home, ".claude", "skills")], detection.SkillRoots);
        Assert.Equal([Path.Combine(".claude", "skills")], _installer.ProjectSkillFolders);
        var custom = Path.Combine(_home, "claude-config");
        Assert.Equal(Path.Combine(custom, "skills"), _installer.Detect(new PlatformContext(_home, _home, name => name == "CLAUDE_CONFIG_DIR" ? custom : null)).UserSkillFolder);
    }

    public void Dispose() => Directory.Delete(_home, recursive: true);

    private void Write(string text)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(SettingsPath)!);
        File.WriteAllText(SettingsPath, text);
    }

    /// <summary>Writes a plan's change the way the core does (minus the backup) and returns the new text.</summary>
    private string Apply(InstallPlan plan)
    {
        var change = Assert.Single(plan.Changes);
        Assert.Equal(File.Exists(change.Path) ? File.ReadAllText(change.Path) : null, change.OriginalContent);
        Directory.CreateDirectory(Path.GetDirectoryName(change.Path)!);
        File.WriteAllText(change.Path, change.NewContent);
        return change.NewContent!;
    }

    private static int CountOccurrences(string text, string part) => (text.Length - text.Replace(part, string.Empty, StringComparison.Ordinal).Length) / part.Length;
}
