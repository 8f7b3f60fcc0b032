//! Downloading from a folder destination: a byte range of an object file copied into a local
//! file at the same offset, paced by the download limit, synced, its MD5 computed as it passes.
//! A folder keeps no ETags, so `if_match` cannot be checked here; the engine checks the
//! finished file against the MD5 it read of the object when the download started.

use super::fsops::{self, PumpError, blocking};
use super::{LocalBackend, is_absent};
use crate::backend::fetch::{FetchReceipt, FetchRequest, Span, StreamDigest};
use crate::error::{Error, ErrorKind, Result, download_write_error, file_error};
use std::io::{Seek, SeekFrom};
use std::sync::atomic::Ordering;

impl LocalBackend {
    pub(super) async fn copy_range(
        &self,
        key: &str,
        fetch: &FetchRequest<'_>,
    ) -> Result<FetchReceipt> {
        let source = self.object_path(key)?;
        let (offset, length) = match fetch.span {
            Span::Range { offset, length } => (offset, length),
            // A folder's objects are one part each.
            Span::Part(1) => (0, fetch.object_size),
            Span::Part(n) => {
                return Err(Error::new(
                    ErrorKind::Protocol,
                    format!("a folder's objects have no part {n}"),
                ));
            }
        };
        let into = fetch.into.to_path_buf();
        let progress = fetch.progress.clone();
        let want_md5 = fetch.md5;
        let want_crc = fetch.crc;
        let key = key.to_string();
        let dirs = self.dirs.clone();
        blocking(move |stop| {
            progress.store(0, Ordering::Relaxed);
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
            if size < offset + length {
                return Err(Error::new(
                    ErrorKind::ObjectChanged,
                    format!("'{key}' is shorter than when the download started"),
                ));
            }
            let file = std::fs::OpenOptions::new()
                .write(true)
                .open(&into)
                .map_err(|e| download_write_error(&into, e))?;
            let mut to = Digesting {
                file,
                digest: StreamDigest::new(false, want_crc, None),
            };
            from.seek(SeekFrom::Start(offset))
                .map_err(|e| file_error(&source, e))?;
            to.file
                .seek(SeekFrom::Start(offset))
                .map_err(|e| download_write_error(&into, e))?;
            let meter = fsops::Meter {
                progress: Some(progress.as_ref()),
                throttle: dirs.throttles.as_ref().map(|t| &*t.download),
            };
            let md5 = match fsops::pump(&mut from, &mut to, length, meter, stop) {
                Ok(md5) => md5,
                Err(PumpError::Read(e)) => return Err(file_error(&source, e)),
                Err(PumpError::Write(e)) => return Err(download_write_error(&into, e)),
                Err(PumpError::Short) => {
                    return Err(Error::new(
                        ErrorKind::ObjectChanged,
                        format!("'{key}' became shorter while it was being downloaded"),
                    ));
                }
                Err(PumpError::Cancelled) => return Err(fsops::cancelled()),
            };
            to.file
                .sync_data()
                .map_err(|e| download_write_error(&into, e))?;
            let crc = to.digest.finish(offset, length, &key)?.crc;
            Ok(FetchReceipt {
                offset,
                length,
                md5: want_md5.then_some(md5),
                crc,
                checked: None,
            })
        })
        .await
    }
}

/// The partial file, digesting what is written to it (the CRC a request asked for).
struct Digesting {
    file: std::fs::File,
    digest: StreamDigest,
}

impl std::io::Write for Digesting {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        let n = self.file.write(bytes)?;
        self.digest.update(&bytes[..n]);
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.file.flush()
    }
}
