//! Queue commands: list jobs, act on a selection of them, add paths. Also the enqueue of files
//! dropped on the window, which arrives as a window event rather than a command but ends the
//! same way: in [`Core::enqueue`], with the outcome reported to the UI as an event.

use super::blocking;
use crate::error::UiError;
use crate::events;
use hoist_core::model::{Job, JobId, Selection};
use hoist_core::{Core, EnqueueReport, EnqueueRequest};
use std::path::PathBuf;
use tauri::{AppHandle, Emitter, Manager, State};

/// The whole queue, in the core's order.
#[tauri::command]
pub async fn list_jobs(core: State<'_, Core>) -> Result<Vec<Job>, UiError> {
    blocking(&core, |core| core.jobs()).await
}

#[tauri::command]
pub async fn pause_jobs(core: State<'_, Core>, ids: Vec<i64>) -> Result<Vec<JobId>, UiError> {
    act(&core, ids, Core::pause).await
}

#[tauri::command]
pub async fn resume_jobs(core: State<'_, Core>, ids: Vec<i64>) -> Result<Vec<JobId>, UiError> {
    act(&core, ids, Core::resume).await
}

#[tauri::command]
pub async fn cancel_jobs(core: State<'_, Core>, ids: Vec<i64>) -> Result<Vec<JobId>, UiError> {
    act(&core, ids, Core::cancel).await
}

#[tauri::command]
pub async fn retry_jobs(core: State<'_, Core>, ids: Vec<i64>) -> Result<Vec<JobId>, UiError> {
    act(&core, ids, Core::retry).await
}

/// Adds files and folders (absolute paths) to the queue of `profile`, or of the only profile.
#[tauri::command]
pub async fn add_paths(
    core: State<'_, Core>,
    paths: Vec<String>,
    profile: Option<String>,
) -> Result<EnqueueReport, UiError> {
    let request = EnqueueRequest {
        paths: paths.into_iter().map(PathBuf::from).collect(),
        profile,
        ..Default::default()
    };
    blocking(&core, move |core| core.enqueue(request)).await
}

/// Applies one of the core's selection actions to exactly `ids`. An empty list changes nothing:
/// it must never widen into "all jobs".
async fn act(
    core: &Core,
    ids: Vec<i64>,
    action: fn(&Core, &Selection) -> hoist_core::Result<Vec<JobId>>,
) -> Result<Vec<JobId>, UiError> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let selection = Selection::Ids(ids.into_iter().map(JobId).collect());
    blocking(core, move |core| action(core, &selection)).await
}

/// Enqueues paths dropped on the window with the default profile. The outcome goes to the UI
/// as `hoist://enqueued` (the report) or `hoist://error` (e.g. no profile configured yet).
pub fn enqueue_dropped(app: &AppHandle, paths: Vec<PathBuf>) {
    if paths.is_empty() {
        return;
    }
    let app = app.clone();
    tauri::async_runtime::spawn(async move {
        let core = app.state::<Core>().inner().clone();
        let request = EnqueueRequest {
            paths,
            ..Default::default()
        };
        let outcome = blocking(&core, move |core| core.enqueue(request)).await;
        let sent = match outcome {
            Ok(report) => app.emit(events::ENQUEUED, report),
            Err(error) => {
                tracing::warn!(%error, "dropped files were not queued");
                app.emit(events::ERROR, error)
            }
        };
        if let Err(e) = sent {
            tracing::warn!(error = %e, "could not tell the window about a drop");
        }
    });
}
