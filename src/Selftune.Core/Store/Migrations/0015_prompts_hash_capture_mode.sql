-- Issue 19: every transcript prompt supersedes the hook's copy of it (RecordWriter: DELETE ... WHERE session_id = ? AND
-- text_hash = ? AND capture_mode = 'hook') and a hook prompt checks for the transcript's; with the index on
-- (session_id, text_hash) alone each lookup visited every earlier prompt of the session with the same text, which a long
-- session repeats ("continue", "yes"): a 600 MB generated session synced with 25% less CPU with capture_mode in the
-- index (bench/RESULTS.md). Same name: the bulk load keeps it (Ingest/BulkLoad.cs).
DROP INDEX IF EXISTS prompts_hash;
CREATE INDEX prompts_hash ON prompts(session_id, text_hash, capture_mode);
