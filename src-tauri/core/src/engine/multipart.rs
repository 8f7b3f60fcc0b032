//! Files above the threshold: a multipart upload whose state lives in the database.
//!
//! Order of durability: CreateMultipartUpload's id is committed before any part is sent (so a
//! restart never creates a second upload for the job); each part's row is committed after the
//! server acknowledged it. On resume the database is the truth, reconciled with ListParts where
//! the server has it: a part the server holds but the database does not (a crash between the
//! 2xx and the commit) is adopted only if its size and ETag match the local bytes. Before
//! Complete the file's fingerprint is checked again: changed bytes are never completed.
//!
//! Where the server checks CRC32C ([`ChecksumPolicy::Crc32c`]), the upload is created with that
//! algorithm and each part carries its CRC32C, which the server verifies before storing it (no
//! MD5 is computed: CRC32C runs at memory speed); Complete lists the parts' CRCs, and the
//! object's composite checksum and ETag (from the part ETags the server acknowledged) are
//! checked afterwards. Elsewhere each part carries its Content-MD5.

use super::job::{JobContext, Step, stat};
use super::plan::{part_count, part_range};
use crate::backend::{Digests, PartBody, digest_range, is_md5_etag, multipart_etag};
use crate::digest::{ChecksumAlgorithm, ObjectChecksum};
use crate::error::{Error, ErrorKind, Result};
use crate::model::{Fingerprint, PartReceipt};
use crate::presets::ChecksumPolicy;
use crate::store::UploadRow;
use futures::{StreamExt, TryStreamExt};
use std::collections::BTreeMap;

/// Runs (or resumes) the job's multipart upload. `existing` is the stored upload, if any;
/// `part_size` is used only when a new upload is created.
pub(crate) async fn run(
    ctx: &JobContext,
    fingerprint: Fingerprint,
    existing: Option<UploadRow>,
    part_size: u64,
) -> Result<Step> {
    let id = ctx.job.id;
    let key = ctx.job.key.as_str();
    let upload = match existing {
        Some(upload)
            if upload.fingerprint == fingerprint
                && upload.key == ctx.job.key
                && upload.bucket == ctx.job.bucket =>
        {
            tracing::info!(job = %id, upload_id = %upload.upload_id, "resuming multipart upload");
            upload
        }
        Some(stale) => {
            abort_quietly(ctx, &stale).await;
            ctx.store.delete_upload(id)?;
            return Ok(Step::Again(format!(
                "{} changed since its upload started",
                ctx.job.path.display()
            )));
        }
        None => {
            let checksum = (ctx.backend.upload_checksum() == ChecksumPolicy::Crc32c)
                .then_some(ChecksumAlgorithm::Crc32c);
            let upload_id = ctx
                .call("starting the upload of", || {
                    ctx.backend.create_multipart(key, checksum)
                })
                .await?;
            let upload = UploadRow {
                upload_id,
                bucket: ctx.job.bucket.clone(),
                key: ctx.job.key.clone(),
                part_size,
                fingerprint,
                checksum,
            };
            ctx.store.save_upload(id, &upload)?;
            tracing::info!(job = %id, upload_id = %upload.upload_id, part_size, "multipart upload created");
            upload
        }
    };

    let count = part_count(fingerprint.size, upload.part_size);
    let mut done: BTreeMap<u32, PartReceipt> = BTreeMap::new();
    for part in ctx.store.parts(id)? {
        let (_, length) = part_range(fingerprint.size, upload.part_size, part.part_number);
        if part.part_number <= count && part.size == length {
            done.insert(part.part_number, part);
        }
    }
    if let Some(again) = reconcile(ctx, &upload, count, &mut done).await? {
        return Ok(again);
    }
    ctx.counters
        .set_committed(done.values().map(|p| p.size).sum());

    let missing: Vec<u32> = (1..=count).filter(|n| !done.contains_key(n)).collect();
    tracing::debug!(job = %id, parts = count, missing = missing.len(), "sending parts");
    let sent = futures::stream::iter(missing)
        .map(Ok)
        .try_for_each_concurrent(ctx.config.parts_in_flight.max(1), |number| {
            send_part(ctx, &upload, fingerprint.size, number)
        })
        .await;
    match sent {
        Err(e) if e.kind() == ErrorKind::NoSuchUpload => {
            return lost_upload(ctx, fingerprint.size, count).await;
        }
        other => other?,
    }

    if stat(&ctx.job.path).await? != upload.fingerprint {
        abort_quietly(ctx, &upload).await;
        ctx.store.delete_upload(id)?;
        return Ok(Step::Again(format!(
            "{} changed while it was uploaded",
            ctx.job.path.display()
        )));
    }
    complete(ctx, &upload, fingerprint.size, count).await
}

/// Adopts parts the server has but the database does not (if they match the local bytes), and
/// notices a lost upload id. `Ok(Some(_))` means start over.
async fn reconcile(
    ctx: &JobContext,
    upload: &UploadRow,
    count: u32,
    done: &mut BTreeMap<u32, PartReceipt>,
) -> Result<Option<Step>> {
    let key = ctx.job.key.as_str();
    let listed = ctx
        .call("listing the parts of", || {
            ctx.backend.list_parts(key, &upload.upload_id)
        })
        .await;
    let server_parts = match listed {
        Ok(Some(parts)) => parts,
        Ok(None) => return Ok(None),
        Err(e) if e.kind() == ErrorKind::NoSuchUpload => {
            return Ok(Some(
                lost_upload(ctx, upload.fingerprint.size, count).await?,
            ));
        }
        Err(e) => return Err(e),
    };
    for part in server_parts {
        if part.part_number == 0 || part.part_number > count || done.contains_key(&part.part_number)
        {
            continue;
        }
        let (offset, length) =
            part_range(upload.fingerprint.size, upload.part_size, part.part_number);
        if part.size != length {
            continue;
        }
        // Rare (a crash between the server's answer and the commit): both digests, so the part
        // is checked against whatever the server lists for it.
        let digest = digest_range(&ctx.job.path, offset, length, Digests::BOTH).await?;
        let etag_matches =
            is_md5_etag(&part.etag).then(|| digest.md5_hex() == Some(part.etag.clone()));
        let crc_matches = part.crc32c.map(|listed| digest.crc32c == Some(listed));
        if matches!(
            (etag_matches, crc_matches),
            (Some(false), _) | (_, Some(false)) | (None, None)
        ) {
            continue;
        }
        let row = PartReceipt {
            part_number: part.part_number,
            size: length,
            etag: part.etag,
            md5: digest.md5,
            crc32c: digest.crc32c.filter(|_| upload.checksum.is_some()),
        };
        ctx.store.save_part(ctx.job.id, &row)?;
        tracing::info!(job = %ctx.job.id, part = row.part_number, "adopted a part the server already had");
        done.insert(row.part_number, row);
    }
    Ok(None)
}

/// The digests each part of `upload` is sent with.
fn part_digests(upload: &UploadRow) -> Digests {
    match upload.checksum {
        Some(_) => Digests::CRC32C,
        None => Digests::MD5,
    }
}

async fn send_part(ctx: &JobContext, upload: &UploadRow, size: u64, number: u32) -> Result<()> {
    let (offset, length) = part_range(size, upload.part_size, number);
    let key = ctx.job.key.as_str();
    let path = &ctx.job.path;
    let what = format!("uploading part {number} of");
    let (receipt, digest) = ctx
        .call(&what, || async move {
            let digest = digest_range(path, offset, length, part_digests(upload)).await?;
            let body = PartBody {
                path: path.clone(),
                offset,
                length,
                progress: ctx.counters.start(number),
                bytes: None,
            };
            let receipt = ctx
                .backend
                .upload_part(key, &upload.upload_id, number, body, digest)
                .await?;
            Ok((receipt, digest))
        })
        .await?;
    let other_bytes = |what: String| {
        Err(Error::new(
            ErrorKind::Protocol,
            format!("the server stored other bytes for part {number} of {key} ({what})"),
        ))
    };
    if let Some(md5) = digest.md5_hex()
        && is_md5_etag(&receipt.etag)
        && receipt.etag != md5
    {
        return other_bytes(format!("ETag {}", receipt.etag));
    }
    if let (Some(sent), Some(stored)) = (digest.crc32c, receipt.crc32c)
        && sent != stored
    {
        return other_bytes(format!("{stored}, the part has {sent}"));
    }
    // Recorded with our digests: the server's answer has no MD5, and echoes the CRC only
    // where it checks it.
    let part = PartReceipt {
        md5: digest.md5,
        crc32c: digest.crc32c,
        ..receipt
    };
    let id = ctx.job.id;
    ctx.commit(move |store| store.save_part(id, &part)).await?;
    ctx.counters.finish(number, length);
    Ok(())
}

async fn complete(ctx: &JobContext, upload: &UploadRow, size: u64, count: u32) -> Result<Step> {
    let key = ctx.job.key.as_str();
    let mut resent = false;
    loop {
        let parts = ctx.store.parts(ctx.job.id)?;
        if parts.len() != count as usize {
            return Err(Error::new(
                ErrorKind::Database,
                format!(
                    "{key}: {} of {count} parts are recorded after sending them all",
                    parts.len()
                ),
            ));
        }
        let expected = expected_object(&parts)?;
        let completed = ctx
            .call("completing the upload of", || {
                ctx.backend
                    .complete_multipart(key, &upload.upload_id, &parts)
            })
            .await;
        match completed {
            Ok(info) => {
                if let (Some(answered), Some(ours)) = (info.checksum, expected.checksum)
                    && answered.algorithm() == ours.algorithm()
                    && answered != ours
                {
                    return Err(Error::new(
                        ErrorKind::Protocol,
                        format!(
                            "the server completed {key} with the checksum {}, the parts sent give {}",
                            answered.header_value(),
                            ours.header_value()
                        ),
                    ));
                }
            }
            // The first Complete may have succeeded with its answer lost.
            Err(e) if e.kind() == ErrorKind::NoSuchUpload => {
                return lost_upload(ctx, size, count).await;
            }
            // The server lost a part we recorded: send what it lacks again, once.
            Err(e) if e.kind() == ErrorKind::PartLost && !resent => {
                resent = true;
                tracing::warn!(job = %ctx.job.id, error = %e, "the server lost a part");
                if let Some(again) = resend_lost_parts(ctx, upload, size, &parts).await? {
                    return Ok(again);
                }
                continue;
            }
            Err(e) => return Err(e),
        }
        ctx.verify(size, expected.etag.as_deref()).await?;
        // The upload row goes in the same transaction that marks the job completed, so a crash
        // before that finds it again and checks the object instead of uploading a second time.
        return Ok(Step::Done);
    }
}

/// After Complete answered InvalidPart: asks the server which parts it holds and sends the
/// recorded parts it lacks (or holds with another ETag) again. Where the server cannot list
/// parts, or lists every part as it should be, the upload is aborted and started afresh
/// (`Some(Step::Again)`). Either way the job's note says what happened.
async fn resend_lost_parts(
    ctx: &JobContext,
    upload: &UploadRow,
    size: u64,
    recorded: &[PartReceipt],
) -> Result<Option<Step>> {
    let key = ctx.job.key.as_str();
    let listed = ctx
        .call("listing the parts of", || {
            ctx.backend.list_parts(key, &upload.upload_id)
        })
        .await?;
    let lost: Vec<u32> = match &listed {
        Some(held) => recorded
            .iter()
            .filter(|r| {
                !held
                    .iter()
                    .any(|h| h.part_number == r.part_number && h.etag == r.etag)
            })
            .map(|r| r.part_number)
            .collect(),
        None => Vec::new(),
    };
    if lost.is_empty() {
        abort_quietly(ctx, upload).await;
        ctx.store.delete_upload(ctx.job.id)?;
        ctx.store.set_note(
            ctx.job.id,
            "the server lost a part of the upload: it was started again",
        )?;
        return Ok(Some(Step::Again(
            "the server lost a part it had acknowledged".into(),
        )));
    }
    let lost_bytes: u64 = recorded
        .iter()
        .filter(|r| lost.contains(&r.part_number))
        .map(|r| r.size)
        .sum();
    ctx.counters
        .set_committed(ctx.counters.committed().saturating_sub(lost_bytes));
    for &number in &lost {
        send_part(ctx, upload, size, number).await?;
    }
    let numbers: Vec<String> = lost.iter().map(u32::to_string).collect();
    ctx.store.set_note(
        ctx.job.id,
        &format!(
            "the server lost part {} after acknowledging it: sent again",
            numbers.join(", ")
        ),
    )?;
    tracing::info!(job = %ctx.job.id, parts = ?lost, "lost parts sent again");
    Ok(None)
}

/// What the object completed from these parts must show.
struct Expected {
    /// Its ETag: the MD5 of the parts' MD5s, ours where we computed them, else the part
    /// ETags the server acknowledged (where those are MD5s); `None` when neither is known.
    etag: Option<String>,
    /// Its composite checksum, where the parts carried CRCs.
    checksum: Option<ObjectChecksum>,
}

fn expected_object(parts: &[PartReceipt]) -> Result<Expected> {
    let md5s: Option<Vec<[u8; 16]>> = parts.iter().map(|p| p.md5).collect();
    let etag = match md5s {
        Some(md5s) => Some(multipart_etag(&md5s)),
        None if parts.iter().all(|p| is_md5_etag(&p.etag)) => {
            let mut md5s = Vec::with_capacity(parts.len());
            for part in parts {
                let mut md5 = [0u8; 16];
                hex::decode_to_slice(&part.etag, &mut md5).map_err(|e| {
                    Error::new(
                        ErrorKind::Protocol,
                        format!("part {} has an ETag that is not an MD5", part.part_number),
                    )
                    .with_source(e)
                })?;
                md5s.push(md5);
            }
            Some(multipart_etag(&md5s))
        }
        None => None,
    };
    let crcs: Option<Vec<_>> = parts.iter().map(|p| p.crc32c).collect();
    Ok(Expected {
        etag,
        checksum: crcs.as_deref().and_then(ObjectChecksum::of_parts),
    })
}

/// The server no longer knows the upload id. If every part was sent, the upload may have been
/// completed already (by us, with the answer or the "done" write lost): the object is then in
/// place with exactly the expected size and ETag. Otherwise forget the upload and start afresh.
async fn lost_upload(ctx: &JobContext, size: u64, count: u32) -> Result<Step> {
    let parts = ctx.store.parts(ctx.job.id)?;
    if parts.len() == count as usize
        && let Some(expected) = expected_object(&parts)?.etag
    {
        let key = ctx.job.key.as_str();
        let head = ctx
            .call("checking", || ctx.backend.head_object(key))
            .await?;
        if head.is_some_and(|h| h.size == size && h.etag.as_deref() == Some(&expected)) {
            tracing::info!(job = %ctx.job.id, "the upload had already completed");
            return Ok(Step::Done);
        }
    }
    ctx.store.delete_upload(ctx.job.id)?;
    Ok(Step::Again(
        "the server no longer knows the upload (expired or aborted)".into(),
    ))
}

/// Best-effort abort of an upload we are abandoning; a failure only costs storage, so it is logged.
pub(crate) async fn abort_quietly(ctx: &JobContext, upload: &UploadRow) {
    if let Err(e) = ctx
        .backend
        .abort_multipart(&upload.key, &upload.upload_id)
        .await
    {
        tracing::warn!(job = %ctx.job.id, upload_id = %upload.upload_id, error = %e, "could not abort the old upload");
    }
}
