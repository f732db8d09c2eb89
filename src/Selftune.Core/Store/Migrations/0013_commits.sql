-- Git commits the agent made in a session (git commit | merge | cherry-pick | revert seen in a shell tool's output),
-- linked to the session and, through it, to the skills the session used. Times are Unix epoch milliseconds (UTC).
CREATE TABLE commits (
    session_id   TEXT NOT NULL,
    sha          TEXT NOT NULL,          -- as git printed it (abbreviated, 7-40 hex)
    platform     TEXT NOT NULL,
    occurred_at  INTEGER NOT NULL,
    command      TEXT NOT NULL,          -- commit | merge | cherry-pick | revert
    branch       TEXT,
    repository   TEXT,                   -- the working directory of the tool call or session
    title        TEXT,                   -- redacted subject line
    tool_use_id  TEXT,
    capture_mode TEXT NOT NULL,
    PRIMARY KEY (session_id, sha)
) WITHOUT ROWID;
CREATE INDEX commits_occurred ON commits(occurred_at);
