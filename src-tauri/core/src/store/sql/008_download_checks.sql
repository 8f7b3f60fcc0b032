-- Verified downloads. A download of a multipart object fetches its parts as uploaded
-- (`parts`: how many; NULL = ranges of `range_size`), and keeps per fetched span where its
-- bytes went and their digests (computed as they arrived), so the object's ETag and any
-- whole-object checksum (`checksum`, e.g. "crc32c:<base64>") are checked without reading the
-- file again, also after a restart. `checked`: the server's own checksum of the span matched.
-- A finished download says how it was verified (`jobs.verified`: md5, multipart-etag,
-- crc32c, ... joined with '+', or size-only).
ALTER TABLE downloads ADD COLUMN parts INTEGER;
ALTER TABLE downloads ADD COLUMN checksum TEXT;
ALTER TABLE download_ranges ADD COLUMN offset INTEGER NOT NULL DEFAULT 0;
ALTER TABLE download_ranges ADD COLUMN length INTEGER NOT NULL DEFAULT 0;
ALTER TABLE download_ranges ADD COLUMN md5 BLOB;
ALTER TABLE download_ranges ADD COLUMN crc TEXT;
ALTER TABLE download_ranges ADD COLUMN checked TEXT;
-- Ranges recorded before this version carry no digests: they are fetched again.
DELETE FROM download_ranges;
ALTER TABLE jobs ADD COLUMN verified TEXT;
