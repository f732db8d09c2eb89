-- Session analysis (issue 13): what each session achieved, and which recurring error patterns were already announced.
-- Times are Unix epoch ms (UTC).

-- One row per top-level session. outcome: success | partial | blocked | failed | unknown.
-- method: rules (Analysis/OutcomeRules, at every sync) | llm (selftune sessions classify --llm, for what the rules left
-- unknown; model names the model that decided). evidence: JSON array of {"signal","detail"} objects, in the order the
-- rules weighed them. lines_added/lines_removed/commits: what the log shows, null when it does not say.
CREATE TABLE session_outcomes (
    session_id    TEXT PRIMARY KEY,
    outcome       TEXT NOT NULL,
    confidence    REAL NOT NULL,            -- 0..1
    evidence      TEXT NOT NULL,
    method        TEXT NOT NULL,
    model         TEXT,
    lines_added   INTEGER,
    lines_removed INTEGER,
    commits       INTEGER,
    classified_at INTEGER NOT NULL
);
CREATE INDEX session_outcomes_outcome ON session_outcomes(outcome);

-- Recurring error signatures (Analysis/ErrorSignature) already seen, so a run names only the new ones.
CREATE TABLE error_patterns (
    signature     TEXT PRIMARY KEY,
    category      TEXT NOT NULL,
    first_seen_at INTEGER NOT NULL,         -- the earliest occurrence in the store
    noticed_at    INTEGER NOT NULL          -- when selftune first reported it
);
