//! Watched folders as the rest of Hoist sees them.

use super::DestinationId;
use crate::options::IfExists;
use serde::{Deserialize, Serialize};
use std::path::PathBuf;

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, ts_rs::TS,
)]
pub struct WatchId(pub i64);

impl std::fmt::Display for WatchId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// How a watch is doing, as the engine running it last said.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum WatchState {
    /// Added, not yet looked at by an engine.
    Starting,
    /// The kernel reports changes; the folder is also walked on start and after lost events.
    Watching,
    /// The folder is walked every few seconds (a network or FUSE mount, the watch limit reached,
    /// or polling chosen).
    Polling,
    Paused,
    /// The folder cannot be watched now (gone, unreadable); the note says why.
    Error,
}

impl WatchState {
    pub fn as_str(self) -> &'static str {
        match self {
            WatchState::Starting => "starting",
            WatchState::Watching => "watching",
            WatchState::Polling => "polling",
            WatchState::Paused => "paused",
            WatchState::Error => "error",
        }
    }

    pub fn parse(s: &str) -> Option<WatchState> {
        [
            WatchState::Starting,
            WatchState::Watching,
            WatchState::Polling,
            WatchState::Paused,
            WatchState::Error,
        ]
        .into_iter()
        .find(|state| state.as_str() == s)
    }
}

/// A watched folder: every finished file below it is uploaded to `bucket` under `prefix`.
#[derive(Debug, Clone, PartialEq, Serialize, ts_rs::TS)]
pub struct Watch {
    pub id: WatchId,
    #[serde(serialize_with = "super::path_for_people")]
    pub folder: PathBuf,
    pub destination_id: DestinationId,
    pub destination_name: String,
    pub bucket: String,
    /// A folder prefix (`scans/`), or empty.
    pub prefix: String,
    /// `None`: the destination's key template.
    pub key_template: Option<String>,
    /// Globs of names never uploaded (see `watcher::IgnoreRules`).
    pub ignore: Vec<String>,
    /// `None`: the destination's rule.
    pub if_exists: Option<IfExists>,
    /// How long a file must stay unchanged before it is uploaded, in milliseconds.
    pub settle_ms: u64,
    /// Whether deleting a file (or moving it out) deletes the object this watch uploaded.
    pub mirror_deletes: bool,
    /// Whether the folder is walked on a timer instead of listening for changes.
    pub poll: bool,
    pub paused: bool,
    pub state: WatchState,
    /// Why the watch is polling or failing, in words for people.
    pub note: Option<String>,
    /// When the watch last queued or deleted something (Unix seconds).
    pub active_at: Option<i64>,
    /// Files this watch queued whose upload finished (or left the queue).
    pub uploaded: u64,
    /// Files this watch queued that are still to be uploaded.
    pub pending: u64,
    pub created_at: i64,
}

/// A watch about to be added; see `Core::add_watch`.
#[derive(Debug, Clone, PartialEq)]
pub struct NewWatch {
    pub folder: PathBuf,
    pub destination_id: DestinationId,
    pub bucket: String,
    pub prefix: String,
    pub key_template: Option<String>,
    pub ignore: Vec<String>,
    pub if_exists: Option<IfExists>,
    pub settle_ms: u64,
    pub mirror_deletes: bool,
    pub poll: bool,
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::ffi::OsStrExt;

    #[test]
    fn a_folder_name_that_is_not_utf8_failed_the_whole_watch_list() {
        let folder = PathBuf::from(std::ffi::OsStr::from_bytes(b"/home/me/sc\xffans"));
        let watch = Watch {
            id: WatchId(1),
            folder,
            destination_id: DestinationId("d".into()),
            destination_name: "local".into(),
            bucket: String::new(),
            prefix: String::new(),
            key_template: None,
            ignore: Vec::new(),
            if_exists: None,
            settle_ms: 2000,
            mirror_deletes: false,
            poll: false,
            paused: false,
            state: WatchState::Watching,
            note: None,
            active_at: None,
            uploaded: 0,
            pending: 0,
            created_at: 0,
        };
        let json = serde_json::to_value(&watch).expect("a watch always serializes");
        assert_eq!(json["folder"], "/home/me/sc\u{fffd}ans");
    }
}
