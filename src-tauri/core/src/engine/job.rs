//! What every running job shares: its [`JobContext`], the engine's settings, and the rules each
//! kind of job (single PUT, multipart upload, download) sends its requests by.
//!
//! Each request goes through [`JobContext::call`], which owns retries: transient failures back
//! off with full jitter (Retry-After honoured), "unreachable" waits at the offline gate without
//! spending the retry budget, anything else fails the job with the backend's message.

use super::network::Network;
use super::plan::PlanConfig;
use super::progress::JobCounters;
use super::retry::RetryPolicy;
use crate::backend::{Backend, is_md5_etag, is_multipart_etag};
use crate::error::{Error, ErrorKind, Result, file_error};
use crate::model::{Fingerprint, Job};
use crate::store::Store;
use std::future::Future;
use std::path::Path;
use std::sync::Arc;

/// How many times a job may start over (file changed, upload id lost) before it fails.
pub(super) const MAX_ROUNDS: u32 = 3;
/// Offline waits whose probe found the endpoint reachable at once, in a row, after which an
/// "unreachable" failure is treated as an ordinary transient one (it spends the retry budget).
const MAX_FALSE_OFFLINE: u32 = 5;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EngineConfig {
    pub plan: PlanConfig,
    /// Parts of one file in flight at once (uploads).
    pub parts_in_flight: usize,
    /// Spans of one download in flight at once. 8 were faster while each span's bytes went
    /// through tokio's file; written with `pwritev` (backend/s3/span_file.rs), 4 are as fast
    /// (1.56 s a GiB either way) and hold 3 MiB less of the HTTP client's read buffers
    /// (issue 19).
    pub spans_in_flight: usize,
    pub retry: RetryPolicy,
    /// Timeouts and paging of the S3 backend.
    pub s3: crate::backend::s3::S3Options,
}

impl Default for EngineConfig {
    fn default() -> Self {
        EngineConfig {
            plan: PlanConfig::default(),
            parts_in_flight: 4,
            spans_in_flight: 4,
            retry: RetryPolicy::default(),
            s3: Default::default(),
        }
    }
}

/// Everything one running job needs.
pub struct JobContext {
    pub store: Arc<Store>,
    pub backend: Arc<dyn Backend>,
    pub network: Arc<Network>,
    pub job: Job,
    pub counters: Arc<JobCounters>,
    pub config: EngineConfig,
}

/// What one round of a job ended with.
pub(crate) enum Step {
    Done,
    /// Start over from the top, for the reason given (logged).
    Again(String),
}

/// The fingerprint of a regular file, or an error naming what is wrong with it.
pub async fn stat(path: &Path) -> Result<Fingerprint> {
    let meta = tokio::fs::metadata(path)
        .await
        .map_err(|e| file_error(path, e))?;
    if !meta.is_file() {
        return Err(Error::new(
            ErrorKind::FileUnreadable,
            format!("{} is not a regular file", path.display()),
        ));
    }
    Ok(Fingerprint::of(&meta))
}

impl JobContext {
    /// Runs a write to the store on the blocking pool. Each is a durable commit (an fsync of
    /// the WAL): on a disk that took milliseconds, which a runtime thread then spent not reading
    /// the sockets of the other parts in flight (issue 19).
    pub(crate) async fn commit<T: Send + 'static>(
        &self,
        write: impl FnOnce(&Store) -> Result<T> + Send + 'static,
    ) -> Result<T> {
        let store = Arc::clone(&self.store);
        tokio::task::spawn_blocking(move || write(&store))
            .await
            .map_err(|e| Error::new(ErrorKind::Local, format!("a database write crashed: {e}")))?
    }

    /// The same job under another key.
    pub(super) fn with_key(&self, key: String) -> JobContext {
        let mut job = self.job.clone();
        job.key = key;
        JobContext {
            store: self.store.clone(),
            backend: self.backend.clone(),
            network: self.network.clone(),
            job,
            counters: self.counters.clone(),
            config: self.config,
        }
    }

    /// Sends one request with the engine's retry rules. `request` is called once per attempt,
    /// so everything it computes (digests, body counters) is fresh each time.
    pub(crate) async fn call<T, F, Fut>(&self, what: &str, mut request: F) -> Result<T>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<T>>,
    {
        let probe_url = self.backend.probe_url();
        let mut retries = 0;
        let mut false_offline = 0;
        loop {
            let epoch = probe_url.as_deref().map(|url| self.network.epoch(url));
            let error = match request().await {
                Ok(value) => return Ok(value),
                Err(error) => error,
            };
            if let (true, Some(url), Some(epoch)) = (error.kind().is_offline(), &probe_url, epoch)
                && false_offline < MAX_FALSE_OFFLINE
            {
                let started = std::time::Instant::now();
                self.network.wait_until_reachable(url, epoch).await;
                // A wait that ended at the first probe says the endpoint answers probes but
                // not this request: do not loop on it forever.
                false_offline = if started.elapsed() < std::time::Duration::from_secs(2) {
                    false_offline + 1
                } else {
                    0
                };
                continue;
            }
            if !error.is_retryable() || retries >= self.config.retry.max_retries {
                return Err(error.context(format_args!("{what} {}", self.job.key)));
            }
            retries += 1;
            self.store.add_attempt(self.job.id)?;
            let delay = self.config.retry.random_delay(retries, error.retry_after());
            tracing::warn!(
                job = %self.job.id, retry = retries, delay_ms = delay.as_millis() as u64,
                kind = error.kind().code(), error = %error, "{what}: transient failure, retrying"
            );
            let due = std::time::SystemTime::now() + delay;
            let due_ms = due
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_millis() as i64);
            self.counters.set_retry_at(Some(due_ms));
            tokio::time::sleep(delay).await;
            self.counters.set_retry_at(None);
        }
    }

    /// HEADs the finished object: it must exist with the file's size, and where the server
    /// gives an ETag of the comparable form, the one we expect from the parts we sent.
    pub(crate) async fn verify(&self, size: u64, expected_etag: Option<&str>) -> Result<()> {
        let key = self.job.key.as_str();
        let head = self
            .call("verifying", || self.backend.head_object(key))
            .await?;
        let Some(head) = head else {
            return Err(Error::new(
                ErrorKind::Protocol,
                format!("the server accepted {key} but has no such object afterwards"),
            ));
        };
        if head.size != size {
            return Err(Error::new(
                ErrorKind::Protocol,
                format!(
                    "the server holds {} bytes for {key}, the file has {size}",
                    head.size
                ),
            ));
        }
        if let (Some(etag), Some(expected_etag)) = (head.etag.as_deref(), expected_etag) {
            let comparable = if expected_etag.contains('-') {
                is_multipart_etag(etag)
            } else {
                is_md5_etag(etag)
            };
            if comparable && etag != expected_etag {
                return Err(Error::new(
                    ErrorKind::Protocol,
                    format!(
                        "the server's ETag for {key} is {etag}, the bytes sent give {expected_etag}"
                    ),
                ));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn stat_refuses_directories_and_missing_files() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(
            stat(dir.path()).await.unwrap_err().kind(),
            ErrorKind::FileUnreadable
        );
        let missing = stat(&dir.path().join("gone")).await.unwrap_err();
        assert_eq!(missing.kind(), ErrorKind::FileMissing);
    }
}
