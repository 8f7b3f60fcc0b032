//! Where bytes go. A [`Backend`] is an object store with explicit multipart upload ids and part
//! receipts (the shape of object_store's `MultipartStore`): the engine owns the plan, the
//! retries and the bookkeeping, a backend only performs one request per call and classifies its
//! failure into an [`ErrorKind`](crate::error::ErrorKind). Backends never retry by themselves.
//!
//! Bodies are never buffered: a [`PartBody`] names a byte range of a local file, which the
//! backend streams from disk, counting bytes into `progress` as the HTTP stack polls them.

pub mod content_type;
pub mod fetch;
pub mod local;
pub mod s3;

use crate::digest::{Checksum, ChecksumAlgorithm, ObjectChecksum};
use crate::error::{Error, ErrorKind, Result, file_error};
use crate::model::PartReceipt;
use crate::presets::ChecksumPolicy;
use async_trait::async_trait;
use md5::{Digest, Md5};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::AtomicU64;

/// A byte range of a local file to send as one request body.
#[derive(Debug, Clone)]
pub struct PartBody {
    pub path: PathBuf,
    pub offset: u64,
    pub length: u64,
    /// Bytes of this body handed to the network so far. The backend stores 0 at the start of
    /// each attempt and adds as the body is polled.
    pub progress: Arc<AtomicU64>,
    /// The range's bytes, when they were read with their digest ([`read_small`]): an S3 body is
    /// then sent from memory, so what is sent is exactly what was digested.
    pub bytes: Option<bytes::Bytes>,
}

/// Files up to this size are read once, into memory, with their digest ([`read_small`]):
/// for many small files the second open and read of the file cost more than its bytes.
pub const SMALL_BODY: u64 = 1024 * 1024;

/// Reads the first `length` bytes of `path` (at most [`SMALL_BODY`]) into memory and digests
/// them, in one blocking call.
pub async fn read_small(
    path: &Path,
    length: u64,
    digests: Digests,
) -> Result<(PartDigest, bytes::Bytes)> {
    use std::io::Read;
    let owned = path.to_path_buf();
    let read = tokio::task::spawn_blocking(move || -> Result<Vec<u8>> {
        let path = owned.as_path();
        let file = std::fs::File::open(path).map_err(|e| file_error(path, e))?;
        let mut data = Vec::with_capacity(length.min(SMALL_BODY) as usize);
        file.take(length)
            .read_to_end(&mut data)
            .map_err(|e| file_error(path, e))?;
        if (data.len() as u64) < length {
            return Err(Error::new(
                ErrorKind::FileChanged,
                format!(
                    "{} became shorter while it was being uploaded",
                    path.display()
                ),
            ));
        }
        Ok(data)
    });
    let data = read.await.map_err(|e| {
        Error::new(
            ErrorKind::FileUnreadable,
            format!("reading {} stopped: {e}", path.display()),
        )
    })??;
    let digest = PartDigest {
        md5: digests.md5.then(|| Md5::digest(&data).into()),
        crc32c: digests
            .crc32c
            .then(|| Checksum::of(ChecksumAlgorithm::Crc32c, &data)),
    };
    Ok((digest, bytes::Bytes::from(data)))
}

/// Which digests [`digest_range`] computes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Digests {
    pub md5: bool,
    pub crc32c: bool,
}

impl Digests {
    pub const MD5: Digests = Digests {
        md5: true,
        crc32c: false,
    };
    pub const CRC32C: Digests = Digests {
        md5: false,
        crc32c: true,
    };
    pub const BOTH: Digests = Digests {
        md5: true,
        crc32c: true,
    };

    /// What bodies sent under `policy` need: the CRC32C the server checks, or else the MD5
    /// (sent as `Content-MD5` where accepted, and checked against the ETag the server answers).
    pub fn sent_with(policy: ChecksumPolicy) -> Digests {
        match policy {
            ChecksumPolicy::Crc32c => Digests::CRC32C,
            ChecksumPolicy::ContentMd5 | ChecksumPolicy::None => Digests::MD5,
        }
    }
}

/// Integrity values of a byte range, computed in one read pass just before it is sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PartDigest {
    pub md5: Option<[u8; 16]>,
    /// Sent as `x-amz-checksum-crc32c`, which the server checks before it stores the bytes.
    pub crc32c: Option<Checksum>,
}

impl PartDigest {
    /// The `Content-MD5` header value.
    pub fn content_md5(&self) -> Option<String> {
        use base64::Engine;
        self.md5
            .map(|md5| base64::engine::general_purpose::STANDARD.encode(md5))
    }

    /// The ETag S3 gives a single PUT or a part of these bytes (without quotes).
    pub fn md5_hex(&self) -> Option<String> {
        self.md5.map(hex::encode)
    }
}

/// Reads `length` bytes of `path` from `offset` once and digests them.
pub async fn digest_range(
    path: &Path,
    offset: u64,
    length: u64,
    digests: Digests,
) -> Result<PartDigest> {
    let state = (
        digests.md5.then(Md5::new),
        digests
            .crc32c
            .then(|| crc_fast::Digest::new(crc_fast::CrcAlgorithm::Crc32Iscsi)),
    );
    let (md5, crc) = read_range(path, offset, length, state, |(md5, crc), bytes| {
        if let Some(md5) = md5 {
            md5.update(bytes);
        }
        if let Some(crc) = crc {
            crc.update(bytes);
        }
    })
    .await?;
    Ok(PartDigest {
        md5: md5.map(|m| m.finalize().into()),
        crc32c: crc.map(|c| Checksum {
            algorithm: ChecksumAlgorithm::Crc32c,
            value: c.finalize(),
        }),
    })
}

/// The MD5 of `length` bytes of `path` from `offset`, in one read pass.
pub async fn md5_range(path: &Path, offset: u64, length: u64) -> Result<[u8; 16]> {
    let md5 = read_range(path, offset, length, Md5::new(), |md5, bytes| {
        md5.update(bytes);
    })
    .await?;
    Ok(md5.finalize().into())
}

/// Feeds `length` bytes of `path` from `offset` into `state`, a buffer at a time, and gives it
/// back. The whole pass runs on one blocking thread: a hop to the blocking pool per buffer (what
/// `tokio::fs` does) cost more CPU in context switches than the CRC32C it fed (perf, issue 19).
async fn read_range<T: Send + 'static>(
    path: &Path,
    offset: u64,
    length: u64,
    mut state: T,
    each: fn(&mut T, &[u8]),
) -> Result<T> {
    use std::os::unix::fs::FileExt;
    let owned = path.to_path_buf();
    let read = tokio::task::spawn_blocking(move || -> Result<T> {
        let path = owned.as_path();
        let file = std::fs::File::open(path).map_err(|e| file_error(path, e))?;
        let mut done = 0u64;
        let mut buf = vec![0u8; 256 * 1024];
        while done < length {
            let want = (length - done).min(buf.len() as u64) as usize;
            let n = file
                .read_at(&mut buf[..want], offset + done)
                .map_err(|e| file_error(path, e))?;
            if n == 0 {
                return Err(Error::new(
                    ErrorKind::FileChanged,
                    format!(
                        "{} became shorter while it was being uploaded",
                        path.display()
                    ),
                ));
            }
            each(&mut state, &buf[..n]);
            done += n as u64;
        }
        Ok(state)
    });
    read.await.map_err(|e| {
        Error::new(
            ErrorKind::FileUnreadable,
            format!("reading {} stopped: {e}", path.display()),
        )
    })?
}

/// What a HEAD (or a finished upload) says about an object. `etag` without quotes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectInfo {
    pub size: u64,
    pub etag: Option<String>,
    /// The checksum the server answered with (a PUT's or a Complete's), if any.
    pub checksum: Option<ObjectChecksum>,
}

/// Strips the quotes S3 puts around ETags.
pub fn unquote_etag(etag: &str) -> String {
    etag.trim().trim_matches('"').to_string()
}

/// The ETag S3 computes for a completed multipart upload: MD5 of the concatenated part MD5s,
/// a dash, and the part count. Lets the engine verify a finished object without reading it.
pub fn multipart_etag(part_md5s: &[[u8; 16]]) -> String {
    let mut hasher = Md5::new();
    for md5 in part_md5s {
        hasher.update(md5);
    }
    format!("{}-{}", hex::encode(hasher.finalize()), part_md5s.len())
}

/// An incomplete multipart upload the server holds.
/// True for an ETag of the form S3 gives single-request uploads (hex MD5 of the bytes).
pub fn is_md5_etag(etag: &str) -> bool {
    etag.len() == 32 && etag.bytes().all(|b| b.is_ascii_hexdigit())
}

/// True for an ETag of the form `<hex md5>-<parts>` that S3 gives multipart objects.
pub fn is_multipart_etag(etag: &str) -> bool {
    etag.split_once('-').is_some_and(|(md5, n)| {
        is_md5_etag(md5) && !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit())
    })
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct PendingUpload {
    pub key: String,
    pub upload_id: String,
    /// When it was started, in seconds since the Unix epoch, where the server says.
    pub initiated: Option<i64>,
}

/// One object in a listing.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize, ts_rs::TS)]
pub struct ObjectEntry {
    pub key: String,
    pub size: u64,
    /// Last modified, in seconds since the Unix epoch, where the server says.
    pub modified: Option<i64>,
    /// Without quotes; `None` where the backend keeps none (a local folder).
    pub etag: Option<String>,
    pub storage_class: Option<String>,
}

/// What to list: the keys under `prefix` (empty, or ending in `/` for a folder), either one
/// folder level (sub-folders as prefixes) or everything below (`recursive`); one page of at
/// most `limit` entries, continuing from `page` (a previous [`Listing::next`]).
#[derive(Debug, Clone, Copy)]
pub struct ListRequest<'a> {
    pub prefix: &'a str,
    pub recursive: bool,
    pub page: Option<&'a str>,
    pub limit: u32,
}

/// One page of a listing: sub-folders (whole prefixes, ending in `/`; none when recursive) and
/// objects, each in S3's order (the keys' bytes).
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, ts_rs::TS)]
pub struct Listing {
    pub folders: Vec<String>,
    pub objects: Vec<ObjectEntry>,
    /// Pass back to get the next page; `None` on the last one.
    pub next: Option<String>,
}

/// What a HEAD says about an object, for people.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, ts_rs::TS)]
pub struct ObjectDetails {
    pub key: String,
    pub size: u64,
    pub modified: Option<i64>,
    pub etag: Option<String>,
    pub content_type: Option<String>,
    pub storage_class: Option<String>,
    pub cache_control: Option<String>,
    /// User metadata (`x-amz-meta-*`), by name.
    pub metadata: std::collections::BTreeMap<String, String>,
}

/// A key a batch delete could not delete, and why.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, ts_rs::TS)]
pub struct DeleteFailure {
    pub key: String,
    pub error: ErrorKind,
    pub message: String,
}

/// At most this many keys go in one [`Backend::delete_objects`] call (S3's DeleteObjects limit).
pub const MAX_DELETE_BATCH: usize = 1000;

/// The longest share link S3 signs (SigV4 presigned URLs last at most seven days).
pub const MAX_SHARE_LIFETIME: std::time::Duration = std::time::Duration::from_secs(7 * 24 * 3600);

#[async_trait]
pub trait Backend: Send + Sync {
    /// A short human description for logs and messages, e.g. `s3://bucket (http://127.0.0.1:3900)`.
    fn describe(&self) -> String;

    /// A URL to probe for reachability while offline; `None` for backends without a network.
    fn probe_url(&self) -> Option<String>;

    /// The integrity value this destination's server checks for each body: Hoist computes it
    /// before sending and the server refuses bytes that do not match.
    fn upload_checksum(&self) -> ChecksumPolicy {
        ChecksumPolicy::ContentMd5
    }

    /// Uploads a whole object in one request.
    async fn put_object(&self, key: &str, body: PartBody, digest: PartDigest)
    -> Result<ObjectInfo>;

    /// Starts a multipart upload and returns its upload id. With `checksum`, every part must
    /// carry that checksum, and so must the list given to Complete.
    async fn create_multipart(
        &self,
        key: &str,
        checksum: Option<ChecksumAlgorithm>,
    ) -> Result<String>;

    /// Uploads one part (numbers start at 1).
    async fn upload_part(
        &self,
        key: &str,
        upload_id: &str,
        part_number: u32,
        body: PartBody,
        digest: PartDigest,
    ) -> Result<PartReceipt>;

    /// Lists the parts the server holds for an upload, following pagination. `Ok(None)` when
    /// the server does not support listing parts (the engine then trusts its database alone).
    async fn list_parts(&self, key: &str, upload_id: &str) -> Result<Option<Vec<PartReceipt>>>;

    /// Completes an upload from the given parts (sorted by number). An answer that carries an
    /// error, even with status 200, is an `Err`.
    async fn complete_multipart(
        &self,
        key: &str,
        upload_id: &str,
        parts: &[PartReceipt],
    ) -> Result<ObjectInfo>;

    /// Aborts an upload so its parts stop costing storage. An unknown upload id is `Ok`.
    async fn abort_multipart(&self, key: &str, upload_id: &str) -> Result<()>;

    /// `Ok(None)` when there is no such object.
    async fn head_object(&self, key: &str) -> Result<Option<ObjectInfo>>;

    /// Downloads a span of `key` (see [`FetchRequest`](fetch::FetchRequest)) into the local
    /// file at the span's own offset, synced before `Ok`, digested as it arrives; memory stays
    /// flat. A missing object is `NotFound`, a replaced one (`if_match`) `ObjectChanged`; a body
    /// of the wrong length or place is `Protocol` or `Interrupted`.
    async fn fetch(
        &self,
        key: &str,
        request: &fetch::FetchRequest<'_>,
    ) -> Result<fetch::FetchReceipt>;

    /// HEAD of part `part` (from 1; `partNumber`) of `key`, or of the whole object (`None`),
    /// with the checksum the server keeps for those bytes, if it keeps one. `Ok(None)` when the
    /// backend has no parts or checksums to tell of (a local folder), or no such object.
    async fn head_part(&self, _key: &str, _part: Option<u32>) -> Result<Option<fetch::PartHead>> {
        Ok(None)
    }

    /// The MD5 of an object's bytes, for backends whose HEAD gives no ETag but which can read
    /// their objects cheaply (a local folder); `Ok(None)` elsewhere.
    async fn object_md5(&self, _key: &str) -> Result<Option<[u8; 16]>> {
        Ok(None)
    }

    /// The incomplete multipart uploads under `prefix`, following pagination; `Ok(None)` when
    /// the server cannot list them.
    async fn list_multipart_uploads(&self, prefix: &str) -> Result<Option<Vec<PendingUpload>>>;

    /// One page of a listing (see [`ListRequest`]).
    async fn list(&self, request: ListRequest<'_>) -> Result<Listing>;

    /// An object's details; `Ok(None)` when there is no such object.
    async fn stat(&self, key: &str) -> Result<Option<ObjectDetails>>;

    /// Deletes an object. A missing object is `Ok`, as on S3.
    async fn delete_object(&self, key: &str) -> Result<()>;

    /// Deletes up to [`MAX_DELETE_BATCH`] objects in one request; returns the keys that could
    /// not be deleted (a missing one is deleted). `Err` when the request as a whole failed.
    async fn delete_objects(&self, keys: &[String]) -> Result<Vec<DeleteFailure>>;

    /// A URL anyone can GET the object from until `expires` has passed; `Ok(None)` where the
    /// backend has no such URL (a local folder).
    async fn share_url(&self, key: &str, expires: std::time::Duration) -> Result<Option<String>>;

    /// The connection test's first steps: can the destination be reached at all (S3: DNS, TCP,
    /// TLS; a folder: it exists or can be made, and how much room is left).
    async fn reachability(&self) -> Vec<crate::connection::ConnectionStep>;

    /// Tries each optional header on a scratch object under `scratch` (ending in `/`);
    /// `None` for backends that send no such headers.
    async fn feature_checks(&self, _scratch: &str) -> Option<Vec<crate::connection::FeatureCheck>> {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn etag_forms() {
        assert!(is_md5_etag("0cc175b9c0f1b6a831c399e269772661"));
        assert!(!is_md5_etag("0cc175b9c0f1b6a831c399e26977266"));
        assert!(is_multipart_etag("0cc175b9c0f1b6a831c399e269772661-12"));
        assert!(!is_multipart_etag("0cc175b9c0f1b6a831c399e269772661-"));
        assert!(!is_multipart_etag("0cc175b9c0f1b6a831c399e269772661"));
    }

    #[test]
    fn multipart_etag_matches_s3s_formula() {
        // Two parts "a" and "b": md5(md5("a") || md5("b")) + "-2".
        let a: [u8; 16] = Md5::digest(b"a").into();
        let b: [u8; 16] = Md5::digest(b"b").into();
        let mut joined = Vec::new();
        joined.extend_from_slice(&a);
        joined.extend_from_slice(&b);
        let expected = format!("{}-2", hex::encode(Md5::digest(&joined)));
        assert_eq!(multipart_etag(&[a, b]), expected);
    }

    #[tokio::test]
    async fn digest_range_reads_only_the_range() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f");
        std::fs::write(&path, b"0123456789").unwrap();
        let d = digest_range(&path, 2, 3, Digests::BOTH).await.unwrap();
        assert_eq!(d.md5_hex(), Some(hex::encode(Md5::digest(b"234"))));
        assert_eq!(
            d.crc32c,
            Some(Checksum::of(ChecksumAlgorithm::Crc32c, b"234"))
        );
        let crc_only = digest_range(&path, 2, 3, Digests::CRC32C).await.unwrap();
        assert_eq!((crc_only.md5, crc_only.crc32c), (None, d.crc32c));
        let short = digest_range(&path, 8, 5, Digests::MD5).await.unwrap_err();
        assert_eq!(short.kind(), ErrorKind::FileChanged);
    }
}
