-- selftune verify: one row per verification of a skill folder's exact files, with its steps (JSON). publish refuses a
-- folder whose fingerprint has no passed verification.
CREATE TABLE skill_verifications (
    id          INTEGER PRIMARY KEY,
    skill_name  TEXT NOT NULL,
    skill_path  TEXT NOT NULL,       -- the SKILL.md
    fingerprint TEXT NOT NULL,       -- sha256 hex over the folder's files: "<relative path>\t<sha256>\n" each, ordinal order
    verified_at INTEGER NOT NULL,
    passed      INTEGER NOT NULL,
    report      TEXT NOT NULL
);
CREATE INDEX skill_verifications_fingerprint ON skill_verifications(fingerprint, verified_at);

-- evolve --canary: a validated proposal deployed first to the project skill folders of chosen repositories.
CREATE TABLE canaries (
    canary_id   TEXT PRIMARY KEY,    -- the proposal id (one canary per proposal)
    skill_name  TEXT NOT NULL,
    started_at  INTEGER NOT NULL,
    repos       TEXT NOT NULL,       -- JSON array of repository folders
    paths       TEXT NOT NULL,       -- JSON array of the canary skill folders written (absent before)
    status      TEXT NOT NULL,       -- watching | promoted | aborted
    decided_at  INTEGER,
    evidence    TEXT                 -- JSON: the last canary check
);
CREATE INDEX canaries_skill ON canaries(skill_name, started_at);
