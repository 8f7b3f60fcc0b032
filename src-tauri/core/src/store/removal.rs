//! Taking jobs off the list: "remove" on chosen jobs and "clear finished". A row is deleted only
//! when nothing on the server depends on it: a job whose multipart upload still exists is
//! cancelled instead (the engine aborts the upload, then it can be removed), so removing never
//! leaves parts behind that cost storage.

use super::{Store, now};
use crate::error::Result;
use crate::model::transition::{Action, transition};
use crate::model::{JobId, JobState};
use rusqlite::{OptionalExtension, params};
use serde::Serialize;

/// What a removal did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct Removal {
    /// Deleted from the queue.
    pub removed: Vec<JobId>,
    /// Cancelled instead, because their multipart upload must be aborted first (or they were
    /// still running); remove them again once that is done.
    pub cancelled: Vec<JobId>,
}

impl Store {
    /// Removes `ids`: jobs with no multipart upload on the server and not running are deleted;
    /// the others are cancelled (see [`Removal::cancelled`]). Unknown ids are ignored.
    pub fn remove_jobs(&self, ids: &[JobId]) -> Result<Removal> {
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        let mut removal = Removal::default();
        {
            let mut read = tx.prepare_cached(
                "SELECT j.state, EXISTS(SELECT 1 FROM uploads u WHERE u.job_id = j.id) \
                 FROM jobs j WHERE j.id = ?1",
            )?;
            let mut delete = tx.prepare_cached("DELETE FROM jobs WHERE id = ?1")?;
            let mut cancel = tx.prepare_cached(
                "UPDATE jobs SET state = 'cancelled', updated_at = ?2 WHERE id = ?1",
            )?;
            for id in ids {
                let Some((state, has_upload)) = read
                    .query_row([id.0], |r| {
                        Ok((r.get::<_, String>(0)?, r.get::<_, bool>(1)?))
                    })
                    .optional()?
                else {
                    continue;
                };
                let Some(state) = JobState::parse(&state) else {
                    continue;
                };
                // A multipart upload must be aborted first, and a running job is in the engine's
                // hands: those are cancelled, and the engine does the rest.
                let needs_abort = has_upload && state != JobState::Completed;
                if !needs_abort && state != JobState::Running {
                    delete.execute([id.0])?;
                    removal.removed.push(*id);
                } else if let Some(JobState::Cancelled) = transition(state, Action::Cancel) {
                    cancel.execute(params![id.0, now()])?;
                    removal.cancelled.push(*id);
                } else if state == JobState::Cancelled {
                    removal.cancelled.push(*id);
                }
            }
        }
        tx.commit()?;
        Ok(removal)
    }

    /// Deletes every completed job, and every cancelled one with no multipart upload left.
    /// Returns the ids removed.
    pub fn clear_finished(&self) -> Result<Vec<JobId>> {
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        let ids: Vec<JobId> = {
            let mut stmt = tx.prepare_cached(
                "SELECT id FROM jobs j WHERE state = 'completed' OR (state = 'cancelled' \
                 AND NOT EXISTS(SELECT 1 FROM uploads u WHERE u.job_id = j.id)) ORDER BY id",
            )?;
            stmt.query_map([], |r| Ok(JobId(r.get(0)?)))?
                .collect::<rusqlite::Result<_>>()?
        };
        {
            let mut delete = tx.prepare_cached("DELETE FROM jobs WHERE id = ?1")?;
            for id in &ids {
                delete.execute([id.0])?;
            }
        }
        tx.commit()?;
        Ok(ids)
    }
}

impl Store {
    /// Deletes the completed uploads of each watch but its newest `keep`: a folder that is
    /// watched for months would otherwise grow the queue without end. Their files stay in the
    /// watch's index (their `job_id` becomes NULL), so they are not queued again and still
    /// count as uploaded. Returns the ids removed.
    pub fn prune_watched_finished(&self, keep: usize) -> Result<Vec<JobId>> {
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        let ids: Vec<JobId> = {
            let mut stmt = tx.prepare_cached(
                "SELECT id FROM (SELECT id, ROW_NUMBER() OVER (PARTITION BY watch_id                  ORDER BY id DESC) AS newer FROM jobs                  WHERE state = 'completed' AND watch_id IS NOT NULL)                  WHERE newer > ?1 ORDER BY id",
            )?;
            stmt.query_map([i64::try_from(keep).unwrap_or(i64::MAX)], |r| {
                Ok(JobId(r.get(0)?))
            })?
            .collect::<rusqlite::Result<_>>()?
        };
        {
            let mut delete = tx.prepare_cached("DELETE FROM jobs WHERE id = ?1")?;
            for id in &ids {
                delete.execute([id.0])?;
            }
        }
        tx.commit()?;
        Ok(ids)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Selection;
    use crate::store::destinations::tests::sample_destination;
    use crate::store::{NewJob, UploadRow};

    fn store_with(n: usize) -> (Store, Vec<JobId>) {
        let store = Store::open_in_memory().unwrap();
        let destination = sample_destination("p");
        store.insert_destination(&destination).unwrap();
        let jobs: Vec<NewJob> = (0..n)
            .map(|i| NewJob {
                direction: crate::model::Direction::Upload,
                path: format!("/tmp/f{i}").into(),
                destination_id: destination.id.clone(),
                bucket: "b".into(),
                key: format!("k{i}"),
                bytes_total: 10,
                if_exists: Default::default(),
            })
            .collect();
        let ids = store.insert_jobs("batch", &jobs).unwrap();
        (store, ids)
    }

    fn with_upload(store: &Store, id: JobId) {
        store
            .save_upload(
                id,
                &UploadRow {
                    upload_id: format!("u{id}"),
                    bucket: "b".into(),
                    key: format!("k{id}"),
                    part_size: 5,
                    fingerprint: crate::model::Fingerprint {
                        size: 10,
                        mtime_ns: 1,
                        inode: 1,
                    },
                    checksum: None,
                },
            )
            .unwrap();
    }

    fn act(store: &Store, id: JobId, action: Action) {
        store
            .apply(&Selection::Ids(vec![id]), action, None)
            .unwrap();
    }

    #[test]
    fn remove_deletes_what_the_server_no_longer_needs_and_cancels_the_rest() {
        let (store, ids) = store_with(6);
        let [
            done,
            failed_plain,
            failed_with_upload,
            queued,
            paused_with_upload,
            running,
        ] = ids[..]
        else {
            unreachable!()
        };
        act(&store, running, Action::Start);
        act(&store, done, Action::Start);
        act(&store, done, Action::Complete);
        act(&store, failed_plain, Action::Start);
        act(&store, failed_plain, Action::Fail);
        with_upload(&store, failed_with_upload);
        act(&store, failed_with_upload, Action::Start);
        act(&store, failed_with_upload, Action::Fail);
        with_upload(&store, paused_with_upload);
        act(&store, paused_with_upload, Action::Pause);

        let removal = store.remove_jobs(&ids).unwrap();
        assert_eq!(removal.removed, vec![done, failed_plain, queued]);
        assert_eq!(
            removal.cancelled,
            vec![failed_with_upload, paused_with_upload, running]
        );
        let left: Vec<(JobId, JobState)> = store
            .jobs()
            .unwrap()
            .into_iter()
            .map(|j| (j.id, j.state))
            .collect();
        assert_eq!(
            left,
            vec![
                (failed_with_upload, JobState::Cancelled),
                (paused_with_upload, JobState::Cancelled),
                (running, JobState::Cancelled),
            ]
        );
        // Once the engine let go (cancelled, no upload left), a second remove deletes it.
        let again = store.remove_jobs(&[running]).unwrap();
        assert_eq!(again.removed, vec![running]);
    }

    #[test]
    fn clear_finished_keeps_failed_and_jobs_with_uploads() {
        let (store, ids) = store_with(4);
        let [done, failed, cancelled, cancelled_with_upload] = ids[..] else {
            unreachable!()
        };
        act(&store, done, Action::Start);
        act(&store, done, Action::Complete);
        act(&store, failed, Action::Start);
        act(&store, failed, Action::Fail);
        act(&store, cancelled, Action::Cancel);
        with_upload(&store, cancelled_with_upload);
        act(&store, cancelled_with_upload, Action::Cancel);
        assert_eq!(store.clear_finished().unwrap(), vec![done, cancelled]);
        let left: Vec<JobId> = store.jobs().unwrap().into_iter().map(|j| j.id).collect();
        assert_eq!(left, vec![failed, cancelled_with_upload]);
    }

    #[test]
    fn a_watch_kept_every_completed_upload_in_the_queue() {
        let (store, _) = store_with(0);
        let destination = store.destinations().unwrap().remove(0);
        let watch = |folder: &str| {
            store
                .add_watch(&crate::model::NewWatch {
                    folder: folder.into(),
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
                .unwrap()
        };
        let (scans, music) = (watch("/scans"), watch("/music"));
        let queue = |watch, n: usize| {
            let files: Vec<crate::store::WatchedFile> = (0..n)
                .map(|i| crate::store::WatchedFile {
                    job: NewJob {
                        direction: crate::model::Direction::Upload,
                        path: format!("/w{}/f{i}", watch).into(),
                        destination_id: destination.id.clone(),
                        bucket: "b".into(),
                        key: format!("w{watch}/f{i}"),
                        bytes_total: 10,
                        if_exists: Default::default(),
                    },
                    relative: format!("f{i}").into(),
                    stat: crate::watcher::FileStat {
                        size: 10,
                        mtime_ns: 1,
                        inode: i as u64,
                    },
                })
                .collect();
            store.queue_watched(watch, "batch", &files).unwrap()
        };
        let scanned = queue(scans, 5);
        let played = queue(music, 3);
        // Scans: four completed, one still queued; music: all three completed.
        let by_hand = store_jobs_by_hand(&store, &destination);
        for id in scanned[..4].iter().chain(&played).chain([&by_hand]) {
            act(&store, *id, Action::Start);
            act(&store, *id, Action::Complete);
        }

        let removed = store.prune_watched_finished(2).unwrap();
        assert_eq!(removed, vec![scanned[0], scanned[1], played[0]]);
        let left: Vec<JobId> = store.jobs().unwrap().into_iter().map(|j| j.id).collect();
        assert_eq!(
            left,
            vec![
                scanned[2], scanned[3], scanned[4], played[1], played[2], by_hand
            ],
            "the newest two of each watch, the queued one and the one added by hand stay"
        );
        // The files stay in the index, counted as uploaded, so they are not queued again.
        let counts: Vec<(u64, u64)> = store
            .watches()
            .unwrap()
            .iter()
            .map(|w| (w.uploaded, w.pending))
            .collect();
        assert_eq!(counts, vec![(4, 1), (3, 0)]);
        assert!(store.prune_watched_finished(2).unwrap().is_empty());
    }

    fn store_jobs_by_hand(store: &Store, destination: &crate::model::Destination) -> JobId {
        store
            .insert_jobs(
                "by-hand",
                &[NewJob {
                    direction: crate::model::Direction::Upload,
                    path: "/tmp/by-hand".into(),
                    destination_id: destination.id.clone(),
                    bucket: "b".into(),
                    key: "by-hand".into(),
                    bytes_total: 10,
                    if_exists: Default::default(),
                }],
            )
            .unwrap()[0]
    }
}
