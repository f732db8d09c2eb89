-- Evolution beyond the description (selftune evolve --target routing|body) and the no-skill baseline. Times are Unix epoch ms (UTC).

-- What a proposal rewrites: description (the frontmatter value) | routing (the '## Workflow Routing' table) | body (everything
-- below the '# Title' line). original_description / proposed_description then hold that part's text.
ALTER TABLE evolution_proposals ADD COLUMN target TEXT NOT NULL DEFAULT 'description';

-- One measurement of a skill's lift over no skill on its eval set (selftune baseline).
-- method: judge (the LLM votes once with the skill's description, once with none) | replay (the agent, with and without the skill).
CREATE TABLE skill_baselines (
    id                   INTEGER PRIMARY KEY,
    skill_name           TEXT NOT NULL,
    measured_at          INTEGER NOT NULL,
    eval_set_id          TEXT NOT NULL,
    method               TEXT NOT NULL,
    entries              INTEGER NOT NULL,   -- eval entries measured
    with_skill_pass_rate REAL NOT NULL,      -- 0..1
    no_skill_pass_rate   REAL NOT NULL,      -- 0..1
    lift                 REAL NOT NULL,      -- with − without
    adds_value           INTEGER NOT NULL,   -- 1 when lift >= baseline.min_lift
    skill_sha256         TEXT NOT NULL,      -- the SKILL.md measured
    evidence             TEXT NOT NULL       -- JSON: per-entry results, LLM spend
);
CREATE INDEX skill_baselines_skill ON skill_baselines(skill_name, measured_at);
