//! Byte accounting. Each running job has [`JobCounters`]: bytes of committed parts plus the
//! in-flight counters that the backend bumps as it hands body bytes to the network (reset per
//! attempt, so a retried part is not counted twice). [`ProgressBoard`] holds the counters of
//! every running job and turns them into snapshots with a moving-average speed; nobody gets an
//! event per byte.

use crate::event::{JobProgress, ProgressSnapshot};
use crate::model::JobId;
use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const SPEED_WINDOW: Duration = Duration::from_secs(5);

#[derive(Default)]
pub struct JobCounters {
    committed: AtomicU64,
    total: AtomicU64,
    in_flight: Mutex<HashMap<u32, Arc<AtomicU64>>>,
    /// When the job's next retry is due (ms since the Unix epoch); 0 while none is waiting.
    retry_at_ms: AtomicI64,
}

impl JobCounters {
    pub fn set_total(&self, total: u64) {
        self.total.store(total, Ordering::Relaxed);
    }

    pub fn set_committed(&self, bytes: u64) {
        self.committed.store(bytes, Ordering::Relaxed);
    }

    /// A fresh counter for request `slot` (a part number; 0 for a single PUT).
    pub fn start(&self, slot: u32) -> Arc<AtomicU64> {
        let counter = Arc::new(AtomicU64::new(0));
        self.in_flight
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(slot, counter.clone());
        counter
    }

    /// The request in `slot` finished; `committed` bytes now count as done for good.
    pub fn finish(&self, slot: u32, committed: u64) {
        self.in_flight
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(&slot);
        self.committed.fetch_add(committed, Ordering::Relaxed);
    }

    /// Bytes of acknowledged requests only: what survives if the job stops now.
    pub fn committed(&self) -> u64 {
        self.committed.load(Ordering::Relaxed).min(self.total())
    }

    pub fn bytes_done(&self) -> u64 {
        let in_flight: u64 = self
            .in_flight
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .values()
            .map(|c| c.load(Ordering::Relaxed))
            .sum();
        (self.committed.load(Ordering::Relaxed) + in_flight).min(self.total())
    }

    pub fn total(&self) -> u64 {
        self.total.load(Ordering::Relaxed)
    }

    /// A retry waits until `at` (ms since the Unix epoch), or none waits (`None`).
    pub fn set_retry_at(&self, at: Option<i64>) {
        self.retry_at_ms.store(at.unwrap_or(0), Ordering::Relaxed);
    }

    pub fn retry_at(&self) -> Option<i64> {
        Some(self.retry_at_ms.load(Ordering::Relaxed)).filter(|at| *at > 0)
    }
}

struct Tracked {
    counters: Arc<JobCounters>,
    samples: VecDeque<(Instant, u64)>,
}

#[derive(Default)]
pub struct ProgressBoard {
    jobs: Mutex<BTreeMap<JobId, Tracked>>,
}

impl ProgressBoard {
    pub fn track(&self, id: JobId) -> Arc<JobCounters> {
        let counters = Arc::new(JobCounters::default());
        let tracked = Tracked {
            counters: counters.clone(),
            samples: VecDeque::new(),
        };
        self.jobs
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(id, tracked);
        counters
    }

    /// Stops tracking a job and returns its committed bytes.
    pub fn untrack(&self, id: JobId) -> u64 {
        let removed = self
            .jobs
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(&id);
        removed.map(|t| t.counters.committed()).unwrap_or(0)
    }

    /// Bytes done of every tracked job, for writing to the database.
    pub fn bytes_done(&self) -> Vec<(JobId, u64)> {
        let jobs = self.jobs.lock().unwrap_or_else(|p| p.into_inner());
        jobs.iter()
            .map(|(id, t)| (*id, t.counters.bytes_done()))
            .collect()
    }

    pub fn snapshot(&self, online: bool, held_for_metered: bool) -> ProgressSnapshot {
        let now = Instant::now();
        let mut jobs = self.jobs.lock().unwrap_or_else(|p| p.into_inner());
        let mut out = Vec::with_capacity(jobs.len());
        for (id, tracked) in jobs.iter_mut() {
            let done = tracked.counters.bytes_done();
            tracked.samples.push_back((now, done));
            while tracked.samples.len() > 2
                && now.duration_since(tracked.samples[0].0) > SPEED_WINDOW
            {
                tracked.samples.pop_front();
            }
            let (then, then_done) = tracked.samples[0];
            let secs = now.duration_since(then).as_secs_f64();
            let bytes_per_sec = if secs > 0.0 {
                done.saturating_sub(then_done) as f64 / secs
            } else {
                0.0
            };
            out.push(JobProgress {
                id: *id,
                bytes_done: done,
                bytes_total: tracked.counters.total(),
                bytes_per_sec,
                retry_at: tracked.counters.retry_at(),
            });
        }
        ProgressSnapshot {
            jobs: out,
            online,
            held_for_metered,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_retried_request_is_not_counted_twice() {
        let c = JobCounters::default();
        c.set_total(100);
        c.set_committed(10);
        let first = c.start(2);
        first.store(30, Ordering::Relaxed);
        assert_eq!(c.bytes_done(), 40);
        // The retry replaces the slot's counter, which starts from zero.
        let second = c.start(2);
        second.store(5, Ordering::Relaxed);
        assert_eq!(c.bytes_done(), 15);
        assert_eq!(c.committed(), 10);
        c.finish(2, 40);
        assert_eq!(c.bytes_done(), 50);
        assert_eq!(c.committed(), 50);
    }

    #[test]
    fn snapshots_report_tracked_jobs_only() {
        let board = ProgressBoard::default();
        let c = board.track(JobId(1));
        c.set_total(10);
        c.set_committed(4);
        let snap = board.snapshot(true, false);
        assert_eq!(snap.jobs.len(), 1);
        assert_eq!((snap.jobs[0].bytes_done, snap.jobs[0].bytes_total), (4, 10));
        board.untrack(JobId(1));
        assert!(board.snapshot(true, false).jobs.is_empty());
    }
}
