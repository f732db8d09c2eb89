-- Misses found by discovery (selftune misses, the run's discover phase) and settled by review. Times are Unix epoch ms (UTC).
-- Named and read-not-invoked misses are derived from the records each time (MissFinder); only what cannot be derived is kept.

-- A prompt that discovery says an installed skill should have handled. One row per (prompt, skill).
-- method: lexical (offline BM25 ranking alone: low confidence) | llm (the LLM picked the skill from the lexical shortlist).
-- status: open | confirmed | rejected (selftune misses confirm|reject ID). A rejected row is a known negative for the skill.
CREATE TABLE misses (
    miss_id     TEXT PRIMARY KEY,         -- m- + 12 hex of sha256(prompt_id, skill)
    prompt_id   TEXT NOT NULL,
    skill_name  TEXT NOT NULL,
    method      TEXT NOT NULL,
    confidence  REAL NOT NULL,            -- 0..1
    score       REAL NOT NULL,            -- the skill's BM25 score for the prompt
    status      TEXT NOT NULL DEFAULT 'open',
    found_at    INTEGER NOT NULL,
    decided_at  INTEGER,
    run_id      TEXT                      -- the run (or adhoc command) that found it
);
CREATE UNIQUE INDEX misses_prompt_skill ON misses(prompt_id, skill_name);
CREATE INDEX misses_skill ON misses(skill_name, status);

-- The LLM's judgement of one prompt against one skill description, so no prompt is judged twice against the same
-- description (across runs). prompt_hash: prompts.text_hash; description_hash: 16 hex of sha256(name \n description).
-- verdict: 1 when the LLM said the agent should have used the skill, 0 when it offered and not chosen.
CREATE TABLE miss_judgements (
    prompt_hash      TEXT NOT NULL,
    description_hash TEXT NOT NULL,
    skill_name       TEXT NOT NULL,
    verdict          INTEGER NOT NULL,
    judged_at        INTEGER NOT NULL,
    PRIMARY KEY (prompt_hash, description_hash)
) WITHOUT ROWID;
