//! A part of a multipart upload as the server acknowledged it: the one form it has from the
//! UploadPart (or ListParts) answer, through its row in the database, to the list given to
//! CompleteMultipartUpload.

use crate::digest::Checksum;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartReceipt {
    pub part_number: u32,
    pub size: u64,
    /// Without the quotes S3 puts around it (the S3 backend adds them back for Complete).
    pub etag: String,
    /// Our MD5 of the part's bytes, where it was computed (sent as Content-MD5); `None` in a
    /// server's answer.
    pub md5: Option<[u8; 16]>,
    /// The part's CRC32C: the server's (echoed by UploadPart, listed by ListParts) in answers,
    /// ours once recorded and in the list given to Complete.
    pub crc32c: Option<Checksum>,
}
