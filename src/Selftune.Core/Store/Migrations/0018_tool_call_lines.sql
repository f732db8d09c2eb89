-- Lines an edit tool call added and removed, as the agent's log shows them (ToolCallRecord.LinesAdded/LinesRemoved,
-- contract 1.4): null when the call is no edit or the log does not say. Summed per session into
-- session_outcomes.lines_added/lines_removed by the outcome rules (Analysis/OutcomeStore).
ALTER TABLE tool_calls ADD COLUMN lines_added INTEGER;
ALTER TABLE tool_calls ADD COLUMN lines_removed INTEGER;
