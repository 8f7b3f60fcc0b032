//! Browsing a folder destination as S3 would show it: a listing page of one folder (files are
//! objects, sub-folders are prefixes) or of everything below it, in S3's order (the keys'
//! bytes: a folder `a` sorts as `a/`), with the staging folder hidden; details of one file;
//! deleting objects (and the folders they leave empty, which S3 would not show), never outside
//! the root; and the connection test's first steps.

use super::fsops::{blocking, write_error};
use super::{LocalBackend, STAGING_DIR, is_absent};
use crate::backend::{DeleteFailure, ListRequest, Listing, ObjectDetails, ObjectEntry};
use crate::connection::ConnectionStep;
use crate::error::{Error, ErrorKind, Result};
use std::path::{Path, PathBuf};
use std::time::UNIX_EPOCH;

impl LocalBackend {
    /// The folder a listing prefix names: empty for the root, else `a/b/`.
    fn prefix_dir(&self, prefix: &str) -> Result<PathBuf> {
        if prefix.is_empty() {
            return Ok(self.dirs.root.clone());
        }
        let Some(folder) = prefix.strip_suffix('/') else {
            return Err(Error::new(
                ErrorKind::InvalidInput,
                format!("the prefix '{}' must end with '/'", prefix.escape_debug()),
            ));
        };
        self.object_path(folder)
    }

    pub(super) async fn list_page(&self, list: ListRequest<'_>) -> Result<Listing> {
        let dir = self.prefix_dir(list.prefix)?;
        let root = self.dirs.root.clone();
        let prefix = list.prefix.to_string();
        let after = list.page.map(str::to_string);
        let limit = list.limit.max(1) as usize;
        let recursive = list.recursive;
        blocking(move |stop| {
            let mut page = Page {
                root: &root,
                after: after.as_deref(),
                limit,
                recursive,
                listing: Listing::default(),
                last: None,
                stop,
            };
            if page.walk(&dir, &prefix)? {
                page.listing.next = page.last.take();
            }
            Ok(page.listing)
        })
        .await
    }

    pub(super) async fn details(&self, key: &str) -> Result<Option<ObjectDetails>> {
        let path = self.object_path(key)?;
        let meta = match tokio::fs::metadata(&path).await {
            Ok(meta) if meta.is_file() => meta,
            Ok(_) => return Ok(None),
            Err(e) if is_absent(&e) => return Ok(None),
            Err(e) => return Err(write_error(&self.dirs.root, &path, e)),
        };
        Ok(Some(ObjectDetails {
            key: key.to_string(),
            size: meta.len(),
            modified: modified(&meta),
            etag: None,
            content_type: Some(crate::backend::content_type::for_key(key).to_string()),
            storage_class: None,
            cache_control: None,
            metadata: Default::default(),
        }))
    }

    pub(super) async fn delete_many(&self, keys: &[String]) -> Result<Vec<DeleteFailure>> {
        let mut failed = Vec::new();
        for key in keys {
            if let Err(e) = self.delete(key).await {
                failed.push(DeleteFailure {
                    key: key.clone(),
                    error: e.kind(),
                    message: e.message().to_string(),
                });
            }
        }
        Ok(failed)
    }

    pub(super) async fn delete(&self, key: &str) -> Result<()> {
        let path = self.object_path(key)?;
        let root = self.dirs.root.clone();
        blocking(move |_| {
            match std::fs::remove_file(&path) {
                Ok(()) => {}
                Err(e) if is_absent(&e) => return Ok(()),
                Err(e) => return Err(write_error(&root, &path, e)),
            }
            remove_empty_parents(&root, &path);
            Ok(())
        })
        .await
    }

    /// The folder exists (it was made when the backend was) and how much room is left.
    pub(super) fn folder_steps(&self) -> Vec<ConnectionStep> {
        let root = &self.dirs.root;
        let mut steps = vec![ConnectionStep::ok(
            "folder",
            true,
            format!("{} exists", root.display()),
        )];
        if let Some(free) = free_space(root) {
            steps.push(ConnectionStep::ok(
                "free space",
                false,
                format!("{:.1} GiB free", free as f64 / (1u64 << 30) as f64),
            ));
        }
        steps
    }
}

/// One listing page being filled by a walk in key order.
struct Page<'a> {
    root: &'a Path,
    after: Option<&'a str>,
    limit: usize,
    recursive: bool,
    listing: Listing,
    /// The last key (or folder prefix) put in the page: the next page starts after it.
    last: Option<String>,
    stop: &'a std::sync::atomic::AtomicBool,
}

impl Page<'_> {
    /// Adds the entries of `dir` (whose keys start with `prefix`) after `self.after`; true when
    /// the page filled up with more left.
    fn walk(&mut self, dir: &Path, prefix: &str) -> Result<bool> {
        if self.stop.load(std::sync::atomic::Ordering::Relaxed) {
            return Err(super::fsops::cancelled());
        }
        let entries = match std::fs::read_dir(dir) {
            Ok(entries) => entries,
            Err(e) if is_absent(&e) => return Ok(false),
            Err(e) => return Err(write_error(self.root, dir, e)),
        };
        // (key as S3 orders it: a folder with its '/'; is a folder; its path). The kind comes
        // from the directory entry (no stat); only links are resolved here, and only the
        // entries that make it into the page are stat'ed, so a page of a folder with 100,000
        // files costs one directory read and a sort, not 100,000 stats.
        let mut found = Vec::new();
        for entry in entries {
            let entry = entry.map_err(|e| write_error(self.root, dir, e))?;
            let Ok(name) = entry.file_name().into_string() else {
                tracing::warn!(folder = %dir.display(), "skipped a file name that is not UTF-8");
                continue;
            };
            if prefix.is_empty() && name.eq_ignore_ascii_case(STAGING_DIR) {
                continue;
            }
            let Ok(kind) = entry.file_type() else {
                continue;
            };
            // Links are followed as uploads into the folder follow them, but a linked folder
            // is not walked into by a recursive listing (it could loop).
            let (is_dir, is_file) = if kind.is_symlink() {
                match std::fs::metadata(entry.path()) {
                    Ok(meta) if meta.is_dir() && self.recursive => continue,
                    Ok(meta) => (meta.is_dir(), meta.is_file()),
                    Err(_) => continue,
                }
            } else {
                (kind.is_dir(), kind.is_file())
            };
            if is_dir {
                found.push((format!("{prefix}{name}/"), true, entry.path()));
            } else if is_file {
                found.push((format!("{prefix}{name}"), false, entry.path()));
            }
        }
        found.sort_by(|a, b| a.0.cmp(&b.0));
        for (key, is_dir, path) in found {
            if is_dir && self.recursive {
                // Every key below starts with `key`: skip the folder when all of them come
                // before the page's start.
                if self
                    .after
                    .is_some_and(|after| after > key.as_str() && !after.starts_with(&key))
                {
                    continue;
                }
                if self.walk(&path, &key)? {
                    return Ok(true);
                }
                continue;
            }
            if self.after.is_some_and(|after| key.as_str() <= after) {
                continue;
            }
            if self.listing.folders.len() + self.listing.objects.len() == self.limit {
                return Ok(true);
            }
            if is_dir {
                self.listing.folders.push(key.clone());
            } else {
                // Gone since the directory was read: not listed.
                let Ok(meta) = std::fs::metadata(&path) else {
                    continue;
                };
                self.listing.objects.push(ObjectEntry {
                    key: key.clone(),
                    size: meta.len(),
                    modified: modified(&meta),
                    etag: None,
                    storage_class: None,
                });
            }
            self.last = Some(key);
        }
        Ok(false)
    }
}

fn modified(meta: &std::fs::Metadata) -> Option<i64> {
    meta.modified()
        .ok()
        .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
        .map(|d| d.as_secs() as i64)
}

/// Removes the folders above a deleted object that are now empty, up to (not including) the
/// root. Best effort: a folder another process just wrote into stays.
fn remove_empty_parents(root: &Path, object: &Path) {
    let mut dir = object.parent();
    while let Some(current) = dir {
        if current == root || !current.starts_with(root) || std::fs::remove_dir(current).is_err() {
            break;
        }
        dir = current.parent();
    }
}

/// Free bytes on the file system holding `folder` (statvfs: blocks available to us).
fn free_space(folder: &Path) -> Option<u64> {
    let stat = rustix::fs::statvfs(folder).ok()?;
    Some(stat.f_bavail.saturating_mul(stat.f_frsize))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn free_space_comes_from_statvfs_not_from_parsing_df() {
        let dir = tempfile::tempdir().unwrap();
        assert!(free_space(dir.path()).is_some_and(|free| free > 0));
        assert_eq!(free_space(&dir.path().join("missing")), None);
    }

    #[test]
    fn deleting_the_last_object_of_a_folder_removes_the_empty_folders_only() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::create_dir_all(root.join("a/b")).unwrap();
        std::fs::write(root.join("a/keep"), b"x").unwrap();
        std::fs::write(root.join("a/b/c"), b"x").unwrap();
        std::fs::remove_file(root.join("a/b/c")).unwrap();
        remove_empty_parents(root, &root.join("a/b/c"));
        assert!(!root.join("a/b").exists());
        assert!(root.join("a/keep").exists());
        assert!(root.exists());
    }
}
