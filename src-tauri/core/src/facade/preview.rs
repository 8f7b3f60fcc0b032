//! `hoist upload --dry-run`: what an upload would do to each file, without queueing or sending
//! anything. Keys come from the same walk and template as a real enqueue, and the conflict
//! decision from the same code the engine runs (HEAD requests only).

use super::Core;
use super::enqueue::{EnqueueRequest, Skipped};
use crate::engine::conflict::{self, Decision};
use crate::error::Result;
use crate::model::Outcome;
use serde::Serialize;
use std::path::PathBuf;

/// What would happen to one file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum PlannedAction {
    /// Nothing is at the key: upload.
    Upload,
    /// An object is at the key and would be replaced.
    Overwrite,
    /// Nothing would be sent: `outcome` is the skip's code, `reason` says why for people.
    Skip { outcome: Outcome, reason: String },
    /// Uploaded under another, free key.
    Rename { key: String },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PlannedUpload {
    pub path: PathBuf,
    pub bucket: String,
    pub key: String,
    pub size: u64,
    #[serde(flatten)]
    pub action: PlannedAction,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Preview {
    pub destination: String,
    pub files: Vec<PlannedUpload>,
    /// Paths that would not be queued at all, with the reason.
    pub skipped: Vec<Skipped>,
}

impl Core {
    /// What [`Core::enqueue`] and the engine would do with `request`, file by file.
    pub async fn preview(&self, request: EnqueueRequest) -> Result<Preview> {
        let planned = self.plan_request(&request)?;
        let mut destination = planned.destination.clone();
        destination.bucket = planned.bucket.clone();
        let backend = self.inner.destinations.backend(&destination)?;
        let mut files = Vec::with_capacity(planned.jobs.len());
        for job in planned.jobs {
            let decision = conflict::decide(
                backend.as_ref(),
                &job.key,
                &job.path,
                job.bytes_total,
                planned.if_exists,
                self.inner.config.plan,
            )
            .await?;
            let action = match decision {
                Decision::Upload { replaces: false } => PlannedAction::Upload,
                Decision::Upload { replaces: true } => PlannedAction::Overwrite,
                Decision::Skip(outcome) => PlannedAction::Skip {
                    outcome,
                    reason: outcome.skip_reason().unwrap_or_default().to_string(),
                },
                Decision::Rename(key) => PlannedAction::Rename { key },
            };
            files.push(PlannedUpload {
                path: job.path,
                bucket: job.bucket,
                key: job.key,
                size: job.bytes_total,
                action,
            });
        }
        Ok(Preview {
            destination: planned.destination.name,
            files,
            skipped: planned.skipped,
        })
    }
}
