//! Watches as producers of jobs: one [`session`] per active watch turns finished files in its
//! folder into queue rows (through a [`WatchSink`], which the facade implements), keeps the
//! watch's index, and mirrors deletions when asked. [`run_watches`] keeps one session running per
//! active watch and follows adds, removals, pauses and edits, from this process (a wake-up) or
//! another one (the table, read every few seconds). It runs only inside the engine that holds the
//! data directory's lock, so two processes never watch the same folders.

mod session;

use crate::error::Result;
use crate::model::{JobId, Watch, WatchId};
use crate::store::Store;
use crate::watcher::FileStat;
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;

/// How often the watches table is read for changes made by another process.
const RELOAD_EVERY: Duration = Duration::from_secs(2);

/// What a session needs from the rest of Hoist.
#[async_trait::async_trait]
pub trait WatchSink: Send + Sync + 'static {
    /// Queues finished files of `watch` (paths below its folder, with the state they were
    /// finished in) and records them in its index.
    fn queue(&self, watch: &Watch, files: Vec<(PathBuf, FileStat)>) -> Result<Queued>;

    /// Deletes objects this watch uploaded; returns the keys that are gone now.
    async fn delete(&self, watch: &Watch, keys: &[String]) -> Result<Vec<String>>;

    /// A session wrote a new state (or note) for its watch, for whoever shows watches.
    fn state_changed(&self, watch: WatchId);
}

/// What [`WatchSink::queue`] did.
#[derive(Debug, Default)]
pub struct Queued {
    /// Each file queued: its path below the folder, its key and its job.
    pub jobs: Vec<(PathBuf, String, JobId)>,
    /// Files that cannot be uploaded, with the reason (a name that is not UTF-8, a key too long).
    pub refused: Vec<(PathBuf, String)>,
}

/// Runs every active watch until `stop`; `changed` is notified when this process changed the
/// watches.
pub async fn run_watches(
    store: Arc<Store>,
    sink: Arc<dyn WatchSink>,
    changed: Arc<Notify>,
    stop: CancellationToken,
) {
    let mut running: HashMap<WatchId, (Watch, CancellationToken)> = HashMap::new();
    loop {
        match store.watch_settings() {
            Ok(watches) => {
                let active: HashMap<WatchId, Watch> = watches
                    .into_iter()
                    .filter(|w| !w.paused)
                    .map(|w| (w.id, w))
                    .collect();
                running.retain(|id, (watch, token)| {
                    let keep = active.get(id).is_some_and(|now| same_settings(now, watch));
                    if !keep {
                        token.cancel();
                    }
                    keep
                });
                for (id, watch) in active {
                    if running.contains_key(&id) {
                        continue;
                    }
                    let token = stop.child_token();
                    tokio::spawn(session::run(
                        watch.clone(),
                        store.clone(),
                        sink.clone(),
                        token.clone(),
                    ));
                    running.insert(id, (watch, token));
                }
            }
            Err(e) => tracing::warn!(error = %e, "cannot read the watches"),
        }
        tokio::select! {
            _ = stop.cancelled() => return,
            _ = changed.notified() => {}
            _ = tokio::time::sleep(RELOAD_EVERY) => {}
        }
    }
}

/// Whether a running session still does what `now` asks (state and counts aside).
fn same_settings(now: &Watch, running: &Watch) -> bool {
    now.folder == running.folder
        && now.destination_id == running.destination_id
        && now.bucket == running.bucket
        && now.prefix == running.prefix
        && now.key_template == running.key_template
        && now.ignore == running.ignore
        && now.if_exists == running.if_exists
        && now.settle_ms == running.settle_ms
        && now.mirror_deletes == running.mirror_deletes
        && now.poll == running.poll
}
