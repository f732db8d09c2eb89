-- The team's shared store (PostgreSQL): every machine's pushed rows, keyed by (machine_id, the local natural key), so a
-- re-push changes no row and two machines never overwrite each other. Times are Unix epoch milliseconds (UTC), as in the
-- local SQLite store; user_name is the pushing user's login. Text withheld by team.share_prompts=false is NULL.

-- One row per selftune home that pushed: its stable id (the home's machine-id file), user, host name and last push.
CREATE TABLE machines (
    machine_id    text PRIMARY KEY,
    user_name     text NOT NULL,
    host_name     text NOT NULL,
    share_prompts boolean NOT NULL,
    first_push_at bigint NOT NULL,
    last_push_at  bigint NOT NULL
);

-- How far each machine's push got, per local table, written in the same transaction as the batch it covers.
-- watermark/watermark_key: the last (value, key) pushed in the table's push order (value: a time or a rowid).
CREATE TABLE push_watermarks (
    machine_id    text NOT NULL,
    table_name    text NOT NULL,
    watermark     bigint NOT NULL,
    watermark_key text NOT NULL,
    PRIMARY KEY (machine_id, table_name)
);

CREATE TABLE sessions (
    machine_id        text NOT NULL,
    user_name         text NOT NULL,
    session_id        text NOT NULL,
    platform          text NOT NULL,
    capture_mode      text NOT NULL,
    parent_session_id text,
    started_at        bigint,
    ended_at          bigint,
    cwd               text,
    git_branch        text,
    agent_version     text,
    models            text,
    status            text NOT NULL,
    updated_at        bigint NOT NULL,
    PRIMARY KEY (machine_id, session_id)
);

CREATE TABLE prompts (
    machine_id   text NOT NULL,
    user_name    text NOT NULL,
    prompt_id    text NOT NULL,
    session_id   text NOT NULL,
    platform     text NOT NULL,
    occurred_at  bigint NOT NULL,
    text         text,              -- redacted as stored locally; NULL when the machine does not share prompt text
    text_hash    text NOT NULL,
    text_length  bigint NOT NULL,   -- characters of the redacted text
    kind         text NOT NULL,
    actionable   bigint NOT NULL,
    capture_mode text NOT NULL,
    confidence   double precision NOT NULL,
    PRIMARY KEY (machine_id, prompt_id)
);
CREATE INDEX prompts_session ON prompts (machine_id, session_id);

CREATE TABLE skill_invocations (
    machine_id    text NOT NULL,
    user_name     text NOT NULL,
    invocation_id text NOT NULL,
    session_id    text NOT NULL,
    platform      text NOT NULL,
    occurred_at   bigint NOT NULL,
    skill_name    text NOT NULL,
    kind          text NOT NULL,
    prompt_id     text,
    capture_mode  text NOT NULL,
    confidence    double precision NOT NULL,
    PRIMARY KEY (machine_id, invocation_id)
);
CREATE INDEX skill_invocations_skill ON skill_invocations (skill_name, occurred_at);
CREATE INDEX skill_invocations_session ON skill_invocations (machine_id, session_id);

-- Tool calls that failed (the local tool_calls rows with is_error = 1).
CREATE TABLE tool_errors (
    machine_id   text NOT NULL,
    user_name    text NOT NULL,
    session_id   text NOT NULL,
    tool_use_id  text NOT NULL,
    platform     text NOT NULL,
    occurred_at  bigint NOT NULL,
    name         text NOT NULL,
    prompt_id    text,
    detail       text,              -- NULL when the machine does not share prompt text
    PRIMARY KEY (machine_id, session_id, tool_use_id)
);

CREATE TABLE token_usage (
    machine_id            text NOT NULL,
    user_name             text NOT NULL,
    platform              text NOT NULL,
    message_id            text NOT NULL,
    request_id            text NOT NULL,
    session_id            text NOT NULL,
    occurred_at           bigint NOT NULL,
    model                 text NOT NULL,
    input_tokens          bigint NOT NULL,
    output_tokens         bigint NOT NULL,
    cache_write_tokens    bigint NOT NULL,
    cache_write_1h_tokens bigint NOT NULL,
    cache_read_tokens     bigint NOT NULL,
    cost_usd              double precision,
    PRIMARY KEY (machine_id, platform, message_id, request_id)
);
CREATE INDEX token_usage_session ON token_usage (machine_id, session_id);

CREATE TABLE misses (
    machine_id  text NOT NULL,
    user_name   text NOT NULL,
    miss_id     text NOT NULL,
    prompt_id   text NOT NULL,
    skill_name  text NOT NULL,
    method      text NOT NULL,
    confidence  double precision NOT NULL,
    score       double precision NOT NULL,
    status      text NOT NULL,
    found_at    bigint NOT NULL,
    decided_at  bigint,
    PRIMARY KEY (machine_id, miss_id)
);
CREATE INDEX misses_skill ON misses (skill_name, status);

CREATE TABLE gradings (
    machine_id  text NOT NULL,
    user_name   text NOT NULL,
    grading_id  text NOT NULL,
    session_id  text NOT NULL,
    skill       text NOT NULL,
    graded_at   bigint NOT NULL,
    passed      bigint NOT NULL,
    failed      bigint NOT NULL,
    total       bigint NOT NULL,
    pass_rate   double precision NOT NULL,
    mean_score  double precision NOT NULL,
    backend     text,
    model       text,
    result_json text,               -- NULL when the machine does not share prompt text
    PRIMARY KEY (machine_id, grading_id)
);

CREATE TABLE evolution_audit (
    machine_id  text NOT NULL,
    user_name   text NOT NULL,
    audit_id    bigint NOT NULL,    -- the local evolution_audit.id
    skill_name  text NOT NULL,
    proposal_id text,
    action      text NOT NULL,
    occurred_at bigint NOT NULL,
    heuristic   bigint NOT NULL,
    message     text NOT NULL,
    evidence    text,               -- NULL when the machine does not share prompt text
    PRIMARY KEY (machine_id, audit_id)
);
CREATE INDEX evolution_audit_skill ON evolution_audit (skill_name, occurred_at);

CREATE TABLE runs (
    machine_id      text NOT NULL,
    user_name       text NOT NULL,
    run_id          text NOT NULL,
    started_at      bigint NOT NULL,
    ended_at        bigint,
    status          text NOT NULL,
    run_trigger     text NOT NULL,
    dry_run         bigint NOT NULL,
    review_required bigint NOT NULL,
    sample_data     bigint NOT NULL,
    hostname        text NOT NULL,
    candidates      bigint NOT NULL,
    deployed        bigint NOT NULL,
    rolled_back     bigint NOT NULL,
    report_json     text,           -- NULL when the machine does not share prompt text
    PRIMARY KEY (machine_id, run_id)
);

-- What each session achieved (the local session_outcomes, issue 13).
CREATE TABLE outcomes (
    machine_id    text NOT NULL,
    user_name     text NOT NULL,
    session_id    text NOT NULL,
    outcome       text NOT NULL,    -- success | partial | blocked | failed | unknown
    confidence    double precision NOT NULL,
    evidence      text,             -- NULL when the machine does not share prompt text
    method        text NOT NULL,
    model         text,
    lines_added   bigint,
    lines_removed bigint,
    commits       bigint,
    classified_at bigint NOT NULL,
    PRIMARY KEY (machine_id, session_id)
);
