using System.Text.Json.Nodes;
using Selftune.Abstractions;
using Selftune.Plugin.Shared;
using Selftune.Plugin.Codex.Skills;

namespace Selftune.Plugin.Codex.Install;

/// <summary>
/// Plans the edits of a Codex <c>hooks.json</c>: <c>{"hooks": {"&lt;Event&gt;": [{"matcher"?: …, "hooks":
/// [{"type": "command", "command": …, "timeout": seconds}]}]}}</c> (developers.openai.com/codex/hooks; the same
/// event → matcher group → handlers shape as Claude Code). Edits are textual (<see cref="HookSettings"/>, comments and
/// trailing commas tolerated): every other key, hook and byte stays as it was.
/// </summary>
internal static class HooksFile
{
    /// <summary>The events selftune installs, with their handler timeouts in seconds. <c>PreToolUse</c> is left
    /// out: <c>PostToolUse</c> carries the same input plus the result, and every hook delays the agent.</summary>
    public static readonly IReadOnlyList<(string Event, int TimeoutSeconds)> Events =
    [
        ("SessionStart", 30), ("UserPromptSubmit", 10), ("PostToolUse", 10), ("Stop", 30),
    ];

    /// <summary>The command installed for <paramref name="hookEvent"/>.</summary>
    public static string Command(string hookCommand, string hookEvent) =>
        $"{hookCommand} {hookEvent} --platform codex" + (hookEvent == "Stop" ? " " + PluginContract.TurnEndFlag : string.Empty);

    /// <summary>Plans the install: stale selftune handlers are replaced, missing events added.</summary>
    /// <param name="text">The current file, or null when it does not exist.</param>
    /// <param name="path">The file (for messages).</param>
    /// <param name="hookCommand">The command prefix to install.</param>
    /// <returns>The new text, the events added (empty when already installed) and whether stale handlers were removed.</returns>
    /// <exception cref="InstallerException">The file is not JSON, or not shaped like a hooks file.</exception>
    public static HookEdit Install(string? text, string path, string hookCommand) =>
        HookSettings.Install(text, path, [.. Events.Select(e => Entry(hookCommand, e))], c => SelftuneHookCommand.IsOurs(c, hookCommand), lenient: true);

    /// <summary>Plans removing selftune's handlers (and the groups, events and <c>hooks</c> they leave empty).</summary>
    /// <returns>The new text, or null when the file held only selftune's hooks (it is then deleted).</returns>
    /// <exception cref="InstallerException">The file is not JSON.</exception>
    public static string? Uninstall(string text, string path, string hookCommand)
    {
        var result = HookSettings.Uninstall(text, path, c => SelftuneHookCommand.IsOurs(c, hookCommand), lenient: true);
        return result != text && HookSettings.IsEmptyObject(result) ? null : result;
    }

    private static HookEntry Entry(string hookCommand, (string Event, int TimeoutSeconds) e) =>
        new(e.Event, null, new JsonObject { ["type"] = "command", ["command"] = Command(hookCommand, e.Event), ["timeout"] = e.TimeoutSeconds });
}
