// selftune-managed Pi extension: `selftune uninstall` removes this file; reinstall to change it.
// Forwards session lifecycle events (ids and the session file path, never message text) to the local selftune CLI,
// which reads the session file to learn which skills ran. The command runs detached and every error is swallowed, so
// Pi is never slowed or failed by it. Plain JavaScript apart from the file name (Pi loads extensions with jiti).
import { spawn } from "node:child_process";

const COMMAND = __SELFTUNE_COMMAND__;
const TURN_END = new Set(__SELFTUNE_TURN_END__);
const TURN_END_FLAG = __SELFTUNE_TURN_END_FLAG__;

function forward(event, ctx) {
  try {
    const sessions = ctx?.sessionManager;
    const payload = JSON.stringify({
      selftune_hook: "pi/1",
      event,
      session_id: sessions?.getSessionId?.(),
      session_file: sessions?.getSessionFile?.(),
      cwd: ctx?.cwd ?? process.cwd(),
      timestamp: new Date().toISOString(),
    });
    const turnEnd = TURN_END.has(event) ? ` ${TURN_END_FLAG}` : "";
    const child = spawn(`${COMMAND} ${event} --platform pi${turnEnd}`, {
      shell: true, detached: true, windowsHide: true, stdio: ["pipe", "ignore", "ignore"],
    });
    child.on("error", () => {});
    child.stdin?.on("error", () => {});
    child.stdin?.end(payload);
    child.unref();
  } catch {
    // never fail Pi
  }
}

export default function selftune(pi) {
  for (const event of __SELFTUNE_EVENTS__) {
    pi.on(event, async (_event, ctx) => forward(event, ctx));
  }
}
