-- Watched folders. NULL key_template / if_exists: the destination's. `ignore` is a JSON list of
-- globs (the defaults are copied in when the watch is added, so the user sees and edits them).
-- state, note and active_at are written by the engine that runs the watch.
CREATE TABLE watches (
    id             INTEGER PRIMARY KEY,
    folder         BLOB NOT NULL,
    destination_id TEXT NOT NULL REFERENCES destinations(id),
    bucket         TEXT NOT NULL,
    prefix         TEXT NOT NULL,
    key_template   TEXT,
    ignore         TEXT NOT NULL,
    if_exists      TEXT,
    settle_ms      INTEGER NOT NULL,
    mirror_deletes INTEGER NOT NULL DEFAULT 0,
    poll           INTEGER NOT NULL DEFAULT 0,
    paused         INTEGER NOT NULL DEFAULT 0,
    state          TEXT NOT NULL DEFAULT 'starting',
    note           TEXT,
    active_at      INTEGER,
    created_at     INTEGER NOT NULL,
    UNIQUE (folder, destination_id, bucket, prefix)
);
-- What each watch has queued: one row per file (path relative to the folder), as it was when
-- queued, the key it went to and the job that took it. A file whose (size, mtime, inode) still
-- matches its row is never queued again, after a restart too.
CREATE TABLE watch_files (
    watch_id INTEGER NOT NULL REFERENCES watches(id) ON DELETE CASCADE,
    path     BLOB NOT NULL,
    size     INTEGER NOT NULL,
    mtime_ns INTEGER NOT NULL,
    inode    INTEGER NOT NULL,
    key      TEXT NOT NULL,
    job_id   INTEGER REFERENCES jobs(id) ON DELETE SET NULL,
    PRIMARY KEY (watch_id, path)
) WITHOUT ROWID;
CREATE INDEX watch_files_by_job ON watch_files(job_id);
-- The watch a job came from (NULL: added by hand).
ALTER TABLE jobs ADD COLUMN watch_id INTEGER REFERENCES watches(id) ON DELETE SET NULL;
