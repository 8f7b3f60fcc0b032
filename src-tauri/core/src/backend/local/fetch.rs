//! Downloading from a folder destination: a byte range of an object file copied into a local
//! file at the same offset, synced. A folder keeps no ETags, so `if_match` cannot be checked
//! here; the engine still verifies the finished file's size (and MD5 against nothing: size only).

use super::fsops::blocking;
use super::{LocalBackend, is_absent};
use crate::backend::PartBody;
use crate::error::{Error, ErrorKind, Result, file_error};
use std::io::{Read, Seek, SeekFrom, Write};
use std::sync::atomic::Ordering;

impl LocalBackend {
    pub(super) async fn copy_range(&self, key: &str, into: &PartBody) -> Result<()> {
        let source = self.object_path(key)?;
        let into = into.clone();
        let key = key.to_string();
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
                .map_err(|e| file_error(&into.path, e))?;
            from.seek(SeekFrom::Start(into.offset))
                .map_err(|e| file_error(&source, e))?;
            to.seek(SeekFrom::Start(into.offset))
                .map_err(|e| file_error(&into.path, e))?;
            let mut buf = vec![0u8; 256 * 1024];
            let mut left = into.length;
            while left > 0 {
                if stop.load(Ordering::Relaxed) {
                    return Err(super::fsops::cancelled());
                }
                let want = left.min(buf.len() as u64) as usize;
                let n = from
                    .read(&mut buf[..want])
                    .map_err(|e| file_error(&source, e))?;
                if n == 0 {
                    return Err(Error::new(
                        ErrorKind::ObjectChanged,
                        format!("'{key}' became shorter while it was being downloaded"),
                    ));
                }
                to.write_all(&buf[..n])
                    .map_err(|e| file_error(&into.path, e))?;
                left -= n as u64;
                into.progress.fetch_add(n as u64, Ordering::Relaxed);
            }
            to.sync_data().map_err(|e| file_error(&into.path, e))?;
            Ok(())
        })
        .await
    }
}
