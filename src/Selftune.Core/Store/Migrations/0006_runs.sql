-- The autonomous loop: one row per `selftune run`, inserted when it starts (status 'running') and completed when it
-- ends, holding the report it printed (JSON for agents, phased text for people). Times are Unix epoch ms (UTC).
-- status: running | completed | failed | cancelled | crashed (a run whose stale lock a later run took over).
-- run_trigger: manual | schedule | signal (started by a hook after improvement signals) | loop (--loop).

CREATE TABLE runs (
    run_id          TEXT PRIMARY KEY,
    started_at      INTEGER NOT NULL,
    ended_at        INTEGER,
    status          TEXT NOT NULL,
    run_trigger     TEXT NOT NULL,
    dry_run         INTEGER NOT NULL,
    review_required INTEGER NOT NULL,
    sample_data     INTEGER NOT NULL,
    pid             INTEGER NOT NULL,
    hostname        TEXT NOT NULL,
    candidates      INTEGER NOT NULL DEFAULT 0,
    deployed        INTEGER NOT NULL DEFAULT 0,
    rolled_back     INTEGER NOT NULL DEFAULT 0,
    report_json     TEXT,
    report_text     TEXT
);
CREATE INDEX runs_started ON runs(started_at);
