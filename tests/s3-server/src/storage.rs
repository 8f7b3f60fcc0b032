//! File-backed storage with exact S3 multipart semantics.
//!
//! Objects and parts live as files in a temp directory (request bodies are streamed to disk
//! while their MD5 and CRC32C are computed, so 1 GiB uploads never sit in memory); the
//! bookkeeping (buckets, objects, pending uploads and their parts) is in memory behind one
//! mutex. Errors are S3 errors, ready for s3s to serialize.

use crate::faults::lock;
use crate::files::{self, Expected, Written, base64_encode, concat_files, drain, remove_file};

use std::collections::{BTreeMap, HashMap};
use std::io;
use std::path::PathBuf;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::SystemTime;

use md5::{Digest, Md5};
use s3s::{S3Error, S3Result, s3_error};

/// Every part of a completed upload except the last must be at least this big.
pub(crate) const MIN_PART_SIZE: u64 = 5 * 1024 * 1024;
/// Part numbers are 1..=10000.
pub(crate) const MAX_PART_NUMBER: u32 = 10_000;

/// An object's bytes on disk and its metadata.
#[derive(Debug, Clone)]
pub(crate) struct StoredObject {
    pub path: PathBuf,
    pub size: u64,
    /// Unquoted: md5 hex, or `<md5 of part md5s>-<N>` for multipart objects.
    pub etag: String,
    pub modified: SystemTime,
    pub content_type: Option<String>,
    /// A multipart object's parts in order (size, base64 CRC32C if the client sent one); empty
    /// for an object put in one request.
    pub parts: Vec<(u64, Option<String>)>,
    /// The whole object's base64 CRC32C, for an object put in one request with one.
    pub crc32c: Option<String>,
}

/// One uploaded part of a pending multipart upload.
#[derive(Debug, Clone)]
pub(crate) struct StoredPart {
    pub path: PathBuf,
    pub size: u64,
    pub md5: [u8; 16],
    /// Base64 CRC32C when the client sent one.
    pub crc32c: Option<String>,
    pub modified: SystemTime,
}

impl StoredPart {
    pub fn etag(&self) -> String {
        hex::encode(self.md5)
    }
}

/// A pending upload as listed by ListMultipartUploads.
#[derive(Debug, Clone)]
pub(crate) struct PendingUpload {
    pub key: String,
    pub upload_id: String,
    pub initiated: SystemTime,
}

struct Upload {
    key: String,
    initiated: SystemTime,
    seq: u64,
    content_type: Option<String>,
    parts: BTreeMap<u32, StoredPart>,
}

struct Bucket {
    created: SystemTime,
    objects: BTreeMap<String, StoredObject>,
    uploads: HashMap<String, Upload>,
}

#[derive(Default)]
struct State {
    buckets: BTreeMap<String, Bucket>,
    upload_seq: u64,
}

impl State {
    fn bucket(&self, name: &str) -> S3Result<&Bucket> {
        self.buckets
            .get(name)
            .ok_or_else(|| s3_error!(NoSuchBucket))
    }

    fn bucket_mut(&mut self, name: &str) -> S3Result<&mut Bucket> {
        self.buckets
            .get_mut(name)
            .ok_or_else(|| s3_error!(NoSuchBucket))
    }

    fn upload_mut(&mut self, bucket: &str, key: &str, upload_id: &str) -> S3Result<&mut Upload> {
        self.bucket_mut(bucket)?
            .uploads
            .get_mut(upload_id)
            .filter(|u| u.key == key)
            .ok_or_else(no_such_upload)
    }
}

fn no_such_upload() -> S3Error {
    s3_error!(
        NoSuchUpload,
        "The specified upload does not exist. The upload ID may be invalid, or the upload may have been aborted or completed."
    )
}

/// The server's storage: a temp directory plus the in-memory index.
pub(crate) struct Storage {
    dir: tempfile::TempDir,
    state: Mutex<State>,
    next_file: AtomicU64,
}

impl Storage {
    pub fn new() -> io::Result<Self> {
        let dir = tempfile::Builder::new()
            .prefix("hoist-test-s3-")
            .tempdir()?;
        Ok(Self {
            dir,
            state: Mutex::default(),
            next_file: AtomicU64::new(0),
        })
    }

    fn new_path(&self) -> PathBuf {
        let n = self.next_file.fetch_add(1, Ordering::SeqCst);
        self.dir.path().join(format!("{n:08}.bin"))
    }

    /// Creates a bucket; false if it already existed.
    pub fn create_bucket(&self, name: &str) -> bool {
        let mut st = lock(&self.state);
        if st.buckets.contains_key(name) {
            return false;
        }
        let bucket = Bucket {
            created: SystemTime::now(),
            objects: BTreeMap::new(),
            uploads: HashMap::new(),
        };
        st.buckets.insert(name.to_owned(), bucket);
        true
    }

    pub fn check_bucket(&self, name: &str) -> S3Result<()> {
        lock(&self.state).bucket(name).map(|_| ())
    }

    pub fn buckets(&self) -> Vec<(String, SystemTime)> {
        let st = lock(&self.state);
        st.buckets
            .iter()
            .map(|(n, b)| (n.clone(), b.created))
            .collect()
    }

    pub fn object(&self, bucket: &str, key: &str) -> S3Result<StoredObject> {
        let st = lock(&self.state);
        st.bucket(bucket)?
            .objects
            .get(key)
            .cloned()
            .ok_or_else(|| s3_error!(NoSuchKey))
    }

    /// Objects whose key starts with `prefix` and sorts after `after`, in key order.
    pub fn objects(
        &self,
        bucket: &str,
        prefix: &str,
        after: &str,
    ) -> S3Result<Vec<(String, StoredObject)>> {
        let st = lock(&self.state);
        let objects = &st.bucket(bucket)?.objects;
        let start = if after > prefix { after } else { prefix };
        Ok(objects
            .range::<str, _>((std::ops::Bound::Included(start), std::ops::Bound::Unbounded))
            .filter(|(k, _)| k.as_str() > after)
            .take_while(|(k, _)| k.starts_with(prefix))
            .map(|(k, o)| (k.clone(), o.clone()))
            .collect())
    }

    pub fn delete_object(&self, bucket: &str, key: &str) -> S3Result<()> {
        let removed = lock(&self.state).bucket_mut(bucket)?.objects.remove(key);
        if let Some(old) = removed {
            remove_file(&old.path);
        }
        Ok(())
    }

    pub async fn put_object(
        &self,
        bucket: &str,
        key: &str,
        body: Option<s3s::dto::StreamingBlob>,
        expected: Expected,
        content_type: Option<String>,
    ) -> S3Result<StoredObject> {
        if let Err(e) = self.check_bucket(bucket) {
            drain(body).await;
            return Err(e);
        }
        let crc_sent = expected.crc32c.is_some() || expected.trailers.is_some();
        let written = self.write_body(body, expected).await?;
        let object = StoredObject {
            path: written.path,
            size: written.size,
            etag: hex::encode(written.md5),
            modified: SystemTime::now(),
            content_type,
            parts: Vec::new(),
            crc32c: crc_sent.then(|| base64_encode(&written.crc32c.to_be_bytes())),
        };
        self.insert_object(bucket, key, object.clone())?;
        Ok(object)
    }

    pub fn set_etag(&self, bucket: &str, key: &str, etag: &str) {
        if let Ok(b) = lock(&self.state).bucket_mut(bucket)
            && let Some(object) = b.objects.get_mut(key)
        {
            object.etag = etag.to_owned();
        }
    }

    fn insert_object(&self, bucket: &str, key: &str, object: StoredObject) -> S3Result<()> {
        let inserted = lock(&self.state)
            .bucket_mut(bucket)
            .map(|b| b.objects.insert(key.to_owned(), object.clone()));
        match inserted {
            Ok(old) => {
                if let Some(old) = old {
                    remove_file(&old.path);
                }
                Ok(())
            }
            Err(e) => {
                remove_file(&object.path);
                Err(e)
            }
        }
    }

    /// Starts a multipart upload; every call gets a new random upload id.
    pub fn create_upload(
        &self,
        bucket: &str,
        key: &str,
        content_type: Option<String>,
    ) -> S3Result<String> {
        let mut st = lock(&self.state);
        st.upload_seq += 1;
        let seq = st.upload_seq;
        let upload_id = format!(
            "{:032x}{:016x}",
            rand::random::<u128>(),
            rand::random::<u64>()
        );
        let upload = Upload {
            key: key.to_owned(),
            initiated: SystemTime::now(),
            seq,
            content_type,
            parts: BTreeMap::new(),
        };
        st.bucket_mut(bucket)?
            .uploads
            .insert(upload_id.clone(), upload);
        Ok(upload_id)
    }

    /// Stores a part; a part number uploaded again replaces the earlier part.
    pub async fn upload_part(
        &self,
        bucket: &str,
        key: &str,
        upload_id: &str,
        part_number: u32,
        body: Option<s3s::dto::StreamingBlob>,
        expected: Expected,
    ) -> S3Result<StoredPart> {
        let precheck = if (1..=MAX_PART_NUMBER).contains(&part_number) {
            lock(&self.state)
                .upload_mut(bucket, key, upload_id)
                .map(|_| ())
        } else {
            Err(s3_error!(
                InvalidArgument,
                "Part number must be an integer between 1 and 10000, inclusive"
            ))
        };
        if let Err(e) = precheck {
            drain(body).await;
            return Err(e);
        }
        let crc_sent = expected.crc32c.is_some();
        let written = self.write_body(body, expected).await?;
        let part = StoredPart {
            path: written.path,
            size: written.size,
            md5: written.md5,
            crc32c: crc_sent.then(|| base64_encode(&written.crc32c.to_be_bytes())),
            modified: SystemTime::now(),
        };
        let replaced = {
            let mut st = lock(&self.state);
            match st.upload_mut(bucket, key, upload_id) {
                Ok(upload) => Ok(upload.parts.insert(part_number, part.clone())),
                Err(e) => Err(e),
            }
        };
        match replaced {
            Ok(old) => {
                if let Some(old) = old {
                    remove_file(&old.path);
                }
                Ok(part)
            }
            Err(e) => {
                remove_file(&part.path);
                Err(e)
            }
        }
    }

    /// The parts of a pending upload, sorted by part number.
    pub fn parts(
        &self,
        bucket: &str,
        key: &str,
        upload_id: &str,
    ) -> S3Result<Vec<(u32, StoredPart)>> {
        let mut st = lock(&self.state);
        let upload = st.upload_mut(bucket, key, upload_id)?;
        Ok(upload.parts.iter().map(|(n, p)| (*n, p.clone())).collect())
    }

    /// Completes an upload from the listed (part number, ETag) pairs.
    pub async fn complete(
        &self,
        bucket: &str,
        key: &str,
        upload_id: &str,
        listed: &[(u32, String)],
        listed_crcs: &[Option<String>],
    ) -> S3Result<StoredObject> {
        let (chosen, all_parts, content_type) = {
            let mut st = lock(&self.state);
            let upload = st.upload_mut(bucket, key, upload_id)?;
            let chosen = validate_completion(listed, &upload.parts)?;
            crate::parts::check_listed_checksums(&chosen, listed_crcs)?;
            let upload = st
                .bucket_mut(bucket)?
                .uploads
                .remove(upload_id)
                .ok_or_else(no_such_upload)?;
            (chosen, upload.parts, upload.content_type)
        };
        let path = self.new_path();
        let sources: Vec<PathBuf> = chosen.iter().map(|p| p.path.clone()).collect();
        let dest = path.clone();
        let assembled = tokio::task::spawn_blocking(move || concat_files(&dest, &sources)).await;
        for part in all_parts.values() {
            remove_file(&part.path);
        }
        match assembled {
            Ok(Ok(())) => {}
            Ok(Err(e)) => return Err(S3Error::internal_error(e)),
            Err(e) => return Err(S3Error::internal_error(e)),
        }
        let mut md5s = Md5::new();
        for part in &chosen {
            md5s.update(part.md5);
        }
        let object = StoredObject {
            path,
            size: chosen.iter().map(|p| p.size).sum(),
            etag: format!("{}-{}", hex::encode(md5s.finalize()), chosen.len()),
            modified: SystemTime::now(),
            content_type,
            parts: chosen.iter().map(|p| (p.size, p.crc32c.clone())).collect(),
            crc32c: crate::parts::composite_crc32c(&chosen),
        };
        self.insert_object(bucket, key, object.clone())?;
        Ok(object)
    }

    pub fn abort(&self, bucket: &str, key: &str, upload_id: &str) -> S3Result<()> {
        let upload = {
            let mut st = lock(&self.state);
            st.upload_mut(bucket, key, upload_id)?;
            st.bucket_mut(bucket)?.uploads.remove(upload_id)
        };
        for part in upload.iter().flat_map(|u| u.parts.values()) {
            remove_file(&part.path);
        }
        Ok(())
    }

    /// Deletes an upload id whatever its key (fault injection).
    pub fn forget_upload(&self, bucket: &str, upload_id: &str) {
        let upload = lock(&self.state)
            .buckets
            .get_mut(bucket)
            .and_then(|b| b.uploads.remove(upload_id));
        for part in upload.iter().flat_map(|u| u.parts.values()) {
            remove_file(&part.path);
        }
    }

    /// Deletes one part of an upload id (fault injection).
    pub fn forget_part(&self, bucket: &str, upload_id: &str, number: u32) {
        let part = lock(&self.state)
            .buckets
            .get_mut(bucket)
            .and_then(|b| b.uploads.get_mut(upload_id))
            .and_then(|u| u.parts.remove(&number));
        if let Some(part) = part {
            remove_file(&part.path);
        }
    }

    /// Pending uploads whose key starts with `prefix`, by key then initiation.
    pub fn uploads(&self, bucket: &str, prefix: &str) -> S3Result<Vec<PendingUpload>> {
        let st = lock(&self.state);
        let mut uploads: Vec<(&Upload, &String)> = st
            .bucket(bucket)?
            .uploads
            .iter()
            .filter(|(_, u)| u.key.starts_with(prefix))
            .map(|(id, u)| (u, id))
            .collect();
        uploads.sort_by(|a, b| (&a.0.key, a.0.seq).cmp(&(&b.0.key, b.0.seq)));
        Ok(uploads
            .into_iter()
            .map(|(u, id)| PendingUpload {
                key: u.key.clone(),
                upload_id: id.clone(),
                initiated: u.initiated,
            })
            .collect())
    }

    /// Streams a body to a new file and checks the integrity values the client sent.
    async fn write_body(
        &self,
        body: Option<s3s::dto::StreamingBlob>,
        expected: Expected,
    ) -> S3Result<Written> {
        files::write_verified(self.new_path(), body, expected).await
    }

    /// Stores small objects directly (each holding its own key as bytes), for tests that need
    /// many keys without sending a request for each.
    pub fn seed(&self, bucket: &str, keys: &[String]) -> io::Result<()> {
        use md5::Digest as _;
        for key in keys {
            let path = self.new_path();
            std::fs::write(&path, key.as_bytes())?;
            let object = StoredObject {
                path,
                size: key.len() as u64,
                etag: hex::encode(md5::Md5::digest(key.as_bytes())),
                modified: SystemTime::now(),
                content_type: None,
                parts: Vec::new(),
                crc32c: None,
            };
            self.insert_object(bucket, key, object)
                .map_err(|e| io::Error::other(format!("{e:?}")))?;
        }
        Ok(())
    }

    pub fn object_path(&self, bucket: &str, key: &str) -> Option<PathBuf> {
        self.object(bucket, key).ok().map(|o| o.path)
    }

    pub fn keys(&self, bucket: &str) -> Vec<String> {
        let st = lock(&self.state);
        st.buckets
            .get(bucket)
            .map(|b| b.objects.keys().cloned().collect())
            .unwrap_or_default()
    }
}

/// Checks a CompleteMultipartUpload part list against the stored parts and returns the
/// chosen parts in order.
fn validate_completion(
    listed: &[(u32, String)],
    parts: &BTreeMap<u32, StoredPart>,
) -> S3Result<Vec<StoredPart>> {
    if listed.is_empty() {
        return Err(s3_error!(
            MalformedXML,
            "You must specify at least one part"
        ));
    }
    if listed.windows(2).any(|w| w[0].0 >= w[1].0) {
        return Err(s3_error!(
            InvalidPartOrder,
            "The list of parts was not in ascending order. Parts must be ordered by part number."
        ));
    }
    let mut chosen = Vec::with_capacity(listed.len());
    for (number, etag) in listed {
        let wanted = etag.trim_matches('"').to_ascii_lowercase();
        match parts.get(number) {
            Some(part) if part.etag() == wanted => chosen.push(part.clone()),
            _ => {
                return Err(s3_error!(
                    InvalidPart,
                    "One or more of the specified parts could not be found. The part may not have been uploaded, or the specified entity tag may not match the part's entity tag. (part {number})"
                ));
            }
        }
    }
    let last = chosen.len() - 1;
    if chosen[..last].iter().any(|p| p.size < MIN_PART_SIZE) {
        return Err(s3_error!(
            EntityTooSmall,
            "Your proposed upload is smaller than the minimum allowed object size."
        ));
    }
    Ok(chosen)
}

#[cfg(test)]
mod tests {
    use super::*;
    use s3s::S3ErrorCode;

    fn part(size: u64, md5: [u8; 16]) -> StoredPart {
        StoredPart {
            path: PathBuf::new(),
            size,
            md5,
            crc32c: None,
            modified: SystemTime::now(),
        }
    }

    #[test]
    fn completion_rules() {
        let mut parts = BTreeMap::new();
        parts.insert(1, part(MIN_PART_SIZE, [1; 16]));
        parts.insert(2, part(1, [2; 16]));
        parts.insert(3, part(MIN_PART_SIZE, [3; 16]));
        let e = |n: u32| {
            (
                n,
                format!("\"{}\"", hex::encode([u8::try_from(n).unwrap(); 16])),
            )
        };
        assert_eq!(validate_completion(&[e(1), e(2)], &parts).unwrap().len(), 2);
        let code = |r: S3Result<Vec<StoredPart>>| r.unwrap_err().code().clone();
        assert_eq!(
            code(validate_completion(&[], &parts)),
            S3ErrorCode::MalformedXML
        );
        assert_eq!(
            code(validate_completion(&[e(2), e(1)], &parts)),
            S3ErrorCode::InvalidPartOrder
        );
        assert_eq!(
            code(validate_completion(&[e(1), e(1)], &parts)),
            S3ErrorCode::InvalidPartOrder
        );
        assert_eq!(
            code(validate_completion(&[e(1), (2, "\"00\"".into())], &parts)),
            S3ErrorCode::InvalidPart
        );
        assert_eq!(
            code(validate_completion(&[e(1), e(4)], &parts)),
            S3ErrorCode::InvalidPart
        );
        assert_eq!(
            code(validate_completion(&[e(2), e(3)], &parts)),
            S3ErrorCode::EntityTooSmall
        );
    }
}
