//! [`Core`]: what the shell sees of the engine. Opening a data directory, destinations, adding files
//! to the queue, user actions on jobs, and [`Core::run_queue`], which takes the engine lock and
//! drives uploads. Every method that changes the queue commits first, then sends its event and
//! wakes a scheduler running in this process; schedulers in other processes see the change at
//! their next tick.

use crate::backend::{Listing, ObjectDetails};
use crate::browse::{Browser, DeleteReport, Place};
use crate::connection::ConnectionReport;
use crate::credentials::{AccessKey, CredentialStore};
use crate::destinations::edit::DestinationChanges;
use crate::destinations::{Destinations, NewDestination, default_local_folder};
use crate::engine::EngineConfig;
use crate::engine::network::Network;
use crate::engine::progress::ProgressBoard;
use crate::error::{Error, ErrorKind, Result};
use crate::event::{Event, ProgressSnapshot};
use crate::model::{Destination, Direction, Job, JobId, JobState, Selection};
use crate::queue::Action;
use crate::store::Store;
use crate::throttle::Throttles;
use serde::Serialize;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{Notify, broadcast};

mod aws_profiles;
mod cleanup;
mod engine;
mod enqueue;
mod keys;
mod preview;
mod settings;
mod watching;

pub use cleanup::CleanupReport;
pub use engine::EngineHandle;
pub use enqueue::{EnqueueReport, EnqueueRequest, Skipped};
pub use preview::{PlannedAction, PlannedUpload, Preview};
pub use settings::Settings;
pub use watching::{DEFAULT_SETTLE, WatchChanges, WatchCounts, WatchRequest};

/// When [`Core::run_queue`] returns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RunUntil {
    /// Nothing is queued or running any more.
    Idle,
    /// Every job of this batch has ended (completed, failed, cancelled) or is paused.
    Batch(String),
    /// Only when the stop token is cancelled.
    Stopped,
    /// Only when the stop token is cancelled, running every active watch meanwhile (the
    /// window, `hoist run --watch`).
    Watching,
}

/// What one [`Core::run_queue`] did.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RunSummary {
    /// Files uploaded and verified.
    pub completed: usize,
    /// Files the `--if-exists` rule skipped (nothing sent; not counted in `bytes`).
    pub skipped: usize,
    pub failed: usize,
    /// Bytes uploaded.
    pub bytes: u64,
    pub elapsed: Duration,
}

struct Inner {
    data_dir: PathBuf,
    store: Arc<Store>,
    destinations: Arc<Destinations>,
    browser: Browser,
    events: broadcast::Sender<Event>,
    board: Arc<ProgressBoard>,
    network: Arc<Network>,
    wake: Arc<Notify>,
    /// Notified when this process changed the watches (the engine's watch runner listens).
    watches_changed: Arc<Notify>,
    config: EngineConfig,
    throttles: Throttles,
}

/// A handle on one data directory. Cheap to clone; all clones share state.
#[derive(Clone)]
pub struct Core {
    inner: Arc<Inner>,
}

impl Core {
    /// Opens (creating if needed) a data directory. The keychain is reached only when a
    /// secret is needed.
    pub fn open(data_dir: &Path) -> Result<Core> {
        let core = Core::open_with(data_dir, None, EngineConfig::default())?;
        core.inner
            .destinations
            .ensure_builtin_local(default_local_folder(data_dir))?;
        Ok(core)
    }

    /// Like [`Core::open`] with another credential store (tests, embedding) and engine config.
    pub fn open_with(
        data_dir: &Path,
        credentials: Option<Arc<dyn CredentialStore>>,
        config: EngineConfig,
    ) -> Result<Core> {
        let store = Arc::new(Store::open(data_dir)?);
        let throttles = Throttles::new(
            store.bandwidth_limit(Direction::Upload)?,
            store.bandwidth_limit(Direction::Download)?,
        );
        let (events, _) = broadcast::channel(1024);
        let destinations = Arc::new(Destinations::new(
            store.clone(),
            credentials,
            throttles.clone(),
            config.s3,
        ));
        Ok(Core {
            inner: Arc::new(Inner {
                data_dir: data_dir.to_path_buf(),
                store,
                browser: Browser::new(destinations.clone(), config.retry),
                destinations,
                network: Arc::new(Network::new(events.clone())),
                events,
                board: Arc::new(ProgressBoard::default()),
                wake: Arc::new(Notify::new()),
                watches_changed: Arc::new(Notify::new()),
                config,
                throttles,
            }),
        })
    }

    pub fn subscribe(&self) -> broadcast::Receiver<Event> {
        self.inner.events.subscribe()
    }

    fn changed(&self, changes: &[(JobId, JobState)]) {
        for (id, state) in changes {
            let _ = self.inner.events.send(Event::JobState {
                id: *id,
                state: *state,
                error: None,
            });
        }
        self.inner.wake.notify_one();
    }

    // ---- destinations (see [`crate::destinations`])

    /// Creates a destination from what the user gave: the one way in, for every shell.
    pub fn add_destination(
        &self,
        new: NewDestination,
        key: Option<AccessKey>,
    ) -> Result<Destination> {
        self.inner.destinations.add(new, key)
    }

    pub fn destinations(&self) -> Result<Vec<Destination>> {
        self.inner.destinations.list()
    }

    /// Removes a destination, its finished jobs, and its keychain entry.
    pub fn remove_destination(&self, name: &str) -> Result<()> {
        self.inner.destinations.remove(name)
    }

    /// The destination named `name`, or `NotFound`.
    pub fn destination(&self, name: &str) -> Result<Destination> {
        self.inner.destinations.named(name)
    }

    /// See [`Destinations::edit`].
    pub fn edit_destination(&self, name: &str, changes: DestinationChanges) -> Result<Destination> {
        self.inner.destinations.edit(name, changes)
    }

    /// The named destination; without a name, the only one the user added, or the built-in
    /// local folder when they added none.
    pub fn resolve_destination(&self, name: Option<&str>) -> Result<Destination> {
        self.inner.destinations.resolve(name)
    }

    /// Tests a destination step by step and remembers what its server accepts.
    pub async fn test_destination(&self, name: &str) -> Result<ConnectionReport> {
        self.inner.destinations.test(name).await
    }

    // ---- browsing (see [`crate::browse`])

    /// One page of what is under `prefix` (a folder level, or everything below: `recursive`).
    pub async fn list_objects(
        &self,
        place: &Place,
        prefix: &str,
        recursive: bool,
        page: Option<&str>,
        limit: u32,
    ) -> Result<Listing> {
        self.inner
            .browser
            .list(place, prefix, recursive, page, limit)
            .await
    }

    pub async fn object_details(&self, place: &Place, key: &str) -> Result<ObjectDetails> {
        self.inner.browser.stat(place, key).await
    }

    pub async fn delete_objects(&self, place: &Place, keys: &[String]) -> Result<DeleteReport> {
        self.inner.browser.delete(place, keys).await
    }

    /// Deletes (or counts, with `dry_run`) everything under the folder `prefix`.
    pub async fn delete_folder(
        &self,
        place: &Place,
        prefix: &str,
        dry_run: bool,
        progress: impl FnMut(&DeleteReport),
    ) -> Result<DeleteReport> {
        self.inner
            .browser
            .delete_under(place, prefix, dry_run, progress)
            .await
    }

    pub async fn share_link(&self, place: &Place, key: &str, expires: Duration) -> Result<String> {
        self.inner.browser.share(place, key, expires).await
    }

    // ---- queue

    pub fn jobs(&self) -> Result<Vec<Job>> {
        self.inner.store.jobs()
    }

    /// The jobs with these ids that are in the queue, in queue order.
    pub fn jobs_by_id(&self, ids: &[JobId]) -> Result<Vec<Job>> {
        self.inner.store.jobs_by_id(ids)
    }

    pub fn job(&self, id: JobId) -> Result<Option<Job>> {
        self.inner.store.job(id)
    }

    /// How many jobs are in each state (one query; for status lines).
    pub fn queue_counts(&self) -> Result<crate::QueueCounts> {
        self.inner.store.queue_counts()
    }

    /// The same for one batch (for "batch finished" notifications).
    pub fn batch_counts(&self, batch: &str) -> Result<crate::QueueCounts> {
        self.inner.store.batch_counts(batch)
    }

    /// Jobs not yet ended (queued, running, paused), oldest first.
    /// A progress display's totals of one batch, or of every unfinished job (one query).
    pub fn transfer_totals(&self, batch: Option<&str>) -> Result<crate::TransferTotals> {
        self.inner.store.transfer_totals(batch)
    }

    pub fn batch_jobs(&self, batch: &str) -> Result<Vec<Job>> {
        self.inner.store.jobs_in_batch(batch)
    }

    pub fn pause(&self, selection: &Selection) -> Result<Vec<JobId>> {
        self.act(selection, Action::Pause)
    }

    pub fn resume(&self, selection: &Selection) -> Result<Vec<JobId>> {
        self.act(selection, Action::Resume)
    }

    /// Cancels jobs. Their multipart uploads are aborted by whichever process drives the
    /// queue (see [`Core::abort_cancelled_uploads`] for doing it without a running engine).
    pub fn cancel(&self, selection: &Selection) -> Result<Vec<JobId>> {
        self.act(selection, Action::Cancel)
    }

    pub fn retry(&self, selection: &Selection) -> Result<Vec<JobId>> {
        self.act(selection, Action::Retry)
    }

    /// Applies a user action. With explicit ids, every id must exist and be in a state the
    /// action applies to: the others still change, and the error names each refused job, its
    /// state and the states the action takes. `Selection::All` acts on what it can.
    fn act(&self, selection: &Selection, action: Action) -> Result<Vec<JobId>> {
        let applied = self.inner.store.apply_chosen(selection, action)?;
        if let Some(unknown) = applied.missing.first() {
            return Err(Error::new(
                ErrorKind::NotFound,
                format!("no job with id {unknown}: the queue lists the ids"),
            ));
        }
        self.changed(&applied.changed);
        let changed: Vec<JobId> = applied.changed.into_iter().map(|(id, _)| id).collect();
        // `Selection::All` acts on what it can: a job it does not apply to is no refusal.
        if applied.refused.is_empty() || matches!(selection, Selection::All) {
            return Ok(changed);
        }
        Err(Error::new(
            ErrorKind::InvalidInput,
            crate::queue::refusal_message(action, &applied.refused, &changed),
        ))
    }
    /// Takes jobs off the list; those whose multipart upload must be aborted first, or that are
    /// running, are cancelled instead (see [`crate::Removal`]).
    pub fn remove_jobs(&self, ids: &[JobId]) -> Result<crate::Removal> {
        let removal = self.inner.store.remove_jobs(ids)?;
        let cancelled: Vec<(JobId, JobState)> = removal
            .cancelled
            .iter()
            .map(|id| (*id, JobState::Cancelled))
            .collect();
        self.changed(&cancelled);
        Ok(removal)
    }

    /// Deletes completed jobs and cancelled ones with nothing left on the server.
    pub fn clear_finished(&self) -> Result<Vec<JobId>> {
        self.inner.store.clear_finished()
    }

    pub fn progress(&self) -> ProgressSnapshot {
        let network = &self.inner.network;
        self.inner
            .board
            .snapshot(network.online(), network.held_for_metered())
    }
}
