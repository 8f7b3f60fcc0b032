//! Files above the threshold: a multipart upload whose state lives in the database.
//!
//! Order of durability: CreateMultipartUpload's id is committed before any part is sent (so a
//! restart never creates a second upload for the job); each part's row is committed after the
//! server acknowledged it. On resume the database is the truth, reconciled with ListParts where
//! the server has it: a part the server holds but the database does not (a crash between the
//! 2xx and the commit) is adopted only if its size and ETag match the local bytes. Before
//! Complete the file's fingerprint is checked again: changed bytes are never completed.

use super::plan::{part_count, part_range};
use super::{JobContext, Step, is_md5_etag, stat};
use crate::backend::{PartBody, PartReceipt, digest_range, multipart_etag};
use crate::error::{Error, ErrorKind, Result};
use crate::model::Fingerprint;
use crate::store::{PartRow, UploadRow};
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
            let upload_id = ctx
                .call("starting the upload of", || {
                    ctx.backend.create_multipart(key)
                })
                .await?;
            let upload = UploadRow {
                upload_id,
                bucket: ctx.job.bucket.clone(),
                key: ctx.job.key.clone(),
                part_size,
                fingerprint,
            };
            ctx.store.save_upload(id, &upload)?;
            tracing::info!(job = %id, upload_id = %upload.upload_id, part_size, "multipart upload created");
            upload
        }
    };

    let count = part_count(fingerprint.size, upload.part_size);
    let mut done: BTreeMap<u32, PartRow> = BTreeMap::new();
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
    done: &mut BTreeMap<u32, PartRow>,
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
        let digest = digest_range(&ctx.job.path, offset, length).await?;
        if part.etag != digest.md5_hex() {
            continue;
        }
        let row = PartRow {
            part_number: part.part_number,
            size: length,
            etag: part.etag,
            md5: digest.md5_hex(),
        };
        ctx.store.save_part(ctx.job.id, &row)?;
        tracing::info!(job = %ctx.job.id, part = row.part_number, "adopted a part the server already had");
        done.insert(row.part_number, row);
    }
    Ok(None)
}

async fn send_part(ctx: &JobContext, upload: &UploadRow, size: u64, number: u32) -> Result<()> {
    let (offset, length) = part_range(size, upload.part_size, number);
    let key = ctx.job.key.as_str();
    let path = &ctx.job.path;
    let what = format!("uploading part {number} of");
    let (receipt, digest) = ctx
        .call(&what, || async move {
            let digest = digest_range(path, offset, length).await?;
            let body = PartBody {
                path: path.clone(),
                offset,
                length,
                progress: ctx.counters.start(number),
            };
            let receipt = ctx
                .backend
                .upload_part(key, &upload.upload_id, number, body, digest)
                .await?;
            Ok((receipt, digest))
        })
        .await?;
    if is_md5_etag(&receipt.etag) && receipt.etag != digest.md5_hex() {
        return Err(Error::new(
            ErrorKind::Protocol,
            format!(
                "the server stored other bytes for part {number} of {key} (ETag {})",
                receipt.etag
            ),
        ));
    }
    let row = PartRow {
        part_number: number,
        size: length,
        etag: receipt.etag,
        md5: digest.md5_hex(),
    };
    ctx.store.save_part(ctx.job.id, &row)?;
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
        let expected = expected_etag(&parts)?;
        let receipts: Vec<PartReceipt> = parts
            .into_iter()
            .map(|p| PartReceipt {
                part_number: p.part_number,
                size: p.size,
                etag: p.etag,
            })
            .collect();
        let completed = ctx
            .call("completing the upload of", || {
                ctx.backend
                    .complete_multipart(key, &upload.upload_id, &receipts)
            })
            .await;
        match completed {
            Ok(_) => {}
            // The first Complete may have succeeded with its answer lost.
            Err(e) if e.kind() == ErrorKind::NoSuchUpload => {
                return lost_upload(ctx, size, count).await;
            }
            // The server lost a part we recorded: send what it lacks again, once.
            Err(e) if e.kind() == ErrorKind::PartLost && !resent => {
                resent = true;
                tracing::warn!(job = %ctx.job.id, error = %e, "the server lost a part");
                if let Some(again) = resend_lost_parts(ctx, upload, size, &receipts).await? {
                    return Ok(again);
                }
                continue;
            }
            Err(e) => return Err(e),
        }
        ctx.verify(size, &expected).await?;
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

/// The ETag S3 gives the object completed from these parts.
fn expected_etag(parts: &[PartRow]) -> Result<String> {
    let mut md5s = Vec::with_capacity(parts.len());
    for part in parts {
        let mut md5 = [0u8; 16];
        hex::decode_to_slice(&part.md5, &mut md5).map_err(|e| {
            Error::new(
                ErrorKind::Database,
                format!("part {} has a bad digest", part.part_number),
            )
            .with_source(e)
        })?;
        md5s.push(md5);
    }
    Ok(multipart_etag(&md5s))
}

/// The server no longer knows the upload id. If every part was sent, the upload may have been
/// completed already (by us, with the answer or the "done" write lost): the object is then in
/// place with exactly the expected size and ETag. Otherwise forget the upload and start afresh.
async fn lost_upload(ctx: &JobContext, size: u64, count: u32) -> Result<Step> {
    let parts = ctx.store.parts(ctx.job.id)?;
    if parts.len() == count as usize {
        let expected = expected_etag(&parts)?;
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
