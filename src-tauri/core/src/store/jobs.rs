//! The `jobs` table: one row per file to upload, written before anything touches the network.
//! Its state changes are in `job_states.rs`.

use super::{Store, now};
use crate::error::{ErrorKind, Result};
use crate::model::{DestinationId, Direction, Job, JobId, JobState, Outcome, WatchId};
use crate::options::IfExists;
use rusqlite::{OptionalExtension, Row, params};
use std::path::PathBuf;

/// A job to insert.
#[derive(Debug, Clone)]
pub struct NewJob {
    pub direction: Direction,
    pub path: PathBuf,
    pub destination_id: DestinationId,
    pub bucket: String,
    pub key: String,
    pub bytes_total: u64,
    pub if_exists: IfExists,
}

const SELECT: &str = "SELECT j.id, j.path, j.destination_id, p.name, j.bucket, j.key, j.state, \
     j.bytes_done, j.bytes_total, j.attempts, j.error_code, j.error_message, j.batch, \
     j.created_at, j.updated_at, j.if_exists, j.note, j.outcome, j.direction, j.watch_id, j.verified FROM jobs j JOIN destinations p ON p.id = j.destination_id";

pub(super) fn path_to_blob(path: &std::path::Path) -> Vec<u8> {
    #[cfg(unix)]
    {
        std::os::unix::ffi::OsStrExt::as_bytes(path.as_os_str()).to_vec()
    }
    #[cfg(not(unix))]
    {
        path.to_string_lossy().into_owned().into_bytes()
    }
}

pub(super) fn blob_to_path(bytes: Vec<u8>) -> PathBuf {
    #[cfg(unix)]
    {
        PathBuf::from(<std::ffi::OsString as std::os::unix::ffi::OsStringExt>::from_vec(bytes))
    }
    #[cfg(not(unix))]
    {
        PathBuf::from(String::from_utf8_lossy(&bytes).into_owned())
    }
}

/// Inserts `jobs` as `queued` rows of `batch` (from `watch`, if one) inside `tx`.
pub(super) fn insert_job_rows(
    tx: &rusqlite::Transaction<'_>,
    batch: &str,
    jobs: &[&NewJob],
    watch: Option<WatchId>,
) -> Result<Vec<JobId>> {
    let mut ids = Vec::with_capacity(jobs.len());
    let mut insert = tx.prepare_cached(
        "INSERT INTO jobs (path, destination_id, bucket, key, state, bytes_total, batch, \
         created_at, updated_at, if_exists, direction, watch_id) \
         VALUES (?1, ?2, ?3, ?4, 'queued', ?5, ?6, ?7, ?7, ?8, ?9, ?10)",
    )?;
    let t = now();
    for job in jobs {
        insert.execute(params![
            path_to_blob(&job.path),
            job.destination_id.0,
            job.bucket,
            job.key,
            job.bytes_total as i64,
            batch,
            t,
            job.if_exists.as_str(),
            job.direction.as_str(),
            watch.map(|w| w.0)
        ])?;
        ids.push(JobId(tx.last_insert_rowid()));
    }
    Ok(ids)
}

fn job_from_row(row: &Row<'_>) -> rusqlite::Result<Job> {
    let state: String = row.get(6)?;
    Ok(Job {
        id: JobId(row.get(0)?),
        path: blob_to_path(row.get(1)?),
        destination_id: DestinationId(row.get(2)?),
        destination_name: row.get(3)?,
        bucket: row.get(4)?,
        key: row.get(5)?,
        state: JobState::parse(&state).unwrap_or(JobState::Failed),
        bytes_done: row.get::<_, i64>(7)? as u64,
        bytes_total: row.get::<_, i64>(8)? as u64,
        attempts: row.get::<_, i64>(9)? as u32,
        // A code an older or newer version wrote that this one does not know reads as none;
        // the message stays.
        error_code: row
            .get::<_, Option<String>>(10)?
            .as_deref()
            .and_then(ErrorKind::from_code),
        error_message: row.get(11)?,
        batch: row.get(12)?,
        created_at: row.get(13)?,
        updated_at: row.get(14)?,
        if_exists: IfExists::parse(&row.get::<_, String>(15)?).unwrap_or_default(),
        note: row.get(16)?,
        outcome: row
            .get::<_, Option<String>>(17)?
            .as_deref()
            .and_then(Outcome::parse),
        direction: Direction::parse(&row.get::<_, String>(18)?).unwrap_or_default(),
        watch: row.get::<_, Option<i64>>(19)?.map(WatchId),
        verified: row.get(20)?,
    })
}

impl Store {
    /// Inserts jobs in one transaction, all `queued` in `batch`; returns their ids in order.
    /// Durable: a queued file survives a power cut.
    pub fn insert_jobs(&self, batch: &str, jobs: &[NewJob]) -> Result<Vec<JobId>> {
        self.durably(|conn| {
            let tx = conn.transaction()?;
            let jobs: Vec<&NewJob> = jobs.iter().collect();
            let ids = insert_job_rows(&tx, batch, &jobs, None)?;
            tx.commit()?;
            Ok(ids)
        })
    }

    pub fn jobs(&self) -> Result<Vec<Job>> {
        let conn = self.conn();
        let mut stmt = conn.prepare_cached(&format!("{SELECT} ORDER BY j.id"))?;
        let rows = stmt.query_map([], job_from_row)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    pub fn jobs_in_batch(&self, batch: &str) -> Result<Vec<Job>> {
        let conn = self.conn();
        let mut stmt =
            conn.prepare_cached(&format!("{SELECT} WHERE j.batch = ?1 ORDER BY j.id"))?;
        let rows = stmt.query_map([batch], job_from_row)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// The jobs with these ids that exist, by id (the queue's order), in one read transaction.
    pub fn jobs_by_id(&self, ids: &[JobId]) -> Result<Vec<Job>> {
        let mut ids = ids.to_vec();
        ids.sort_unstable();
        ids.dedup();
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        let mut jobs = Vec::with_capacity(ids.len());
        {
            let mut stmt = tx.prepare_cached(&format!("{SELECT} WHERE j.id = ?1"))?;
            for id in ids {
                if let Some(job) = stmt.query_row([id.0], job_from_row).optional()? {
                    jobs.push(job);
                }
            }
        }
        tx.commit()?;
        Ok(jobs)
    }

    pub fn job(&self, id: JobId) -> Result<Option<Job>> {
        let conn = self.conn();
        let mut stmt = conn.prepare_cached(&format!("{SELECT} WHERE j.id = ?1"))?;
        Ok(stmt.query_row([id.0], job_from_row).optional()?)
    }

    /// The oldest queued jobs, skipping `running` (ids this engine already runs).
    /// Queued jobs oldest first (leaving out `running`), each offered to `pick`: `Some(true)`
    /// takes it, `Some(false)` passes over it, `None` ends the search.
    pub fn next_queued(
        &self,
        running: &[JobId],
        mut pick: impl FnMut(&Job) -> Option<bool>,
    ) -> Result<Vec<Job>> {
        let conn = self.conn();
        let mut stmt =
            conn.prepare_cached(&format!("{SELECT} WHERE j.state = 'queued' ORDER BY j.id"))?;
        let mut out = Vec::new();
        let mut rows = stmt.query([])?;
        while let Some(row) = rows.next()? {
            let job = job_from_row(row)?;
            if running.contains(&job.id) {
                continue;
            }
            match pick(&job) {
                Some(true) => out.push(job),
                Some(false) => {}
                None => break,
            }
        }
        Ok(out)
    }

    /// Current states of the given jobs (missing ids are left out).
    pub fn states(&self, ids: &[JobId]) -> Result<Vec<(JobId, JobState)>> {
        let conn = self.conn();
        let mut stmt = conn.prepare_cached("SELECT state FROM jobs WHERE id = ?1")?;
        let mut out = Vec::with_capacity(ids.len());
        for id in ids {
            let state: Option<String> = stmt.query_row([id.0], |r| r.get(0)).optional()?;
            if let Some(state) = state.as_deref().and_then(JobState::parse) {
                out.push((*id, state));
            }
        }
        Ok(out)
    }

    /// Records bytes done for running jobs (a few times a second at most).
    pub fn set_progress(&self, progress: &[(JobId, u64)]) -> Result<()> {
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        {
            let mut stmt = tx.prepare_cached("UPDATE jobs SET bytes_done = ?2 WHERE id = ?1")?;
            for (id, done) in progress {
                stmt.execute(params![id.0, *done as i64])?;
            }
        }
        tx.commit()?;
        Ok(())
    }

    /// Records how the job is ending (before its Complete), with the note people see (none when
    /// `note` is empty): skipped, renamed.
    pub fn set_outcome(&self, id: JobId, outcome: Outcome, note: &str) -> Result<()> {
        let note = Some(note).filter(|n| !n.is_empty());
        self.conn().execute(
            "UPDATE jobs SET outcome = ?2, note = ?3 WHERE id = ?1",
            params![id.0, outcome.as_str(), note],
        )?;
        Ok(())
    }

    /// How a download was verified (see [`Job::verified`]).
    pub fn set_verified(&self, id: JobId, verified: &str) -> Result<()> {
        self.conn().execute(
            "UPDATE jobs SET verified = ?2 WHERE id = ?1",
            params![id.0, verified],
        )?;
        Ok(())
    }

    pub fn set_note(&self, id: JobId, note: &str) -> Result<()> {
        self.conn().execute(
            "UPDATE jobs SET note = ?2 WHERE id = ?1",
            params![id.0, note],
        )?;
        Ok(())
    }

    /// Moves a job to another key (a rename on conflict), before any byte was sent.
    pub fn set_key(&self, id: JobId, key: &str) -> Result<()> {
        self.durably(|conn| {
            conn.execute("UPDATE jobs SET key = ?2 WHERE id = ?1", params![id.0, key])?;
            Ok(())
        })
    }

    /// A download's target, when the if-exists rule renamed it.
    pub fn set_path(&self, id: JobId, path: &std::path::Path) -> Result<()> {
        self.durably(|conn| {
            conn.execute(
                "UPDATE jobs SET path = ?2 WHERE id = ?1",
                params![id.0, path_to_blob(path)],
            )?;
            Ok(())
        })
    }

    pub fn set_bytes_total(&self, id: JobId, total: u64) -> Result<()> {
        self.conn().execute(
            "UPDATE jobs SET bytes_total = ?2 WHERE id = ?1",
            params![id.0, total as i64],
        )?;
        Ok(())
    }

    pub fn add_attempt(&self, id: JobId) -> Result<u32> {
        let conn = self.conn();
        conn.execute(
            "UPDATE jobs SET attempts = attempts + 1 WHERE id = ?1",
            [id.0],
        )?;
        Ok(
            conn.query_row("SELECT attempts FROM jobs WHERE id = ?1", [id.0], |r| {
                r.get::<_, i64>(0)
            })? as u32,
        )
    }

    /// Whether any job is waiting to run or running.
    pub fn has_active_jobs(&self) -> Result<bool> {
        Ok(self.conn().query_row(
            "SELECT EXISTS(SELECT 1 FROM jobs WHERE state IN ('queued', 'running'))",
            [],
            |r| r.get(0),
        )?)
    }

    /// Sets `bytes_done` of jobs left `running` (by a crash) to what their committed parts hold:
    /// bytes that were in flight when the process died did not count.
    pub fn recount_interrupted(&self) -> Result<usize> {
        Ok(self.conn().execute(
            "UPDATE jobs SET bytes_done = \
             COALESCE((SELECT SUM(size) FROM parts WHERE parts.job_id = jobs.id), 0) \
             WHERE state = 'running'",
            [],
        )?)
    }

    /// Whether any job of `batch` is waiting to run or running.
    pub fn batch_has_active_jobs(&self, batch: &str) -> Result<bool> {
        Ok(self.conn().query_row(
            "SELECT EXISTS(SELECT 1 FROM jobs WHERE batch = ?1 AND state IN ('queued', 'running'))",
            [batch],
            |r| r.get(0),
        )?)
    }

    /// Cancelled jobs that still have a multipart upload on the server to abort.
    pub fn cancelled_with_uploads(&self) -> Result<Vec<JobId>> {
        let conn = self.conn();
        let mut stmt = conn.prepare_cached(
            "SELECT j.id FROM jobs j JOIN uploads u ON u.job_id = j.id \
             WHERE j.state = 'cancelled' ORDER BY j.id",
        )?;
        let rows = stmt.query_map([], |r| Ok(JobId(r.get(0)?)))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Cancelled downloads that still have a partial file (and its record) to remove.
    pub fn cancelled_with_downloads(&self) -> Result<Vec<JobId>> {
        let conn = self.conn();
        let mut stmt = conn.prepare_cached(
            "SELECT j.id FROM jobs j JOIN downloads d ON d.job_id = j.id \
             WHERE j.state = 'cancelled' ORDER BY j.id",
        )?;
        let rows = stmt.query_map([], |r| Ok(JobId(r.get(0)?)))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }
}

#[cfg(test)]
pub(in crate::store) mod tests {
    use super::*;
    use crate::model::Selection;
    use crate::model::transition::Action;
    use crate::store::destinations::tests::sample_destination;

    pub(in crate::store) fn store_with_jobs(n: usize) -> (Store, Vec<JobId>) {
        let store = Store::open_in_memory().unwrap();
        let destination = sample_destination("p");
        store.insert_destination(&destination).unwrap();
        let jobs: Vec<NewJob> = (0..n)
            .map(|i| NewJob {
                direction: crate::model::Direction::Upload,
                path: PathBuf::from(format!("/tmp/f{i}")),
                destination_id: destination.id.clone(),
                bucket: "b".into(),
                key: format!("k{i}"),
                bytes_total: 10,
                if_exists: Default::default(),
            })
            .collect();
        let ids = store.insert_jobs("batch-1", &jobs).unwrap();
        (store, ids)
    }

    #[test]
    fn inserted_jobs_are_queued_in_order_with_their_destination_name() {
        let (store, ids) = store_with_jobs(3);
        let jobs = store.jobs().unwrap();
        assert_eq!(jobs.iter().map(|j| j.id).collect::<Vec<_>>(), ids);
        assert!(
            jobs.iter()
                .all(|j| j.state == JobState::Queued && j.destination_name == "p")
        );
        assert_eq!(store.jobs_in_batch("batch-1").unwrap().len(), 3);
        assert!(store.batch_has_active_jobs("batch-1").unwrap());
        store.apply(&Selection::All, Action::Pause, None).unwrap();
        assert!(!store.batch_has_active_jobs("batch-1").unwrap());
        assert!(store.jobs_in_batch("other").unwrap().is_empty());
    }

    #[test]
    fn interrupted_jobs_count_only_committed_parts() {
        let (store, ids) = store_with_jobs(2);
        store.apply(&Selection::All, Action::Start, None).unwrap();
        store.set_progress(&[(ids[0], 9), (ids[1], 7)]).unwrap();
        let upload = crate::store::UploadRow {
            upload_id: "u".into(),
            bucket: "b".into(),
            key: "k0".into(),
            part_size: 5,
            fingerprint: crate::model::Fingerprint {
                size: 10,
                mtime_ns: 0,
                inode: 0,
            },
            checksum: None,
        };
        store.save_upload(ids[0], &upload).unwrap();
        let part = crate::model::PartReceipt {
            part_number: 1,
            size: 5,
            etag: "e".into(),
            md5: None,
            crc32c: None,
        };
        store.save_part(ids[0], &part).unwrap();
        assert_eq!(store.recount_interrupted().unwrap(), 2);
        let done: Vec<u64> = store.jobs().unwrap().iter().map(|j| j.bytes_done).collect();
        assert_eq!(done, vec![5, 0]);
    }

    #[test]
    fn next_queued_skips_running_ids_and_offers_the_rest_oldest_first_until_told_to_stop() {
        let (store, ids) = store_with_jobs(4);
        let mut offered = Vec::new();
        let next = store
            .next_queued(&[ids[0]], |job| {
                offered.push(job.id);
                (offered.len() < 3).then_some(offered.len() != 1)
            })
            .unwrap();
        assert_eq!(offered, vec![ids[1], ids[2], ids[3]]);
        assert_eq!(next.iter().map(|j| j.id).collect::<Vec<_>>(), vec![ids[2]]);
    }

    #[test]
    fn non_utf8_paths_survive_the_round_trip() {
        #[cfg(unix)]
        {
            use std::os::unix::ffi::OsStrExt;
            let path = PathBuf::from(std::ffi::OsStr::from_bytes(b"/tmp/caf\xe9.bin"));
            assert_eq!(blob_to_path(path_to_blob(&path)), path);
        }
    }
}
