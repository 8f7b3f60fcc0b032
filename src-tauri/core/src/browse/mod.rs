//! Browsing a destination: listing pages (one folder level or everything below, never the
//! whole bucket at once), an object's details, deleting objects in batches of up to 1,000 keys
//! (each failure reported with its key), deleting everything under a folder page by page, and
//! share links. Requests are retried like uploads' (transient kinds with backoff and jitter,
//! fatal ones at once); an unreachable endpoint is an error here, not a wait: a person is
//! looking at the answer.

pub mod download;

use crate::backend::{
    Backend, DeleteFailure, ListRequest, Listing, MAX_DELETE_BATCH, MAX_SHARE_LIFETIME,
    ObjectDetails,
};
use crate::destinations::Destinations;
use crate::engine::retry::RetryPolicy;
use crate::error::{Error, ErrorKind, Result};
use crate::model::Destination;
use serde::{Deserialize, Serialize};
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

/// Where to browse: a destination (the only one, or the built-in folder, when `None`) and a
/// bucket other than its own, if given.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[ts(optional_fields)]
pub struct Place {
    pub destination: Option<String>,
    pub bucket: Option<String>,
}

/// What a delete did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct DeleteReport {
    /// Objects deleted (or, in a dry run, that would be).
    pub deleted: u64,
    /// Their total size, where the listing said (a delete by key does not know it).
    pub bytes: u64,
    pub failed: Vec<DeleteFailure>,
    /// Requests sent: listings and deletes.
    pub requests: u64,
}

pub struct Browser {
    destinations: Arc<Destinations>,
    retry: RetryPolicy,
}

impl Browser {
    pub fn new(destinations: Arc<Destinations>, retry: RetryPolicy) -> Browser {
        Browser {
            destinations,
            retry,
        }
    }

    /// The destination and the backend a [`Place`] names.
    fn open(&self, place: &Place) -> Result<(Destination, Arc<dyn Backend>)> {
        let mut destination = self.destinations.resolve(place.destination.as_deref())?;
        if let Some(bucket) = place.bucket.as_deref().filter(|b| !b.trim().is_empty()) {
            destination.bucket = bucket.to_string();
        }
        if destination.kind == crate::model::DestinationKind::S3
            && destination.bucket.trim().is_empty()
        {
            return Err(Error::new(
                ErrorKind::InvalidInput,
                format!(
                    "destination '{}' names no bucket: name one to browse",
                    destination.name
                ),
            )
            .with_fix(crate::error::Fix::NameBucket {
                destination: destination.name.clone(),
            }));
        }
        let backend = self.destinations.backend(&destination)?;
        Ok((destination, backend))
    }

    /// One page under `prefix` (empty, or a folder ending in `/`).
    pub async fn list(
        &self,
        place: &Place,
        prefix: &str,
        recursive: bool,
        page: Option<&str>,
        limit: u32,
    ) -> Result<Listing> {
        check_prefix(prefix)?;
        let (_, backend) = self.open(place)?;
        let request = ListRequest {
            prefix,
            recursive,
            page,
            limit,
        };
        self.retrying("listing", || backend.list(request))
            .await
            .map_err(listing_denied)
    }

    /// An object's details, or `NotFound`.
    pub async fn stat(&self, place: &Place, key: &str) -> Result<ObjectDetails> {
        let (destination, backend) = self.open(place)?;
        self.retrying("reading the details of", || backend.stat(key))
            .await?
            .ok_or_else(|| not_found(&destination, key))
    }

    /// Deletes these keys, in batches of up to 1,000.
    pub async fn delete(&self, place: &Place, keys: &[String]) -> Result<DeleteReport> {
        let (_, backend) = self.open(place)?;
        let mut report = DeleteReport::default();
        for batch in keys.chunks(MAX_DELETE_BATCH) {
            self.delete_batch(backend.as_ref(), batch, &mut report)
                .await?;
        }
        Ok(report)
    }

    /// Deletes (or, with `dry_run`, counts) every object under `prefix`, listing a page of up
    /// to 1,000 keys and deleting it before listing the next; `progress` sees the report grow.
    pub async fn delete_under(
        &self,
        place: &Place,
        prefix: &str,
        dry_run: bool,
        mut progress: impl FnMut(&DeleteReport),
    ) -> Result<DeleteReport> {
        check_prefix(prefix)?;
        if prefix.is_empty() {
            return Err(Error::new(
                ErrorKind::InvalidInput,
                "deleting everything in a destination needs a folder (a prefix ending in /)",
            ));
        }
        let (_, backend) = self.open(place)?;
        let mut report = DeleteReport::default();
        let mut page: Option<String> = None;
        loop {
            let request = ListRequest {
                prefix,
                recursive: true,
                page: page.as_deref(),
                limit: MAX_DELETE_BATCH as u32,
            };
            let listing = self
                .retrying("listing", || backend.list(request))
                .await
                .map_err(listing_denied)?;
            report.requests += 1;
            let keys: Vec<String> = listing.objects.iter().map(|o| o.key.clone()).collect();
            let bytes: u64 = listing.objects.iter().map(|o| o.size).sum();
            if dry_run {
                report.deleted += keys.len() as u64;
                report.bytes += bytes;
            } else {
                let failed_before = report.failed.len();
                self.delete_batch(backend.as_ref(), &keys, &mut report)
                    .await?;
                let failed: u64 = report.failed[failed_before..]
                    .iter()
                    .filter_map(|f| listing.objects.iter().find(|o| o.key == f.key))
                    .map(|o| o.size)
                    .sum();
                report.bytes += bytes - failed;
            }
            progress(&report);
            match listing.next {
                Some(next) => page = Some(next),
                None => return Ok(report),
            }
        }
    }

    async fn delete_batch(
        &self,
        backend: &dyn Backend,
        keys: &[String],
        report: &mut DeleteReport,
    ) -> Result<()> {
        if keys.is_empty() {
            return Ok(());
        }
        let failed = self
            .retrying("deleting", || backend.delete_objects(keys))
            .await?;
        report.requests += 1;
        report.deleted += (keys.len() - failed.len()) as u64;
        report.failed.extend(failed);
        Ok(())
    }

    /// A link anyone can GET the object from for `expires` (at most seven days). A folder
    /// destination has none: links need an S3 destination.
    pub async fn share(&self, place: &Place, key: &str, expires: Duration) -> Result<String> {
        if expires.is_zero() || expires > MAX_SHARE_LIFETIME {
            return Err(Error::new(
                ErrorKind::InvalidInput,
                "a share link lasts from one second to seven days (S3's limit)",
            ));
        }
        let (destination, backend) = self.open(place)?;
        if self
            .retrying("reading the details of", || backend.head_object(key))
            .await?
            .is_none()
        {
            return Err(not_found(&destination, key));
        }
        backend.share_url(key, expires).await?.ok_or_else(|| {
            Error::new(
                ErrorKind::InvalidInput,
                format!(
                    "'{}' is a folder destination: share links need an S3 destination",
                    destination.name
                ),
            )
        })
    }

    /// Runs one request, retrying transient failures with backoff and jitter.
    async fn retrying<T, F, Fut>(&self, what: &str, mut request: F) -> Result<T>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<T>>,
    {
        let mut retries = 0;
        loop {
            match request().await {
                Ok(value) => return Ok(value),
                Err(e) if e.is_retryable() && retries < self.retry.max_retries => {
                    retries += 1;
                    let delay = self.retry.random_delay(retries, e.retry_after());
                    tracing::warn!(retry = retries, error = %e, "{what}: transient failure, retrying");
                    tokio::time::sleep(delay).await;
                }
                Err(e) => return Err(e.context(what)),
            }
        }
    }
}

/// A listing refused with AccessDenied says which permission is missing: keys made for
/// uploads often may write but not list.
fn listing_denied(e: Error) -> Error {
    if e.kind() == ErrorKind::AccessDenied {
        let message = format!(
            "{}: the key needs permission to list the bucket (s3:ListBucket) to browse it",
            e.message()
        );
        Error::new(ErrorKind::AccessDenied, message)
    } else {
        e
    }
}

fn check_prefix(prefix: &str) -> Result<()> {
    if prefix.is_empty() || prefix.ends_with('/') {
        Ok(())
    } else {
        Err(Error::new(
            ErrorKind::InvalidInput,
            format!(
                "'{}' is not a folder: a folder prefix ends with '/'",
                prefix.escape_debug()
            ),
        ))
    }
}

fn not_found(destination: &Destination, key: &str) -> Error {
    Error::new(
        ErrorKind::NotFound,
        format!(
            "no object '{}' in destination '{}'",
            key.escape_debug(),
            destination.name
        ),
    )
}
