//! One download: an object into a local file, resumable and verified, never a half file or
//! unchecked bytes under the real name.
//!
//! The bytes go to a hidden partial file beside the target (`.NAME.hoist-part`), sized to the
//! object at the start. A multipart object (ETag `...-N`) is fetched as the parts it was
//! uploaded in (`partNumber`; the first part's HEAD says how many there are), so its ETag, the
//! MD5 of the parts' MD5s, can be checked whatever part size it was uploaded with; anything else
//! in ranges of the plan's part size. Several spans are in flight; each is written at its
//! offset and digested as it arrives, synced, and only then recorded with its digests
//! (`download_ranges`), so a restart fetches only the spans not recorded and verifying never
//! reads the file again (but for a single-part object of several ranges, whose one MD5 needs
//! the bytes in order). Every request carries `If-Match` with the ETag seen at the start: an
//! object replaced mid-download answers 412 and the download starts over from the new object.
//!
//! What is checked is in [`verify`]. A span whose own checksum (the server's, per part) does
//! not match is fetched again by the retry rules of [`JobContext::call`]; a whole-object
//! mismatch cannot be pinned to one span, so the object is fetched once more from scratch, and
//! a second mismatch fails the job with the partial file removed: bad bytes never get the
//! target's name. The finished file gets the object's modified time and is renamed onto the
//! target in one step. The if-exists rule is decided before the first byte, against the local
//! file.

mod verify;

use super::job::{JobContext, MAX_ROUNDS};
use crate::backend::fetch::{FetchRequest, Span};
use crate::backend::{is_md5_etag, is_multipart_etag, md5_range};
use crate::digest::ObjectChecksum;
use crate::error::{Error, ErrorKind, Result, download_write_error};
use crate::model::{Job, Outcome};
use crate::options::IfExists;
use crate::store::{DownloadRow, SpanRow};
use futures::StreamExt;
use std::path::{Path, PathBuf};
use std::time::{Duration, UNIX_EPOCH};
use verify::Verdict;

/// What one round of a download ended with.
enum Round {
    Done,
    /// The object changed or the partial file went away: start over (logged).
    Changed(String),
    /// The bytes do not match the object (what did not match).
    Mismatch(String),
}

/// Downloads the job's object to its path, or skips it by the job's if-exists rule.
pub async fn run_download(ctx: &JobContext) -> Result<()> {
    let mut last_reason = String::new();
    let mut mismatch: Option<String> = None;
    for _ in 0..MAX_ROUNDS {
        let row = match ctx.store.download(ctx.job.id)? {
            Some(row) => row,
            None => match start(ctx).await? {
                Some(row) => row,
                None => return Ok(()),
            },
        };
        match fetch(ctx, &row).await? {
            Round::Done => return Ok(()),
            Round::Changed(reason) => {
                tracing::warn!(job = %ctx.job.id, %reason, "starting the download over");
                forget(ctx, &row);
                last_reason = reason;
            }
            Round::Mismatch(what) => {
                forget(ctx, &row);
                if let Some(first) = mismatch {
                    return Err(mismatch_error(ctx, &first, &what));
                }
                tracing::warn!(
                    job = %ctx.job.id, key = %ctx.job.key, %what,
                    "the downloaded bytes do not match the object: fetching it again"
                );
                last_reason = what.clone();
                mismatch = Some(what);
            }
        }
    }
    match mismatch {
        Some(first) => Err(mismatch_error(ctx, &first, &last_reason)),
        None => Err(Error::new(
            ErrorKind::ObjectChanged,
            format!(
                "gave up after {MAX_ROUNDS} fresh starts: {last_reason}; retry when the object is stable"
            ),
        )),
    }
}

fn mismatch_error(ctx: &JobContext, first: &str, second: &str) -> Error {
    let again = if first == second {
        String::new()
    } else {
        format!(" (the first time: {first})")
    };
    Error::new(
        ErrorKind::ChecksumMismatch,
        format!(
            "'{}' was downloaded twice and its bytes did not match either time: {second}{again}. \
             Nothing was saved under {}. Something between Hoist and destination '{}' (a proxy, \
             the network, a disk) is changing bytes; retry once it is fixed",
            ctx.job.key,
            ctx.job.path.display(),
            ctx.job.destination_name
        ),
    )
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

/// A fresh start: reads the object's details and how it can be checked, applies the
/// if-exists rule, makes the partial file and records the download. `None`: skipped by the
/// rule.
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
    let mut etag = details.etag.clone().unwrap_or_default();
    if etag.is_empty()
        && let Some(md5) = ctx
            .call("reading", || ctx.backend.object_md5(&job.key))
            .await?
    {
        // A folder keeps no ETag: the MD5 of its object's bytes stands in for one.
        etag = hex::encode(md5);
    }
    let Some(target) = settle_conflict(ctx, details.size, &etag).await? else {
        return Ok(None);
    };
    let (parts, checksum, first_part) = layout(ctx, &etag, details.size).await?;
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
        range_size: first_part.unwrap_or(ctx.config.plan.part_size).max(1),
        parts,
        checksum,
        partial,
    };
    ctx.store.save_download(job.id, &row)?;
    ctx.store.set_bytes_total(job.id, details.size)?;
    Ok(Some(row))
}

/// How the object is split and checked: `(parts, whole-object checksum, first part's length)`.
/// A multipart ETag of `N` parts is fetched by part when the first part's HEAD confirms the
/// count (a server that ignores `partNumber` does not); where the destination keeps additional
/// checksums, a whole-object one is asked for.
async fn layout(
    ctx: &JobContext,
    etag: &str,
    size: u64,
) -> Result<(Option<u32>, Option<ObjectChecksum>, Option<u64>)> {
    let key = &ctx.job.key;
    let parts_in_etag = is_multipart_etag(etag)
        .then(|| {
            etag.rsplit_once('-')
                .and_then(|(_, n)| n.parse::<u32>().ok())
        })
        .flatten()
        .filter(|n| *n > 0);
    if let Some(count) = parts_in_etag {
        let head = ctx
            .call("reading the parts of", || {
                ctx.backend.head_part(key, Some(1))
            })
            .await?;
        let whole = whole_checksum(ctx).await?;
        return Ok(match head {
            Some(h) if h.parts_count == Some(count) && h.length <= size => {
                (Some(count), whole, Some(h.length))
            }
            _ => {
                tracing::info!(job = %ctx.job.id, %key, "the server does not give parts by number: fetching by range");
                (None, whole, None)
            }
        });
    }
    Ok((None, whole_checksum(ctx).await?, None))
}

/// The whole object's checksum, where the server keeps one: full, or composite of its parts
/// (checkable when the object is fetched by those parts).
async fn whole_checksum(ctx: &JobContext) -> Result<Option<ObjectChecksum>> {
    let key = &ctx.job.key;
    Ok(ctx
        .call("reading the checksum of", || {
            ctx.backend.head_part(key, None)
        })
        .await?
        .and_then(|h| h.checksum))
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
        && hex::encode(md5_range(&job.path, 0, size).await?) == etag;
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

async fn fetch(ctx: &JobContext, row: &DownloadRow) -> Result<Round> {
    let job = &ctx.job;
    match tokio::fs::metadata(&row.partial).await {
        Ok(meta) if meta.len() == row.size => {}
        _ => {
            return Ok(Round::Changed(
                "the partial file was missing or changed".into(),
            ));
        }
    }
    let count = row.span_count();
    let done = ctx.store.download_spans(job.id)?;
    let committed: u64 = done.iter().map(|s| s.receipt.length).sum();
    ctx.counters.set_total(row.size);
    ctx.counters.set_committed(committed);
    let missing: Vec<u64> = (0..count)
        .filter(|n| !done.iter().any(|s| s.number == *n))
        .collect();
    if !done.is_empty() && !missing.is_empty() {
        tracing::info!(job = %job.id, left = missing.len(), of = count, "resuming a download");
    }
    let mut results = futures::stream::iter(missing)
        .map(|number| fetch_span(ctx, row, number))
        .buffer_unordered(ctx.config.spans_in_flight.max(1));
    while let Some(result) = results.next().await {
        match result {
            Ok(()) => {}
            Err(e) if e.kind() == ErrorKind::ObjectChanged => {
                return Ok(Round::Changed(format!(
                    "the object changed: {}",
                    e.message()
                )));
            }
            Err(e) => return Err(e),
        }
    }
    drop(results);
    let spans = ctx.store.download_spans(job.id)?;
    match verify::verify(row, &spans).await? {
        Verdict::Verified(how) => {
            finish(ctx, row, &how).await?;
            Ok(Round::Done)
        }
        Verdict::Mismatch(what) => Ok(Round::Mismatch(what)),
    }
}

async fn fetch_span(ctx: &JobContext, row: &DownloadRow, number: u64) -> Result<()> {
    let span = match row.parts {
        Some(_) => Span::Part(u32::try_from(number + 1).unwrap_or(u32::MAX)),
        None => {
            let (offset, length) = range(row.size, row.range_size, number);
            Span::Range { offset, length }
        }
    };
    let slot = u32::try_from(number + 1).unwrap_or(u32::MAX);
    let what = match span {
        Span::Part(n) => format!("downloading part {n} of"),
        Span::Range { .. } => format!("downloading range {} of", number + 1),
    };
    let wants = verify::wants(row);
    let receipt = ctx
        .call(&what, || async {
            let request = FetchRequest {
                into: &row.partial,
                span,
                object_size: row.size,
                if_match: Some(row.etag.as_str()).filter(|e| !e.is_empty()),
                progress: ctx.counters.start(slot),
                md5: wants.md5,
                crc: wants.crc,
            };
            ctx.backend.fetch(&ctx.job.key, &request).await
        })
        .await?;
    let length = receipt.length;
    let id = ctx.job.id;
    ctx.commit(move |store| store.save_download_span(id, &SpanRow { number, receipt }))
        .await?;
    ctx.counters.finish(slot, length);
    Ok(())
}

/// The object's modified time on the file, then the rename onto the target.
async fn finish(ctx: &JobContext, row: &DownloadRow, verified: &str) -> Result<()> {
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
    ctx.store.set_verified(job.id, verified)?;
    if ctx.store.job(job.id)?.and_then(|j| j.outcome).is_none() {
        ctx.store.set_outcome(job.id, Outcome::Downloaded, "")?;
    }
    tracing::info!(job = %job.id, key = %job.key, path = %target.display(), verified, "download completed");
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
