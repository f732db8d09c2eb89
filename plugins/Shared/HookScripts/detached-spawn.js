// Starts `<hook command> <event> --platform <platform>` (with the turn-end flag on a turn-end event) through the shell,
// detached, writes the payload to its stdin and returns at once; every error is swallowed, so the agent is never slowed
// or failed by selftune. Shared by the Pi extension and the OpenClaw hook (plugins/Shared/HookScripts).
const SELFTUNE_COMMAND = __SELFTUNE_COMMAND__;
const SELFTUNE_PLATFORM = __SELFTUNE_PLATFORM__;
const SELFTUNE_TURN_END = new Set(__SELFTUNE_TURN_END__);
const SELFTUNE_TURN_END_FLAG = __SELFTUNE_TURN_END_FLAG__;

function runSelftune(event, payload) {
  try {
    const turnEnd = SELFTUNE_TURN_END.has(event) ? ` ${SELFTUNE_TURN_END_FLAG}` : "";
    const child = spawn(`${SELFTUNE_COMMAND} ${event} --platform ${SELFTUNE_PLATFORM}${turnEnd}`, {
      shell: true, detached: true, windowsHide: true, stdio: ["pipe", "ignore", "ignore"],
    });
    child.on("error", () => {});
    child.stdin?.on("error", () => {});
    child.stdin?.end(payload);
    child.unref();
  } catch {
    // never fail the agent
  }
}
