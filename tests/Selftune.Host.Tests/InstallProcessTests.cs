using System.Text.Json;
using System.Text.Json.Nodes;
using Selftune.AdapterKit;
using Selftune.Core;
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
        Assert.Contains("+            \"command\": \"" + SelftuneCli.NativeHook + " UserPromptSubmit --platform claude_code\",", Change(dryRun).GetProperty("diff").GetString());

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
        Assert.Equal(("warn", "selftune install --agent claude_code"), Check("hooks claude_code"));

        _cli.Run("install", "--agent", "claude_code");
        Assert.Equal(("ok", null), Check("hooks claude_code"));

        File.WriteAllText(ClaudeSettingsPath, File.ReadAllText(ClaudeSettingsPath).Replace(SelftuneCli.NativeHook, "/old/bin/selftune-hook", StringComparison.Ordinal));
        Assert.Equal(("warn", "selftune install --agent claude_code"), Check("hooks claude_code"));

        // An older selftune's managed hook (`selftune hook <event>`): an install replaces its entries, it does not add a second set.
        File.WriteAllText(ClaudeSettingsPath, File.ReadAllText(ClaudeSettingsPath).Replace("/old/bin/selftune-hook", "/old/bin/selftune hook", StringComparison.Ordinal));
        Assert.Equal(("warn", "selftune install --agent claude_code"), Check("hooks claude_code"));
        Assert.Equal(0, _cli.Run("install", "--agent", "claude_code").ExitCode);
        Assert.Equal(("ok", null), Check("hooks claude_code"));
        var settings = File.ReadAllText(ClaudeSettingsPath);
        Assert.DoesNotContain("/old/bin/", settings, StringComparison.Ordinal);
        Assert.Single(JsonNode.Parse(settings)!["hooks"]!["UserPromptSubmit"]!.AsArray());
    }

    [Fact]
    public void InitDetectsClaudeCodeInstallsItsHooksWritesTheConfigAndSyncs()
    {
        WriteSettings(UserSettings);

        var init = Json(_cli.Run("init"));

        var claude = init.RootElement.GetProperty("agents").EnumerateArray().Single(a => a.GetProperty("platform").GetString() == "claude_code");
        Assert.True(claude.GetProperty("detected").GetBoolean());
        Assert.True(claude.GetProperty("hooks_installed").GetBoolean());
        Assert.Contains("selftune-hook SessionStart --platform claude_code", File.ReadAllText(ClaudeSettingsPath));
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
        Assert.Equal(before, File.Exists(ClaudeSettingsPath) ? File.ReadAllBytes(ClaudeSettingsPath) : null);
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

    /// <summary>Issue 20 #19: the Stop hook is installed without <c>async</c> (which <c>claude -p</c> cancels) and marked as
    /// the end of a turn. Run as installed, through <c>sh</c>, in a process group that is killed the moment the hook
    /// returns (an agent exiting), it still stores the turn: the drain it starts is out of that group from the start.</summary>
    [Fact]
    public void TheInstalledStopHookStoresTheTurnEvenWhenTheAgentsProcessGroupDiesAtOnce()
    {
        WriteSettings(UserSettings);
        Assert.Equal(0, _cli.Run("install", "--agent", "claude_code").ExitCode);
        var settings = JsonNode.Parse(File.ReadAllText(ClaudeSettingsPath))!["hooks"]!;
        var stop = settings["Stop"]!.AsArray().Select(g => g!["hooks"]![0]!).Single(h => h["command"]!.GetValue<string>().Contains("selftune-hook Stop", StringComparison.Ordinal));
        Assert.Null(stop["async"]);
        Assert.EndsWith("selftune-hook Stop --platform claude_code --turn-end", stop["command"]!.GetValue<string>());
        Assert.EndsWith("--platform claude_code --turn-end", settings["SessionEnd"]![0]!["hooks"]![0]!["command"]!.GetValue<string>());
        Assert.EndsWith("--platform claude_code", settings["UserPromptSubmit"]![0]!["hooks"]![0]!["command"]!.GetValue<string>());

        const string session = "c45af7b1-cb7c-4e51-93db-8cbb250a877a";
        var transcript = Path.Combine(_cli.UserHome, ".claude", "projects", "-workspace", session + ".jsonl");
        Directory.CreateDirectory(Path.GetDirectoryName(transcript)!);
        File.Copy(Path.Combine(IngestorContractTests.CorpusPath("claude-code", "fasthooks"), "sample_main_transcript.jsonl"), transcript);
        var payload = JsonSerializer.Serialize(new { session_id = session, transcript_path = transcript, hook_event_name = "Stop", stop_hook_active = false });

        var hook = _cli.Shell($"setsid sh -c {ShellCommand.Quote(stop["command"]!.GetValue<string>() + "; kill -KILL 0")}", payload);

        Assert.Equal(string.Empty, hook.Stdout);
        SelftuneCli.WaitFor(() => File.Exists(Home.DatabasePath) && Count($"SELECT count(*) FROM prompts WHERE session_id = '{session}' AND actionable = 1 AND capture_mode = 'transcript'") == 5, "the turn to be stored");
    }

    /// <summary>Issue 20 #11: installed from a folder whose name holds <c>$</c>, spaces and a quote, the hook command is
    /// quoted so the shell runs this executable, and install recognises its own entries again.</summary>
    [Fact]
    public void AnInstallPathWithDollarSpacesAndQuotesGivesAHookCommandTheShellRuns()
    {
        WriteSettings(UserSettings);
        _cli.UseCopyOfBuild(Path.Combine(_cli.Root, "it's $HOME and `x`", "bin"));

        Assert.Equal(0, _cli.Run("install", "--agent", "claude_code").ExitCode);
        var command = JsonNode.Parse(File.ReadAllText(ClaudeSettingsPath))!["hooks"]!["UserPromptSubmit"]![0]!["hooks"]![0]!["command"]!.GetValue<string>();
        var hook = _cli.Shell(command, JsonSerializer.Serialize(new { session_id = "s1", hook_event_name = "UserPromptSubmit", prompt = "summarise the incident report" }));

        Assert.Equal((0, string.Empty, string.Empty), (hook.ExitCode, hook.Stdout, hook.Stderr));
        Assert.Single(Directory.EnumerateFiles(Home.SpoolPath, "*.jsonl").SelectMany(File.ReadAllLines));
        Assert.Empty(_cli.Run("install", "--agent", "claude_code", "--json").Json.GetProperty("agents")[0].GetProperty("changes").EnumerateArray());
        Assert.Equal(0, _cli.Run("uninstall", "--keep-data").ExitCode);
        Assert.Equal(UserSettings, File.ReadAllText(ClaudeSettingsPath));
    }

    /// <summary>Issue 20 #20: with <c>CLAUDE_CONFIG_DIR</c> unset and an old <c>~/.config/claude</c> present, selftune's skill
    /// goes to <c>~/.claude/skills</c>, where Claude Code reads it, and doctor says whether the agent can see it.</summary>
    [Fact]
    public void InitInstallsSelftunesSkillWhereClaudeCodeReadsItAndDoctorChecksIt()
    {
        WriteSettings(UserSettings);
        Directory.CreateDirectory(Path.Combine(_cli.UserHome, ".config", "claude", "projects"));
        _cli.WorkingDirectory = Directory.CreateDirectory(Path.Combine(_cli.UserHome, "work", "app")).FullName;

        var init = Json(_cli.Run("init", "--no-sync"));

        var target = Path.Combine(_cli.UserHome, ".claude", "skills", "selftune");
        Assert.Equal(target, init.RootElement.GetProperty("skills").EnumerateArray().Single().GetProperty("target").GetString());
        Assert.False(Directory.Exists(Path.Combine(_cli.UserHome, ".config", "claude", "skills")));
        Assert.Equal(("ok", null), Check("skill claude_code"));
        Directory.Delete(target, recursive: true);
        Assert.Equal(("warn", "selftune init --agent claude_code --no-sync"), Check("skill claude_code"));
    }

    /// <summary>Issue 20 #21: started in a folder above the home, <c>init</c> still installs into the user's home, not into
    /// <c>&lt;cwd&gt;/.claude/skills</c> (which every project below would inherit).</summary>
    [Fact]
    public void InitFromAFolderAboveTheHomeInstallsUnderTheHome()
    {
        WriteSettings(UserSettings);
        _cli.WorkingDirectory = _cli.Root;

        var init = Json(_cli.Run("init", "--no-sync"));

        Assert.Equal(Path.Combine(_cli.UserHome, ".claude", "skills", "selftune"), init.RootElement.GetProperty("skills").EnumerateArray().Single().GetProperty("target").GetString());
        Assert.False(Directory.Exists(Path.Combine(_cli.Root, ".claude")));
    }

    public void Dispose() => _cli.Dispose();

    private (string? Status, string? NextCommand) Check(string name)
    {
        var check = Json(_cli.Run("doctor")).RootElement.GetProperty("checks").EnumerateArray().Single(c => c.GetProperty("name").GetString() == name);
        return (check.GetProperty("status").GetString(), check.TryGetProperty("next_command", out var next) ? next.GetString() : null);
    }

    private long Count(string sql)
    {
        using var store = SelftuneStore.Open(Home.DatabasePath);
        return (long)store.Scalar(sql)!;
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
