//! The folder backend: uploads into a local folder — a NAS mount, an external disk, or Hoist's
//! built-in default folder — with the same multipart shape as S3, so the engine's plan, resume
//! and bookkeeping work unchanged.
//!
//! It owns everything under its root folder that Hoist writes: the object files (key `a/b.jpg`
//! is the file `<root>/a/b.jpg`, folders created as needed) and the hidden staging folder:
//!
//! ```text
//! <root>/.hoist-staging/
//!     tmp-<random>                  a single PUT or a Complete being written
//!     <upload id>/                  one multipart upload (32 hex digits)
//!         key                       the object key, so a part or Complete for another key fails
//!         part-<n>                  the bytes of part n
//!         part-<n>.md5              its hex MD5 (the part's ETag), so listing does not re-hash
//!         part-<n>.tmp-<random>     part n being written
//! ```
//!
//! **Crash safety.** Nothing is ever written in place. Every file is first written under a
//! temporary name in the staging folder, which is on the same filesystem as the objects, synced,
//! and then renamed onto its real name; a rename within one filesystem is atomic, so after a
//! crash an object is either the old file or the complete new one, never a partial one. A part
//! is handled the same way, and its `.md5` sidecar is only ever changed while `part-<n>` does not
//! exist (an old part is removed first, the sidecar written, then the new part renamed in), so a
//! listed part always has the MD5 of its bytes. Complete concatenates the parts into a temp file
//! (streaming, re-hashing each part against its sidecar), syncs it, renames it onto the object,
//! and only then removes the upload folder: a crash in between leaves the upload in place, and
//! completing it again gives the same object. Folders are synced after renames (best effort on
//! filesystems that refuse it). A crash can leave `tmp-*` files in staging; they are never read.
//!
//! **ETags.** A PUT returns the MD5 of the bytes written and Complete returns S3's multipart
//! ETag ([`multipart_etag`]); a part's MD5 is checked against the engine's digest while it is
//! copied (`checksum_mismatch` on a difference, like S3's BadDigest). [`Backend::head_object`]
//! returns `etag: None`, because a plain file keeps no ETag, so the engine verifies the size only.
//!
//! Keys are mapped component by component: empty, `.` or `..` components, absolute keys, NUL,
//! a trailing `/` and the reserved first component `.hoist-staging` are refused, so no key
//! reaches outside the root. Symbolic links already inside the root are followed (they were
//! put there by the folder's owner). Errors: a full disk is `local` and says so, permission
//! denied or a read-only disk is `access_denied` naming the folder, a file where a folder is
//! needed (or the reverse) is `rejected`, and source file errors come from [`file_error`].
//!
//! [`file_error`]: crate::error::file_error

mod browse;
mod fetch;
mod fsops;
mod parts;
mod staging;

use super::fetch::{FetchReceipt, FetchRequest};
use super::{
    Backend, DeleteFailure, ListRequest, Listing, ObjectDetails, ObjectInfo, PartBody, PartDigest,
    PartReceipt, PendingUpload, multipart_etag,
};
use crate::connection::ConnectionStep;
use crate::error::{Error, ErrorKind, Result};
use crate::throttle::Throttles;
use async_trait::async_trait;
use fsops::{PumpError, TempFile, blocking, write_error};
use parts::{check_digest, check_parts, part_number, read_sidecar};
use staging::{copy_body, write_part};
use std::io;
use std::os::unix::fs::PermissionsExt;
use std::path::{Component, Path, PathBuf};
use std::sync::Arc;

/// The hidden folder inside the root that holds unfinished writes and multipart uploads.
pub const STAGING_DIR: &str = ".hoist-staging";

/// The highest part number, as on S3.
const MAX_PART_NUMBER: u32 = 10_000;

/// A local folder as an upload destination.
#[derive(Debug, Clone)]
pub struct LocalBackend {
    dirs: Arc<Dirs>,
}

/// The root and its staging folder, shared with the blocking tasks.
#[derive(Debug)]
struct Dirs {
    root: PathBuf,
    staging: PathBuf,
    /// The shared bandwidth limits for bodies written here and copied out, if the engine set
    /// them.
    throttles: Option<Throttles>,
}

impl LocalBackend {
    /// A backend writing into `root`, which must be absolute; it is created if missing.
    pub fn new(root: PathBuf) -> Result<LocalBackend> {
        if !root.is_absolute() {
            return Err(Error::new(
                ErrorKind::InvalidInput,
                format!(
                    "the destination folder '{}' is a relative path: give its full path \
                     (e.g. /mnt/nas/uploads)",
                    root.display()
                ),
            ));
        }
        std::fs::create_dir_all(&root).map_err(|e| {
            Error::new(
                ErrorKind::Local,
                format!(
                    "cannot create the destination folder {}: {e}; create it yourself, check \
                     that its disk is mounted and writable, or choose another folder",
                    root.display()
                ),
            )
            .with_source(e)
        })?;
        let staging = root.join(STAGING_DIR);
        Ok(LocalBackend {
            dirs: Arc::new(Dirs {
                root,
                staging,
                throttles: None,
            }),
        })
    }

    /// Paces the bodies written here by the upload limit and copies out by the download limit.
    pub fn with_throttles(self, throttles: Throttles) -> LocalBackend {
        LocalBackend {
            dirs: Arc::new(Dirs {
                root: self.dirs.root.clone(),
                staging: self.dirs.staging.clone(),
                throttles: Some(throttles),
            }),
        }
    }

    /// The destination folder.
    pub fn root(&self) -> &Path {
        &self.dirs.root
    }

    /// The path of `key`'s object, or `invalid_input` when the key cannot be a path inside the
    /// root.
    fn object_path(&self, key: &str) -> Result<PathBuf> {
        let bad = |why: &str| {
            Error::new(
                ErrorKind::InvalidInput,
                format!(
                    "the key '{}' cannot be stored in the folder {}: {why}",
                    key.escape_debug(),
                    self.dirs.root.display()
                ),
            )
        };
        if key.is_empty() {
            return Err(bad("it is empty"));
        }
        if key.contains('\0') {
            return Err(bad("it contains a NUL character"));
        }
        if key.starts_with('/') {
            return Err(bad("it is absolute (starts with '/')"));
        }
        if key.ends_with('/') {
            return Err(bad("it ends with '/', which names a folder, not a file"));
        }
        let mut path = self.dirs.root.clone();
        for (i, part) in key.split('/').enumerate() {
            match part {
                "" => return Err(bad("it has an empty component ('//')")),
                "." | ".." => return Err(bad(&format!("it has a '{part}' component"))),
                _ => {}
            }
            if i == 0 && part.eq_ignore_ascii_case(STAGING_DIR) {
                return Err(bad(&format!(
                    "'{STAGING_DIR}' is reserved for Hoist's unfinished uploads"
                )));
            }
            // One plain name, also by the platform's rules (no drive prefix, no `\` on Windows).
            let mut components = Path::new(part).components();
            let plain = matches!(
                (components.next(), components.next()),
                (Some(Component::Normal(name)), None) if name == part
            );
            if !plain {
                return Err(bad(&format!("'{part}' is not a plain file name here")));
            }
            path.push(part);
        }
        Ok(path)
    }
}

impl Dirs {
    /// The folder of upload `upload_id` (not checked for existence); `None` for an id this
    /// backend never makes.
    fn upload_dir(&self, upload_id: &str) -> Option<PathBuf> {
        let valid = upload_id.len() == 32
            && upload_id
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
        valid.then(|| self.staging.join(upload_id))
    }

    /// The folder of an existing upload of `key`, or `no_such_upload`.
    fn existing_upload(&self, key: &str, upload_id: &str) -> Result<PathBuf> {
        let gone = || {
            Error::new(
                ErrorKind::NoSuchUpload,
                format!(
                    "upload {} of {key} is not in {}: it was completed or aborted",
                    upload_id.escape_debug(),
                    self.staging.display()
                ),
            )
        };
        let dir = self.upload_dir(upload_id).ok_or_else(gone)?;
        match std::fs::read(dir.join("key")) {
            Ok(stored) if stored == key.as_bytes() => Ok(dir),
            Ok(_) => Err(gone()),
            Err(e) if is_absent(&e) => Err(gone()),
            Err(e) => Err(write_error(&self.root, &dir.join("key"), e)),
        }
    }
}

#[async_trait]
impl Backend for LocalBackend {
    fn describe(&self) -> String {
        format!("folder {}", self.dirs.root.display())
    }

    fn probe_url(&self) -> Option<String> {
        None
    }

    async fn put_object(
        &self,
        key: &str,
        body: PartBody,
        digest: PartDigest,
    ) -> Result<ObjectInfo> {
        let target = self.object_path(key)?;
        let dirs = Arc::clone(&self.dirs);
        let key = key.to_string();
        blocking(move |cancelled| {
            let root = &dirs.root;
            fsops::make_dirs(root, &dirs.staging)?;
            let (temp, md5) = copy_body(&dirs, &dirs.staging, "tmp-", &body, cancelled)?;
            check_digest(&md5, &digest, || format!("the bytes written for {key}"))?;
            if let Some(parent) = target.parent() {
                fsops::make_object_dirs(root, parent)?;
            }
            temp.persist(root, &target)?;
            fsops::sync_dir(target.parent().unwrap_or(root));
            Ok(ObjectInfo {
                size: body.length,
                etag: Some(hex::encode(md5)),
                checksum: None,
            })
        })
        .await
    }

    async fn create_multipart(
        &self,
        key: &str,
        _checksum: Option<crate::digest::ChecksumAlgorithm>,
    ) -> Result<String> {
        self.object_path(key)?;
        let dirs = Arc::clone(&self.dirs);
        let key = key.to_string();
        blocking(move |_| {
            let root = &dirs.root;
            fsops::make_dirs(root, &dirs.staging)?;
            let id = format!("{:032x}", rand::random::<u128>());
            let dir = dirs.staging.join(&id);
            std::fs::create_dir(&dir).map_err(|e| write_error(root, &dir, e))?;
            // Until `key` exists the folder is not an upload (an abort or a lookup says so).
            fsops::write_small(root, &dir.join("key"), key.as_bytes())?;
            fsops::sync_dir(&dir);
            fsops::sync_dir(&dirs.staging);
            Ok(id)
        })
        .await
    }

    async fn upload_part(
        &self,
        key: &str,
        upload_id: &str,
        part_number: u32,
        body: PartBody,
        digest: PartDigest,
    ) -> Result<PartReceipt> {
        self.object_path(key)?;
        if !(1..=MAX_PART_NUMBER).contains(&part_number) {
            return Err(Error::new(
                ErrorKind::InvalidInput,
                format!("part number {part_number} of {key} is not between 1 and 10000"),
            ));
        }
        let dirs = Arc::clone(&self.dirs);
        let (key, upload_id) = (key.to_string(), upload_id.to_string());
        blocking(move |cancelled| {
            let dir = dirs.existing_upload(&key, &upload_id)?;
            match write_part(&dirs, &dir, part_number, &body, &digest, cancelled) {
                // Aborted (or completed) while the part was being written.
                Err(e) if !dir.join("key").exists() => Err(Error::new(
                    ErrorKind::NoSuchUpload,
                    format!(
                        "upload {upload_id} of {key} ended while part {part_number} was written"
                    ),
                )
                .with_source(e)),
                Err(e) => Err(e),
                Ok(md5) => Ok(PartReceipt {
                    part_number,
                    size: body.length,
                    etag: hex::encode(md5),
                    md5: None,
                    crc32c: None,
                }),
            }
        })
        .await
    }

    async fn list_parts(&self, key: &str, upload_id: &str) -> Result<Option<Vec<PartReceipt>>> {
        self.object_path(key)?;
        let dirs = Arc::clone(&self.dirs);
        let (key, upload_id) = (key.to_string(), upload_id.to_string());
        blocking(move |_| {
            let dir = dirs.existing_upload(&key, &upload_id)?;
            let root = &dirs.root;
            let entries = std::fs::read_dir(&dir).map_err(|e| write_error(root, &dir, e))?;
            let mut parts = Vec::new();
            for entry in entries {
                let entry = entry.map_err(|e| write_error(root, &dir, e))?;
                let Some(number) = entry.file_name().to_str().and_then(part_number) else {
                    continue;
                };
                // A part without a readable sidecar (a crash mid-write) is not listed.
                let Some(md5) = read_sidecar(&dir, number) else {
                    continue;
                };
                let meta = entry.metadata().map_err(|e| write_error(root, &dir, e))?;
                if meta.is_file() {
                    parts.push(PartReceipt {
                        part_number: number,
                        size: meta.len(),
                        etag: hex::encode(md5),
                        md5: None,
                        crc32c: None,
                    });
                }
            }
            parts.sort_by_key(|p| p.part_number);
            Ok(Some(parts))
        })
        .await
    }

    async fn complete_multipart(
        &self,
        key: &str,
        upload_id: &str,
        parts: &[PartReceipt],
    ) -> Result<ObjectInfo> {
        let target = self.object_path(key)?;
        let dirs = Arc::clone(&self.dirs);
        let (key, upload_id) = (key.to_string(), upload_id.to_string());
        let parts = parts.to_vec();
        blocking(move |cancelled| {
            let dir = dirs.existing_upload(&key, &upload_id)?;
            let md5s = check_parts(&dir, &key, &parts)?;
            let root = &dirs.root;
            fsops::make_dirs(root, &dirs.staging)?;
            let mut temp = TempFile::create(root, &dirs.staging, "tmp-")?;
            // Parts carry their source's mode (see `copy_body`); the object gets the first's.
            if let Some(first) = parts.first() {
                let path = dir.join(format!("part-{}", first.part_number));
                let meta = std::fs::metadata(&path).map_err(|e| write_error(root, &path, e))?;
                temp.set_mode(root, meta.permissions().mode())?;
            }
            for (part, expected) in parts.iter().zip(&md5s) {
                let path = dir.join(format!("part-{}", part.part_number));
                let mut src = std::fs::File::open(&path).map_err(|e| write_error(root, &path, e))?;
                let meter = fsops::Meter::default();
                let copied = fsops::pump(&mut src, &mut temp.file, part.size, meter, cancelled);
                let md5 = match copied {
                    Ok(md5) => md5,
                    Err(PumpError::Write(e)) => return Err(write_error(root, &temp.path, e)),
                    Err(PumpError::Read(e)) => return Err(write_error(root, &path, e)),
                    Err(PumpError::Cancelled) => return Err(fsops::cancelled()),
                    Err(PumpError::Short) => [0; 16],
                };
                if md5 != *expected {
                    // Changed on disk since it was written: drop it so listing no longer offers it.
                    fsops::remove_if_present(root, &path)?;
                    return Err(Error::new(
                        ErrorKind::PartLost,
                        format!(
                            "part {} of {key} changed on disk in {} after it was uploaded: \
                             upload it again",
                            part.part_number,
                            dirs.staging.display()
                        ),
                    ));
                }
            }
            temp.sync(root)?;
            if let Some(parent) = target.parent() {
                fsops::make_object_dirs(root, parent)?;
            }
            temp.persist(root, &target)?;
            fsops::sync_dir(target.parent().unwrap_or(root));
            if let Err(e) = std::fs::remove_dir_all(&dir) {
                tracing::warn!(dir = %dir.display(), error = %e, "cannot remove a completed upload");
            }
            fsops::sync_dir(&dirs.staging);
            Ok(ObjectInfo {
                size: parts.iter().map(|p| p.size).sum(),
                etag: Some(multipart_etag(&md5s)),
                checksum: None,
            })
        })
        .await
    }

    async fn abort_multipart(&self, key: &str, upload_id: &str) -> Result<()> {
        self.object_path(key)?;
        let Some(dir) = self.dirs.upload_dir(upload_id) else {
            return Ok(());
        };
        let dirs = Arc::clone(&self.dirs);
        let key = key.to_string();
        blocking(move |_| {
            match std::fs::read(dir.join("key")) {
                // Another key's upload is not this one: as unknown, leave it alone.
                Ok(stored) if stored != key.as_bytes() => return Ok(()),
                Ok(_) => {}
                Err(e) if e.kind() == io::ErrorKind::NotFound => {}
                Err(e) => return Err(write_error(&dirs.root, &dir, e)),
            }
            match std::fs::remove_dir_all(&dir) {
                Err(e) if e.kind() != io::ErrorKind::NotFound => {
                    Err(write_error(&dirs.root, &dir, e))
                }
                _ => {
                    fsops::sync_dir(&dirs.staging);
                    Ok(())
                }
            }
        })
        .await
    }

    async fn head_object(&self, key: &str) -> Result<Option<ObjectInfo>> {
        let path = self.object_path(key)?;
        match tokio::fs::metadata(&path).await {
            Ok(meta) if meta.is_file() => Ok(Some(ObjectInfo {
                size: meta.len(),
                etag: None,
                checksum: None,
            })),
            // A folder is not an object, as on S3 (where `a/` is only a prefix).
            Ok(_) => Ok(None),
            Err(e) if is_absent(&e) => Ok(None),
            Err(e) => Err(write_error(&self.dirs.root, &path, e)),
        }
    }

    async fn object_md5(&self, key: &str) -> Result<Option<[u8; 16]>> {
        let Some(info) = self.head_object(key).await? else {
            return Ok(None);
        };
        let path = self.object_path(key)?;
        Ok(Some(super::md5_range(&path, 0, info.size).await?))
    }

    /// Upload folders in staging whose `key` file starts with `prefix`; started = the folder's
    /// modification time.
    async fn list_multipart_uploads(&self, prefix: &str) -> Result<Option<Vec<PendingUpload>>> {
        let dirs = Arc::clone(&self.dirs);
        let prefix = prefix.to_string();
        blocking(move |_| {
            let entries = match std::fs::read_dir(&dirs.staging) {
                Ok(entries) => entries,
                Err(e) if is_absent(&e) => return Ok(Some(Vec::new())),
                Err(e) => return Err(write_error(&dirs.root, &dirs.staging, e)),
            };
            let mut uploads = Vec::new();
            for entry in entries.flatten() {
                let upload_id = entry.file_name().to_string_lossy().into_owned();
                let Some(dir) = dirs.upload_dir(&upload_id) else {
                    continue;
                };
                let Ok(key) = std::fs::read(dir.join("key")).map(String::from_utf8) else {
                    continue;
                };
                let Ok(key) = key else { continue };
                if !key.starts_with(&prefix) {
                    continue;
                }
                let initiated = entry
                    .metadata()
                    .and_then(|m| m.modified())
                    .ok()
                    .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
                    .map(|d| d.as_secs() as i64);
                uploads.push(PendingUpload {
                    key,
                    upload_id,
                    initiated,
                });
            }
            uploads.sort_by(|a, b| (&a.key, &a.upload_id).cmp(&(&b.key, &b.upload_id)));
            Ok(Some(uploads))
        })
        .await
    }

    async fn fetch(&self, key: &str, request: &FetchRequest<'_>) -> Result<FetchReceipt> {
        self.copy_range(key, request).await
    }

    async fn list(&self, request: ListRequest<'_>) -> Result<Listing> {
        self.list_page(request).await
    }

    async fn stat(&self, key: &str) -> Result<Option<ObjectDetails>> {
        self.details(key).await
    }

    async fn delete_object(&self, key: &str) -> Result<()> {
        self.delete(key).await
    }

    async fn delete_objects(&self, keys: &[String]) -> Result<Vec<DeleteFailure>> {
        self.delete_many(keys).await
    }

    /// A folder has no URL to share.
    async fn share_url(&self, _key: &str, _expires: std::time::Duration) -> Result<Option<String>> {
        Ok(None)
    }

    async fn reachability(&self) -> Vec<ConnectionStep> {
        self.folder_steps()
    }
}

/// Whether an error says there is no such file (or a file stands where a folder should).
fn is_absent(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::NotFound | io::ErrorKind::NotADirectory
    )
}
