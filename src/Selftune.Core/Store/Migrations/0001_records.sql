-- Canonical records (Selftune.Abstractions) and ingest bookkeeping.
-- Times are Unix epoch milliseconds (UTC). Ids are the platform's own, so re-ingesting a source is idempotent.
-- capture_mode: 'transcript' (source truth) | 'hook' (hint) | 'repair'.

CREATE TABLE sessions (
    session_id        TEXT PRIMARY KEY,
    platform          TEXT NOT NULL,
    capture_mode      TEXT NOT NULL,
    parent_session_id TEXT,
    started_at        INTEGER,
    ended_at          INTEGER,
    cwd               TEXT,
    git_branch        TEXT,
    agent_version     TEXT,
    models            TEXT,            -- JSON array of model ids, first-use order
    status            TEXT NOT NULL DEFAULT 'unknown',
    source_path       TEXT,
    updated_at        INTEGER NOT NULL
);
CREATE INDEX sessions_started ON sessions(started_at);
CREATE INDEX sessions_parent ON sessions(parent_session_id);

CREATE TABLE prompts (
    prompt_id    TEXT PRIMARY KEY,
    session_id   TEXT NOT NULL,
    platform     TEXT NOT NULL,
    occurred_at  INTEGER NOT NULL,
    text         TEXT NOT NULL,         -- redacted
    text_hash    TEXT NOT NULL,         -- sha256 hex (16) of the redacted, wrapper-stripped text
    kind         TEXT NOT NULL,         -- PromptKind, lower case
    actionable   INTEGER NOT NULL,
    capture_mode TEXT NOT NULL,
    confidence   REAL NOT NULL,
    source_path  TEXT,
    source_line  INTEGER
);
CREATE INDEX prompts_session ON prompts(session_id, occurred_at);
CREATE INDEX prompts_actionable ON prompts(actionable, occurred_at);
CREATE INDEX prompts_hash ON prompts(session_id, text_hash);

CREATE TABLE skill_invocations (
    invocation_id TEXT PRIMARY KEY,
    session_id    TEXT NOT NULL,
    platform      TEXT NOT NULL,
    occurred_at   INTEGER NOT NULL,
    skill_name    TEXT NOT NULL,
    kind          TEXT NOT NULL,        -- implicit | explicit | read
    prompt_id     TEXT,
    skill_path    TEXT,
    tool_use_id   TEXT,
    capture_mode  TEXT NOT NULL,
    confidence    REAL NOT NULL,
    source_path   TEXT,
    source_line   INTEGER
);
CREATE INDEX skill_invocations_skill ON skill_invocations(skill_name, occurred_at);
CREATE INDEX skill_invocations_session ON skill_invocations(session_id);
CREATE INDEX skill_invocations_prompt ON skill_invocations(prompt_id);

CREATE TABLE tool_calls (
    session_id   TEXT NOT NULL,
    tool_use_id  TEXT NOT NULL,
    platform     TEXT NOT NULL,
    occurred_at  INTEGER NOT NULL,
    name         TEXT NOT NULL,
    is_error     INTEGER NOT NULL DEFAULT 0,
    prompt_id    TEXT,
    detail       TEXT,
    capture_mode TEXT NOT NULL,
    PRIMARY KEY (session_id, tool_use_id)
) WITHOUT ROWID;
CREATE INDEX tool_calls_prompt ON tool_calls(prompt_id);

CREATE TABLE token_usage (
    platform           TEXT NOT NULL,
    message_id         TEXT NOT NULL,
    request_id         TEXT NOT NULL,
    session_id         TEXT NOT NULL,
    occurred_at        INTEGER NOT NULL,
    model              TEXT NOT NULL,
    input_tokens       INTEGER NOT NULL,
    output_tokens      INTEGER NOT NULL,
    cache_write_tokens INTEGER NOT NULL,
    cache_read_tokens  INTEGER NOT NULL,
    cost_usd           REAL,             -- null when the model is not in the pricing table
    PRIMARY KEY (platform, message_id, request_id)
) WITHOUT ROWID;
CREATE INDEX token_usage_session ON token_usage(session_id);

CREATE TABLE session_errors (
    session_id  TEXT NOT NULL,
    error_id    TEXT NOT NULL,
    platform    TEXT NOT NULL,
    occurred_at INTEGER NOT NULL,
    kind        TEXT NOT NULL,
    message     TEXT NOT NULL,
    PRIMARY KEY (session_id, error_id)
) WITHOUT ROWID;

-- How far each source was read (incremental sync).
CREATE TABLE source_cursors (
    path           TEXT PRIMARY KEY,
    platform       TEXT NOT NULL,
    byte_offset    INTEGER NOT NULL,
    length         INTEGER NOT NULL,
    last_write_utc INTEGER NOT NULL,   -- ticks
    state          TEXT,
    updated_at     INTEGER NOT NULL
);

-- One row per sync, with its report (counts per platform, malformed lines, redactions, timings).
CREATE TABLE sync_runs (
    id          INTEGER PRIMARY KEY,
    started_at  INTEGER NOT NULL,
    elapsed_ms  INTEGER NOT NULL,
    report_json TEXT NOT NULL
);
