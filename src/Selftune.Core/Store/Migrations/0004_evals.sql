-- Trigger eval sets, LLM call accounting and session grading (issue 6). Times are Unix epoch milliseconds (UTC).

-- One row per LLM request (retries included in `attempts`), successful or not.
CREATE TABLE llm_calls (
    id            INTEGER PRIMARY KEY,
    run_id        TEXT NOT NULL,
    purpose       TEXT NOT NULL,        -- judge | propose | grade | synthetic-evals | llm-test | ...
    backend       TEXT NOT NULL,        -- agent:<platform> | anthropic | openai-compatible | offline
    model         TEXT,
    input_tokens  INTEGER NOT NULL,
    output_tokens INTEGER NOT NULL,
    cost_usd      REAL,                 -- null when unknown
    duration_ms   INTEGER NOT NULL,
    attempts      INTEGER NOT NULL,
    error_code    TEXT,                 -- null on success
    occurred_at   INTEGER NOT NULL
);
CREATE INDEX llm_calls_run ON llm_calls(run_id);
CREATE INDEX llm_calls_time ON llm_calls(occurred_at);

-- A trigger eval set for one skill; entries below, in order (real ones first).
CREATE TABLE eval_sets (
    eval_set_id TEXT PRIMARY KEY,
    skill       TEXT NOT NULL,
    created_at  INTEGER NOT NULL,
    seed        INTEGER NOT NULL,
    positives   INTEGER NOT NULL,
    negatives   INTEGER NOT NULL,
    synthetic   INTEGER NOT NULL        -- entries written by an LLM
);
CREATE INDEX eval_sets_skill ON eval_sets(skill, created_at);

CREATE TABLE eval_entries (
    eval_set_id     TEXT NOT NULL REFERENCES eval_sets(eval_set_id) ON DELETE CASCADE,
    ordinal         INTEGER NOT NULL,
    query           TEXT NOT NULL,
    should_trigger  INTEGER NOT NULL,
    invocation_type TEXT NOT NULL,      -- explicit | implicit | contextual | negative
    session_id      TEXT,
    prompt_id       TEXT,
    synthetic       INTEGER NOT NULL,
    split           TEXT NOT NULL,      -- train | validation
    PRIMARY KEY (eval_set_id, ordinal)
) WITHOUT ROWID;

-- One grading of one session's use of one skill; `result_json` keeps the grader's full answer.
CREATE TABLE grading_results (
    grading_id  TEXT PRIMARY KEY,
    session_id  TEXT NOT NULL,
    skill       TEXT NOT NULL,
    graded_at   INTEGER NOT NULL,
    passed      INTEGER NOT NULL,
    failed      INTEGER NOT NULL,
    total       INTEGER NOT NULL,
    pass_rate   REAL NOT NULL,
    mean_score  REAL NOT NULL,
    backend     TEXT,
    model       TEXT,
    result_json TEXT NOT NULL
);
CREATE INDEX grading_results_skill ON grading_results(skill, graded_at);
CREATE INDEX grading_results_session ON grading_results(session_id, skill);

-- The grader's failure feedback, one row per failing prompt, for evolution to read.
CREATE TABLE grading_failures (
    grading_id       TEXT NOT NULL REFERENCES grading_results(grading_id) ON DELETE CASCADE,
    ordinal          INTEGER NOT NULL,
    skill            TEXT NOT NULL,
    session_id       TEXT NOT NULL,
    prompt_id        TEXT,
    query            TEXT NOT NULL,
    failure_reason   TEXT NOT NULL,
    improvement_hint TEXT,
    invocation_type  TEXT,
    graded_at        INTEGER NOT NULL,
    PRIMARY KEY (grading_id, ordinal)
) WITHOUT ROWID;
CREATE INDEX grading_failures_skill ON grading_failures(skill, graded_at);
