//! Turning paths into queue rows: files as they are, folders walked recursively (keys keep the
//! folder's own name and the relative path, joined with `/`). Nothing here touches the network.
//! A path that cannot be uploaded (special file, unreadable folder, name that is not UTF-8, key
//! too long) is reported in [`EnqueueReport::skipped`] with the reason, and the rest go on.

use super::Core;
use super::keys::{KeyContext, folder_prefix};
use crate::error::{Error, ErrorKind, Result};
use crate::event::Event;
use crate::model::new_id;
use crate::model::{Destination, DestinationKind, JobId};
use crate::options::DEFAULT_KEY_TEMPLATE;
use crate::options::IfExists;
use crate::store::NewJob;
use crate::watcher::{Links, WalkRules};
use serde::Serialize;
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, Default)]
pub struct EnqueueRequest {
    pub paths: Vec<PathBuf>,
    /// Destination name; `None` picks the only destination.
    pub destination: Option<String>,
    /// Key prefix; `None` uses the destination's.
    pub prefix: Option<String>,
    /// Bucket; `None` uses the destination's.
    pub bucket: Option<String>,
    /// Conflict rule; `None` uses the destination's default.
    pub if_exists: Option<IfExists>,
    /// Whether symbolic links met inside added folders are followed; `None` uses the
    /// `follow_links` setting (off unless the user turned it on).
    pub follow_links: Option<bool>,
}

#[derive(Debug, Clone, PartialEq, Serialize, ts_rs::TS)]
pub struct Skipped {
    pub path: PathBuf,
    pub reason: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, ts_rs::TS)]
pub struct EnqueueReport {
    /// Identifies this call's jobs, e.g. to wait for them.
    pub batch: String,
    pub jobs: Vec<JobId>,
    pub bytes: u64,
    pub skipped: Vec<Skipped>,
}

impl Core {
    /// Turns a request into the rows it would insert (and the paths it cannot take), touching
    /// neither the queue nor the network.
    pub(super) fn plan_request(&self, request: &EnqueueRequest) -> Result<PlannedRequest> {
        let destination = self
            .inner
            .destinations
            .resolve(request.destination.as_deref())?;
        let prefix = folder_prefix(request.prefix.as_deref().unwrap_or(&destination.prefix));
        let bucket = bucket_for(&destination, request.bucket.as_deref())?;
        let if_exists = request.if_exists.unwrap_or(destination.options.if_exists);
        let batch = new_id();
        let follow_links = match request.follow_links {
            Some(follow) => follow,
            None => self.inner.store.preferences()?.follow_links,
        };
        let rules = WalkRules {
            links: if follow_links {
                Links::All
            } else {
                Links::Given
            },
            ignore: None,
        };
        let uploads = UploadBatch::new(&destination, &bucket, &prefix, None, if_exists, &batch);
        let mut jobs = Vec::new();
        let mut skipped = Vec::new();
        for path in &request.paths {
            let path = std::path::absolute(path).unwrap_or_else(|_| path.clone());
            // A folder's keys start with its own name.
            let (root, under) = match (path.parent(), path.file_name()) {
                (Some(parent), Some(name)) => (parent.to_path_buf(), PathBuf::from(name)),
                _ => (path.clone(), PathBuf::new()),
            };
            let at = |relative: &Path| {
                if relative.as_os_str().is_empty() {
                    root.clone()
                } else {
                    root.join(relative)
                }
            };
            let walk = crate::watcher::walk(&root, &under, rules);
            for (relative, stat) in walk.files {
                match uploads.job(at(&relative), &relative, stat.size) {
                    Ok(job) => jobs.push(job),
                    Err(reason) => skipped.push(Skipped {
                        path: at(&relative),
                        reason,
                    }),
                }
            }
            skipped.extend(walk.skipped.into_iter().map(|(relative, reason)| Skipped {
                path: at(&relative),
                reason: reason.to_string(),
            }));
        }
        Ok(PlannedRequest {
            destination,
            bucket,
            if_exists,
            batch,
            jobs,
            skipped,
        })
    }

    /// Adds files and folders to the queue in one transaction.
    pub fn enqueue(&self, request: EnqueueRequest) -> Result<EnqueueReport> {
        let PlannedRequest {
            batch,
            jobs: walked,
            skipped,
            ..
        } = self.plan_request(&request)?;
        for skipped in &skipped {
            tracing::warn!(path = %skipped.path.display(), reason = %skipped.reason, "not queued");
        }
        let jobs = self.inner.store.insert_jobs(&batch, &walked)?;
        let bytes = walked.iter().map(|j| j.bytes_total).sum();
        self.queued(&batch, &jobs, bytes);
        Ok(EnqueueReport {
            batch: batch.clone(),
            jobs,
            bytes,
            skipped,
        })
    }

    /// What every way of queueing does once its rows are in: tell the window, wake the engine.
    pub(super) fn queued(&self, batch: &str, jobs: &[JobId], bytes: u64) {
        if jobs.is_empty() {
            return;
        }
        tracing::info!(jobs = jobs.len(), bytes, %batch, "queued");
        let _ = self
            .inner
            .events
            .send(Event::JobsAdded { ids: jobs.to_vec() });
        self.inner.wake.notify_one();
    }
}

impl Core {
    /// Adds downloads of `items` (keys, or folders ending in `/`) into the folder `to`, one
    /// job per object, in one transaction. Keys that cannot be files there are refused with
    /// the reason; the others are queued.
    pub async fn enqueue_download(
        &self,
        place: &crate::browse::Place,
        items: &[String],
        to: &std::path::Path,
        if_exists: Option<crate::options::IfExists>,
    ) -> Result<crate::browse::download::DownloadReport> {
        let destination = self
            .inner
            .destinations
            .resolve(place.destination.as_deref())?;
        let if_exists = if_exists.unwrap_or(destination.options.if_exists);
        let plan = self
            .inner
            .browser
            .plan_download(place, items, to, if_exists)
            .await?;
        let batch = new_id();
        for refused in &plan.refused {
            tracing::warn!(key = %refused.key, reason = %refused.reason, "not queued for download");
        }
        let jobs = self.inner.store.insert_jobs(&batch, &plan.jobs)?;
        self.queued(&batch, &jobs, plan.jobs.iter().map(|j| j.bytes_total).sum());
        Ok(crate::browse::download::DownloadReport {
            batch,
            jobs,
            bytes: plan.jobs.iter().map(|j| j.bytes_total).sum(),
            refused: plan.refused,
        })
    }
}

/// The bucket files go to: `requested`, else the destination's; an S3 destination must have one.
pub(super) fn bucket_for(destination: &Destination, requested: Option<&str>) -> Result<String> {
    let bucket = requested.unwrap_or(&destination.bucket).to_string();
    if destination.kind == DestinationKind::S3 && bucket.trim().is_empty() {
        return Err(Error::new(
            ErrorKind::InvalidInput,
            format!(
                "destination '{}' names no bucket: name one for this upload, or give the \
                 destination one",
                destination.name
            ),
        )
        .with_fix(crate::error::Fix::NameBucket {
            destination: destination.name.clone(),
        }));
    }
    Ok(bucket)
}

/// What a request resolves to before anything is written.
pub(super) struct PlannedRequest {
    pub destination: Destination,
    pub bucket: String,
    pub if_exists: IfExists,
    pub batch: String,
    pub jobs: Vec<NewJob>,
    pub skipped: Vec<Skipped>,
}

/// How the files of one batch become upload jobs: the one rule for files added by hand and
/// files a watch found.
pub(super) struct UploadBatch<'a> {
    destination: &'a Destination,
    bucket: &'a str,
    if_exists: IfExists,
    keys: KeyContext<'a>,
}

impl<'a> UploadBatch<'a> {
    /// `template` overrides the destination's key template (a watch may have its own).
    pub fn new(
        destination: &'a Destination,
        bucket: &'a str,
        prefix: &'a str,
        template: Option<&'a str>,
        if_exists: IfExists,
        batch: &'a str,
    ) -> UploadBatch<'a> {
        let template = template
            .or(destination.options.key_template.as_deref())
            .unwrap_or(DEFAULT_KEY_TEMPLATE);
        UploadBatch {
            destination,
            bucket,
            if_exists,
            keys: KeyContext {
                template,
                prefix,
                batch,
                queued_at: chrono::Local::now(),
            },
        }
    }

    /// The job for the file at `path`, `relative` being its key-to-be below the prefix, or why
    /// it cannot have a key.
    pub fn job(
        &self,
        path: PathBuf,
        relative: &Path,
        bytes: u64,
    ) -> std::result::Result<NewJob, String> {
        Ok(NewJob {
            direction: crate::model::Direction::Upload,
            path,
            destination_id: self.destination.id.clone(),
            bucket: self.bucket.to_string(),
            key: self.keys.key_for(relative)?,
            bytes_total: bytes,
            if_exists: self.if_exists,
        })
    }
}
