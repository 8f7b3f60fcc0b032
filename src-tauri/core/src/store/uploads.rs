//! The `uploads` and `parts` tables: the multipart state that makes resume possible.
//!
//! The upload row is committed right after CreateMultipartUpload answers and before any part is
//! sent, so a restart never creates a second upload for the same job. A part row is committed
//! only after the server acknowledged the part; `synchronous=FULL` makes that durable.

use super::{Store, now};
use crate::digest::{Checksum, ChecksumAlgorithm};
use crate::error::{Error, ErrorKind, Result};
use crate::model::{Fingerprint, JobId, PartReceipt};
use rusqlite::{OptionalExtension, params};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UploadRow {
    pub upload_id: String,
    pub bucket: String,
    pub key: String,
    pub part_size: u64,
    pub fingerprint: Fingerprint,
    /// The checksum every part of this upload carries (chosen when it was created).
    pub checksum: Option<ChecksumAlgorithm>,
}

impl Store {
    pub fn upload(&self, job: JobId) -> Result<Option<UploadRow>> {
        Ok(self
            .conn()
            .query_row(
                "SELECT upload_id, bucket, key, part_size, fp_size, fp_mtime_ns, fp_inode, checksum \
                 FROM uploads WHERE job_id = ?1",
                [job.0],
                |r| {
                    Ok(UploadRow {
                        upload_id: r.get(0)?,
                        bucket: r.get(1)?,
                        key: r.get(2)?,
                        part_size: r.get::<_, i64>(3)? as u64,
                        fingerprint: Fingerprint {
                            size: r.get::<_, i64>(4)? as u64,
                            mtime_ns: r.get(5)?,
                            inode: r.get::<_, i64>(6)? as u64,
                        },
                        checksum: r
                            .get::<_, Option<String>>(7)?
                            .as_deref()
                            .and_then(ChecksumAlgorithm::from_name),
                    })
                },
            )
            .optional()?)
    }

    /// Records a new upload id for `job`, replacing any previous one and its parts.
    pub fn save_upload(&self, job: JobId, upload: &UploadRow) -> Result<()> {
        self.durably(|conn| {
            let tx = conn.transaction()?;
            tx.execute("DELETE FROM uploads WHERE job_id = ?1", [job.0])?;
            tx.execute(
                "INSERT INTO uploads (job_id, upload_id, bucket, key, part_size, fp_size, \
             fp_mtime_ns, fp_inode, created_at, checksum) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
                params![
                    job.0,
                    upload.upload_id,
                    upload.bucket,
                    upload.key,
                    upload.part_size as i64,
                    upload.fingerprint.size as i64,
                    upload.fingerprint.mtime_ns,
                    upload.fingerprint.inode as i64,
                    now(),
                    upload.checksum.map(ChecksumAlgorithm::name)
                ],
            )?;
            tx.commit()?;
            Ok(())
        })
    }

    /// Upload ids that jobs still need (every job with an upload row, except cancelled ones,
    /// whose uploads are to be aborted anyway).
    pub fn upload_ids_in_use(&self) -> Result<std::collections::HashSet<String>> {
        let conn = self.conn();
        let mut stmt = conn.prepare_cached(
            "SELECT u.upload_id FROM uploads u JOIN jobs j ON j.id = u.job_id \
             WHERE j.state != 'cancelled'",
        )?;
        let rows = stmt.query_map([], |r| r.get(0))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Forgets a job's upload and its parts (after Complete, Abort, or a lost upload id).
    pub fn delete_upload(&self, job: JobId) -> Result<()> {
        self.conn()
            .execute("DELETE FROM uploads WHERE job_id = ?1", [job.0])?;
        Ok(())
    }

    /// The job's recorded parts, in order. An MD5 that is not 32 hex digits (a damaged row)
    /// is refused, naming the part.
    pub fn parts(&self, job: JobId) -> Result<Vec<PartReceipt>> {
        let conn = self.conn();
        let mut stmt = conn.prepare_cached(
            "SELECT part_number, size, etag, md5, checksum FROM parts WHERE job_id = ?1 \
             ORDER BY part_number",
        )?;
        let rows = stmt.query_map([job.0], |r| {
            let part = PartReceipt {
                part_number: r.get::<_, i64>(0)? as u32,
                size: r.get::<_, i64>(1)? as u64,
                etag: r.get(2)?,
                md5: None,
                crc32c: r
                    .get::<_, Option<String>>(4)?
                    .as_deref()
                    .and_then(Checksum::from_text),
            };
            Ok((part, r.get::<_, String>(3)?))
        })?;
        let mut parts = Vec::new();
        for row in rows {
            let (mut part, md5) = row?;
            if !md5.is_empty() {
                let mut bytes = [0u8; 16];
                hex::decode_to_slice(&md5, &mut bytes).map_err(|e| {
                    Error::new(
                        ErrorKind::Database,
                        format!("part {} of job {job} has a damaged MD5", part.part_number),
                    )
                    .with_source(e)
                })?;
                part.md5 = Some(bytes);
            }
            parts.push(part);
        }
        Ok(parts)
    }

    /// Commits one acknowledged part. Only after this returns does the part count as done.
    pub fn save_part(&self, job: JobId, part: &PartReceipt) -> Result<()> {
        self.durably(|conn| {
            conn.execute(
                "INSERT INTO parts (job_id, part_number, size, etag, md5, checksum) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6) \
             ON CONFLICT(job_id, part_number) DO UPDATE SET size = excluded.size, \
             etag = excluded.etag, md5 = excluded.md5, checksum = excluded.checksum",
                params![
                    job.0,
                    part.part_number,
                    part.size as i64,
                    part.etag,
                    part.md5.map(hex::encode).unwrap_or_default(),
                    part.crc32c.map(|c| c.to_text())
                ],
            )?;
            Ok(())
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::NewJob;
    use crate::store::destinations::tests::sample_destination;

    #[test]
    fn parts_belong_to_their_upload_and_vanish_with_it() {
        let store = Store::open_in_memory().unwrap();
        let p = sample_destination("p");
        store.insert_destination(&p).unwrap();
        let job = store
            .insert_jobs(
                "b",
                &[NewJob {
                    direction: crate::model::Direction::Upload,
                    path: "/tmp/x".into(),
                    destination_id: p.id,
                    bucket: "b".into(),
                    key: "x".into(),
                    bytes_total: 20,
                    if_exists: Default::default(),
                }],
            )
            .unwrap()[0];
        let upload = UploadRow {
            upload_id: "u1".into(),
            bucket: "b".into(),
            key: "x".into(),
            part_size: 10,
            fingerprint: Fingerprint {
                size: 20,
                mtime_ns: 5,
                inode: 7,
            },
            checksum: Some(ChecksumAlgorithm::Crc32c),
        };
        store.save_upload(job, &upload).unwrap();
        assert_eq!(store.upload(job).unwrap(), Some(upload.clone()));
        let part = PartReceipt {
            part_number: 2,
            size: 10,
            etag: "e2".into(),
            md5: Some([7; 16]),
            crc32c: None,
        };
        store.save_part(job, &part).unwrap();
        store.save_part(job, &part).unwrap();
        assert_eq!(store.parts(job).unwrap(), vec![part.clone()]);
        let crc_only = PartReceipt {
            part_number: 3,
            md5: None,
            crc32c: Checksum::from_text("crc32c:4waSgw=="),
            ..part.clone()
        };
        store.save_part(job, &crc_only).unwrap();
        assert_eq!(store.parts(job).unwrap(), vec![part.clone(), crc_only]);
        // A damaged MD5 is named, not turned into a wrong ETag check.
        store
            .conn()
            .execute("UPDATE parts SET md5 = 'zz' WHERE part_number = 2", [])
            .unwrap();
        let damaged = store.parts(job).unwrap_err();
        assert_eq!(damaged.kind(), crate::error::ErrorKind::Database);
        assert!(damaged.to_string().contains("part 2"), "{damaged}");
        store.save_part(job, &part).unwrap();
        // A new upload id for the same job replaces the old one and drops its parts.
        store
            .save_upload(
                job,
                &UploadRow {
                    upload_id: "u2".into(),
                    ..upload
                },
            )
            .unwrap();
        assert!(store.parts(job).unwrap().is_empty());
        store.delete_upload(job).unwrap();
        assert_eq!(store.upload(job).unwrap(), None);
    }
}
