//! Whether this process drives the upload queue. Exactly one process per data directory runs
//! the engine; when the window starts while a `hoist upload` already does, the window still
//! shows and changes the queue through the database, and says so. [`EngineCell`] holds the
//! current [`EngineStatus`]; every change is also sent as `hoist://engine`, and the UI asks
//! `engine_status` once at start so it cannot miss the first one.

use crate::events;
use serde::Serialize;
use std::sync::Mutex;
use tauri::{AppHandle, Emitter, State};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum EngineStatus {
    /// This process holds the engine lock and runs uploads.
    Driving,
    /// Another process holds the lock; this one retries now and then.
    Elsewhere,
    /// The engine ended with an error; the queue is still shown.
    Stopped { message: String },
}

/// Managed state: the last status, so a late listener can ask for it.
pub struct EngineCell(Mutex<EngineStatus>);

impl Default for EngineCell {
    fn default() -> Self {
        EngineCell(Mutex::new(EngineStatus::Driving))
    }
}

impl EngineCell {
    pub fn get(&self) -> EngineStatus {
        self.0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .clone()
    }

    /// Stores `status` and tells the UI, if it changed.
    pub fn set(&self, app: &AppHandle, status: EngineStatus) {
        {
            let mut current = self
                .0
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner());
            if *current == status {
                return;
            }
            *current = status.clone();
        }
        if let Err(e) = app.emit(events::ENGINE, status) {
            tracing::warn!(error = %e, "could not send the engine status");
        }
    }
}

#[tauri::command]
pub fn engine_status(cell: State<'_, EngineCell>) -> EngineStatus {
    cell.get()
}

/// The running jobs' progress, whether the storage answers and whether a metered connection
/// holds transfers back, now: what `hoist://progress` sends only while jobs run.
#[tauri::command]
pub fn progress_snapshot(core: State<'_, hoist_core::Core>) -> hoist_core::ProgressSnapshot {
    core.progress()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn status_serializes_as_a_tagged_state() {
        assert_eq!(
            serde_json::to_value(EngineStatus::Driving).unwrap(),
            json!({ "state": "driving" })
        );
        assert_eq!(
            serde_json::to_value(EngineStatus::Elsewhere).unwrap(),
            json!({ "state": "elsewhere" })
        );
        assert_eq!(
            serde_json::to_value(EngineStatus::Stopped {
                message: "disk full".into()
            })
            .unwrap(),
            json!({ "state": "stopped", "message": "disk full" })
        );
    }
}
