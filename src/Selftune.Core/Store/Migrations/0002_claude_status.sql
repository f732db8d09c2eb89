-- Claude Code ingest, pricing and status (helper "claude").
-- Cache writes to the 1-hour prompt cache cost more than 5-minute writes: keep them apart (TokenUsageRecord.CacheWrite1hTokens).
ALTER TABLE token_usage ADD COLUMN cache_write_1h_tokens INTEGER NOT NULL DEFAULT 0;

-- Definitions of the indexes a bulk-load sync dropped and has not rebuilt yet (see Ingest/BulkLoad.cs).
CREATE TABLE bulk_load_indexes (
    name TEXT PRIMARY KEY,
    sql  TEXT NOT NULL
);
