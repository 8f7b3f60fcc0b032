//! `Core::cleanup`: abort the incomplete multipart uploads that nothing will ever complete, so
//! their parts stop costing storage. An upload is aborted only when no job of this data
//! directory still needs it AND it is older than a threshold (default a day), because other tools
//! may be uploading to the same bucket right now: their uploads are theirs until they are stale.
//! Listing happens under the destination's key prefix, where Hoist writes.

use super::Core;
use crate::backend::PendingUpload;
use crate::error::Result;
use crate::model::Destination;
use serde::Serialize;
use std::time::Duration;

/// What cleanup did (or, with `dry_run`, would do) for one destination.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CleanupReport {
    pub destination: String,
    /// False when the server cannot list incomplete uploads (nothing was done).
    pub listed: bool,
    /// Aborted (or to be aborted, with `dry_run`).
    pub aborted: Vec<PendingUpload>,
    /// Kept: a queued, running, paused or failed job resumes it.
    pub in_use: Vec<PendingUpload>,
    /// Kept: younger than the threshold, or of unknown age.
    pub too_recent: Vec<PendingUpload>,
    /// Could not be aborted, with the reason.
    pub failed: Vec<(PendingUpload, String)>,
}

impl Core {
    /// Cleans up one destination, or all of them when `destination` is `None`.
    pub async fn cleanup(
        &self,
        destination: Option<&str>,
        older_than: Duration,
        dry_run: bool,
    ) -> Result<Vec<CleanupReport>> {
        let destinations = match destination {
            Some(name) => vec![self.destination(name)?],
            None => self.destinations()?,
        };
        let mut reports = Vec::with_capacity(destinations.len());
        for destination in destinations {
            reports.push(self.cleanup_one(&destination, older_than, dry_run).await?);
        }
        Ok(reports)
    }

    async fn cleanup_one(
        &self,
        destination: &Destination,
        older_than: Duration,
        dry_run: bool,
    ) -> Result<CleanupReport> {
        let backend = self.inner.destinations.backend(destination)?;
        let mut report = CleanupReport {
            destination: destination.name.clone(),
            listed: false,
            aborted: Vec::new(),
            in_use: Vec::new(),
            too_recent: Vec::new(),
            failed: Vec::new(),
        };
        let Some(pending) = backend.list_multipart_uploads(&destination.prefix).await? else {
            return Ok(report);
        };
        report.listed = true;
        // Read after listing: an upload created in between is in the set, not aborted.
        let in_use = self.inner.store.upload_ids_in_use()?;
        let now = crate::store::now();
        let min_age = older_than.as_secs() as i64;
        for upload in pending {
            let old_enough = match upload.initiated {
                Some(started) => now - started >= min_age,
                None => min_age == 0,
            };
            if in_use.contains(&upload.upload_id) {
                report.in_use.push(upload);
            } else if !old_enough {
                report.too_recent.push(upload);
            } else if dry_run {
                report.aborted.push(upload);
            } else {
                match backend
                    .abort_multipart(&upload.key, &upload.upload_id)
                    .await
                {
                    Ok(()) => {
                        tracing::info!(destination = %destination.name, key = %upload.key, upload_id = %upload.upload_id, "aborted an orphaned multipart upload");
                        report.aborted.push(upload);
                    }
                    Err(e) => report.failed.push((upload, e.to_string())),
                }
            }
        }
        Ok(report)
    }
}
