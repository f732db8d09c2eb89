using System.Text.Json;
using Selftune.Plugin.Shared;

namespace Selftune.Plugin.Pi;

/// <summary>
/// The Pi extension selftune installs: <c>selftune.ts</c> in Pi's extensions folder (user: <c>&lt;agent&gt;/extensions/</c>,
/// project: <c>.pi/extensions/</c>), which Pi loads at start (pi-mono <c>docs/extensions.md</c>: a module whose default
/// export receives the extension API and subscribes with <c>pi.on(event, handler)</c>). Built from the embedded
/// template <c>selftune-extension.ts</c>: on each of <see cref="Events"/> it starts
/// <c>&lt;hook command&gt; &lt;event&gt; --platform pi</c> detached and writes the payload
/// <c>{"selftune_hook":"pi/1", "event", "session_id", "session_file", "cwd", "timestamp"}</c> to its stdin.
/// </summary>
internal static class PiExtension
{
    /// <summary>The file's name in the extensions folder.</summary>
    public const string FileName = "selftune.ts";

    /// <summary>Text on the first line of every file selftune writes: install replaces, and uninstall deletes, only such a file.</summary>
    public const string Marker = "selftune-managed Pi extension";

    /// <summary>Prefix of the payload's <c>selftune_hook</c> field.</summary>
    public const string PayloadPrefix = "pi/";

    /// <summary>The Pi events forwarded: a session starting, an agent run (one prompt's turn) ending, a session shutting down.</summary>
    public static readonly string[] Events = ["session_start", "agent_end", "session_shutdown"];

    /// <summary>The events that end a turn or a session: their command carries the contract's turn-end flag.</summary>
    public static readonly string[] TurnEndEvents = ["agent_end", "session_shutdown"];

    private const string TemplateResource = "Selftune.Plugin.Pi.selftune-extension.ts";

    private static readonly Lazy<string> Template = new(() => InstallerFiles.EmbeddedText(typeof(PiExtension).Assembly, TemplateResource));

    /// <summary>The extension's text, running <paramref name="hookCommand"/> (already shell-quoted, e.g. <c>/usr/bin/selftune hook</c>)
    /// through the shared detached spawn (<see cref="DetachedSpawnScript"/>).</summary>
    public static string Text(string hookCommand) => Template.Value
        .Replace("__SELFTUNE_SPAWN__", DetachedSpawnScript.Render(hookCommand, "pi", TurnEndEvents), StringComparison.Ordinal)
        .Replace("__SELFTUNE_EVENTS__", JsonSerializer.Serialize(Events), StringComparison.Ordinal);
}
