// selftune-managed OpenCode plugin: written by `selftune install`; `selftune uninstall` removes this file.
// It hands tool calls, prompts and idle sessions to selftune (__SELFTUNE_COMMAND_TEXT__ <event> --platform opencode,
// JSON on stdin), in a detached process, and never throws into OpenCode. Edits are lost on the next install.
import { spawn } from "node:child_process"
import { homedir } from "node:os"
import { isAbsolute, join } from "node:path"

const COMMAND = __SELFTUNE_COMMAND__
const SOURCE = "selftune-opencode"
const MAX_TEXT = 20000
const MAX_ARG = 300
const IDLE_DEBOUNCE_MS = 2000

// OpenCode's data folder and database, resolved as OpenCode resolves them (XDG data home, OPENCODE_DB).
function dataDir() {
  return join(process.env.XDG_DATA_HOME || join(homedir(), ".local", "share"), "opencode")
}

function database() {
  const db = process.env.OPENCODE_DB
  if (!db || db === ":memory:") return undefined
  return isAbsolute(db) ? db : join(dataDir(), db)
}

// Tool arguments without bulk: strings cut short (file contents, patches), nested values dropped.
function brief(args) {
  if (!args || typeof args !== "object") return undefined
  const out = {}
  for (const [key, value] of Object.entries(args)) {
    if (typeof value === "string") out[key] = value.length > MAX_ARG ? value.slice(0, MAX_ARG) : value
    else if (typeof value === "number" || typeof value === "boolean") out[key] = value
  }
  return out
}

function send(event, payload, turnEnd = false) {
  try {
    const child = spawn(COMMAND[0], [...COMMAND.slice(1), event, "--platform", "opencode", ...(turnEnd ? ["--turn-end"] : [])], {
      detached: true,
      stdio: ["pipe", "ignore", "ignore"],
      windowsHide: true,
    })
    child.on("error", () => {})
    child.stdin.on("error", () => {})
    child.stdin.end(JSON.stringify({ source: SOURCE, version: 1, event, time: Date.now(), ...payload }))
    child.unref()
  } catch {}
}

export const SelftunePlugin = async ({ directory }) => {
  const pending = new Map() // callID -> arguments seen before the call ran
  const prompts = new Map() // sessionID -> the user message of the current turn
  const parents = new Map() // sub-agent sessionID -> parent sessionID
  const idle = new Map() // sessionID -> when its last idle was sent
  const cwd = directory

  function sessionIdle(sessionID) {
    if (!sessionID) return
    const now = Date.now()
    if (now - (idle.get(sessionID) ?? 0) < IDLE_DEBOUNCE_MS) return
    idle.set(sessionID, now)
    send("session.idle", { sessionID, dataDir: dataDir(), database: database(), cwd }, true)
  }

  return {
    "tool.execute.before": async (input, output) => {
      try {
        pending.set(input.callID, brief(output?.args))
      } catch {}
    },
    "tool.execute.after": async (input, output) => {
      try {
        const args = brief(input.args) ?? pending.get(input.callID)
        pending.delete(input.callID)
        const metadata = output?.metadata ?? {}
        send("tool.execute.after", {
          sessionID: input.sessionID,
          callID: input.callID,
          tool: input.tool,
          args,
          exit: typeof metadata.exit === "number" ? metadata.exit : undefined,
          skill: input.tool === "skill" && typeof metadata.name === "string" ? metadata.name : undefined,
          skillDir: input.tool === "skill" && typeof metadata.dir === "string" ? metadata.dir : undefined,
          promptID: prompts.get(input.sessionID),
          cwd,
        })
      } catch {}
    },
    "chat.message": async (input, output) => {
      try {
        const messageID = output?.message?.id ?? input.messageID
        if (messageID) prompts.set(input.sessionID, messageID)
        const text = (output?.parts ?? [])
          .filter((part) => part.type === "text" && !part.synthetic && !part.ignored && typeof part.text === "string")
          .map((part) => part.text)
          .join("\n")
        send("chat.message", {
          sessionID: input.sessionID,
          messageID,
          parentID: parents.get(input.sessionID),
          agent: input.agent,
          model: input.model?.modelID,
          text: text.slice(0, MAX_TEXT),
          cwd,
        })
      } catch {}
    },
    event: async ({ event }) => {
      try {
        const info = event?.properties?.info
        if (event.type === "session.created" && info?.parentID) parents.set(info.id, info.parentID)
        if (event.type === "session.idle") sessionIdle(event.properties?.sessionID)
        if (event.type === "session.status" && event.properties?.status?.type === "idle") sessionIdle(event.properties?.sessionID)
      } catch {}
    },
  }
}
