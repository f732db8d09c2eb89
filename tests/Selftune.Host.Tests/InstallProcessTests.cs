using System.Text.Json;
using Selftune.Core.Configuration;
using Selftune.Core.Store;
using Selftune.Host.Tests.Support;

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

    private readonly SelftuneCli _cli = new();

    private SelftuneHome Home => new(_cli.SelftuneHome);

    private string ClaudeSettingsPath => Path.Combine(_cli.UserHome, ".claude", "settings.json");

    [Fact]
    public void InstallAndUninstallRoundTripTheSettingsByteForByte()
    {
        WriteSettings(UserSettings);

        var dryRun = Json(_cli.Run("install", "--agent", "claude_code", "--dry-run"));
        Assert.Equal(UserSettings, File.ReadAllText(ClaudeSettingsPath));
        Assert.Contains("+            \"command\": \"" + SelftuneCli.Executable + " hook UserPromptSubmit --platform claude_code\",", Change(dryRun).GetProperty("diff").GetString());

        var install = Json(_cli.Run("install", "--agent", "claude_code"));
        var backup = Change(install).GetProperty("backup_path").GetString()!;
        Assert.StartsWith(Home.BackupsPath, backup);
        Assert.Equal(UserSettings, File.ReadAllText(backup));
        Assert.Contains("afplay done.aiff", File.ReadAllText(ClaudeSettingsPath));
        using (var store = SelftuneStore.Open(Home.DatabasePath))
        {
            Assert.Equal(1L, store.Scalar("SELECT count(*) FROM installs WHERE action = 'install'"));
        }

        var again = Json(_cli.Run("install", "--agent", "claude_code"));
        Assert.Empty(again.RootElement.GetProperty("agents")[0].GetProperty("changes").EnumerateArray());

        Assert.Equal(0, _cli.Run("uninstall", "--keep-data").ExitCode);
        Assert.Equal(UserSettings, File.ReadAllText(ClaudeSettingsPath));
        Assert.True(File.Exists(Home.DatabasePath));
    }

    [Fact]
    public void SettingsThatAreNotJsonAreRefusedWithTheirLineAndColumnAndLeftAsTheyAre()
    {
        const string broken = "{\n  \"model\": \"opus\"\n  \"hooks\": {}\n}\n";
        WriteSettings(broken);

        var result = _cli.Run("install", "--agent", "claude_code");

        Assert.NotEqual(0, result.ExitCode);
        using var error = JsonDocument.Parse(result.Stderr);
        Assert.Equal("UNSAFE_EDIT", error.RootElement.GetProperty("error").GetProperty("code").GetString());
        Assert.Contains("line 3, column 3", error.RootElement.GetProperty("error").GetProperty("message").GetString());
        Assert.Equal(broken, File.ReadAllText(ClaudeSettingsPath));
        Assert.False(Directory.Exists(Home.BackupsPath));
    }

    [Fact]
    public void DoctorSaysWhetherTheHooksRunThisExecutable()
    {
        WriteSettings(UserSettings);
        Assert.Equal(("warn", "selftune install --agent claude_code"), HooksCheck());

        _cli.Run("install", "--agent", "claude_code");
        Assert.Equal(("ok", null), HooksCheck());

        File.WriteAllText(ClaudeSettingsPath, File.ReadAllText(ClaudeSettingsPath).Replace(SelftuneCli.Executable, "/old/bin/selftune", StringComparison.Ordinal));
        Assert.Equal(("warn", "selftune install --agent claude_code"), HooksCheck());
    }

    [Fact]
    public void InitDetectsClaudeCodeInstallsItsHooksWritesTheConfigAndSyncs()
    {
        WriteSettings(UserSettings);

        var init = Json(_cli.Run("init"));

        var claude = init.RootElement.GetProperty("agents").EnumerateArray().Single(a => a.GetProperty("platform").GetString() == "claude_code");
        Assert.True(claude.GetProperty("detected").GetBoolean());
        Assert.True(claude.GetProperty("hooks_installed").GetBoolean());
        Assert.Contains(" hook SessionStart --platform claude_code", File.ReadAllText(ClaudeSettingsPath));
        Assert.Contains("\"agents\": \"claude_code\"", File.ReadAllText(Home.ConfigPath));
        Assert.Equal(JsonValueKind.Object, init.RootElement.GetProperty("sync").ValueKind);

        var uninstall = Json(_cli.Run("uninstall"));
        Assert.True(uninstall.RootElement.GetProperty("home_removed").GetBoolean());
        Assert.Equal([Home.BackupsPath], Directory.EnumerateFileSystemEntries(Home.Root));
        Assert.Equal(Home.BackupsPath, uninstall.RootElement.GetProperty("backups_kept").GetString());
        Assert.NotEmpty(Directory.EnumerateFiles(Home.BackupsPath));
        Assert.Equal(UserSettings, File.ReadAllText(ClaudeSettingsPath));
    }

    [Fact]
    public void InitInstallsSelftunesSkillForTheAgentAndUninstallRemovesOnlyIt()
    {
        WriteSettings(UserSettings);
        var skills = Path.Combine(_cli.UserHome, ".claude", "skills");
        Directory.CreateDirectory(Path.Combine(skills, "selftune"));
        Directory.CreateDirectory(Path.Combine(skills, "pdf"));
        File.WriteAllText(Path.Combine(skills, "selftune", "SKILL.md"), "---\nname: selftune\ndescription: an older selftune skill\n---\n");
        File.WriteAllText(Path.Combine(skills, "pdf", "SKILL.md"), "---\nname: pdf\ndescription: PDFs\n---\n");

        var init = Json(_cli.Run("init", "--no-sync"));
        var skill = init.RootElement.GetProperty("skills").EnumerateArray().Single();
        Assert.Equal(Path.Combine(skills, "selftune"), skill.GetProperty("target").GetString());
        Assert.Equal("updated", skill.GetProperty("action").GetString());
        Assert.Contains("an older selftune skill", File.ReadAllText(Path.Combine(skill.GetProperty("backup_path").GetString()!, "SKILL.md")));
        Assert.Equal(File.ReadAllText(Path.Combine(Repository.Root, "skill", "SKILL.md")), File.ReadAllText(Path.Combine(skills, "selftune", "SKILL.md")));
        Assert.True(File.Exists(Path.Combine(skills, "selftune", "workflows", "run.md")));
        Assert.Equal("unchanged", Json(_cli.Run("init", "--no-sync")).RootElement.GetProperty("skills")[0].GetProperty("action").GetString());

        var uninstall = Json(_cli.Run("uninstall", "--keep-data"));
        Assert.Equal("removed", uninstall.RootElement.GetProperty("skills")[0].GetProperty("action").GetString());
        Assert.False(Directory.Exists(Path.Combine(skills, "selftune")));
        Assert.True(File.Exists(Path.Combine(skills, "pdf", "SKILL.md")));
    }

    [Fact]
    public void A_symlinked_settings_file_is_edited_through_its_link_and_the_link_stays()
    {
        var dotfiles = Path.Combine(_cli.UserHome, "dotfiles", "claude-settings.json");
        Directory.CreateDirectory(Path.GetDirectoryName(dotfiles)!);
        File.WriteAllText(dotfiles, UserSettings);
        Directory.CreateDirectory(Path.GetDirectoryName(ClaudeSettingsPath)!);
        File.CreateSymbolicLink(ClaudeSettingsPath, dotfiles);

        Json(_cli.Run("install", "--agent", "claude_code"));
        Assert.Equal(dotfiles, new FileInfo(ClaudeSettingsPath).LinkTarget);
        Assert.Contains("hook UserPromptSubmit", File.ReadAllText(dotfiles), StringComparison.Ordinal);

        Assert.Equal(0, _cli.Run("uninstall", "--keep-data").ExitCode);
        Assert.Equal(dotfiles, new FileInfo(ClaudeSettingsPath).LinkTarget);
        Assert.Equal(UserSettings, File.ReadAllText(dotfiles));
    }

    [Theory]
    [InlineData("bom")]
    [InlineData("empty")]
    [InlineData("blank")]
    [InlineData("missing")]
    public void Settings_end_as_they_began_after_install_and_uninstall(string start)
    {
        byte[]? before = start switch
        {
            "bom" => [0xEF, 0xBB, 0xBF, .. System.Text.Encoding.UTF8.GetBytes(UserSettings)],
            "empty" => [],
            "blank" => "\n\n"u8.ToArray(),
            _ => null,
        };
        if (before is not null)
        {
            Directory.CreateDirectory(Path.GetDirectoryName(ClaudeSettingsPath)!);
            File.WriteAllBytes(ClaudeSettingsPath, before);
        }

        Json(_cli.Run("install", "--agent", "claude_code"));
        Assert.Contains("hook UserPromptSubmit", File.ReadAllText(ClaudeSettingsPath), StringComparison.Ordinal);
        if (start == "bom")
        {
            Assert.Equal([0xEF, 0xBB, 0xBF], File.ReadAllBytes(ClaudeSettingsPath)[..3]);
        }

        Assert.Equal(0, _cli.Run("uninstall", "--keep-data").ExitCode);

        if (before is null)
        {
            Assert.False(File.Exists(ClaudeSettingsPath));
        }
        else
        {
            Assert.Equal(before, File.ReadAllBytes(ClaudeSettingsPath));
        }

        // A second round still ends where it began (the first round's records do not mislead it).
        Json(_cli.Run("install", "--agent", "claude_code"));
        Assert.Equal(0, _cli.Run("uninstall", "--keep-data").ExitCode);
        Assert.Equal(before is null, !File.Exists(ClaudeSettingsPath));
    }

    [Fact]
    public void A_blank_codex_hooks_file_stays_blank_and_a_config_selftune_created_goes()
    {
        var codex = Path.Combine(_cli.UserHome, ".codex");
        Directory.CreateDirectory(codex);
        File.WriteAllText(Path.Combine(codex, "hooks.json"), "\n");

        Json(_cli.Run("install", "--agent", "codex"));
        Assert.Contains("hook Stop --platform codex", File.ReadAllText(Path.Combine(codex, "hooks.json")), StringComparison.Ordinal);
        Assert.True(File.Exists(Path.Combine(codex, "config.toml")));
        Assert.Equal(0, _cli.Run("uninstall", "--keep-data").ExitCode);

        Assert.Equal("\n", File.ReadAllText(Path.Combine(codex, "hooks.json")));
        Assert.False(File.Exists(Path.Combine(codex, "config.toml")));
    }

    [Fact]
    public void A_user_settings_file_holding_an_empty_object_keeps_it()
    {
        WriteSettings("{}\n");

        Json(_cli.Run("install", "--agent", "claude_code"));
        Assert.Equal(0, _cli.Run("uninstall", "--keep-data").ExitCode);

        Assert.Equal("{}\n", File.ReadAllText(ClaudeSettingsPath));
    }

    [Fact]
    public void A_read_only_settings_file_is_refused_naming_force_and_force_writes_it_keeping_its_mode()
    {
        if (OperatingSystem.IsWindows())
        {
            return; // Unix file modes
        }

        WriteSettings(UserSettings);
        const UnixFileMode readOnly = UnixFileMode.UserRead | UnixFileMode.GroupRead | UnixFileMode.OtherRead;
        File.SetUnixFileMode(ClaudeSettingsPath, readOnly);

        var refused = _cli.Run("install", "--agent", "claude_code");

        Assert.NotEqual(0, refused.ExitCode);
        using (var error = JsonDocument.Parse(refused.Stderr))
        {
            Assert.Equal("UNSAFE_EDIT", error.RootElement.GetProperty("error").GetProperty("code").GetString());
            Assert.Contains("read-only (mode 0444)", error.RootElement.GetProperty("error").GetProperty("message").GetString(), StringComparison.Ordinal);
            Assert.Contains("--force", error.RootElement.GetProperty("error").GetProperty("message").GetString(), StringComparison.Ordinal);
        }

        Assert.Equal(UserSettings, File.ReadAllText(ClaudeSettingsPath));

        Json(_cli.Run("install", "--agent", "claude_code", "--force"));
        Assert.Contains("hook UserPromptSubmit", File.ReadAllText(ClaudeSettingsPath), StringComparison.Ordinal);
        Assert.Equal(readOnly, File.GetUnixFileMode(ClaudeSettingsPath));

        Assert.NotEqual(0, _cli.Run("uninstall", "--keep-data").ExitCode);
        Assert.Equal(0, _cli.Run("uninstall", "--keep-data", "--force").ExitCode);
        Assert.Equal(UserSettings, File.ReadAllText(ClaudeSettingsPath));
        Assert.Equal(readOnly, File.GetUnixFileMode(ClaudeSettingsPath));
    }

    public void Dispose() => _cli.Dispose();

    private (string?, string?) HooksCheck()
    {
        using var doctor = JsonDocument.Parse(_cli.Run("doctor").Stdout);
        var check = doctor.RootElement.GetProperty("checks").EnumerateArray().Single(c => c.GetProperty("name").GetString() == "hooks claude_code");
        return (check.GetProperty("status").GetString(), check.TryGetProperty("next_command", out var next) ? next.GetString() : null);
    }

    private void WriteSettings(string text)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(ClaudeSettingsPath)!);
        File.WriteAllText(ClaudeSettingsPath, text);
    }

    private static JsonDocument Json(CliResult result)
    {
        Assert.True(result.ExitCode == 0, $"exit {result.ExitCode}: {result.Stderr}");
        return JsonDocument.Parse(result.Stdout);
    }

    private static JsonElement Change(JsonDocument result) =>
        result.RootElement.GetProperty("agents")[0].GetProperty("changes")[0];
}
