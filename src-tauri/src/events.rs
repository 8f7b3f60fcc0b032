//! What the window hears from the core, as namespaced Tauri events (typed on the UI side in
//! ui/src/ipc/types.ts `EventMap`).
//!
//! Two tasks run for the life of the app, both ending when the stop token is cancelled:
//! - the forwarder turns each lifecycle [`Event`] from [`Core::subscribe`] into one UI event
//!   (`hoist://jobs-added`, `hoist://job-state`, `hoist://network`). If the broadcast channel
//!   overflowed, it sends `hoist://resync` and the UI reloads the list.
//! - the progress sampler reads [`Core::progress`] every [`PROGRESS_PERIOD`] and sends the whole
//!   snapshot as one `hoist://progress` message while anything runs, plus one empty snapshot when
//!   the last job stops, so the UI never receives an event per byte nor more than 5 a second.

use hoist_core::{CancellationToken, Core, Event, ProgressSnapshot};
use serde_json::{Value, json};
use std::time::Duration;
use tauri::{AppHandle, Emitter};
use tokio::sync::broadcast::{Receiver, error::RecvError};

/// `{ ids: number[] }`
pub const JOBS_ADDED: &str = "hoist://jobs-added";
/// `{ id: number, state: JobState, error: string | null }`
pub const JOB_STATE: &str = "hoist://job-state";
/// `{ online: boolean }`
pub const NETWORK: &str = "hoist://network";
/// `{ ids: number[] }`: jobs the core took off the queue on its own (a watch's oldest completed
/// uploads).
pub const JOBS_REMOVED: &str = "hoist://jobs-removed";
/// A watch was added, removed, paused, resumed or edited: reload the Watches view.
pub const WATCHES_CHANGED: &str = "hoist://watches-changed";
/// `ProgressSnapshot`
pub const PROGRESS: &str = "hoist://progress";
/// `null`: the UI missed lifecycle events and must reload.
pub const RESYNC: &str = "hoist://resync";
/// `EngineStatus` (see `commands::engine`).
pub const ENGINE: &str = "hoist://engine";
/// `EnqueueReport` of files dropped on the window.
pub const ENQUEUED: &str = "hoist://enqueued";
/// `UiError` for failures outside a command (a drop, the engine).
pub const ERROR: &str = "hoist://error";
/// `{ active: boolean }` while files are dragged over the window.
pub const DROP_HOVER: &str = "hoist://drop-hover";

/// At most 5 progress messages a second.
pub const PROGRESS_PERIOD: Duration = Duration::from_millis(200);

/// Starts the forwarder and the progress sampler.
pub fn spawn(app: &AppHandle, core: &Core, stop: &CancellationToken) {
    tauri::async_runtime::spawn(forward(app.clone(), core.subscribe(), stop.clone()));
    tauri::async_runtime::spawn(sample_progress(app.clone(), core.clone(), stop.clone()));
}

/// The UI event for one core event: its name and payload.
pub fn ui_event(event: &Event) -> (&'static str, Value) {
    match event {
        Event::JobsAdded { ids } => (JOBS_ADDED, json!({ "ids": ids })),
        Event::JobState { id, state, error } => (
            JOB_STATE,
            json!({ "id": id, "state": state, "error": error }),
        ),
        Event::Network { online } => (NETWORK, json!({ "online": online })),
        Event::WatchesChanged => (WATCHES_CHANGED, json!({})),
        Event::JobsRemoved { ids } => (JOBS_REMOVED, json!({ "ids": ids })),
    }
}

async fn forward(app: AppHandle, mut events: Receiver<Event>, stop: CancellationToken) {
    loop {
        let received = tokio::select! {
            _ = stop.cancelled() => return,
            received = events.recv() => received,
        };
        let sent = match received {
            Ok(event) => {
                let (name, payload) = ui_event(&event);
                app.emit(name, payload)
            }
            Err(RecvError::Lagged(missed)) => {
                tracing::debug!(missed, "event forwarder lagged; asking the UI to reload");
                app.emit(RESYNC, ())
            }
            Err(RecvError::Closed) => return,
        };
        if let Err(e) = sent {
            tracing::warn!(error = %e, "could not send an event to the window");
        }
    }
}

/// Decides which samples are worth sending: every one while jobs run, then one empty snapshot
/// so the UI drops its last live numbers, then silence.
#[derive(Debug, Default)]
pub struct ProgressGate {
    was_active: bool,
}

impl ProgressGate {
    pub fn admit(&mut self, snapshot: &ProgressSnapshot) -> bool {
        let active = !snapshot.jobs.is_empty();
        let send = active || self.was_active;
        self.was_active = active;
        send
    }
}

async fn sample_progress(app: AppHandle, core: Core, stop: CancellationToken) {
    let mut tick = tokio::time::interval(PROGRESS_PERIOD);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    let mut gate = ProgressGate::default();
    loop {
        tokio::select! {
            _ = stop.cancelled() => return,
            _ = tick.tick() => {}
        }
        let snapshot = core.progress();
        if gate.admit(&snapshot)
            && let Err(e) = app.emit(PROGRESS, &snapshot)
        {
            tracing::warn!(error = %e, "could not send progress to the window");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use hoist_core::JobProgress;
    use hoist_core::model::{JobId, JobState};

    #[test]
    fn lifecycle_events_become_the_payloads_the_ui_types_declare() {
        let (name, payload) = ui_event(&Event::JobsAdded {
            ids: vec![JobId(1), JobId(2)],
        });
        assert_eq!((name, payload), (JOBS_ADDED, json!({ "ids": [1, 2] })));

        let (name, payload) = ui_event(&Event::JobState {
            id: JobId(7),
            state: JobState::Failed,
            error: Some("access denied".into()),
        });
        assert_eq!(name, JOB_STATE);
        assert_eq!(
            payload,
            json!({ "id": 7, "state": "failed", "error": "access denied" })
        );

        let (_, payload) = ui_event(&Event::JobState {
            id: JobId(7),
            state: JobState::Running,
            error: None,
        });
        assert_eq!(payload["error"], Value::Null);

        assert_eq!(
            ui_event(&Event::Network { online: false }),
            (NETWORK, json!({ "online": false }))
        );
    }

    #[test]
    fn progress_snapshot_has_the_fields_the_ui_reads() {
        let snapshot = ProgressSnapshot {
            jobs: vec![JobProgress {
                id: JobId(3),
                bytes_done: 10,
                bytes_total: 20,
                bytes_per_sec: 1.5,
                retry_at: None,
            }],
            online: true,
        };
        assert_eq!(
            serde_json::to_value(&snapshot).unwrap(),
            json!({ "jobs": [{ "id": 3, "bytes_done": 10, "bytes_total": 20, "bytes_per_sec": 1.5, "retry_at": null }], "online": true })
        );
    }

    #[test]
    fn progress_is_sent_only_while_jobs_run_plus_one_final_empty_snapshot() {
        let idle = ProgressSnapshot {
            jobs: vec![],
            online: true,
        };
        let busy = ProgressSnapshot {
            jobs: vec![JobProgress {
                id: JobId(1),
                bytes_done: 1,
                bytes_total: 2,
                bytes_per_sec: 0.0,
                retry_at: None,
            }],
            online: true,
        };
        let mut gate = ProgressGate::default();
        assert!(!gate.admit(&idle), "nothing runs yet");
        assert!(gate.admit(&busy));
        assert!(gate.admit(&busy));
        assert!(
            gate.admit(&idle),
            "the last job stopped: one empty snapshot clears the UI"
        );
        assert!(!gate.admit(&idle));
        assert!(!gate.admit(&idle));
    }
}
