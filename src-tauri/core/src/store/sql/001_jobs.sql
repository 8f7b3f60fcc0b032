CREATE TABLE jobs (
    id            INTEGER PRIMARY KEY,
    path          BLOB NOT NULL,
    profile_id    TEXT NOT NULL REFERENCES profiles(id),
    bucket        TEXT NOT NULL,
    key           TEXT NOT NULL,
    state         TEXT NOT NULL,
    bytes_total   INTEGER NOT NULL,
    bytes_done    INTEGER NOT NULL DEFAULT 0,
    attempts      INTEGER NOT NULL DEFAULT 0,
    error_code    TEXT,
    error_message TEXT,
    batch         TEXT NOT NULL,
    created_at    INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL
);
CREATE INDEX jobs_by_state ON jobs(state, id);
CREATE INDEX jobs_by_batch ON jobs(batch);
