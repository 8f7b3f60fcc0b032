//! Turning keys and folders of a destination into download jobs: each object's local path
//! under the chosen folder. Keys are untrusted input: a key whose path would leave the folder or
//! that a file system cannot hold (`..`, `.`, an empty part, a leading `/`, a backslash, a NUL, a
//! Windows drive or device name, a part over 255 bytes) is not queued, with the reason naming
//! the key. Folders of objects keep their relative paths: `photos/2024/` into DIR gives
//! `DIR/2024/...`; a single key gives `DIR/NAME`.

use super::{Browser, Place};
use crate::backend::{ListRequest, MAX_DELETE_BATCH};
use crate::error::{Error, ErrorKind, Result};
use crate::model::{DestinationId, Direction};
use crate::options::IfExists;
use crate::store::NewJob;
use std::path::{Path, PathBuf};

/// Why a key cannot be a local path under the target folder, or its relative path.
pub fn local_relative(relative: &str) -> std::result::Result<PathBuf, String> {
    if relative.starts_with('/') {
        return Err("it is absolute (starts with '/')".into());
    }
    let mut path = PathBuf::new();
    for part in relative.split('/') {
        match part {
            "" => return Err("it has an empty part ('//')".into()),
            "." | ".." => return Err(format!("it has a '{part}' part")),
            _ => {}
        }
        if part.contains('\0') {
            return Err("it contains a NUL character".into());
        }
        if part.contains('\\') {
            return Err("it contains a backslash".into());
        }
        let bytes = part.as_bytes();
        if bytes.len() >= 2 && bytes[1] == b':' && bytes[0].is_ascii_alphabetic() {
            return Err(format!("'{part}' looks like a Windows drive"));
        }
        let stem = part.split('.').next().unwrap_or("").to_ascii_uppercase();
        let device = matches!(stem.as_str(), "CON" | "PRN" | "AUX" | "NUL")
            || (stem.len() == 4
                && (stem.starts_with("COM") || stem.starts_with("LPT"))
                && stem.as_bytes()[3].is_ascii_digit());
        if device {
            return Err(format!("'{part}' is a Windows device name"));
        }
        if part.len() > 255 {
            return Err(format!("a part is {} bytes long (at most 255)", part.len()));
        }
        path.push(part);
    }
    Ok(path)
}

/// A key that could not be queued, and why.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, ts_rs::TS)]
pub struct RefusedKey {
    pub key: String,
    pub reason: String,
}

/// What a download adds to the queue.
#[derive(Debug, Clone, PartialEq, serde::Serialize, ts_rs::TS)]
pub struct DownloadReport {
    /// Identifies this call's jobs, e.g. to wait for them.
    pub batch: String,
    pub jobs: Vec<crate::model::JobId>,
    /// Total size of the objects found under folders (single keys count when they start).
    pub bytes: u64,
    pub refused: Vec<RefusedKey>,
}

/// What a download request resolves to.
pub struct PlannedDownload {
    pub destination: DestinationId,
    pub jobs: Vec<NewJob>,
    pub refused: Vec<RefusedKey>,
}

impl Browser {
    /// The jobs that download `items` (keys, or folders ending in `/`) into the folder `to`.
    pub async fn plan_download(
        &self,
        place: &Place,
        items: &[String],
        to: &Path,
        if_exists: IfExists,
    ) -> Result<PlannedDownload> {
        if !to.is_absolute() {
            return Err(Error::new(
                ErrorKind::InvalidInput,
                format!(
                    "the folder to download into must be an absolute path, not '{}'",
                    to.display()
                ),
            ));
        }
        let (destination, backend) = self.open(place)?;
        let mut plan = PlannedDownload {
            destination: destination.id.clone(),
            jobs: Vec::new(),
            refused: Vec::new(),
        };
        let add = |key: &str, relative: &str, size: u64, plan: &mut PlannedDownload| {
            match local_relative(relative) {
                Ok(path) => plan.jobs.push(NewJob {
                    direction: Direction::Download,
                    path: to.join(path),
                    destination_id: destination.id.clone(),
                    bucket: destination.bucket.clone(),
                    key: key.to_string(),
                    bytes_total: size,
                    if_exists,
                }),
                Err(why) => plan.refused.push(RefusedKey {
                    key: key.to_string(),
                    reason: format!("cannot be saved as a file: {why}"),
                }),
            }
        };
        for item in items {
            if !item.ends_with('/') {
                let name = item.rsplit('/').next().unwrap_or(item);
                add(item, name, 0, &mut plan);
                continue;
            }
            // The folder's own name is kept: `a/b/` gives `b/...`.
            let base = item
                .trim_end_matches('/')
                .rsplit_once('/')
                .map_or(0, |(parent, _)| parent.len() + 1);
            let mut page: Option<String> = None;
            loop {
                let request = ListRequest {
                    prefix: item,
                    recursive: true,
                    page: page.as_deref(),
                    limit: MAX_DELETE_BATCH as u32,
                };
                let listing = self.retrying("listing", || backend.list(request)).await?;
                for object in listing.objects {
                    if object.key.ends_with('/') {
                        continue; // a folder marker, not a file
                    }
                    add(&object.key, &object.key[base..], object.size, &mut plan);
                }
                match listing.next {
                    Some(next) => page = Some(next),
                    None => break,
                }
            }
        }
        Ok(plan)
    }
}

#[cfg(test)]
mod tests {
    use super::local_relative;

    #[test]
    fn keys_that_would_leave_the_folder_or_cannot_be_files_are_refused() {
        assert_eq!(
            local_relative("photos/2024/a.jpg").unwrap(),
            std::path::Path::new("photos/2024/a.jpg")
        );
        for (key, says) in [
            ("../etc/passwd", "'..'"),
            ("a/../../b", "'..'"),
            ("/etc/passwd", "absolute"),
            ("a//b", "empty part"),
            ("./a", "'.'"),
            ("a\\..\\b", "backslash"),
            ("a\0b", "NUL"),
            ("C:/Windows/x", "drive"),
            ("dir/CON", "device"),
            ("dir/com1.txt", "device"),
            ("lpt9", "device"),
            (&"x".repeat(256), "255"),
        ] {
            let why = local_relative(key).unwrap_err();
            assert!(why.contains(says), "{key:?}: {why}");
        }
        assert!(
            local_relative("CONFIG.sys").is_ok(),
            "only exact device names"
        );
        assert!(local_relative("com10").is_ok());
    }
}
