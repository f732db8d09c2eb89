using System.Text.Json;
using Selftune.Abstractions;

namespace Selftune.Plugin.Shared;

/// <summary>
/// The JavaScript that the agents running selftune's hook inside a Node process (the Pi extension, the OpenClaw hook)
/// share: <c>runSelftune(event, payload)</c> starts <c>&lt;hook command&gt; &lt;event&gt; --platform &lt;platform&gt;</c>
/// (with <see cref="PluginContract.TurnEndFlag"/> on a turn-end event) through the shell, detached, writes the payload to
/// its stdin and returns at once, swallowing every error. The template is <c>detached-spawn.js</c> beside this file,
/// embedded in each plugin that compiles this file; the script that includes it imports <c>spawn</c> from
/// <c>node:child_process</c>.
/// </summary>
internal static class DetachedSpawnScript
{
    private static readonly Lazy<string> Template = new(() => InstallerFiles.EmbeddedText(typeof(DetachedSpawnScript).Assembly, "Selftune.Plugin.Shared.detached-spawn.js"));

    /// <summary>The function's text for one platform.</summary>
    /// <param name="hookCommand">The command prefix, already shell-quoted, e.g. <c>/usr/local/bin/selftune hook</c>.</param>
    /// <param name="platform">The platform id passed as <c>--platform</c>.</param>
    /// <param name="turnEndEvents">The events whose command carries the turn-end flag.</param>
    public static string Render(string hookCommand, string platform, IReadOnlyList<string> turnEndEvents) => Template.Value
        .Replace("__SELFTUNE_COMMAND__", JsonSerializer.Serialize(hookCommand), StringComparison.Ordinal)
        .Replace("__SELFTUNE_PLATFORM__", JsonSerializer.Serialize(platform), StringComparison.Ordinal)
        .Replace("__SELFTUNE_TURN_END_FLAG__", JsonSerializer.Serialize(PluginContract.TurnEndFlag), StringComparison.Ordinal)
        .Replace("__SELFTUNE_TURN_END__", JsonSerializer.Serialize(turnEndEvents), StringComparison.Ordinal);
}
