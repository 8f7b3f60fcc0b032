//! What the window hears from the core, as namespaced Tauri events. Every payload is a typed
//! struct, and `EventMap` in ui/src/ipc/generated.ts (event name -> payload type) is generated
//! from these names and types by src-tauri/src/ipc_types.rs.
//!
//! Two tasks run for the life of the app, both ending when the stop token is cancelled:
//! - the forwarder gathers the queue's lifecycle [`Event`]s from [`Core::subscribe`] (jobs
//!   added, state changes, jobs removed) for at most [`QUEUE_CHANGES_PERIOD`] and sends them as
//!   one `hoist://queue-changes` message ([`QueueChanges`]); other events (`hoist://network`,
//!   `hoist://watches-changed`) go at once. Each message is a script evaluation in the web view:
//!   one per event, a watch finishing 20,000 small files held its main thread for seconds
//!   (tests/bench/window.py, issue 19). If the broadcast channel overflowed, it sends
//!   `hoist://resync` and the UI reloads the list.
//! - the progress sampler reads [`Core::progress`] every [`PROGRESS_PERIOD`] and sends the whole
//!   snapshot as one `hoist://progress` message while anything runs, plus one empty snapshot when
//!   the last job stops, so the UI never receives an event per byte nor more than 5 a second.

use hoist_core::model::{JobId, JobState};
use hoist_core::{CancellationToken, Core, Event, ProgressSnapshot};
use serde::Serialize;
use serde_json::Value;
use std::time::Duration;
use tauri::{AppHandle, Emitter};
use tokio::sync::broadcast::{Receiver, error::RecvError};

/// [`QueueChanges`]
pub const QUEUE_CHANGES: &str = "hoist://queue-changes";
/// [`NetworkChange`]
pub const NETWORK: &str = "hoist://network";
/// [`MeteredHold`]
pub const METERED_HOLD: &str = "hoist://metered-hold";
/// [`WatchesChanged`]: a watch was added, removed, paused, resumed or edited: reload the
/// Watches view.
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
/// [`DropHover`] while files are dragged over the window.
pub const DROP_HOVER: &str = "hoist://drop-hover";

/// At most 5 progress messages a second.
pub const PROGRESS_PERIOD: Duration = Duration::from_millis(200);
/// How long the queue's events are gathered before they are sent: the most a change waits.
pub const QUEUE_CHANGES_PERIOD: Duration = Duration::from_millis(100);

/// The storage answers again (`online`) or stopped answering: the queue holds until it does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct NetworkChange {
    pub online: bool,
}

/// Transfers wait because the connection is metered and the user asked (`held`), or go on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct MeteredHold {
    pub held: bool,
}

/// A watch was added, removed, paused, resumed or edited, or its engine noted a new state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct WatchesChanged {}

/// Files are being dragged over the window (`active`), or no longer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct DropHover {
    pub active: bool,
}

/// One job's new state; `error` carries the message when it failed.
#[derive(Debug, Clone, PartialEq, Serialize, ts_rs::TS)]
pub struct JobStateChange {
    pub id: JobId,
    pub state: JobState,
    pub error: Option<String>,
}

/// What happened to the queue since the last message, in order within each list: jobs added
/// (the UI fetches them by id, which gives their state after every change listed here), state
/// changes, and jobs the core took off the queue on its own (a watch's oldest completed
/// uploads).
#[derive(Debug, Clone, Default, PartialEq, Serialize, ts_rs::TS)]
pub struct QueueChanges {
    pub added: Vec<JobId>,
    pub states: Vec<JobStateChange>,
    pub removed: Vec<JobId>,
}

impl QueueChanges {
    /// Adds a queue event; gives back any other event, which is not about the queue.
    pub fn gather(&mut self, event: Event) -> Option<Event> {
        match event {
            Event::JobsAdded { ids } => self.added.extend(ids),
            Event::JobState { id, state, error } => {
                self.states.push(JobStateChange { id, state, error })
            }
            Event::JobsRemoved { ids } => self.removed.extend(ids),
            other => return Some(other),
        }
        None
    }

    pub fn is_empty(&self) -> bool {
        self.added.is_empty() && self.states.is_empty() && self.removed.is_empty()
    }
}

/// Starts the forwarder, the progress sampler and the watch of other processes' watch changes.
pub fn spawn(app: &AppHandle, core: &Core, stop: &CancellationToken) {
    tauri::async_runtime::spawn(forward(app.clone(), core.subscribe(), stop.clone()));
    tauri::async_runtime::spawn(sample_progress(app.clone(), core.clone(), stop.clone()));
    let (core, stop) = (core.clone(), stop.clone());
    // Another process's changes to the watches (the CLI's) come through the core's events too.
    tauri::async_runtime::spawn(async move { core.report_outside_watch_changes(stop).await });
}

/// The UI event for a core event that is not about the queue: its name and payload.
pub fn ui_event(event: &Event) -> Option<(&'static str, Value)> {
    match event {
        Event::Network { online } => Some((NETWORK, payload(NetworkChange { online: *online }))),
        Event::MeteredHold { held } => Some((METERED_HOLD, payload(MeteredHold { held: *held }))),
        Event::WatchesChanged => Some((WATCHES_CHANGED, payload(WatchesChanged {}))),
        Event::JobsAdded { .. } | Event::JobState { .. } | Event::JobsRemoved { .. } => None,
    }
}

fn payload(value: impl Serialize) -> Value {
    serde_json::to_value(value).expect("an event payload is plain data")
}

async fn forward(app: AppHandle, mut events: Receiver<Event>, stop: CancellationToken) {
    let mut gathered = QueueChanges::default();
    let mut send_at: Option<tokio::time::Instant> = None;
    loop {
        let received = tokio::select! {
            _ = stop.cancelled() => return,
            _ = tokio::time::sleep_until(send_at.unwrap_or_else(tokio::time::Instant::now)), if send_at.is_some() => {
                send_at = None;
                report(app.emit(QUEUE_CHANGES, std::mem::take(&mut gathered)));
                continue;
            }
            received = events.recv() => received,
        };
        match received {
            Ok(event) => {
                if let Some((name, payload)) = gathered.gather(event).as_ref().and_then(ui_event) {
                    report(app.emit(name, payload));
                }
            }
            Err(RecvError::Lagged(missed)) => {
                tracing::debug!(missed, "event forwarder lagged; asking the UI to reload");
                gathered = QueueChanges::default();
                send_at = None;
                report(app.emit(RESYNC, ()));
            }
            Err(RecvError::Closed) => {
                if !gathered.is_empty() {
                    report(app.emit(QUEUE_CHANGES, gathered));
                }
                return;
            }
        }
        if send_at.is_none() && !gathered.is_empty() {
            send_at = Some(tokio::time::Instant::now() + QUEUE_CHANGES_PERIOD);
        }
    }
}

fn report(sent: tauri::Result<()>) {
    if let Err(e) = sent {
        tracing::warn!(error = %e, "could not send an event to the window");
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
    use serde_json::json;

    #[test]
    fn queue_events_are_gathered_in_order_and_others_pass_through() {
        let mut gathered = QueueChanges::default();
        assert!(gathered.is_empty());
        for event in [
            Event::JobsAdded {
                ids: vec![JobId(1), JobId(2)],
            },
            Event::JobState {
                id: JobId(1),
                state: JobState::Running,
                error: None,
            },
            Event::JobState {
                id: JobId(1),
                state: JobState::Failed,
                error: Some("access denied".into()),
            },
            Event::JobsRemoved {
                ids: vec![JobId(9)],
            },
        ] {
            assert_eq!(gathered.gather(event), None);
        }
        assert_eq!(
            serde_json::to_value(&gathered).unwrap(),
            json!({
                "added": [1, 2],
                "states": [
                    { "id": 1, "state": "running", "error": null },
                    { "id": 1, "state": "failed", "error": "access denied" },
                ],
                "removed": [9],
            })
        );
        let network = gathered.gather(Event::Network { online: false });
        assert_eq!(
            network.as_ref().and_then(ui_event),
            Some((NETWORK, json!({ "online": false })))
        );
        assert_eq!(
            ui_event(&Event::MeteredHold { held: true }),
            Some((METERED_HOLD, json!({ "held": true })))
        );
        assert_eq!(
            ui_event(&Event::WatchesChanged),
            Some((WATCHES_CHANGED, json!({})))
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
            held_for_metered: false,
        };
        assert_eq!(
            serde_json::to_value(&snapshot).unwrap(),
            json!({ "jobs": [{ "id": 3, "bytes_done": 10, "bytes_total": 20, "bytes_per_sec": 1.5, "retry_at": null }], "online": true, "held_for_metered": false })
        );
    }

    #[test]
    fn progress_is_sent_only_while_jobs_run_plus_one_final_empty_snapshot() {
        let idle = ProgressSnapshot {
            jobs: vec![],
            online: true,
            held_for_metered: false,
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
            held_for_metered: false,
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
