-- Live capture: improvement signals found in prompts, and what selftune installed into agents' settings.
-- Times are Unix epoch milliseconds (UTC).

-- A prompt in which the user corrected the agent for not using a skill ("why didn't you use the X skill") or asked
-- for one explicitly ("please use the X skill"), matched against installed skill names. One row per prompt text
-- (session + text hash, so the hook's row and the transcript's row of the same prompt are one signal), skill and type.
CREATE TABLE improvement_signals (
    session_id   TEXT NOT NULL,
    text_hash    TEXT NOT NULL,           -- prompts.text_hash of the prompt that carried it
    skill_name   TEXT NOT NULL,           -- the installed skill's name
    signal_type  TEXT NOT NULL,           -- correction | explicit_request
    prompt_id    TEXT NOT NULL,           -- the prompt (the transcript's once it supersedes the hook's)
    platform     TEXT NOT NULL,
    occurred_at  INTEGER NOT NULL,
    capture_mode TEXT NOT NULL,           -- capture mode of the prompt behind prompt_id
    consumed     INTEGER NOT NULL DEFAULT 0,
    consumed_at  INTEGER,
    consumed_by  TEXT,                    -- what consumed it (a run id)
    PRIMARY KEY (session_id, text_hash, skill_name, signal_type)
) WITHOUT ROWID;
CREATE INDEX improvement_signals_open ON improvement_signals(consumed, skill_name);

-- Every change selftune made to an agent's configuration (hooks installed or removed).
CREATE TABLE installs (
    id           INTEGER PRIMARY KEY,
    platform     TEXT NOT NULL,
    action       TEXT NOT NULL,           -- install | uninstall
    scope        TEXT NOT NULL,           -- user | project
    path         TEXT NOT NULL,           -- the file changed
    hook_command TEXT NOT NULL,
    backup_path  TEXT,                    -- the copy taken before the change (null: the file did not exist)
    applied_at   INTEGER NOT NULL
);
