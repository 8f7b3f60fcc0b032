//! Queue commands: list jobs, act on a selection of them, add files. Paths never come from the
//! web view: files are added through the system's picker ([`add_from_picker`], opened and read
//! here in Rust) or dropped on the window (a window event handled in Rust), both ending in
//! [`Core::enqueue`]. A script in the page can choose a destination and a prefix, never a file.

use super::blocking;
use crate::error::UiError;
use crate::events;
use hoist_core::model::{Job, JobId, Selection};
use hoist_core::{Core, EnqueueReport, EnqueueRequest, Removal};
use std::path::PathBuf;
use tauri::{AppHandle, Emitter, Manager, State};

/// The whole queue, in the core's order.
#[tauri::command]
pub async fn list_jobs(core: State<'_, Core>) -> Result<Vec<Job>, UiError> {
    blocking(&core, |core| core.jobs()).await
}

/// The jobs with these ids, in queue order (ids no longer in the queue are left out): what the
/// window fetches for the jobs a `hoist://queue-changes` message says were added, instead of the
/// whole list.
#[tauri::command]
pub async fn jobs_by_id(core: State<'_, Core>, ids: Vec<i64>) -> Result<Vec<Job>, UiError> {
    let ids: Vec<JobId> = ids.into_iter().map(JobId).collect();
    blocking(&core, move |core| core.jobs_by_id(&ids)).await
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

/// Takes jobs off the list (see [`hoist_core::Removal`]).
#[tauri::command]
pub async fn remove_jobs(core: State<'_, Core>, ids: Vec<i64>) -> Result<Removal, UiError> {
    let ids: Vec<JobId> = ids.into_iter().map(JobId).collect();
    blocking(&core, move |core| core.remove_jobs(&ids)).await
}

/// Deletes completed jobs (and cancelled ones with nothing left on the server).
#[tauri::command]
pub async fn clear_finished(core: State<'_, Core>) -> Result<Vec<JobId>, UiError> {
    blocking(&core, |core| core.clear_finished()).await
}

#[tauri::command]
pub async fn pause_all(core: State<'_, Core>) -> Result<Vec<JobId>, UiError> {
    blocking(&core, |core| core.pause(&Selection::All)).await
}

#[tauri::command]
pub async fn resume_all(core: State<'_, Core>) -> Result<Vec<JobId>, UiError> {
    blocking(&core, |core| core.resume(&Selection::All)).await
}

/// Opens the system's file or folder picker and queues what the user picked for `destination`
/// (or the default destination) under `prefix` (or the destination's). `None` when the user
/// cancelled.
#[tauri::command]
pub async fn add_from_picker(
    app: AppHandle,
    core: State<'_, Core>,
    folders: bool,
    destination: Option<String>,
    prefix: Option<String>,
) -> Result<Option<EnqueueReport>, UiError> {
    let title = if folders {
        "Add folders to Hoist"
    } else {
        "Add files to Hoist"
    };
    let paths = pick(&app, title, folders).await?;
    if paths.is_empty() {
        return Ok(None);
    }
    let request = EnqueueRequest {
        paths,
        destination: destination.filter(|p| !p.is_empty()),
        prefix: prefix.filter(|p| !p.is_empty()),
        ..Default::default()
    };
    Ok(Some(
        blocking(&core, move |core| core.enqueue(request)).await?,
    ))
}

/// The system's picker (the dialog plugin): files, or folders when `folders`; empty when the
/// user cancels.
pub(crate) async fn pick(
    app: &AppHandle,
    title: &str,
    folders: bool,
) -> Result<Vec<PathBuf>, UiError> {
    use tauri_plugin_dialog::DialogExt;
    let (tx, rx) = tokio::sync::oneshot::channel();
    let dialog = app.dialog().file().set_title(title);
    let send = move |picked: Option<Vec<tauri_plugin_dialog::FilePath>>| {
        let paths = picked
            .unwrap_or_default()
            .into_iter()
            .filter_map(|p| p.into_path().ok())
            .collect::<Vec<_>>();
        let _ = tx.send(paths);
    };
    if folders {
        dialog.pick_folders(send);
    } else {
        dialog.pick_files(send);
    }
    rx.await
        .map_err(|_| UiError::internal("the file picker closed without an answer"))
}

/// The system's folder picker starting in `start`; `None` when the user cancels.
pub(crate) async fn pick_folder(
    app: &AppHandle,
    title: &str,
    start: Option<PathBuf>,
) -> Result<Option<PathBuf>, UiError> {
    use tauri_plugin_dialog::DialogExt;
    let (tx, rx) = tokio::sync::oneshot::channel();
    let mut dialog = app.dialog().file().set_title(title);
    if let Some(start) = start.filter(|dir| dir.is_dir()) {
        dialog = dialog.set_directory(start);
    }
    dialog.pick_folder(move |picked| {
        let _ = tx.send(picked.and_then(|p| p.into_path().ok()));
    });
    rx.await
        .map_err(|_| UiError::internal("the folder picker closed without an answer"))
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

/// Enqueues paths dropped on the window with the default destination. The outcome goes to the UI
/// as `hoist://enqueued` (the report) or `hoist://error` (e.g. no destination configured yet).
/// Where files dropped on the window go: the destination and prefix chosen in the window's
/// toolbar (empty: the default destination and its prefix).
#[derive(Debug, Default)]
pub struct DropTarget(std::sync::Mutex<(Option<String>, Option<String>)>);

/// The window's toolbar changed its destination or prefix.
#[tauri::command]
pub fn set_drop_target(
    target: State<'_, DropTarget>,
    destination: Option<String>,
    prefix: Option<String>,
) {
    let value = (
        destination.filter(|p| !p.is_empty()),
        prefix.filter(|p| !p.is_empty()),
    );
    *target.0.lock().unwrap_or_else(|p| p.into_inner()) = value;
}

pub fn enqueue_dropped(app: &AppHandle, paths: Vec<PathBuf>) {
    if paths.is_empty() {
        return;
    }
    let app = app.clone();
    tauri::async_runtime::spawn(async move {
        let core = app.state::<Core>().inner().clone();
        let (destination, prefix) = app
            .state::<DropTarget>()
            .0
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone();
        let request = EnqueueRequest {
            paths,
            destination,
            prefix,
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
