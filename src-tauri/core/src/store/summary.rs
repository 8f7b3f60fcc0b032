//! Aggregates over the `jobs` table for status lines and notifications: one SQL query each, so
//! they stay cheap with 100,000 jobs.

use super::Store;
use crate::error::Result;
use crate::model::JobState;
use serde::Serialize;

/// What a progress display shows for a set of jobs: how many, how many are done, and their
/// bytes (a completed job counts whole; the others as far as their stored progress goes).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TransferTotals {
    pub jobs: u64,
    pub completed: u64,
    pub bytes_total: u64,
    pub bytes_done: u64,
}

const TOTALS: &str = "SELECT COUNT(*), COALESCE(SUM(state = 'completed'), 0), \
     COALESCE(SUM(bytes_total), 0), \
     COALESCE(SUM(CASE WHEN state = 'completed' THEN bytes_total ELSE bytes_done END), 0) FROM jobs";

/// How many jobs are in each state, and the bytes they hold.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct QueueCounts {
    pub queued: u64,
    pub running: u64,
    pub paused: u64,
    pub completed: u64,
    pub failed: u64,
    pub cancelled: u64,
    /// Bytes of completed jobs.
    pub bytes_completed: u64,
}

impl QueueCounts {
    /// Jobs that still need the engine or the user (queued, running, paused).
    pub fn unfinished(&self) -> u64 {
        self.queued + self.running + self.paused
    }

    fn add(&mut self, state: JobState, count: u64, bytes: u64) {
        match state {
            JobState::Queued => self.queued += count,
            JobState::Running => self.running += count,
            JobState::Paused => self.paused += count,
            JobState::Completed => {
                self.completed += count;
                self.bytes_completed += bytes;
            }
            JobState::Failed => self.failed += count,
            JobState::Cancelled => self.cancelled += count,
        }
    }
}

impl Store {
    /// Counts over the whole queue.
    pub fn queue_counts(&self) -> Result<QueueCounts> {
        self.counts(
            "SELECT state, COUNT(*), SUM(bytes_total) FROM jobs GROUP BY state",
            None,
        )
    }

    /// Counts over one batch (one `hoist upload`, one drop).
    pub fn batch_counts(&self, batch: &str) -> Result<QueueCounts> {
        self.counts(
            "SELECT state, COUNT(*), SUM(bytes_total) FROM jobs WHERE batch = ?1 GROUP BY state",
            Some(batch),
        )
    }

    /// Totals of one batch, or (`None`) of every unfinished job: one query, not a row per job.
    pub fn transfer_totals(&self, batch: Option<&str>) -> Result<TransferTotals> {
        let conn = self.conn();
        let totals = |row: &rusqlite::Row<'_>| {
            Ok(TransferTotals {
                jobs: row.get::<_, i64>(0)? as u64,
                completed: row.get::<_, i64>(1)? as u64,
                bytes_total: row.get::<_, i64>(2)? as u64,
                bytes_done: row.get::<_, i64>(3)? as u64,
            })
        };
        Ok(match batch {
            Some(batch) => conn
                .prepare_cached(&format!("{TOTALS} WHERE batch = ?1"))?
                .query_row([batch], totals)?,
            None => conn
                .prepare_cached(&format!(
                    "{TOTALS} WHERE state IN ('queued', 'running', 'paused')"
                ))?
                .query_row([], totals)?,
        })
    }

    fn counts(&self, sql: &str, batch: Option<&str>) -> Result<QueueCounts> {
        let conn = self.conn();
        let mut stmt = conn.prepare_cached(sql)?;
        let mut rows = match batch {
            Some(batch) => stmt.query([batch])?,
            None => stmt.query([])?,
        };
        let mut counts = QueueCounts::default();
        while let Some(row) = rows.next()? {
            let state: String = row.get(0)?;
            let count: i64 = row.get(1)?;
            let bytes: Option<i64> = row.get(2)?;
            if let Some(state) = JobState::parse(&state) {
                counts.add(state, count as u64, bytes.unwrap_or(0) as u64);
            }
        }
        Ok(counts)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Selection;
    use crate::model::transition::Action;
    use crate::store::NewJob;
    use crate::store::destinations::tests::sample_destination;

    #[test]
    fn counts_follow_states_per_queue_and_per_batch() {
        let store = Store::open_in_memory().unwrap();
        let destination = sample_destination("p");
        store.insert_destination(&destination).unwrap();
        let job = |i: u64| NewJob {
            direction: crate::model::Direction::Upload,
            path: format!("/tmp/f{i}").into(),
            destination_id: destination.id.clone(),
            bucket: "b".into(),
            key: format!("k{i}"),
            bytes_total: 10 * i,
            if_exists: Default::default(),
        };
        let first = store.insert_jobs("one", &[job(1), job(2)]).unwrap();
        store.insert_jobs("two", &[job(3)]).unwrap();
        store
            .apply(&Selection::Ids(vec![first[0]]), Action::Pause, None)
            .unwrap();
        let all = store.queue_counts().unwrap();
        assert_eq!((all.queued, all.paused, all.unfinished()), (2, 1, 3));
        store
            .apply(&Selection::Ids(vec![first[1]]), Action::Cancel, None)
            .unwrap();
        let one = store.batch_counts("one").unwrap();
        assert_eq!((one.paused, one.cancelled, one.queued), (1, 1, 0));
        assert_eq!(store.batch_counts("nope").unwrap(), QueueCounts::default());

        // Progress totals: the batch with everything in it, unfinished ones without the
        // cancelled job; an empty set is all zeros.
        store.set_progress(&[(first[0], 4)]).unwrap();
        let one = store.transfer_totals(Some("one")).unwrap();
        assert_eq!(
            (one.jobs, one.completed, one.bytes_total, one.bytes_done),
            (2, 0, 30, 4)
        );
        let open = store.transfer_totals(None).unwrap();
        assert_eq!((open.jobs, open.bytes_total, open.bytes_done), (2, 40, 4));
        assert_eq!(
            store.transfer_totals(Some("nope")).unwrap(),
            TransferTotals::default()
        );
    }
}
