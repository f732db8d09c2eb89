-- What the last clean, complete sync saw (see SyncStamp): enough for the next sync to tell that nothing changed without
-- loading any plugin. Both tables are empty when there is no usable stamp; they are replaced together.
-- sync_stamp_platforms: one row per ingestor, in report order. roots: one "<r|s>\t<path>" line per declared source root
-- (r: recursive folder, s: its own files only). tree: every file under the roots with its length and modification
-- time, one per line. sources: sources found.
-- sync_stamp_inputs: what else decided the result: installation (plugin assemblies and selftune build), home, env:<NAME> for each
-- environment variable the plugins read (value NULL when unset).

CREATE TABLE sync_stamp_platforms (
    ordinal  INTEGER PRIMARY KEY,
    platform TEXT NOT NULL,
    sources  INTEGER NOT NULL,
    roots    TEXT NOT NULL,
    tree     TEXT NOT NULL
);

CREATE TABLE sync_stamp_inputs (
    name  TEXT PRIMARY KEY,
    value TEXT
);
