//! Watched folders and each one's index of what it queued (see `sql/007_watches.sql`).

use super::jobs::{blob_to_path, insert_job_rows, path_to_blob};
use super::{NewJob, Store, now};
use crate::error::{Error, ErrorKind, Fix, Result};
use crate::model::{DestinationId, JobId, JobState, NewWatch, Watch, WatchId, WatchState};
use crate::options::IfExists;
use crate::watcher::FileStat;
use rusqlite::{OptionalExtension, Row, params};
use std::collections::HashMap;
use std::path::PathBuf;

/// What a watch knows of one file it queued.
#[derive(Debug, Clone, PartialEq)]
pub struct IndexedFile {
    /// The file as it was when queued.
    pub stat: FileStat,
    pub key: String,
    /// The job that took it and its state; `None` once the job left the queue.
    pub job: Option<(JobId, JobState)>,
}

/// A file a watch queues now: its job, its path below the folder, its state.
pub struct WatchedFile {
    pub job: NewJob,
    pub relative: PathBuf,
    pub stat: FileStat,
}

const COLUMNS: &str = "SELECT w.id, w.folder, w.destination_id, d.name, w.bucket, w.prefix, \
     w.key_template, w.ignore, w.if_exists, w.settle_ms, w.mirror_deletes, w.poll, w.paused, \
     w.state, w.note, w.active_at, w.created_at";
const COUNTS: &str = "(SELECT COUNT(*) FROM watch_files f LEFT JOIN jobs j ON j.id = f.job_id \
       WHERE f.watch_id = w.id AND (j.id IS NULL OR j.state = 'completed')), \
     (SELECT COUNT(*) FROM watch_files f JOIN jobs j ON j.id = f.job_id \
       WHERE f.watch_id = w.id AND j.state IN ('queued', 'running', 'paused'))";
const FROM: &str = "FROM watches w JOIN destinations d ON d.id = w.destination_id";

fn watch_from_row(row: &Row<'_>) -> rusqlite::Result<Watch> {
    let ignore: String = row.get(7)?;
    let paused: bool = row.get(12)?;
    let state = WatchState::parse(&row.get::<_, String>(13)?).unwrap_or(WatchState::Error);
    Ok(Watch {
        id: WatchId(row.get(0)?),
        folder: blob_to_path(row.get(1)?),
        destination_id: DestinationId(row.get(2)?),
        destination_name: row.get(3)?,
        bucket: row.get(4)?,
        prefix: row.get(5)?,
        key_template: row.get(6)?,
        ignore: serde_json::from_str(&ignore).unwrap_or_default(),
        if_exists: row
            .get::<_, Option<String>>(8)?
            .as_deref()
            .and_then(IfExists::parse),
        settle_ms: row.get::<_, i64>(9)? as u64,
        mirror_deletes: row.get(10)?,
        poll: row.get(11)?,
        paused,
        state: if paused { WatchState::Paused } else { state },
        note: row.get(14)?,
        active_at: row.get(15)?,
        created_at: row.get(16)?,
        uploaded: row.get::<_, i64>(17)? as u64,
        pending: row.get::<_, i64>(18)? as u64,
    })
}

/// The same folder watched into the same place twice (the table's unique key) in words.
fn watched_twice(folder: &std::path::Path, e: rusqlite::Error) -> Error {
    match e {
        rusqlite::Error::SqliteFailure(f, _)
            if f.code == rusqlite::ErrorCode::ConstraintViolation =>
        {
            Error::new(
                ErrorKind::InvalidInput,
                format!("{} is already watched into that place", folder.display()),
            )
            .with_fix(Fix::SeeWatches)
        }
        e => e.into(),
    }
}

impl Store {
    /// Adds a watch; the same folder watched into the same place twice is refused.
    pub fn add_watch(&self, watch: &NewWatch) -> Result<WatchId> {
        let conn = self.conn();
        let ignore = serde_json::to_string(&watch.ignore).unwrap_or_else(|_| "[]".into());
        let inserted = conn.execute(
            "INSERT INTO watches (folder, destination_id, bucket, prefix, key_template, ignore, \
             if_exists, settle_ms, mirror_deletes, poll, created_at) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
            params![
                path_to_blob(&watch.folder),
                watch.destination_id.0,
                watch.bucket,
                watch.prefix,
                watch.key_template,
                ignore,
                watch.if_exists.map(|rule| rule.as_str()),
                watch.settle_ms as i64,
                watch.mirror_deletes,
                watch.poll,
                now()
            ],
        );
        match inserted {
            Ok(_) => Ok(WatchId(conn.last_insert_rowid())),
            Err(e) => Err(watched_twice(&watch.folder, e)),
        }
    }

    /// Changes where a watch uploads to and how (not its folder, key template or ignore rules).
    /// False if there is no such watch.
    pub fn update_watch(&self, id: WatchId, watch: &NewWatch) -> Result<bool> {
        let updated = self.conn().execute(
            "UPDATE watches SET destination_id = ?2, bucket = ?3, prefix = ?4, if_exists = ?5, \
             settle_ms = ?6, mirror_deletes = ?7, poll = ?8 WHERE id = ?1",
            params![
                id.0,
                watch.destination_id.0,
                watch.bucket,
                watch.prefix,
                watch.if_exists.map(|rule| rule.as_str()),
                watch.settle_ms as i64,
                watch.mirror_deletes,
                watch.poll,
            ],
        );
        match updated {
            Ok(changed) => Ok(changed > 0),
            Err(e) => Err(watched_twice(&watch.folder, e)),
        }
    }

    /// Every watch, with its counts of files uploaded and pending.
    pub fn watches(&self) -> Result<Vec<Watch>> {
        let conn = self.conn();
        let mut stmt = conn.prepare_cached(&format!("{COLUMNS}, {COUNTS} {FROM} ORDER BY w.id"))?;
        let rows = stmt.query_map([], watch_from_row)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Every watch without its counts (zero): cheap enough to read every few seconds.
    pub fn watch_settings(&self) -> Result<Vec<Watch>> {
        let conn = self.conn();
        let mut stmt = conn.prepare_cached(&format!("{COLUMNS}, 0, 0 {FROM} ORDER BY w.id"))?;
        let rows = stmt.query_map([], watch_from_row)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    pub fn watch(&self, id: WatchId) -> Result<Option<Watch>> {
        let conn = self.conn();
        let mut stmt =
            conn.prepare_cached(&format!("{COLUMNS}, {COUNTS} {FROM} WHERE w.id = ?1"))?;
        Ok(stmt.query_row([id.0], watch_from_row).optional()?)
    }

    /// Removes a watch and its index; its jobs stay in the queue. False if there was none.
    pub fn remove_watch(&self, id: WatchId) -> Result<bool> {
        Ok(self
            .conn()
            .execute("DELETE FROM watches WHERE id = ?1", [id.0])?
            > 0)
    }

    pub fn set_watch_paused(&self, id: WatchId, paused: bool) -> Result<bool> {
        Ok(self.conn().execute(
            "UPDATE watches SET paused = ?2 WHERE id = ?1",
            params![id.0, paused],
        )? > 0)
    }

    pub fn set_watch_ignore(&self, id: WatchId, ignore: &[String]) -> Result<bool> {
        let ignore = serde_json::to_string(ignore).unwrap_or_else(|_| "[]".into());
        Ok(self.conn().execute(
            "UPDATE watches SET ignore = ?2 WHERE id = ?1",
            params![id.0, ignore],
        )? > 0)
    }

    /// A number that moves on with every change to any watch's settings or state, made by any
    /// process (triggers keep it; see migration 11).
    pub fn watches_revision(&self) -> Result<i64> {
        Ok(self
            .conn()
            .prepare_cached("SELECT value FROM watches_revision WHERE id = 1")?
            .query_row([], |r| r.get(0))?)
    }

    /// What the engine running the watch says of it.
    pub fn set_watch_state(
        &self,
        id: WatchId,
        state: WatchState,
        note: Option<&str>,
    ) -> Result<()> {
        self.conn().execute(
            "UPDATE watches SET state = ?2, note = ?3 WHERE id = ?1",
            params![id.0, state.as_str(), note],
        )?;
        Ok(())
    }

    /// Everything `id` queued, by path below its folder.
    pub fn watch_index(&self, id: WatchId) -> Result<HashMap<PathBuf, IndexedFile>> {
        let conn = self.conn();
        let mut stmt = conn.prepare_cached(
            "SELECT f.path, f.size, f.mtime_ns, f.inode, f.key, j.id, j.state \
             FROM watch_files f LEFT JOIN jobs j ON j.id = f.job_id WHERE f.watch_id = ?1",
        )?;
        let rows = stmt.query_map([id.0], |row| {
            let job = match row.get::<_, Option<i64>>(5)? {
                Some(job) => {
                    let state: String = row.get(6)?;
                    Some((
                        JobId(job),
                        JobState::parse(&state).unwrap_or(JobState::Failed),
                    ))
                }
                None => None,
            };
            Ok((
                blob_to_path(row.get(0)?),
                IndexedFile {
                    stat: FileStat {
                        size: row.get::<_, i64>(1)? as u64,
                        mtime_ns: row.get(2)?,
                        inode: row.get::<_, i64>(3)? as u64,
                    },
                    key: row.get(4)?,
                    job,
                },
            ))
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Queues `files` for watch `id` and records them in its index, in one durable
    /// transaction: a crash leaves either both or neither, so nothing is queued twice.
    pub fn queue_watched(
        &self,
        id: WatchId,
        batch: &str,
        files: &[WatchedFile],
    ) -> Result<Vec<JobId>> {
        self.durably(|conn| {
            let tx = conn.transaction()?;
            let jobs: Vec<&NewJob> = files.iter().map(|f| &f.job).collect();
            let ids = insert_job_rows(&tx, batch, &jobs, Some(id))?;
            {
                let mut index = tx.prepare_cached(
                    "INSERT OR REPLACE INTO watch_files (watch_id, path, size, mtime_ns, inode, \
                     key, job_id) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                )?;
                for (file, job) in files.iter().zip(&ids) {
                    index.execute(params![
                        id.0,
                        path_to_blob(&file.relative),
                        file.stat.size as i64,
                        file.stat.mtime_ns,
                        file.stat.inode as i64,
                        file.job.key,
                        job.0
                    ])?;
                }
            }
            if !files.is_empty() {
                tx.execute(
                    "UPDATE watches SET active_at = ?2 WHERE id = ?1",
                    params![id.0, now()],
                )?;
            }
            tx.commit()?;
            Ok(ids)
        })
    }

    /// A file whose job has not started changed again: the job will read the new version, so
    /// only the index learns of it.
    pub fn restat_watched(
        &self,
        id: WatchId,
        relative: &std::path::Path,
        stat: FileStat,
    ) -> Result<()> {
        self.conn().execute(
            "UPDATE watch_files SET size = ?3, mtime_ns = ?4, inode = ?5 \
             WHERE watch_id = ?1 AND path = ?2",
            params![
                id.0,
                path_to_blob(relative),
                stat.size as i64,
                stat.mtime_ns,
                stat.inode as i64
            ],
        )?;
        Ok(())
    }

    /// Drops files (gone from the folder) from the index of `id`.
    pub fn forget_watched(&self, id: WatchId, paths: &[PathBuf]) -> Result<()> {
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        {
            let mut delete =
                tx.prepare_cached("DELETE FROM watch_files WHERE watch_id = ?1 AND path = ?2")?;
            for path in paths {
                delete.execute(params![id.0, path_to_blob(path)])?;
            }
            if !paths.is_empty() {
                tx.execute(
                    "UPDATE watches SET active_at = ?2 WHERE id = ?1",
                    params![id.0, now()],
                )?;
            }
        }
        tx.commit()?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::destinations::tests::sample_destination;

    #[test]
    fn a_watch_paused_by_another_process_moves_the_revision_and_a_queued_batch_does_not() {
        let dir = tempfile::tempdir().unwrap();
        let window = Store::open(dir.path()).unwrap();
        let cli = Store::open(dir.path()).unwrap();
        let destination = sample_destination("d");
        cli.insert_destination(&destination).unwrap();
        let start = window.watches_revision().unwrap();
        let id = cli
            .add_watch(&NewWatch {
                folder: "/inbox".into(),
                destination_id: destination.id.clone(),
                bucket: "b".into(),
                prefix: String::new(),
                key_template: None,
                ignore: Vec::new(),
                if_exists: None,
                settle_ms: 1000,
                mirror_deletes: false,
                poll: false,
            })
            .unwrap();
        let added = window.watches_revision().unwrap();
        assert!(added > start);
        cli.set_watch_paused(id, true).unwrap();
        let paused = window.watches_revision().unwrap();
        assert!(paused > added);
        // Files queued by a running watch touch only `active_at`: no reload for every batch.
        cli.queue_watched(id, "batch", &[]).unwrap();
        cli.conn()
            .execute("UPDATE watches SET active_at = 5 WHERE id = ?1", [id.0])
            .unwrap();
        assert_eq!(window.watches_revision().unwrap(), paused);
        cli.remove_watch(id).unwrap();
        assert!(window.watches_revision().unwrap() > paused);
    }
}
