//! The `downloads` and `download_ranges` tables: what makes a download resumable. The row is
//! committed (durably) before the first byte is fetched, naming the object's ETag and size and
//! the partial file; a range counts as fetched only once its row is committed, which happens
//! after its bytes were written and synced to disk.

use super::{Store, jobs::blob_to_path, jobs::path_to_blob};
use crate::error::Result;
use crate::model::JobId;
use rusqlite::{OptionalExtension, params};
use std::path::PathBuf;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DownloadRow {
    /// The object's ETag when the download started (every later range asks for it).
    pub etag: String,
    pub size: u64,
    /// The object's last-modified time (seconds), given to the finished file.
    pub modified: Option<i64>,
    pub range_size: u64,
    /// The hidden file the bytes are written into, beside the target.
    pub partial: PathBuf,
}

impl Store {
    pub fn download(&self, job: JobId) -> Result<Option<DownloadRow>> {
        Ok(self
            .conn()
            .query_row(
                "SELECT etag, size, modified, range_size, partial FROM downloads WHERE job_id = ?1",
                [job.0],
                |r| {
                    Ok(DownloadRow {
                        etag: r.get(0)?,
                        size: r.get::<_, i64>(1)? as u64,
                        modified: r.get(2)?,
                        range_size: r.get::<_, i64>(3)? as u64,
                        partial: blob_to_path(r.get(4)?),
                    })
                },
            )
            .optional()?)
    }

    /// Records a new download (replacing an older one of the job, and its ranges).
    pub fn save_download(&self, job: JobId, row: &DownloadRow) -> Result<()> {
        self.durably(|conn| {
            let tx = conn.transaction()?;
            tx.execute("DELETE FROM downloads WHERE job_id = ?1", [job.0])?;
            tx.execute(
                "INSERT INTO downloads (job_id, etag, size, modified, range_size, partial) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                params![
                    job.0,
                    row.etag,
                    row.size as i64,
                    row.modified,
                    row.range_size as i64,
                    path_to_blob(&row.partial)
                ],
            )?;
            tx.commit()?;
            Ok(())
        })
    }

    /// The numbers of the ranges already on disk.
    pub fn download_ranges(&self, job: JobId) -> Result<Vec<u64>> {
        let conn = self.conn();
        let mut stmt = conn.prepare_cached(
            "SELECT number FROM download_ranges WHERE job_id = ?1 ORDER BY number",
        )?;
        let rows = stmt.query_map([job.0], |r| r.get::<_, i64>(0))?;
        Ok(rows
            .collect::<rusqlite::Result<Vec<i64>>>()?
            .into_iter()
            .map(|n| n as u64)
            .collect())
    }

    /// A range is on disk (call after its bytes were synced).
    pub fn save_download_range(&self, job: JobId, number: u64) -> Result<()> {
        self.durably(|conn| {
            conn.execute(
                "INSERT OR IGNORE INTO download_ranges (job_id, number) VALUES (?1, ?2)",
                params![job.0, number as i64],
            )?;
            Ok(())
        })
    }

    pub fn delete_download(&self, job: JobId) -> Result<()> {
        self.durably(|conn| {
            conn.execute("DELETE FROM downloads WHERE job_id = ?1", [job.0])?;
            Ok(())
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{DestinationId, DestinationKind, Direction};

    #[test]
    fn a_download_and_its_ranges_survive_a_reopen_and_go_with_the_row() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        store
            .insert_destination(&crate::model::Destination {
                id: DestinationId("d".into()),
                name: "d".into(),
                kind: DestinationKind::S3,
                endpoint: None,
                region: "r".into(),
                bucket: "b".into(),
                path_style: false,
                prefix: String::new(),
                folder: None,
                builtin: false,
                provider: None,
                options: Default::default(),
                capabilities: None,
            })
            .unwrap();
        let ids = store
            .insert_jobs(
                "batch",
                &[crate::store::NewJob {
                    direction: Direction::Download,
                    path: "/tmp/target.bin".into(),
                    destination_id: DestinationId("d".into()),
                    bucket: "b".into(),
                    key: "k".into(),
                    bytes_total: 10,
                    if_exists: Default::default(),
                }],
            )
            .unwrap();
        let row = DownloadRow {
            etag: "e".into(),
            size: 10,
            modified: Some(7),
            range_size: 4,
            partial: "/tmp/.target.bin.hoist-part".into(),
        };
        store.save_download(ids[0], &row).unwrap();
        store.save_download_range(ids[0], 2).unwrap();
        store.save_download_range(ids[0], 0).unwrap();
        store.save_download_range(ids[0], 2).unwrap();
        drop(store);
        let store = Store::open(dir.path()).unwrap();
        assert_eq!(
            store.job(ids[0]).unwrap().unwrap().direction,
            Direction::Download
        );
        assert_eq!(store.download(ids[0]).unwrap(), Some(row.clone()));
        assert_eq!(store.download_ranges(ids[0]).unwrap(), [0, 2]);
        store.save_download(ids[0], &row).unwrap();
        assert!(
            store.download_ranges(ids[0]).unwrap().is_empty(),
            "a new start forgets old ranges"
        );
        store.delete_download(ids[0]).unwrap();
        assert_eq!(store.download(ids[0]).unwrap(), None);
    }
}
