//! The loop that drives a data directory's queue while this process holds the engine lock.
//! See the module docs of [`crate::queue`] for what one tick does.

use super::Action;
use crate::destinations::Destinations;
use crate::engine::network::Network;
use crate::engine::progress::ProgressBoard;
use crate::engine::{self, EngineConfig, JobContext};
use crate::error::{Error, Result};
use crate::event::Event;
use crate::model::{Direction, Job, JobId, JobState, Selection};
use crate::store::Store;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::{Notify, broadcast};
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

const TICK: Duration = Duration::from_millis(500);
const CLEANUP_EVERY: Duration = Duration::from_secs(10);
/// How often running jobs' byte counts are written to the database (for other processes and
/// for the queue after a restart); every write is a durable commit, so not on every turn.
const PROGRESS_EVERY: Duration = Duration::from_secs(1);
/// Uploads below this size are small: their time goes to request round trips rather than to
/// bytes, so more of them run at once ([`SMALL_SLOTS_PER_SLOT`] per transfer slot). The
/// concurrency setting still bounds every other transfer; a setting of 1 bounds all.
const SMALL_UPLOAD: u64 = 1024 * 1024;
const SMALL_SLOTS_PER_SLOT: usize = 8;
/// Completed uploads of each watch that stay in the queue; older ones are taken off it (the
/// watch's index remembers them), so a watch that runs for months keeps the list and the
/// window bounded.
pub const WATCHED_FINISHED_KEPT: usize = 1000;
/// Watched uploads that complete between two prunes: a prune reads the completed jobs of
/// every watch, so it is done once per this many, not per job.
const PRUNE_EVERY: usize = 100;

/// When [`Scheduler::run`] returns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Until {
    /// No job is queued or running.
    Idle,
    /// Every job of this batch is completed, failed, cancelled or paused.
    Batch(String),
    /// Only when the stop token is cancelled.
    Stopped,
}

/// What happened during one run.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SchedulerOutcome {
    /// Uploaded and verified.
    pub completed: usize,
    /// Ended without sending anything (`--if-exists` kept the object); not in `bytes`.
    pub skipped: usize,
    pub failed: usize,
    /// Bytes of the uploaded files.
    pub bytes: u64,
}

pub struct Scheduler {
    pub store: Arc<Store>,
    /// Builds (and keeps) the backend of each job's destination.
    pub destinations: Arc<Destinations>,
    pub network: Arc<Network>,
    pub board: Arc<ProgressBoard>,
    pub events: broadcast::Sender<Event>,
    pub wake: Arc<Notify>,
    pub config: EngineConfig,
    /// The shared bandwidth limit; its setting is re-read every tick (another process may
    /// have changed it).
    pub throttles: crate::throttle::Throttles,
}

struct Running {
    token: CancellationToken,
    total: u64,
    /// A small upload, which does not take one of the concurrency setting's slots.
    small: bool,
    /// Stopped because the connection turned metered: it goes back to the queue.
    held: bool,
}

/// Stops the running jobs while the connection is metered; each goes back to the queue when its
/// task ends (a multipart upload keeps its finished parts).
fn hold_back(running: &mut HashMap<JobId, Running>) {
    for (id, job) in running.iter_mut() {
        if !job.token.is_cancelled() {
            tracing::info!(job = %id, "stopping a transfer: the connection is metered");
            job.held = true;
            job.token.cancel();
        }
    }
}

fn is_small(job: &Job) -> bool {
    job.direction == Direction::Upload && job.bytes_total < SMALL_UPLOAD
}

type JobResult = (JobId, Option<Result<()>>);

impl Scheduler {
    /// Runs the queue until `until` holds or `stop` is cancelled. The caller holds the engine
    /// lock. Running jobs are given back to the queue (`queued`) when it stops.
    pub async fn run(&self, until: Until, stop: CancellationToken) -> Result<SchedulerOutcome> {
        self.store.recount_interrupted()?;
        let recovered = self.store.apply(&Selection::All, Action::Requeue, None)?;
        if !recovered.is_empty() {
            tracing::info!(
                jobs = recovered.len(),
                "resuming jobs interrupted by a previous stop"
            );
        }
        let mut outcome = SchedulerOutcome::default();
        let mut running: HashMap<JobId, Running> = HashMap::new();
        let mut tasks: JoinSet<JobResult> = JoinSet::new();
        let mut next_cleanup = Instant::now();
        let mut next_progress = Instant::now() + PROGRESS_EVERY;
        let mut stopping = false;
        // What other processes change (pauses, cancels, settings) is read once a tick, or at
        // once when woken, not after every finished job: with many small files finishing,
        // those reads were most of the scheduler's work.
        let mut next_poll = Instant::now();
        let mut concurrency = 0;
        let mut held = false;
        self.prune_watched_finished();
        let mut watched_completed = 0;
        loop {
            if Instant::now() >= next_poll {
                self.notice_outside_changes(&running)?;
                for direction in [Direction::Upload, Direction::Download] {
                    let limit = self.store.bandwidth_limit(direction)?;
                    direction.throttle(&self.throttles).set_setting(limit);
                }
                concurrency = self.store.concurrency()?;
                held = self
                    .network
                    .hold_for_metered(self.store.pause_on_metered()?);
                if held {
                    hold_back(&mut running);
                }
                next_poll = Instant::now() + TICK;
            }
            if Instant::now() >= next_cleanup {
                self.abort_cancelled_uploads(&running).await;
                next_cleanup = Instant::now() + CLEANUP_EVERY;
            }
            if !stopping && !held {
                for job in self.next_to_start(&running, concurrency)? {
                    self.start(job, &mut running, &mut tasks, &mut outcome)?;
                }
            }
            if Instant::now() >= next_progress {
                self.store.set_progress(&self.board.bytes_done())?;
                next_progress = Instant::now() + PROGRESS_EVERY;
            }
            if running.is_empty() && (stopping || self.finished(&until)?) {
                return Ok(outcome);
            }
            tokio::select! {
                joined = tasks.join_next(), if !tasks.is_empty() => {
                    if let Some(joined) = joined {
                        let (id, result) = joined.map_err(|e| {
                            Error::new(crate::error::ErrorKind::Local, format!("an upload task crashed: {e}"))
                        })?;
                        // A job stopped from outside may leave an upload to abort.
                        if result.is_none() {
                            next_cleanup = Instant::now();
                        }
                        if self.finish(id, result, stopping, &mut running, &mut outcome)? {
                            watched_completed += 1;
                            if watched_completed >= PRUNE_EVERY {
                                self.prune_watched_finished();
                                watched_completed = 0;
                            }
                        }
                    }
                }
                _ = stop.cancelled(), if !stopping => {
                    stopping = true;
                    for job in running.values() {
                        job.token.cancel();
                    }
                }
                _ = self.wake.notified() => next_poll = Instant::now(),
                _ = tokio::time::sleep(TICK) => {}
            }
        }
    }

    /// The queued jobs that fit in the free slots: at most the concurrency setting of ordinary
    /// transfers, and small uploads beside them up to [`SMALL_SLOTS_PER_SLOT`] times as many
    /// transfers in all. A large job waiting for a slot does not hold up the small ones behind.
    fn next_to_start(&self, running: &HashMap<JobId, Running>, limit: usize) -> Result<Vec<Job>> {
        let mut total = running.len();
        let mut ordinary = running.values().filter(|r| !r.small).count();
        // One at a time means one at a time (a slow or metered link), whatever the sizes.
        let cap = if limit <= 1 {
            limit
        } else {
            limit * SMALL_SLOTS_PER_SLOT
        };
        if total >= cap {
            return Ok(Vec::new());
        }
        let busy: Vec<JobId> = running.keys().copied().collect();
        self.store.next_queued(&busy, |job| {
            if total >= cap {
                return None;
            }
            if is_small(job) {
                total += 1;
                Some(true)
            } else if ordinary < limit {
                ordinary += 1;
                total += 1;
                Some(true)
            } else {
                Some(false)
            }
        })
    }

    fn finished(&self, until: &Until) -> Result<bool> {
        Ok(match until {
            Until::Idle => !self.store.has_active_jobs()?,
            Until::Batch(batch) => !self.store.batch_has_active_jobs(batch)?,
            Until::Stopped => false,
        })
    }

    /// Stops the tasks of jobs that another process (or this one) paused, cancelled or removed.
    fn notice_outside_changes(&self, running: &HashMap<JobId, Running>) -> Result<()> {
        if running.is_empty() {
            return Ok(());
        }
        let ids: Vec<JobId> = running.keys().copied().collect();
        let states: HashMap<JobId, JobState> = self.store.states(&ids)?.into_iter().collect();
        for (id, job) in running {
            if states.get(id) != Some(&JobState::Running) && !job.token.is_cancelled() {
                tracing::info!(job = %id, state = ?states.get(id), "stopping a job changed from outside");
                job.token.cancel();
            }
        }
        Ok(())
    }

    fn start(
        &self,
        job: Job,
        running: &mut HashMap<JobId, Running>,
        tasks: &mut JoinSet<JobResult>,
        outcome: &mut SchedulerOutcome,
    ) -> Result<()> {
        let id = job.id;
        if self
            .store
            .apply(&Selection::Ids(vec![id]), Action::Start, None)?
            .is_empty()
        {
            return Ok(());
        }
        self.send(id, JobState::Running, None);
        let backend = match self
            .destinations
            .backend_for(&job.destination_id, &job.bucket)
        {
            Ok(backend) => backend,
            Err(e) => {
                outcome.failed += 1;
                return self.fail(id, &e);
            }
        };
        let counters = self.board.track(id);
        counters.set_total(job.bytes_total);
        let token = CancellationToken::new();
        running.insert(
            id,
            Running {
                token: token.clone(),
                total: job.bytes_total,
                small: is_small(&job),
                held: false,
            },
        );
        tracing::info!(job = %id, path = %job.path.display(), key = %job.key, destination = %backend.describe(), "upload started");
        let mut config = self.config;
        match self.store.chosen_part_size() {
            Ok(Some(size)) => config.plan.part_size = size,
            Ok(None) => {}
            Err(e) => tracing::warn!(error = %e, "cannot read the part size; using the default"),
        }
        let ctx = JobContext {
            store: self.store.clone(),
            backend,
            network: self.network.clone(),
            job,
            counters,
            config,
        };
        tasks.spawn(async move {
            let transfer = async {
                match ctx.job.direction {
                    Direction::Upload => engine::run_job(&ctx).await,
                    Direction::Download => engine::download::run_download(&ctx).await,
                }
            };
            let result = tokio::select! {
                result = transfer => Some(result),
                _ = token.cancelled() => None,
            };
            (id, result)
        });
        Ok(())
    }

    /// Records how a job's transfer ended; true when it was a watched upload that completed.
    fn finish(
        &self,
        id: JobId,
        result: Option<Result<()>>,
        stopping: bool,
        running: &mut HashMap<JobId, Running>,
        outcome: &mut SchedulerOutcome,
    ) -> Result<bool> {
        let (total, held) = running
            .remove(&id)
            .map(|r| (r.total, r.held))
            .unwrap_or_default();
        // In-flight bytes of a job that stopped or failed did not make it: keep committed ones.
        let committed = self.board.untrack(id);
        match result {
            Some(Ok(())) => {
                let job = self.store.job(id)?;
                let watched = job.as_ref().is_some_and(|j| j.watch.is_some());
                let total = job.as_ref().map(|j| j.bytes_total).unwrap_or(total);
                // The engine recorded a skip as the job's outcome before returning.
                let skipped = job.and_then(|j| j.outcome).is_some_and(|o| o.is_skipped());
                self.store.set_progress(&[(id, total)])?;
                let changed =
                    self.store
                        .apply(&Selection::Ids(vec![id]), Action::Complete, None)?;
                if !changed.is_empty() {
                    if skipped {
                        outcome.skipped += 1;
                        tracing::info!(job = %id, "completed without sending (skipped)");
                    } else {
                        outcome.completed += 1;
                        outcome.bytes += total;
                        tracing::info!(job = %id, bytes = total, "upload completed");
                    }
                    self.send(id, JobState::Completed, None);
                    return Ok(watched);
                }
            }
            Some(Err(e)) => {
                self.store.set_progress(&[(id, committed)])?;
                outcome.failed += 1;
                self.fail(id, &e)?;
            }
            None => {
                self.store.set_progress(&[(id, committed)])?;
                if stopping || held {
                    let requeued =
                        self.store
                            .apply(&Selection::Ids(vec![id]), Action::Requeue, None)?;
                    if !requeued.is_empty() {
                        self.send(id, JobState::Queued, None);
                    }
                }
            }
        }
        Ok(false)
    }

    /// Takes each watch's oldest completed uploads off the queue (see
    /// [`WATCHED_FINISHED_KEPT`]) and tells listeners which.
    fn prune_watched_finished(&self) {
        match self.store.prune_watched_finished(WATCHED_FINISHED_KEPT) {
            Ok(ids) if ids.is_empty() => {}
            Ok(ids) => {
                tracing::debug!(
                    jobs = ids.len(),
                    "took watched uploads that completed long ago off the queue"
                );
                let _ = self.events.send(Event::JobsRemoved { ids });
            }
            Err(e) => tracing::warn!(error = %e, "cannot take old watched uploads off the queue"),
        }
    }

    fn fail(&self, id: JobId, error: &Error) -> Result<()> {
        tracing::error!(job = %id, kind = error.kind().code(), error = %error, "upload failed");
        let changed = self.store.apply(
            &Selection::Ids(vec![id]),
            Action::Fail,
            Some((error.kind().code(), error.message())),
        )?;
        if !changed.is_empty() {
            self.send(id, JobState::Failed, Some(error.message().to_string()));
        }
        Ok(())
    }

    fn send(&self, id: JobId, state: JobState, error: Option<String>) {
        let _ = self.events.send(Event::JobState { id, state, error });
    }

    /// Aborts cancelled jobs' uploads once, outside a run (the caller holds the engine lock).
    pub async fn abort_cancelled_now(&self) {
        self.abort_cancelled_uploads(&HashMap::new()).await;
    }

    /// Aborts the multipart uploads of cancelled jobs so their parts stop costing storage, and
    /// removes cancelled downloads' partial files (a paused one keeps its file, to resume).
    async fn abort_cancelled_uploads(&self, running: &HashMap<JobId, Running>) {
        self.remove_cancelled_partials(running);
        let ids = match self.store.cancelled_with_uploads() {
            Ok(ids) => ids,
            Err(e) => return tracing::warn!(error = %e, "cannot list cancelled uploads"),
        };
        for id in ids.into_iter().filter(|id| !running.contains_key(id)) {
            if let Err(e) = self.abort_one(id).await {
                tracing::warn!(job = %id, error = %e, "could not abort a cancelled upload yet; will try again");
            }
        }
    }

    fn remove_cancelled_partials(&self, running: &HashMap<JobId, Running>) {
        let ids = match self.store.cancelled_with_downloads() {
            Ok(ids) => ids,
            Err(e) => return tracing::warn!(error = %e, "cannot list cancelled downloads"),
        };
        for id in ids.into_iter().filter(|id| !running.contains_key(id)) {
            let removed = self.store.download(id).and_then(|row| {
                if let Some(row) = row {
                    match std::fs::remove_file(&row.partial) {
                        Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                            return Err(crate::error::file_error(&row.partial, e));
                        }
                        _ => tracing::info!(job = %id, partial = %row.partial.display(), "removed the partial file of a cancelled download"),
                    }
                }
                self.store.delete_download(id)
            });
            if let Err(e) = removed {
                tracing::warn!(job = %id, error = %e, "could not remove a cancelled download's partial file; will try again");
            }
        }
    }

    async fn abort_one(&self, id: JobId) -> Result<()> {
        let (Some(job), Some(upload)) = (self.store.job(id)?, self.store.upload(id)?) else {
            return Ok(());
        };
        let backend = self
            .destinations
            .backend_for(&job.destination_id, &job.bucket)?;
        let abort = backend.abort_multipart(&upload.key, &upload.upload_id);
        match tokio::time::timeout(Duration::from_secs(30), abort).await {
            Ok(result) => result?,
            Err(_) => {
                return Err(Error::new(
                    crate::error::ErrorKind::Interrupted,
                    "abort timed out",
                ));
            }
        }
        self.store.delete_upload(id)?;
        tracing::info!(job = %id, upload_id = %upload.upload_id, "aborted the multipart upload of a cancelled job");
        Ok(())
    }
}
