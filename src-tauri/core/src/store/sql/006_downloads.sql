-- Downloads are queue jobs too: a job has a direction. A download in progress has a row in
-- `downloads` (the object's ETag and size when it started, the range size, the hidden partial
-- file beside the target) and one row per range already written and synced to disk.
ALTER TABLE jobs ADD COLUMN direction TEXT NOT NULL DEFAULT 'upload';
CREATE TABLE downloads (
    job_id     INTEGER PRIMARY KEY REFERENCES jobs(id) ON DELETE CASCADE,
    etag       TEXT NOT NULL,
    size       INTEGER NOT NULL,
    modified   INTEGER,
    range_size INTEGER NOT NULL,
    partial    BLOB NOT NULL
);
CREATE TABLE download_ranges (
    job_id INTEGER NOT NULL REFERENCES downloads(job_id) ON DELETE CASCADE,
    number INTEGER NOT NULL,
    PRIMARY KEY (job_id, number)
) WITHOUT ROWID;
