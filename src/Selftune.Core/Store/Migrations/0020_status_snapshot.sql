-- The miss set as `status` reports it, kept between runs (Reports/StatusSnapshot): status reads it instead of every
-- prompt's text while its signature still matches, and computes it anew (then rewrites it) when anything it was derived
-- from changed. Both tables are derived: export and recover leave them out.

-- evidence_changes.changes: bumped by every insert, update and delete of the rows the miss set is derived from (prompts,
-- skill_invocations, improvement_signals, misses), whoever writes them (sync, hook drain, review, team pull, recover).
CREATE TABLE evidence_changes (
    id      INTEGER PRIMARY KEY CHECK (id = 1),
    changes INTEGER NOT NULL
);
INSERT INTO evidence_changes (id, changes) VALUES (1, 0);

CREATE TRIGGER prompts_inserted AFTER INSERT ON prompts BEGIN UPDATE evidence_changes SET changes = changes + 1; END;
CREATE TRIGGER prompts_updated AFTER UPDATE ON prompts BEGIN UPDATE evidence_changes SET changes = changes + 1; END;
CREATE TRIGGER prompts_deleted AFTER DELETE ON prompts BEGIN UPDATE evidence_changes SET changes = changes + 1; END;
CREATE TRIGGER skill_invocations_inserted AFTER INSERT ON skill_invocations BEGIN UPDATE evidence_changes SET changes = changes + 1; END;
CREATE TRIGGER skill_invocations_updated AFTER UPDATE ON skill_invocations BEGIN UPDATE evidence_changes SET changes = changes + 1; END;
CREATE TRIGGER skill_invocations_deleted AFTER DELETE ON skill_invocations BEGIN UPDATE evidence_changes SET changes = changes + 1; END;
CREATE TRIGGER improvement_signals_inserted AFTER INSERT ON improvement_signals BEGIN UPDATE evidence_changes SET changes = changes + 1; END;
CREATE TRIGGER improvement_signals_updated AFTER UPDATE ON improvement_signals BEGIN UPDATE evidence_changes SET changes = changes + 1; END;
CREATE TRIGGER improvement_signals_deleted AFTER DELETE ON improvement_signals BEGIN UPDATE evidence_changes SET changes = changes + 1; END;
CREATE TRIGGER misses_inserted AFTER INSERT ON misses BEGIN UPDATE evidence_changes SET changes = changes + 1; END;
CREATE TRIGGER misses_updated AFTER UPDATE ON misses BEGIN UPDATE evidence_changes SET changes = changes + 1; END;
CREATE TRIGGER misses_deleted AFTER DELETE ON misses BEGIN UPDATE evidence_changes SET changes = changes + 1; END;

-- signature: what the snapshot was computed from (evidence_changes.changes, the selftune build, the installed skills'
-- names). misses: a JSON array of [skill key, miss id, kind, confidence, prompt id, session id, occurred_at (Unix ms),
-- example text] per miss, each skill's newest first.
CREATE TABLE status_snapshot (
    id        INTEGER PRIMARY KEY CHECK (id = 1),
    signature TEXT NOT NULL,
    misses    TEXT NOT NULL
);
