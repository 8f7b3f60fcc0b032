//! `hoist-core`: Hoist's engine, with no Tauri in it.
//!
//! [`Core`] is the facade the shell (window and CLI) uses: it owns the SQLite store of one data
//! directory, the keychain, and the event channel. Many `Core`s (many processes) may open one
//! data directory at once and change the queue through the database; exactly one of them at a
//! time drives uploads, by holding the engine lock (see [`Core::run_queue`]).
//!
//! Layers, each using only those below it (checked by the `layers` test, which reads the
//! `crate::` paths of every file): `facade` -> `browse`, `queue`, `watches` -> `destinations`, `engine` -> `backend`
//! -> `store` -> the nouns (`model` with the job state machine, `credentials`, `event`,
//! `connection`) -> `digest`, `options`, `presets`, `watcher` -> the leaves (`error`, `http`, `limits`, `throttle`).

pub mod aws_import;
#[doc(hidden)]
pub mod backend;
pub mod browse;
pub mod connection;
#[doc(hidden)]
pub mod credentials;
pub mod destinations;
mod digest;
mod engine;
pub mod error;
pub mod event;
mod facade;
mod http;
mod limits;
pub mod model;
pub mod options;
pub mod presets;
mod queue;
mod store;
mod throttle;
mod watcher;
mod watches;

#[cfg(test)]
mod layers;

pub use backend::s3::S3Options;
pub use backend::{DeleteFailure, Listing, ObjectDetails, ObjectEntry, PendingUpload};
pub use browse::download::{DownloadReport, RefusedKey};
pub use browse::{DeleteReport, Place};
pub use connection::{ConnectionReport, ConnectionStep, StepOutcome};
pub use credentials::{AccessKey, CredentialStore, Secret};
pub use destinations::edit::{DestinationChanges, EndpointChange};
pub use destinations::{BUILTIN_LOCAL_NAME, NewDestination};
pub use engine::EngineConfig;
pub use engine::plan::PlanConfig;
pub use engine::retry::RetryPolicy;
pub use error::{Error, ErrorKind, Result};
pub use event::{Event, JobProgress, ProgressSnapshot};
pub use facade::{
    CleanupReport, Core, DEFAULT_SETTLE, EngineHandle, EnqueueReport, EnqueueRequest,
    PlannedAction, PlannedUpload, Preview, RunSummary, RunUntil, Settings, Skipped, WatchChanges,
    WatchCounts, WatchRequest,
};
pub use model::{Watch, WatchId, WatchState};
pub use queue::WATCHED_FINISHED_KEPT;
pub use store::{Preferences, QueueCounts, Removal, TransferTotals};
pub use tokio_util::sync::CancellationToken;
pub use watcher::DEFAULT_IGNORES;

/// The platform data directory (`~/.local/share/hoist` on Linux), unless overridden.
pub fn default_data_dir() -> Result<std::path::PathBuf> {
    project_dirs().map(|d| d.data_dir().to_path_buf())
}

/// Where logs go: `<data dir>/logs` when the data directory was chosen (`--data-dir` or
/// `HOIST_DATA_DIR`), else the platform's (`~/.local/state/hoist/logs` on Linux).
pub fn log_dir(data_dir: &std::path::Path, data_dir_chosen: bool) -> std::path::PathBuf {
    let platform = project_dirs()
        .ok()
        .and_then(|d| d.state_dir().map(|s| s.join("logs")));
    match platform {
        Some(dir) if !data_dir_chosen => dir,
        _ => data_dir.join("logs"),
    }
}

fn project_dirs() -> Result<directories::ProjectDirs> {
    directories::ProjectDirs::from("", "", "hoist").ok_or_else(|| {
        Error::new(
            ErrorKind::Local,
            "no home directory found: pass --data-dir or set HOIST_DATA_DIR",
        )
    })
}
