using Selftune.Abstractions;

namespace Selftune.Plugin.Cline;

/// <summary>
/// The hook files selftune installs for Cline (hooks since Cline 3.36: an executable file named after the hook, in
/// <c>~/Documents/Cline/Hooks/</c> or a workspace's <c>.clinerules/hooks/</c>; Cline runs it with the event as JSON on
/// stdin and reads <c>{"cancel": bool, "contextModification"?, "errorMessage"?}</c> from stdout). Each file is a
/// <c>/bin/sh</c> shim that hands the payload to <c>&lt;hook command&gt; &lt;hook&gt; --platform cline</c> (which only spools it,
/// ~30 ms) and always answers <c>{"cancel":false}</c> and exits 0, so Cline is never blocked. The same hooks the reference
/// installs: <c>PostToolUse</c> (tool results, e.g. git commits), <c>TaskComplete</c> and <c>TaskCancel</c> (the task's
/// files are final: read them now).
/// </summary>
internal static class ClineHooks
{
    /// <summary>Text on the second line of every hook file selftune writes.</summary>
    public const string Marker = "selftune-managed Cline hook";

    /// <summary>The hooks installed.</summary>
    public static readonly string[] Names = ["PostToolUse", "TaskComplete", "TaskCancel"];

    /// <summary>The hooks that end a task: their command carries the contract's turn-end flag.</summary>
    public static readonly string[] TurnEnd = ["TaskComplete", "TaskCancel"];

    /// <summary>The shim for hook <paramref name="name"/> running <paramref name="hookCommand"/> (already shell-quoted).</summary>
    public static string Script(string name, string hookCommand)
    {
        var turnEnd = TurnEnd.Contains(name) ? " " + PluginContract.TurnEndFlag : "";
        return $"""
            #!/bin/sh
            # {Marker}: `selftune uninstall` removes it; reinstall to change it.
            {hookCommand} {name} --platform cline{turnEnd} >/dev/null 2>&1
            echo '{"{"}"cancel":false{"}"}'
            exit 0

            """.Replace("\r\n", "\n", StringComparison.Ordinal);
    }
}
