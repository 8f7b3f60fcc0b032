//! The engine's lifetime, owned by the core: [`Core::start_engine`] takes the data directory's
//! engine lock (or says which process holds it) and drives the queue in a task of its own;
//! the [`EngineHandle`] stops it and waits for it. The window and the CLI both start it this
//! way; [`Core::run_queue`] is start-and-join. One process drives a data directory's queue at a
//! time: others change the queue through the database, and [`Core::wait_for_batch`] follows a
//! batch that another process uploads.

use super::{Core, RunSummary, RunUntil};
use crate::error::{Error, ErrorKind, Result};
use crate::model::JobState;
use crate::queue::{Scheduler, Until};
use std::io::{Read, Seek, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::time::{Duration, Instant};
use tokio_util::sync::CancellationToken;

/// A running engine: the only one for its data directory while it lives. Dropping the handle
/// without [`EngineHandle::join`] ends the engine at once, as a crash would (running jobs are
/// requeued by the next engine); [`EngineHandle::stop`] then `join` is the orderly way.
pub struct EngineHandle {
    stop: CancellationToken,
    task: Option<tokio::task::JoinHandle<Result<RunSummary>>>,
}

impl Drop for EngineHandle {
    fn drop(&mut self) {
        if let Some(task) = &self.task {
            task.abort();
        }
    }
}

impl EngineHandle {
    /// Asks the engine to stop: in-flight requests end, running jobs go back to the queue.
    pub fn stop(&self) {
        self.stop.cancel();
    }

    /// Whether the engine has ended (its run reached its end, failed, or was stopped).
    pub fn is_finished(&self) -> bool {
        self.task.as_ref().is_none_or(|t| t.is_finished())
    }

    /// Waits for the engine to end; the lock is released by then.
    pub async fn join(mut self) -> Result<RunSummary> {
        let Some(task) = self.task.take() else {
            return Err(Error::new(
                ErrorKind::Local,
                "the upload engine was joined twice",
            ));
        };
        match task.await {
            Ok(summary) => summary,
            Err(e) => Err(Error::new(
                ErrorKind::Local,
                format!("the upload engine stopped unexpectedly: {e}"),
            )),
        }
    }
}

impl Core {
    /// Starts driving the queue until `until` holds or `stop` is cancelled. Fails at once with
    /// `ErrorKind::EngineBusy` (naming the process) when another one drives this data
    /// directory. Must be called within a tokio runtime.
    pub fn start_engine(&self, until: RunUntil, stop: CancellationToken) -> Result<EngineHandle> {
        let run = self.engine_run(until, stop.clone())?;
        Ok(EngineHandle {
            stop,
            task: Some(tokio::spawn(run)),
        })
    }

    /// Drives the queue until `until` holds or `stop` is cancelled, in this task: the lock is
    /// taken before the first poll and released when the future ends or is dropped.
    pub async fn run_queue(&self, until: RunUntil, stop: CancellationToken) -> Result<RunSummary> {
        self.engine_run(until, stop)?.await
    }

    /// Takes the lock now; the returned future drives the queue while it holds it.
    fn engine_run(
        &self,
        until: RunUntil,
        stop: CancellationToken,
    ) -> Result<impl Future<Output = Result<RunSummary>> + Send + 'static> {
        let lock = self.lock_engine()?;
        let scheduler = self.scheduler();
        let watching = until == RunUntil::Watching;
        let until = match until {
            RunUntil::Idle => Until::Idle,
            RunUntil::Batch(b) => Until::Batch(b),
            RunUntil::Stopped | RunUntil::Watching => Until::Stopped,
        };
        let watches = watching.then(|| {
            crate::watches::run_watches(
                self.inner.store.clone(),
                std::sync::Arc::new(self.clone()),
                self.inner.watches_changed.clone(),
                stop.clone(),
            )
        });
        Ok(async move {
            let _lock = lock;
            let started = Instant::now();
            // The watches live as long as the engine: they end with the same stop token.
            let watches = watches.map(tokio::spawn);
            let outcome = scheduler.run(until, stop.clone()).await;
            if let Some(watches) = watches {
                stop.cancel();
                let _ = watches.await;
            }
            let outcome = outcome?;
            Ok(RunSummary {
                completed: outcome.completed,
                skipped: outcome.skipped,
                failed: outcome.failed,
                bytes: outcome.bytes,
                elapsed: started.elapsed(),
            })
        })
    }

    /// Follows a batch that another process uploads, through the database, until every job of
    /// it has ended or is paused, or `stop` is cancelled.
    pub async fn wait_for_batch(&self, batch: &str, stop: &CancellationToken) -> Result<()> {
        loop {
            let jobs = self.batch_jobs(batch)?;
            let settled = jobs
                .iter()
                .all(|j| j.state.is_terminal() || j.state == JobState::Paused);
            if settled || stop.is_cancelled() {
                return Ok(());
            }
            tokio::select! {
                _ = tokio::time::sleep(Duration::from_millis(500)) => {}
                _ = stop.cancelled() => {}
            }
        }
    }

    /// Aborts the multipart uploads of cancelled jobs now, if no other process drives the
    /// queue (that one does it by itself). Returns false when another engine holds the lock.
    pub async fn abort_cancelled_uploads(&self) -> Result<bool> {
        let _lock = match self.lock_engine() {
            Ok(lock) => lock,
            Err(e) if e.kind() == ErrorKind::EngineBusy => return Ok(false),
            Err(e) => return Err(e),
        };
        self.scheduler().abort_cancelled_now().await;
        Ok(true)
    }

    pub(super) fn scheduler(&self) -> Scheduler {
        Scheduler {
            store: self.inner.store.clone(),
            destinations: self.inner.destinations.clone(),
            network: self.inner.network.clone(),
            board: self.inner.board.clone(),
            events: self.inner.events.clone(),
            wake: self.inner.wake.clone(),
            throttles: self.inner.throttles.clone(),
            config: self.inner.config,
        }
    }

    /// Takes `engine.lock` (an OS lock, released when the process dies) and writes this
    /// process's id into it, so a second process can say who holds it.
    fn lock_engine(&self) -> Result<std::fs::File> {
        let path = self.inner.data_dir.join("engine.lock");
        let local = |what: &str, e: std::io::Error| {
            Error::new(
                ErrorKind::Local,
                format!("cannot {what} {}: {e}", path.display()),
            )
            .with_source(e)
        };
        let mut file = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .read(true)
            .write(true)
            .mode(0o600)
            .open(&path)
            .map_err(|e| local("open", e))?;
        match file.try_lock() {
            Ok(()) => {
                let pid = std::process::id().to_string();
                let written = file
                    .set_len(0)
                    .and_then(|()| file.rewind())
                    .and_then(|()| file.write_all(pid.as_bytes()));
                if let Err(e) = written {
                    tracing::warn!(error = %e, "could not note this process in engine.lock");
                }
                Ok(file)
            }
            Err(std::fs::TryLockError::WouldBlock) => {
                let mut holder = String::new();
                let _ = file.read_to_string(&mut holder);
                let who = match holder.trim().parse::<u32>() {
                    Ok(pid) => format!("another Hoist process (pid {pid})"),
                    Err(_) => "another Hoist process".to_string(),
                };
                Err(Error::new(
                    ErrorKind::EngineBusy,
                    format!("{who} is already running this queue"),
                ))
            }
            Err(std::fs::TryLockError::Error(e)) => Err(local("lock", e)),
        }
    }
}
