//! One download: an object into a local file, resumable and verified, never a half file under
//! the real name.
//!
//! The bytes go to a hidden partial file beside the target (`.NAME.hoist-part`), sized to the
//! object at the start. Ranges of the plan's part size are fetched, several in flight; each is
//! written at its offset, synced, and only then recorded (`download_ranges`), so a restart
//! fetches only the ranges not recorded. Every request carries `If-Match` with the ETag seen at
//! the start: an object replaced mid-download answers 412 and the download starts over from the
//! new object. The finished file is checked (size; MD5 for a single-part ETag; the multipart ETag
//! recomputed from the ranges when the object was uploaded with parts of the same size), given
//! the object's modified time, and renamed onto the target in one step. The if-exists rule is
//! decided before the first byte, against the local file.

use super::{JobContext, MAX_ROUNDS, Step, is_md5_etag, is_multipart_etag};
use crate::backend::{PartBody, digest_range, multipart_etag};
use crate::error::{Error, ErrorKind, Result, download_write_error, file_error};
use crate::model::{Job, Outcome};
use crate::options::IfExists;
use crate::store::DownloadRow;
use futures::StreamExt;
use std::path::{Path, PathBuf};
use std::time::{Duration, UNIX_EPOCH};

/// Downloads the job's object to its path, or skips it by the job's if-exists rule.
pub async fn run_download(ctx: &JobContext) -> Result<()> {
    let mut last_reason = String::new();
    for _ in 0..MAX_ROUNDS {
        let row = match ctx.store.download(ctx.job.id)? {
            Some(row) => row,
            None => match start(ctx).await? {
                Some(row) => row,
                None => return Ok(()),
            },
        };
        match fetch(ctx, &row).await? {
            Step::Done => return Ok(()),
            Step::Again(reason) => {
                tracing::warn!(job = %ctx.job.id, %reason, "starting the download over");
                forget(ctx, &row);
                last_reason = reason;
            }
        }
    }
    Err(Error::new(
        ErrorKind::ObjectChanged,
        format!(
            "gave up after {MAX_ROUNDS} fresh starts: {last_reason}; retry when the object is stable"
        ),
    ))
}

/// The hidden file a download of `target` is written into.
pub fn partial_path(target: &Path) -> PathBuf {
    let name = target
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    target.with_file_name(format!(".{name}.hoist-part"))
}

fn forget(ctx: &JobContext, row: &DownloadRow) {
    let _ = std::fs::remove_file(&row.partial);
    if let Err(e) = ctx.store.delete_download(ctx.job.id) {
        tracing::warn!(job = %ctx.job.id, error = %e, "could not forget a download");
    }
}

/// A fresh start: reads the object's details, applies the if-exists rule, makes the partial
/// file and records the download. `None`: skipped by the rule.
async fn start(ctx: &JobContext) -> Result<Option<DownloadRow>> {
    let job = &ctx.job;
    let details = ctx
        .call("reading the details of", || ctx.backend.stat(&job.key))
        .await?
        .ok_or_else(|| {
            Error::new(
                ErrorKind::NotFound,
                format!(
                    "no object '{}' in destination '{}': it was deleted or renamed",
                    job.key, job.destination_name
                ),
            )
        })?;
    let etag = details.etag.clone().unwrap_or_default();
    let Some(target) = settle_conflict(ctx, details.size, &etag).await? else {
        return Ok(None);
    };
    let parent = target.parent().unwrap_or(Path::new("/"));
    tokio::fs::create_dir_all(parent)
        .await
        .map_err(|e| download_write_error(parent, e))?;
    let partial = partial_path(&target);
    let file = tokio::fs::File::create(&partial)
        .await
        .map_err(|e| download_write_error(&partial, e))?;
    file.set_len(details.size)
        .await
        .map_err(|e| download_write_error(&partial, e))?;
    let row = DownloadRow {
        etag,
        size: details.size,
        modified: details.modified,
        range_size: ctx.config.plan.part_size.max(1),
        partial,
    };
    ctx.store.save_download(job.id, &row)?;
    ctx.store.set_bytes_total(job.id, details.size)?;
    Ok(Some(row))
}

/// The path to write to after the if-exists rule, or `None` when the job is skipped.
async fn settle_conflict(ctx: &JobContext, size: u64, etag: &str) -> Result<Option<PathBuf>> {
    let job = &ctx.job;
    let Ok(meta) = tokio::fs::metadata(&job.path).await else {
        return Ok(Some(job.path.clone()));
    };
    let identical = meta.is_file()
        && meta.len() == size
        && is_md5_etag(etag)
        && digest_range(&job.path, 0, size).await?.md5_hex() == etag;
    let skip = |outcome: Outcome, note: &str| -> Result<Option<PathBuf>> {
        ctx.store.set_outcome(job.id, outcome, note)?;
        ctx.counters.set_total(size);
        ctx.counters.set_committed(size);
        Ok(None)
    };
    match job.if_exists {
        _ if identical => skip(
            Outcome::SkippedIdentical,
            "skipped: an identical file exists",
        ),
        IfExists::Overwrite => Ok(Some(job.path.clone())),
        IfExists::Skip => skip(
            Outcome::SkippedExisting,
            "skipped: a different file exists (the if-exists rule 'skip' never replaces one)",
        ),
        IfExists::Rename => {
            let free = free_name(&job.path);
            ctx.store.set_path(job.id, &free)?;
            let name = free.file_name().unwrap_or_default().to_string_lossy();
            ctx.store
                .set_outcome(job.id, Outcome::Renamed, &format!("saved as {name}"))?;
            Ok(Some(free))
        }
    }
}

/// `photo (1).jpg`, `photo (2).jpg`, ...: the first name beside `path` that is free.
pub fn free_name(path: &Path) -> PathBuf {
    let stem = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let ext = path
        .extension()
        .map(|e| format!(".{}", e.to_string_lossy()))
        .unwrap_or_default();
    (1..)
        .map(|n| path.with_file_name(format!("{stem} ({n}){ext}")))
        .find(|candidate| !candidate.exists() && !partial_path(candidate).exists())
        .unwrap_or_else(|| path.to_path_buf())
}

/// `(offset, length)` of range `number` (from 0).
fn range(size: u64, range_size: u64, number: u64) -> (u64, u64) {
    let offset = number * range_size;
    (offset, range_size.min(size - offset))
}

async fn fetch(ctx: &JobContext, row: &DownloadRow) -> Result<Step> {
    let job = &ctx.job;
    match tokio::fs::metadata(&row.partial).await {
        Ok(meta) if meta.len() == row.size => {}
        _ => {
            return Ok(Step::Again(
                "the partial file was missing or changed".into(),
            ));
        }
    }
    let count = row.size.div_ceil(row.range_size);
    let done = ctx.store.download_ranges(job.id)?;
    let committed: u64 = done
        .iter()
        .filter(|n| **n < count)
        .map(|n| range(row.size, row.range_size, *n).1)
        .sum();
    ctx.counters.set_total(row.size);
    ctx.counters.set_committed(committed);
    let missing: Vec<u64> = (0..count).filter(|n| !done.contains(n)).collect();
    if !done.is_empty() && !missing.is_empty() {
        tracing::info!(job = %job.id, left = missing.len(), of = count, "resuming a download");
    }
    let mut results = futures::stream::iter(missing)
        .map(|number| fetch_range(ctx, row, number))
        .buffer_unordered(ctx.config.parts_in_flight.max(1));
    while let Some(result) = results.next().await {
        match result {
            Ok(()) => {}
            Err(e) if e.kind() == ErrorKind::ObjectChanged => {
                return Ok(Step::Again(format!("the object changed: {}", e.message())));
            }
            Err(e) => return Err(e),
        }
    }
    drop(results);
    verify(ctx, row, count).await?;
    finish(ctx, row).await?;
    Ok(Step::Done)
}

async fn fetch_range(ctx: &JobContext, row: &DownloadRow, number: u64) -> Result<()> {
    let (offset, length) = range(row.size, row.range_size, number);
    let slot = u32::try_from(number + 1).unwrap_or(u32::MAX);
    let if_match = Some(row.etag.as_str()).filter(|e| !e.is_empty());
    let what = format!("downloading range {} of", number + 1);
    ctx.call(&what, || async {
        let body = PartBody {
            path: row.partial.clone(),
            offset,
            length,
            progress: ctx.counters.start(slot),
        };
        ctx.backend.get_range(&ctx.job.key, &body, if_match).await
    })
    .await?;
    ctx.store.save_download_range(ctx.job.id, number)?;
    ctx.counters.finish(slot, length);
    Ok(())
}

/// Size always; MD5 where the ETag is one; the multipart ETag where our ranges are its parts.
async fn verify(ctx: &JobContext, row: &DownloadRow, count: u64) -> Result<()> {
    let key = &ctx.job.key;
    let size = tokio::fs::metadata(&row.partial)
        .await
        .map_err(|e| file_error(&row.partial, e))?
        .len();
    let bad = |what: String| {
        Err(Error::new(
            ErrorKind::ChecksumMismatch,
            format!("{key}: {what}"),
        ))
    };
    if size != row.size {
        return bad(format!(
            "the file has {size} bytes, the object {}",
            row.size
        ));
    }
    if is_md5_etag(&row.etag) {
        let md5 = digest_range(&row.partial, 0, size).await?.md5_hex();
        if md5 != row.etag {
            return bad(format!(
                "the bytes' MD5 {md5} is not the object's ETag {}",
                row.etag
            ));
        }
    } else if is_multipart_etag(&row.etag) && row.etag.ends_with(&format!("-{count}")) {
        let mut md5s = Vec::with_capacity(count as usize);
        for number in 0..count {
            let (offset, length) = range(row.size, row.range_size, number);
            md5s.push(digest_range(&row.partial, offset, length).await?.md5);
        }
        let computed = multipart_etag(&md5s);
        if computed != row.etag {
            // The object may have been uploaded with other part sizes: its ETag then says
            // nothing about these ranges. Only the size is known to match.
            tracing::info!(job = %ctx.job.id, etag = %row.etag, "multipart ETag of other part sizes: size verified only");
        }
    }
    Ok(())
}

/// The object's modified time on the file, then the rename onto the target.
async fn finish(ctx: &JobContext, row: &DownloadRow) -> Result<()> {
    let job: &Job = &ctx.job;
    let target = ctx
        .store
        .job(job.id)?
        .map(|j| j.path)
        .unwrap_or_else(|| job.path.clone());
    if let Some(secs) = row.modified.and_then(|s| u64::try_from(s).ok()) {
        let file = std::fs::File::options()
            .write(true)
            .open(&row.partial)
            .map_err(|e| download_write_error(&row.partial, e))?;
        let _ = file.set_modified(UNIX_EPOCH + Duration::from_secs(secs));
    }
    tokio::fs::rename(&row.partial, &target)
        .await
        .map_err(|e| download_write_error(&target, e))?;
    if let Some(parent) = target.parent()
        && let Ok(dir) = std::fs::File::open(parent)
    {
        let _ = dir.sync_all();
    }
    ctx.store.delete_download(job.id)?;
    if ctx.store.job(job.id)?.and_then(|j| j.outcome).is_none() {
        ctx.store.set_outcome(job.id, Outcome::Downloaded, "")?;
    }
    tracing::info!(job = %job.id, key = %job.key, path = %target.display(), "download completed");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn partial_files_hide_beside_the_target_and_renames_find_a_free_name() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("photo.jpg");
        assert_eq!(
            partial_path(&target),
            dir.path().join(".photo.jpg.hoist-part")
        );
        std::fs::write(&target, b"x").unwrap();
        assert_eq!(free_name(&target), dir.path().join("photo (1).jpg"));
        std::fs::write(dir.path().join("photo (1).jpg"), b"x").unwrap();
        std::fs::write(partial_path(&dir.path().join("photo (2).jpg")), b"x").unwrap();
        assert_eq!(free_name(&target), dir.path().join("photo (3).jpg"));
        assert_eq!(range(10, 4, 2), (8, 2));
    }
}
