using System.Text.Json;

namespace Selftune.Host.Tests;

/// <summary><c>selftune install</c>, <c>uninstall</c>, <c>init</c> and <c>doctor</c> against a Claude Code settings file in a temporary home.</summary>
public sealed class InstallProcessTests : IDisposable
{
    private const string UserSettings = """
        {
          "permissions": {
            "allow": ["Bash(git status)", "Read(~/notes/**)"]
          },
          "hooks": {
            "Stop": [
              { "hooks": [ { "type": "command", "command": "afplay done.aiff" } ] }
            ]
          },
          "someFutureKey": { "nested": [1, 2.50, true, null] }
        }

        """;

    private readonly Sandbox _box = new();

    [Fact]
    public void InstallAndUninstallRoundTripTheSettingsByteForByte()
    {
        WriteSettings(UserSettings);

        var dryRun = Json(_box.Run(null, "install", "--agent", "claude_code", "--dry-run"));
        Assert.Equal(UserSettings, File.ReadAllText(_box.ClaudeSettingsPath));
        Assert.Contains("+            \"command\": \"" + Sandbox.Executable + " hook UserPromptSubmit --platform claude_code\",", Change(dryRun).GetProperty("diff").GetString());

        var install = Json(_box.Run(null, "install", "--agent", "claude_code"));
        var backup = Change(install).GetProperty("backup_path").GetString()!;
        Assert.StartsWith(_box.Home.BackupsPath, backup);
        Assert.Equal(UserSettings, File.ReadAllText(backup));
        Assert.Contains("afplay done.aiff", File.ReadAllText(_box.ClaudeSettingsPath));
        Assert.Equal(1L, _box.Count("SELECT count(*) FROM installs WHERE action = 'install'"));

        var again = Json(_box.Run(null, "install", "--agent", "claude_code"));
        Assert.Empty(again.RootElement.GetProperty("agents")[0].GetProperty("changes").EnumerateArray());

        Assert.Equal(0, _box.Run(null, "uninstall", "--keep-data").ExitCode);
        Assert.Equal(UserSettings, File.ReadAllText(_box.ClaudeSettingsPath));
        Assert.True(File.Exists(_box.Home.DatabasePath));
    }

    [Fact]
    public void SettingsThatAreNotJsonAreRefusedWithTheirLineAndColumnAndLeftAsTheyAre()
    {
        const string broken = "{\n  \"model\": \"opus\"\n  \"hooks\": {}\n}\n";
        WriteSettings(broken);

        var result = _box.Run(null, "install", "--agent", "claude_code");

        Assert.NotEqual(0, result.ExitCode);
        using var error = JsonDocument.Parse(result.Stderr);
        Assert.Equal("UNSAFE_EDIT", error.RootElement.GetProperty("error").GetProperty("code").GetString());
        Assert.Contains("line 3, column 3", error.RootElement.GetProperty("error").GetProperty("message").GetString());
        Assert.Equal(broken, File.ReadAllText(_box.ClaudeSettingsPath));
        Assert.False(Directory.Exists(_box.Home.BackupsPath));
    }

    [Fact]
    public void DoctorSaysWhetherTheHooksRunThisExecutable()
    {
        WriteSettings(UserSettings);
        Assert.Equal(("warn", "selftune install --agent claude_code"), HooksCheck());

        _box.Run(null, "install", "--agent", "claude_code");
        Assert.Equal(("ok", null), HooksCheck());

        File.WriteAllText(_box.ClaudeSettingsPath, File.ReadAllText(_box.ClaudeSettingsPath).Replace(Sandbox.Executable, "/old/bin/selftune", StringComparison.Ordinal));
        Assert.Equal(("warn", "selftune install --agent claude_code"), HooksCheck());
    }

    [Fact]
    public void InitDetectsClaudeCodeInstallsItsHooksWritesTheConfigAndSyncs()
    {
        WriteSettings(UserSettings);

        var init = Json(_box.Run(null, "init"));

        var claude = init.RootElement.GetProperty("agents").EnumerateArray().Single(a => a.GetProperty("platform").GetString() == "claude_code");
        Assert.True(claude.GetProperty("detected").GetBoolean());
        Assert.True(claude.GetProperty("hooks_installed").GetBoolean());
        Assert.Contains(" hook SessionStart --platform claude_code", File.ReadAllText(_box.ClaudeSettingsPath));
        Assert.Contains("\"agents\": \"claude_code\"", File.ReadAllText(_box.Home.ConfigPath));
        Assert.Equal(JsonValueKind.Object, init.RootElement.GetProperty("sync").ValueKind);

        var uninstall = Json(_box.Run(null, "uninstall"));
        Assert.True(uninstall.RootElement.GetProperty("home_removed").GetBoolean());
        Assert.False(Directory.Exists(_box.Home.Root));
        Assert.Equal(UserSettings, File.ReadAllText(_box.ClaudeSettingsPath));
    }

    public void Dispose() => _box.Dispose();

    private (string?, string?) HooksCheck()
    {
        using var doctor = JsonDocument.Parse(_box.Run(null, "doctor").Stdout);
        var check = doctor.RootElement.GetProperty("checks").EnumerateArray().Single(c => c.GetProperty("name").GetString() == "hooks claude_code");
        return (check.GetProperty("status").GetString(), check.TryGetProperty("next_command", out var next) ? next.GetString() : null);
    }

    private void WriteSettings(string text)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(_box.ClaudeSettingsPath)!);
        File.WriteAllText(_box.ClaudeSettingsPath, text);
    }

    private static JsonDocument Json(ProcessResult result)
    {
        Assert.True(result.ExitCode == 0, $"exit {result.ExitCode}: {result.Stderr}");
        return JsonDocument.Parse(result.Stdout);
    }

    private static JsonElement Change(JsonDocument result) =>
        result.RootElement.GetProperty("agents")[0].GetProperty("changes")[0];
}
