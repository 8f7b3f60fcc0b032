-- One row per job with a multipart upload in progress. The fingerprint is the local file's
-- (size, mtime, inode) when the upload id was created; part_size never changes for an upload id.
CREATE TABLE uploads (
    job_id      INTEGER PRIMARY KEY REFERENCES jobs(id) ON DELETE CASCADE,
    upload_id   TEXT NOT NULL,
    bucket      TEXT NOT NULL,
    key         TEXT NOT NULL,
    part_size   INTEGER NOT NULL,
    fp_size     INTEGER NOT NULL,
    fp_mtime_ns INTEGER NOT NULL,
    fp_inode    INTEGER NOT NULL,
    created_at  INTEGER NOT NULL
);
-- A part is uploaded once its row is committed. md5 is the part's digest (hex), etag the server's.
CREATE TABLE parts (
    job_id      INTEGER NOT NULL REFERENCES uploads(job_id) ON DELETE CASCADE,
    part_number INTEGER NOT NULL,
    size        INTEGER NOT NULL,
    etag        TEXT NOT NULL,
    md5         TEXT NOT NULL,
    PRIMARY KEY (job_id, part_number)
) WITHOUT ROWID;
