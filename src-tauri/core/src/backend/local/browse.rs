//! Browsing a folder destination as S3 would show it: a listing page of one folder (files are
//! objects, sub-folders are prefixes, the staging folder is hidden), deleting an object (and
//! the folders it leaves empty, which S3 would not show), and the connection test's first steps.

use super::fsops::{blocking, write_error};
use super::{LocalBackend, STAGING_DIR, is_absent};
use crate::backend::{Listing, ObjectEntry};
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

    pub(super) async fn list_page(
        &self,
        prefix: &str,
        page: Option<&str>,
        limit: u32,
    ) -> Result<Listing> {
        let dir = self.prefix_dir(prefix)?;
        let root = self.dirs.root.clone();
        let prefix = prefix.to_string();
        let after = page.map(str::to_string);
        let limit = limit.max(1) as usize;
        blocking(move |_| {
            let entries = match std::fs::read_dir(&dir) {
                Ok(entries) => entries,
                Err(e) if is_absent(&e) => return Ok(Listing::default()),
                Err(e) => return Err(write_error(&root, &dir, e)),
            };
            // (key, Some(entry) for a file, None for a folder), in key order.
            let mut found: Vec<(String, Option<ObjectEntry>)> = Vec::new();
            for entry in entries {
                let entry = entry.map_err(|e| write_error(&root, &dir, e))?;
                let Ok(name) = entry.file_name().into_string() else {
                    tracing::warn!(folder = %dir.display(), "skipped a file name that is not UTF-8");
                    continue;
                };
                if prefix.is_empty() && name.eq_ignore_ascii_case(STAGING_DIR) {
                    continue;
                }
                // Follows links, as uploads into the folder do.
                let Ok(meta) = std::fs::metadata(entry.path()) else {
                    continue;
                };
                let key = format!("{prefix}{name}");
                if meta.is_dir() {
                    found.push((format!("{key}/"), None));
                } else if meta.is_file() {
                    let modified = meta
                        .modified()
                        .ok()
                        .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
                        .map(|d| d.as_secs() as i64);
                    let size = meta.len();
                    let object = ObjectEntry {
                        key: key.clone(),
                        size,
                        modified,
                        etag: None,
                    };
                    found.push((key, Some(object)));
                }
            }
            found.sort_by(|a, b| a.0.cmp(&b.0));
            let mut listing = Listing::default();
            let rest = found
                .into_iter()
                .filter(|(key, _)| after.as_ref().is_none_or(|after| key > after));
            let mut last = None;
            for (count, (key, object)) in rest.enumerate() {
                if count == limit {
                    listing.next = last;
                    break;
                }
                match object {
                    Some(object) => listing.objects.push(object),
                    None => listing.folders.push(key.clone()),
                }
                last = Some(key);
            }
            Ok(listing)
        })
        .await
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
