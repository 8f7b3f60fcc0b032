//! Downloading from a folder destination: a byte range of an object file copied into a local
//! file at the same offset, paced by the download limit, synced. A folder keeps no ETags, so
//! `if_match` cannot be checked here; the engine still verifies the finished file's size.

use super::fsops::{self, PumpError, blocking};
use super::{LocalBackend, is_absent};
use crate::backend::PartBody;
use crate::error::{Error, ErrorKind, Result, download_write_error, file_error};
use std::io::{Seek, SeekFrom};
use std::sync::atomic::Ordering;

impl LocalBackend {
    pub(super) async fn copy_range(&self, key: &str, into: &PartBody) -> Result<()> {
        let source = self.object_path(key)?;
        let into = into.clone();
        let key = key.to_string();
        let dirs = self.dirs.clone();
        blocking(move |stop| {
            into.progress.store(0, Ordering::Relaxed);
            let mut from = match std::fs::File::open(&source) {
                Ok(file) => file,
                Err(e) if is_absent(&e) => {
                    return Err(Error::new(
                        ErrorKind::NotFound,
                        format!("no object '{}' in the folder", key.escape_debug()),
                    ));
                }
                Err(e) => return Err(file_error(&source, e)),
            };
            let size = from.metadata().map_err(|e| file_error(&source, e))?.len();
            if size < into.offset + into.length {
                return Err(Error::new(
                    ErrorKind::ObjectChanged,
                    format!("'{key}' is shorter than when the download started"),
                ));
            }
            let mut to = std::fs::OpenOptions::new()
                .write(true)
                .open(&into.path)
                .map_err(|e| download_write_error(&into.path, e))?;
            from.seek(SeekFrom::Start(into.offset))
                .map_err(|e| file_error(&source, e))?;
            to.seek(SeekFrom::Start(into.offset))
                .map_err(|e| download_write_error(&into.path, e))?;
            let meter = fsops::Meter {
                progress: Some(into.progress.as_ref()),
                throttle: dirs.throttles.as_ref().map(|t| &*t.download),
            };
            match fsops::pump(&mut from, &mut to, into.length, meter, stop) {
                Ok(_) => {}
                Err(PumpError::Read(e)) => return Err(file_error(&source, e)),
                Err(PumpError::Write(e)) => return Err(download_write_error(&into.path, e)),
                Err(PumpError::Short) => {
                    return Err(Error::new(
                        ErrorKind::ObjectChanged,
                        format!("'{key}' became shorter while it was being downloaded"),
                    ));
                }
                Err(PumpError::Cancelled) => return Err(fsops::cancelled()),
            }
            to.sync_data()
                .map_err(|e| download_write_error(&into.path, e))?;
            Ok(())
        })
        .await
    }
}
