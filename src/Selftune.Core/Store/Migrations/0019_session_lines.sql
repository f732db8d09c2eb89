-- Lines a session's edits added and removed, as the agent's log states them for the whole session
-- (SessionRecord.LinesAdded/LinesRemoved, contract 1.4; e.g. OpenCode's summary.additions/deletions): null when the log
-- does not say. The outcome rules (Analysis/OutcomeStore) use them for session_outcomes.lines_added/lines_removed when
-- no tool call of the session carries its own lines.
ALTER TABLE sessions ADD COLUMN lines_added INTEGER;
ALTER TABLE sessions ADD COLUMN lines_removed INTEGER;
