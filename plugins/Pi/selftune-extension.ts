// selftune-managed Pi extension: `selftune uninstall` removes this file; reinstall to change it.
// Forwards session lifecycle events (ids and the session file path, never message text) to the local selftune CLI,
// which reads the session file to learn which skills ran. The command runs detached and every error is swallowed, so
// Pi is never slowed or failed by it. Plain JavaScript apart from the file name (Pi loads extensions with jiti).
import { spawn } from "node:child_process";

__SELFTUNE_SPAWN__
function forward(event, ctx) {
  try {
    const sessions = ctx?.sessionManager;
    runSelftune(event, JSON.stringify({
      selftune_hook: "pi/1",
      event,
      session_id: sessions?.getSessionId?.(),
      session_file: sessions?.getSessionFile?.(),
      cwd: ctx?.cwd ?? process.cwd(),
      timestamp: new Date().toISOString(),
    }));
  } catch {
    // never fail Pi
  }
}

export default function selftune(pi) {
  for (const event of __SELFTUNE_EVENTS__) {
    pi.on(event, async (_event, ctx) => forward(event, ctx));
  }
}
