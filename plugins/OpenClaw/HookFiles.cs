using System.Text.Json;
using Selftune.Plugin.Shared;

namespace Selftune.Plugin.OpenClaw;

/// <summary>
/// The OpenClaw internal hook selftune installs: a folder <c>&lt;state&gt;/hooks/selftune/</c> holding <c>HOOK.md</c>
/// (metadata: the events it listens to) and <c>handler.ts</c> (run inside the OpenClaw gateway). Format:
/// docs.openclaw.ai/automation/hooks. The handler starts <c>&lt;hookCommand&gt; &lt;event&gt; --platform openclaw</c> detached
/// (<see cref="DetachedSpawnScript"/>, shared with the Pi extension), writes a JSON payload (<see cref="PayloadVersion"/>) to
/// its stdin and returns at once; every error is swallowed, so the hook can never fail or slow OpenClaw.
/// </summary>
internal static class HookFiles
{
    /// <summary>The hook's name (its folder under the managed hooks folder).</summary>
    public const string Name = "selftune";

    /// <summary>Text present in every file selftune writes, so uninstall removes only its own files.</summary>
    public const string Marker = "managed by selftune";

    /// <summary>Value of the payload's <c>selftune_hook</c> field.</summary>
    public const string PayloadVersion = "openclaw/1";

    /// <summary>The OpenClaw events the hook forwards: a run starting (<c>agent:bootstrap</c>), a session ended by
    /// <c>/new</c> or <c>/reset</c>, a run stopped by <c>/stop</c>, and a finished compaction.</summary>
    public static readonly string[] Events = ["agent:bootstrap", "command:new", "command:reset", "command:stop", "session:compact:after"];

    /// <summary>The events that end a run or a session: their hook command carries the contract's turn-end flag.</summary>
    public static readonly string[] TurnEndEvents = ["command:new", "command:reset", "command:stop"];

    /// <summary>The text of <c>HOOK.md</c>.</summary>
    public static string HookMd() => $$"""
        ---
        name: {{Name}}
        description: "Tells selftune when OpenClaw sessions start and end, so it can read their transcripts"
        metadata: { "openclaw": { "emoji": "🎯", "events": {{JsonSerializer.Serialize(Events)}} } }
        ---

        <!-- {{Marker}}: `selftune uninstall --platform openclaw` removes this hook; reinstall to change it. -->

        # selftune

        Forwards session lifecycle events (id and transcript path, never message text) to the local `selftune` CLI,
        which reads the session's transcript to learn which skills triggered. The command runs detached and this
        handler never throws, so OpenClaw is never slowed or failed by it.

        """.Replace("\r\n", "\n", StringComparison.Ordinal);

    /// <summary>The text of <c>handler.ts</c> running <paramref name="hookCommand"/>. It carries no type annotations, so it is
    /// also plain JavaScript (OpenClaw loads hooks without type checking; tests run it with node).</summary>
    /// <param name="hookCommand">The command prefix, e.g. <c>/usr/local/bin/selftune hook</c>; run through the shell.</param>
    public static string HandlerTs(string hookCommand) => $$"""
        // {{Marker}}: `selftune uninstall --platform openclaw` removes this hook; reinstall to change it.
        import { spawn } from "node:child_process";
        import os from "node:os";
        import path from "node:path";

        const EVENTS = new Set({{JsonSerializer.Serialize(Events)}});
        {{DetachedSpawnScript.Render(hookCommand, "openclaw", TurnEndEvents)}}

        function stateDir() {
          const home = process.env.OPENCLAW_HOME?.trim() || os.homedir();
          const state = process.env.OPENCLAW_STATE_DIR?.trim();
          if (!state) return path.join(home, ".openclaw");
          return state === "~" ? home : state.startsWith("~/") ? path.join(home, state.slice(2)) : state;
        }

        const handler = async (event) => {
          try {
            const key = `${event?.type}:${event?.action}`;
            if (!EVENTS.has(key)) return;
            const ctx = event.context ?? {};
            const ended = key === "command:new" || key === "command:reset";
            const entry = ended ? ctx.previousSessionEntry ?? ctx.sessionEntry : ctx.sessionEntry;
            const sessionId = ended ? entry?.sessionId ?? ctx.sessionId : ctx.sessionId ?? entry?.sessionId;
            const agentId = ctx.agentId ?? /^agent:([^:]+):/.exec(event.sessionKey ?? "")?.[1] ?? "main";
            const sessions = path.join(stateDir(), "agents", agentId, "sessions");
            const transcript = entry?.sessionFile
              ? path.resolve(sessions, entry.sessionFile)
              : sessionId ? path.join(sessions, `${sessionId}.jsonl`) : undefined;
            runSelftune(key, JSON.stringify({
              selftune_hook: "{{PayloadVersion}}",
              event: key,
              session_key: event.sessionKey,
              session_id: sessionId,
              agent_id: agentId,
              transcript_path: transcript,
              workspace_dir: typeof ctx.workspaceDir === "string" ? ctx.workspaceDir : undefined,
              timestamp: event.timestamp instanceof Date ? event.timestamp.toISOString() : new Date().toISOString(),
            }));
          } catch {
            // never fail OpenClaw
          }
        };

        export default handler;

        """.Replace("\r\n", "\n", StringComparison.Ordinal);
}
