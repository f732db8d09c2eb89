-- Lines the edits changed (contract 1.4), as the local store holds them: per session as the agent's log states them for
-- the whole session (sessions.lines_added/lines_removed), and per failed tool call (tool_calls.lines_added/lines_removed);
-- null when the log does not say. Additive: rows pushed before have null until their machine pushes them again.
ALTER TABLE sessions ADD COLUMN lines_added bigint;
ALTER TABLE sessions ADD COLUMN lines_removed bigint;
ALTER TABLE tool_errors ADD COLUMN lines_added bigint;
ALTER TABLE tool_errors ADD COLUMN lines_removed bigint;

-- Every machine's next push sends its sessions again (with their children), so the rows pushed before get their lines;
-- the upsert changes only the rows that differ.
DELETE FROM push_watermarks WHERE table_name = 'sessions';
