-- Evolution of skill descriptions (propose, validate, deploy, roll back) and watch. Times are Unix epoch ms (UTC).

-- One candidate description. status follows its latest audit row: created | rejected | validated | deployed | rolled_back.
CREATE TABLE evolution_proposals (
    proposal_id          TEXT PRIMARY KEY,   -- evo-<skill>-<yyyyMMddTHHmmssfffZ>-<n>
    run_id               TEXT NOT NULL,      -- the evolve invocation that made it
    skill_name           TEXT NOT NULL,
    skill_path           TEXT NOT NULL,      -- the SKILL.md
    created_at           INTEGER NOT NULL,
    heuristic            INTEGER NOT NULL,   -- 1: proposed and validated without an LLM (--llm offline)
    aim                  TEXT NOT NULL,      -- the failure cluster / invocation type it targets
    original_description TEXT NOT NULL,
    proposed_description TEXT NOT NULL,
    original_sha256      TEXT NOT NULL,      -- the SKILL.md bytes it was validated against
    rationale            TEXT,
    status               TEXT NOT NULL
);
CREATE INDEX evolution_proposals_skill ON evolution_proposals(skill_name, created_at);

-- Every state change of a skill, with its evidence (JSON: eval snapshot, per-entry results, model, cost, LLM calls).
CREATE TABLE evolution_audit (
    id          INTEGER PRIMARY KEY,
    skill_name  TEXT NOT NULL,
    proposal_id TEXT,
    action      TEXT NOT NULL,   -- created | rejected | validated | deployed | deploy_failed | rolled_back
    occurred_at INTEGER NOT NULL,
    heuristic   INTEGER NOT NULL,
    message     TEXT NOT NULL,
    evidence    TEXT
);
CREATE INDEX evolution_audit_skill ON evolution_audit(skill_name, occurred_at);
CREATE INDEX evolution_audit_proposal ON evolution_audit(proposal_id);

-- Every write selftune made to a SKILL.md, with the exact bytes before and after (rollback works without the backup).
CREATE TABLE skill_versions (
    id            INTEGER PRIMARY KEY,
    skill_name    TEXT NOT NULL,
    skill_path    TEXT NOT NULL,
    proposal_id   TEXT,              -- the proposal deployed, or the deploy undone
    action        TEXT NOT NULL,     -- deployed | rolled_back
    occurred_at   INTEGER NOT NULL,
    before_sha256 TEXT NOT NULL,
    before_bytes  BLOB NOT NULL,
    after_sha256  TEXT NOT NULL,
    after_bytes   BLOB NOT NULL,
    backup_path   TEXT               -- timestamped copy of before_bytes under <home>/backups/skills/<skill>/
);
CREATE INDEX skill_versions_skill ON skill_versions(skill_name, occurred_at);

-- Each watch of a deploy: verdict stable | regressed | not_enough_data, with the before/after measures (JSON).
CREATE TABLE watch_checks (
    id          INTEGER PRIMARY KEY,
    skill_name  TEXT NOT NULL,
    proposal_id TEXT NOT NULL,
    checked_at  INTEGER NOT NULL,
    verdict     TEXT NOT NULL,
    evidence    TEXT NOT NULL
);
CREATE INDEX watch_checks_skill ON watch_checks(skill_name, checked_at);
