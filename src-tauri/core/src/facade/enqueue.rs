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
use serde::Serialize;
use std::collections::HashSet;
use std::os::unix::fs::MetadataExt;
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
        let destination = self.resolve_destination(request.destination.as_deref())?;
        let prefix = folder_prefix(request.prefix.as_deref().unwrap_or(&destination.prefix));
        let bucket = bucket_for(&destination, request.bucket.as_deref())?;
        let if_exists = request.if_exists.unwrap_or(destination.options.if_exists);
        let batch = new_id();
        let template = destination
            .options
            .key_template
            .as_deref()
            .unwrap_or(DEFAULT_KEY_TEMPLATE);
        let follow_links = match request.follow_links {
            Some(follow) => follow,
            None => self.inner.store.preferences()?.follow_links,
        };
        let mut walk = Walk {
            destination: &destination,
            follow_links,
            folders_seen: HashSet::new(),
            keys: KeyContext {
                template,
                prefix: &prefix,
                batch: &batch,
                queued_at: chrono::Local::now(),
            },
            bucket: &bucket,
            if_exists,
            jobs: Vec::new(),
            skipped: Vec::new(),
        };
        for path in &request.paths {
            let path = std::path::absolute(path).unwrap_or_else(|_| path.clone());
            let name = path.file_name().map(PathBuf::from).unwrap_or_default();
            walk.add(&path, &name, true);
        }
        let (jobs, skipped) = (walk.jobs, walk.skipped);
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
        let jobs = self.inner.store.insert_jobs(&batch, &walked)?;
        let bytes = walked.iter().map(|j| j.bytes_total).sum();
        for skipped in &skipped {
            tracing::warn!(path = %skipped.path.display(), reason = %skipped.reason, "not queued");
        }
        if !jobs.is_empty() {
            tracing::info!(jobs = jobs.len(), bytes, %batch, "queued");
            let _ = self
                .inner
                .events
                .send(Event::JobsAdded { ids: jobs.clone() });
            self.inner.wake.notify_one();
        }
        Ok(EnqueueReport {
            batch: batch.clone(),
            jobs,
            bytes,
            skipped,
        })
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
        let destination = self.resolve_destination(place.destination.as_deref())?;
        let if_exists = if_exists.unwrap_or(destination.options.if_exists);
        let plan = self
            .inner
            .browser
            .plan_download(place, items, to, if_exists)
            .await?;
        let batch = new_id();
        let jobs = self.inner.store.insert_jobs(&batch, &plan.jobs)?;
        for refused in &plan.refused {
            tracing::warn!(key = %refused.key, reason = %refused.reason, "not queued for download");
        }
        if !jobs.is_empty() {
            tracing::info!(jobs = jobs.len(), %batch, "downloads queued");
            let _ = self
                .inner
                .events
                .send(Event::JobsAdded { ids: jobs.clone() });
            self.inner.wake.notify_one();
        }
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

struct Walk<'a> {
    destination: &'a Destination,
    follow_links: bool,
    /// (device, inode) of every folder entered, so that followed links cannot loop.
    folders_seen: HashSet<(u64, u64)>,
    keys: KeyContext<'a>,
    bucket: &'a str,
    if_exists: IfExists,
    jobs: Vec<NewJob>,
    skipped: Vec<Skipped>,
}

impl Walk<'_> {
    fn skip(&mut self, path: &Path, reason: impl Into<String>) {
        self.skipped.push(Skipped {
            path: path.to_path_buf(),
            reason: reason.into(),
        });
    }

    /// `relative` is the key-to-be below the prefix. Paths the user gave are followed if they
    /// are links. Links met while walking a folder are skipped with the reason, unless
    /// `follow_links` is on; then they are followed, to files and folders, but never into a
    /// folder already walked (no loops).
    fn add(&mut self, path: &Path, relative: &Path, top_level: bool) {
        let meta = match std::fs::symlink_metadata(path) {
            Ok(meta) => meta,
            Err(e) => return self.skip(path, format!("cannot read it: {e}")),
        };
        let meta = if meta.file_type().is_symlink() {
            if !top_level && !self.follow_links {
                return self.skip(
                    path,
                    "a symbolic link: links inside folders are not followed unless the \
                     'follow links' setting is on",
                );
            }
            match std::fs::metadata(path) {
                Ok(target) => target,
                Err(e) => return self.skip(path, format!("a broken link: {e}")),
            }
        } else {
            meta
        };
        if meta.is_dir() {
            if !self.folders_seen.insert((meta.dev(), meta.ino())) {
                return self.skip(
                    path,
                    "a link to a folder already added: not followed (a loop)",
                );
            }
            let entries = match std::fs::read_dir(path) {
                Ok(entries) => entries,
                Err(e) => return self.skip(path, format!("cannot list the folder: {e}")),
            };
            let mut children: Vec<_> = entries
                .filter_map(|e| e.ok())
                .map(|e| e.file_name())
                .collect();
            children.sort();
            for child in children {
                self.add(&path.join(&child), &relative.join(&child), false);
            }
        } else if meta.is_file() {
            match self.keys.key_for(relative) {
                Ok(key) => self.jobs.push(NewJob {
                    direction: crate::model::Direction::Upload,
                    path: path.to_path_buf(),
                    destination_id: self.destination.id.clone(),
                    bucket: self.bucket.to_string(),
                    key,
                    bytes_total: meta.len(),
                    if_exists: self.if_exists,
                }),
                Err(reason) => self.skip(path, reason),
            }
        } else {
            self.skip(path, "not a regular file (socket, pipe or device)");
        }
    }
}
