//! What a download asks of a backend ([`FetchRequest`]: a byte range or a part of an object,
//! into a local file) and what it gets back ([`FetchReceipt`]: where the bytes went and their
//! digests, computed while they arrived, never in a second read: MD5 where the engine needs it,
//! a CRC where the object carries one).

pub use crate::digest::{Checksum, ChecksumAlgorithm, FetchReceipt, ObjectChecksum, StreamDigest};
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::AtomicU64;

/// Which bytes of an object to fetch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Span {
    /// `Range: bytes=offset-(offset+length-1)`.
    Range { offset: u64, length: u64 },
    /// Part `n` (from 1) of a multipart object, as uploaded (`partNumber=n`): the server says
    /// where it lies (`Content-Range`).
    Part(u32),
}

/// One request of a download: `span` of `key` written at its own offset of the local file
/// `into` (which exists, sized to the object), synced before the call returns. Where the
/// backend keeps additional checksums (an S3 server not known to refuse them), it asks for
/// them (`x-amz-checksum-mode: ENABLED`): an answer that carries one for exactly its bytes is
/// checked, and a mismatch is `ChecksumMismatch` (retryable: the engine fetches the span
/// again); the receipt's `checked` says it was.
#[derive(Debug, Clone)]
pub struct FetchRequest<'a> {
    pub into: &'a Path,
    pub span: Span,
    /// The object's size when the download started: every answer must lie within it.
    pub object_size: u64,
    /// The ETag the object must still have, else `ObjectChanged`.
    pub if_match: Option<&'a str>,
    /// Bytes written so far; the backend stores 0 at the start of each attempt.
    pub progress: Arc<AtomicU64>,
    /// Compute the MD5 of the bytes.
    pub md5: bool,
    /// Compute this CRC of the bytes (for a whole-object checksum combined from ranges).
    pub crc: Option<ChecksumAlgorithm>,
}

/// What a HEAD says about one part of an object (`partNumber`), or about the whole object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartHead {
    /// The part's length (the object's, when no part was asked for).
    pub length: u64,
    /// `x-amz-mp-parts-count`: how many parts the object has (absent for a whole-object HEAD
    /// or from a server that ignores `partNumber`).
    pub parts_count: Option<u32>,
    /// The checksum the server keeps for the bytes answered for: a part's own (always full),
    /// or the whole object's (full or composite).
    pub checksum: Option<ObjectChecksum>,
}
