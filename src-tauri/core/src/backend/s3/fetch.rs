//! Downloading a byte range of an object into a local file (GetObject with Range and If-Match),
//! streamed: each chunk is written at its offset as it arrives, so memory stays flat whatever
//! the object's size. A server that ignores Range and answers 200 with the whole body is
//! handled by skipping to the range; a body of another length than asked is an error. Under a
//! download limit each chunk waits for its airtime before it is written, so the socket is read
//! no faster than the limit and TCP slows the server down.

use super::S3Backend;
use crate::backend::PartBody;
use crate::error::{Error, ErrorKind, Result};
use std::sync::atomic::Ordering;
use tokio::io::{AsyncSeekExt, AsyncWriteExt};

impl S3Backend {
    pub(super) async fn fetch_range(
        &self,
        key: &str,
        into: &PartBody,
        if_match: Option<&str>,
    ) -> Result<()> {
        into.progress.store(0, Ordering::Relaxed);
        let mut request = self
            .client
            .get_object()
            .bucket(&self.bucket)
            .key(key)
            .set_if_match(if_match.map(|etag| format!("\"{etag}\"")));
        if into.length > 0 {
            let last = into.offset + into.length - 1;
            request = request.range(format!("bytes={}-{last}", into.offset));
        }
        let out = self
            .send("GetObject", self.options.answer_timeout, request.send())
            .await?;
        // 206 with a Content-Range for the range asked; 200 means the whole object came.
        let whole = out.content_range().is_none();
        let skip = if whole { into.offset } else { 0 };
        let announced = out.content_length().and_then(|n| u64::try_from(n).ok());
        let wanted = if whole {
            announced.filter(|n| *n >= into.offset + into.length)
        } else {
            announced.filter(|n| *n == into.length)
        };
        if wanted.is_none() {
            return Err(self.protocol(
                "GetObject",
                &format!(
                    "a body of {} bytes for a range of {} bytes at {}",
                    announced.map_or("unknown".into(), |n| n.to_string()),
                    into.length,
                    into.offset
                ),
            ));
        }
        let file_error = |e: std::io::Error| crate::error::download_write_error(&into.path, e);
        let mut file = tokio::fs::OpenOptions::new()
            .write(true)
            .open(&into.path)
            .await
            .map_err(file_error)?;
        file.seek(std::io::SeekFrom::Start(into.offset))
            .await
            .map_err(file_error)?;
        let mut body = out.body;
        let (mut skipped, mut written) = (0u64, 0u64);
        while written < into.length {
            let chunk = tokio::time::timeout(self.options.answer_timeout, body.next())
                .await
                .map_err(|_| self.no_answer("GetObject", self.options.answer_timeout))?;
            let bytes = match chunk {
                None => break,
                Some(Ok(bytes)) => bytes,
                Some(Err(e)) => {
                    return Err(Error::new(
                        ErrorKind::Interrupted,
                        format!("GetObject {key}: the body was cut: {e}"),
                    ));
                }
            };
            let mut slice = &bytes[..];
            if skipped < skip {
                let drop = (skip - skipped).min(slice.len() as u64) as usize;
                skipped += drop as u64;
                slice = &slice[drop..];
            }
            let take = (into.length - written).min(slice.len() as u64) as usize;
            if let Some(throttles) = &self.throttles {
                tokio::time::sleep(throttles.download.reserve(take)).await;
            }
            file.write_all(&slice[..take]).await.map_err(file_error)?;
            written += take as u64;
            into.progress.fetch_add(take as u64, Ordering::Relaxed);
        }
        if written < into.length {
            return Err(Error::new(
                ErrorKind::Interrupted,
                format!(
                    "GetObject {key}: the body ended after {written} of {} bytes",
                    into.length
                ),
            ));
        }
        file.flush().await.map_err(file_error)?;
        file.sync_data().await.map_err(file_error)?;
        Ok(())
    }
}
