//! The `downloads` and `download_ranges` tables: what makes a download resumable and verified.
//! The row is committed (durably) before the first byte is fetched, naming the object's ETag,
//! size, how it is split (parts as uploaded, or ranges), any whole-object checksum and the
//! partial file; a span counts as fetched only once its row is committed, which happens after
//! its bytes were written and synced to disk. A span's row keeps where its bytes went and
//! their digests, computed as they arrived, so verifying never reads the file again.

use super::{Store, jobs::blob_to_path, jobs::path_to_blob};
use crate::digest::{Checksum, FetchReceipt, ObjectChecksum};
use crate::error::Result;
use crate::model::JobId;
use rusqlite::{OptionalExtension, params};
use std::path::PathBuf;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DownloadRow {
    /// The object's ETag when the download started (every later request asks for it).
    pub etag: String,
    pub size: u64,
    /// The object's last-modified time (seconds), given to the finished file.
    pub modified: Option<i64>,
    /// The spans' size when fetched by range; the first part's when fetched by part.
    pub range_size: u64,
    /// `Some(n)`: the object is fetched as its `n` parts as uploaded (`partNumber`), so its
    /// multipart ETag can be checked; `None`: by ranges of `range_size`.
    pub parts: Option<u32>,
    /// The whole object's checksum where the server keeps one (full, or composite of parts).
    pub checksum: Option<ObjectChecksum>,
    /// The hidden file the bytes are written into, beside the target.
    pub partial: PathBuf,
}

impl DownloadRow {
    /// How many spans the download is fetched in.
    pub fn span_count(&self) -> u64 {
        match self.parts {
            Some(n) => u64::from(n),
            None => self.size.div_ceil(self.range_size.max(1)),
        }
    }
}

/// One fetched span, as recorded: its number (from 0), where its bytes went, their digests.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpanRow {
    pub number: u64,
    pub receipt: FetchReceipt,
}

impl Store {
    pub fn download(&self, job: JobId) -> Result<Option<DownloadRow>> {
        Ok(self
            .conn()
            .query_row(
                "SELECT etag, size, modified, range_size, partial, parts, checksum \
                 FROM downloads WHERE job_id = ?1",
                [job.0],
                |r| {
                    Ok(DownloadRow {
                        etag: r.get(0)?,
                        size: r.get::<_, i64>(1)? as u64,
                        modified: r.get(2)?,
                        range_size: r.get::<_, i64>(3)? as u64,
                        partial: blob_to_path(r.get(4)?),
                        parts: r.get::<_, Option<i64>>(5)?.map(|n| n as u32),
                        checksum: r
                            .get::<_, Option<String>>(6)?
                            .as_deref()
                            .and_then(ObjectChecksum::from_text),
                    })
                },
            )
            .optional()?)
    }

    /// Records a new download (replacing an older one of the job, and its spans).
    pub fn save_download(&self, job: JobId, row: &DownloadRow) -> Result<()> {
        self.durably(|conn| {
            let tx = conn.transaction()?;
            tx.execute("DELETE FROM downloads WHERE job_id = ?1", [job.0])?;
            tx.execute(
                "INSERT INTO downloads (job_id, etag, size, modified, range_size, partial, parts, \
                 checksum) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                params![
                    job.0,
                    row.etag,
                    row.size as i64,
                    row.modified,
                    row.range_size as i64,
                    path_to_blob(&row.partial),
                    row.parts.map(i64::from),
                    row.checksum.map(|c| c.to_text()),
                ],
            )?;
            tx.commit()?;
            Ok(())
        })
    }

    /// The spans already on disk, by number.
    pub fn download_spans(&self, job: JobId) -> Result<Vec<SpanRow>> {
        let conn = self.conn();
        let mut stmt = conn.prepare_cached(
            "SELECT number, offset, length, md5, crc, checked FROM download_ranges \
             WHERE job_id = ?1 ORDER BY number",
        )?;
        let rows = stmt.query_map([job.0], |r| {
            let md5: Option<Vec<u8>> = r.get(3)?;
            let checksum = |i: usize| -> rusqlite::Result<Option<Checksum>> {
                Ok(r.get::<_, Option<String>>(i)?
                    .as_deref()
                    .and_then(Checksum::from_text))
            };
            Ok(SpanRow {
                number: r.get::<_, i64>(0)? as u64,
                receipt: FetchReceipt {
                    offset: r.get::<_, i64>(1)? as u64,
                    length: r.get::<_, i64>(2)? as u64,
                    md5: md5.and_then(|m| <[u8; 16]>::try_from(m).ok()),
                    crc: checksum(4)?,
                    checked: checksum(5)?,
                },
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
    }

    /// A span is on disk (call after its bytes were synced).
    pub fn save_download_span(&self, job: JobId, span: &SpanRow) -> Result<()> {
        let r = &span.receipt;
        self.durably(|conn| {
            conn.execute(
                "INSERT OR REPLACE INTO download_ranges (job_id, number, offset, length, md5, \
                 crc, checked) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                params![
                    job.0,
                    span.number as i64,
                    r.offset as i64,
                    r.length as i64,
                    r.md5.map(|m| m.to_vec()),
                    r.crc.map(|c| c.to_text()),
                    r.checked.map(|c| c.to_text()),
                ],
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
            parts: Some(3),
            checksum: ObjectChecksum::from_text("crc32c:4waSgw==-3"),
            partial: "/tmp/.target.bin.hoist-part".into(),
        };
        let span = |number: u64, offset: u64| SpanRow {
            number,
            receipt: FetchReceipt {
                offset,
                length: 4,
                md5: Some([number as u8; 16]),
                crc: Checksum::from_text("crc32c:AAAAAQ=="),
                checked: None,
            },
        };
        store.save_download(ids[0], &row).unwrap();
        store.save_download_span(ids[0], &span(2, 8)).unwrap();
        store.save_download_span(ids[0], &span(0, 0)).unwrap();
        store.save_download_span(ids[0], &span(2, 8)).unwrap();
        drop(store);
        let store = Store::open(dir.path()).unwrap();
        assert_eq!(
            store.job(ids[0]).unwrap().unwrap().direction,
            Direction::Download
        );
        assert_eq!(store.download(ids[0]).unwrap(), Some(row.clone()));
        assert_eq!(
            store.download_spans(ids[0]).unwrap(),
            [span(0, 0), span(2, 8)]
        );
        store.save_download(ids[0], &row).unwrap();
        assert!(
            store.download_spans(ids[0]).unwrap().is_empty(),
            "a new start forgets old ranges"
        );
        store.delete_download(ids[0]).unwrap();
        assert_eq!(store.download(ids[0]).unwrap(), None);
    }
}
