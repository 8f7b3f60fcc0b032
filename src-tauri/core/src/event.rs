//! What the core tells its listeners. Lifecycle events are sent after the database commit; byte
//! progress is not an event but a snapshot the shell samples a few times a second.

use crate::model::{JobId, JobState};
use serde::Serialize;

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Event {
    /// Jobs were added to the queue (by this process).
    JobsAdded { ids: Vec<JobId> },
    /// A job changed state; `error` carries the message when it failed.
    JobState {
        id: JobId,
        state: JobState,
        error: Option<String>,
    },
    /// The endpoint of a running job stopped or started answering.
    Network { online: bool },
    /// Transfers started waiting because the connection is metered and the user asked
    /// (`held`), or go on again.
    MeteredHold { held: bool },
    /// A watch was added, removed, paused, resumed or edited (by this process).
    WatchesChanged,
    /// Jobs were taken off the queue by this process on its own (a watch's oldest completed
    /// uploads: the store's `prune_watched_finished`).
    JobsRemoved { ids: Vec<JobId> },
}

/// Byte progress of one running job.
#[derive(Debug, Clone, PartialEq, Serialize, ts_rs::TS)]
pub struct JobProgress {
    pub id: JobId,
    pub bytes_done: u64,
    pub bytes_total: u64,
    /// Moving average over the last few seconds, bytes per second.
    pub bytes_per_sec: f64,
    /// When a failed request will be tried again (ms since the Unix epoch), while it waits.
    pub retry_at: Option<i64>,
}

/// All running jobs' progress at one instant.
#[derive(Debug, Clone, Default, PartialEq, Serialize, ts_rs::TS)]
pub struct ProgressSnapshot {
    pub jobs: Vec<JobProgress>,
    /// False while jobs wait for the network.
    pub online: bool,
    /// True while transfers wait because the connection is metered (the `pause_on_metered`
    /// setting).
    pub held_for_metered: bool,
}
