using System.Text.Json.Nodes;
using Selftune.Abstractions;
using Selftune.Plugin.Shared;

namespace Selftune.Plugin.Claude;

/// <summary>
/// Installs selftune's hooks in Claude Code's <c>settings.json</c> (user: <c>~/.claude/settings.json</c>, or
/// <c>$CLAUDE_CONFIG_DIR/settings.json</c>; project: <c>.claude/settings.json</c> under the working directory).
/// Settings shape (code.claude.com/docs/en/hooks): <c>{"hooks":{"&lt;Event&gt;":[{"matcher"?,"hooks":[{"type":"command","command",…}]}]}}</c>.
/// <para>The file is edited as text (<see cref="HookSettings"/>): every user setting and every other hook keeps its
/// bytes; selftune adds one group of its own per event, written in the file's indentation style. An entry is selftune's
/// when its command runs selftune's hook (<see cref="SelftuneHookCommand"/>: the native <c>selftune-hook</c> or
/// <c>selftune hook</c>, from any path), so an install from another path or an upgrade replaces the old entries instead
/// of adding a second set. Uninstall removes those entries, and the
/// groups, event lists and <c>hooks</c> object that only held them.</para>
/// </summary>
public sealed class ClaudeInstaller : IInstaller
{
    /// <summary>Seconds Claude Code waits for a hook before giving up on it (the hook bounds itself to less).</summary>
    public const int HookTimeoutSeconds = 10;

    /// <summary>The hooks selftune installs: event, tool matcher (null: every occurrence), and whether Claude Code may
    /// run it in the background (<c>async</c>: only where the hook answers nothing and the session goes on). <c>Stop</c>
    /// is not async: <c>claude -p</c> cancels background hooks once its result is out and fires no <c>SessionEnd</c>, so a
    /// headless turn would never be stored live; the hook only spools and starts a detached drain. <c>PreToolUse</c> of the
    /// tools that write files is not async either: the hook's in-turn guards read a <c>SKILL.md</c> edit before it happens
    /// (a note for the agent, or a block while selftune watches a skill it deployed), and say nothing about other files.</summary>
    public static IReadOnlyList<(string Event, string? Matcher, bool Async)> Hooks { get; } =
    [
        ("UserPromptSubmit", null, false),
        ("PostToolUse", "Skill|Read", true),
        ("PreToolUse", "Write|Edit|MultiEdit", false),
        ("Stop", null, false),
        ("SessionEnd", null, false),
        ("SessionStart", null, false),
    ];

    /// <summary>The events that end a turn or a session: their commands carry <see cref="PluginContract.TurnEndFlag"/>.</summary>
    public static IReadOnlyList<string> TurnEndEvents { get; } = ["Stop", "SessionEnd"];

    /// <inheritdoc />
    public string Platform => Platforms.ClaudeCode;

    /// <inheritdoc />
    public IReadOnlyList<string> ProjectSkillFolders { get; } = [ClaudeDetection.ProjectSkillFolder];

    /// <inheritdoc />
    public IReadOnlyList<string> EnvironmentVariables => ClaudeDetection.EnvironmentVariables;

    /// <inheritdoc />
    public AgentDetection Detect(PlatformContext context)
    {
        try
        {
            return ClaudeDetection.Detect(context);
        }
#pragma warning disable CA1031 // Detect never throws (contract): a machine it cannot read has no Claude Code as far as it can tell.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            return new AgentDetection(false, $"detection failed: {ex.Message}", null, []);
        }
    }

    /// <inheritdoc />
    public InstallPlan PlanInstall(PlatformContext context, InstallScope scope, string hookCommand)
    {
        var path = SettingsPath(context, scope);
        var original = Read(path);
        var edit = HookSettings.Install(original, path, [.. Hooks.Select(h => Entry(hookCommand, h))], c => SelftuneHookCommand.IsOurs(c, hookCommand), lenient: false);
        var summary = edit.Added.Count > 0 ? $"add selftune hooks for {string.Join(", ", edit.Added)}" : "replace selftune hooks installed from another location";
        return edit.Text == original ? new InstallPlan([]) : new InstallPlan([new FileChange(path, original, edit.Text, summary)]);
    }

    /// <inheritdoc />
    public InstallPlan PlanUninstall(PlatformContext context, InstallScope scope, string hookCommand)
    {
        var path = SettingsPath(context, scope);
        var original = Read(path);
        if (original is null || original.Trim().Length == 0)
        {
            return new InstallPlan([]);
        }

        var text = HookSettings.Uninstall(original, path, c => SelftuneHookCommand.IsOurs(c, hookCommand), lenient: false);
        return text == original ? new InstallPlan([]) : new InstallPlan([new FileChange(path, original, text, "remove selftune's hook entries")]);
    }

    /// <summary>The settings file of <paramref name="scope"/>.</summary>
    public static string SettingsPath(PlatformContext context, InstallScope scope) => scope == InstallScope.Project
        ? Path.Combine(context.WorkingDirectory, ".claude", "settings.json")
        : ClaudeDetection.UserSettingsPath(context);

    /// <summary>The command selftune installs for <paramref name="eventName"/>.</summary>
    public static string CommandFor(string hookCommand, string eventName) =>
        $"{hookCommand} {eventName} --platform {Platforms.ClaudeCode}" + (TurnEndEvents.Contains(eventName) ? " " + PluginContract.TurnEndFlag : string.Empty);

    private static HookEntry Entry(string hookCommand, (string Event, string? Matcher, bool Async) hook)
    {
        var handler = new JsonObject
        {
            ["type"] = "command",
            ["command"] = CommandFor(hookCommand, hook.Event),
            ["timeout"] = HookTimeoutSeconds,
        };
        if (hook.Async)
        {
            handler["async"] = true;
        }

        return new HookEntry(hook.Event, hook.Matcher, handler);
    }

    private static string? Read(string path)
    {
        try
        {
            return File.Exists(path) ? File.ReadAllText(path) : null;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new InstallerException($"Cannot read '{path}': {ex.Message}. The file was left as it is.", path);
        }
    }
}
