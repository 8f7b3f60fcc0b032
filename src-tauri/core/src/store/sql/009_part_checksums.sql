-- Uploads checked by CRC32C. A multipart upload created with a checksum algorithm
-- (`uploads.checksum`, e.g. "crc32c"; NULL: none, the parts carry Content-MD5) sends that
-- checksum with every part, also after a restart, and lists it again for Complete: each
-- part's own value is kept (`parts.checksum`, "crc32c:<base64>"). `parts.md5` is '' for a part
-- sent with a CRC32C alone.
ALTER TABLE uploads ADD COLUMN checksum TEXT;
ALTER TABLE parts ADD COLUMN checksum TEXT;
