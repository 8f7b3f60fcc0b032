//! One job's execution: stat the file, choose single PUT or multipart, send, verify.
//!
//! [`run_job`] is called by the scheduler in a task of its own and is cancelled by dropping it
//! (pause, cancel, shutdown): everything it has achieved is already in the database, because a
//! part counts only once its row is committed. What every kind of job shares (its context,
//! the retrying [`JobContext::call`], the final check) is in `job.rs`, which the single PUT,
//! the multipart upload and the download use; none of them calls back into this file.

pub(crate) mod conflict;
pub mod download;
mod job;
mod multipart;
pub mod network;
pub mod plan;
pub mod progress;
pub mod retry;
mod single;

use crate::error::{Error, ErrorKind, Result};
use crate::model::Outcome;
use crate::options::IfExists;
use plan::Plan;

pub use job::{EngineConfig, JobContext, stat};
use job::{MAX_ROUNDS, Step};

/// Uploads the job's file and verifies the object, or skips it by the job's `--if-exists` rule
/// (the job's outcome then says so).
pub async fn run_job(ctx: &JobContext) -> Result<()> {
    let renamed;
    let ctx = match settle_conflict(ctx).await? {
        None => return Ok(()),
        Some(None) => ctx,
        Some(Some(key)) => {
            renamed = ctx.with_key(key);
            &renamed
        }
    };
    let mut last_reason = String::new();
    for _ in 0..MAX_ROUNDS {
        let fingerprint = stat(&ctx.job.path).await?;
        if fingerprint.size != ctx.job.bytes_total {
            ctx.store.set_bytes_total(ctx.job.id, fingerprint.size)?;
        }
        ctx.counters.set_total(fingerprint.size);
        ctx.counters.set_committed(0);
        let step = match (
            ctx.store.upload(ctx.job.id)?,
            plan::plan(fingerprint.size, ctx.config.plan)?,
        ) {
            (Some(upload), _) => multipart::run(ctx, fingerprint, Some(upload), 0).await?,
            (None, Plan::Single) => single::put(ctx, fingerprint).await?,
            (None, Plan::Multipart { part_size }) => {
                multipart::run(ctx, fingerprint, None, part_size).await?
            }
        };
        match step {
            Step::Done => return Ok(()),
            Step::Again(reason) => {
                tracing::warn!(job = %ctx.job.id, %reason, "starting the upload over");
                last_reason = reason;
            }
        }
    }
    Err(Error::new(
        ErrorKind::FileChanged,
        format!(
            "gave up after {MAX_ROUNDS} fresh starts: {last_reason}; retry when the file is stable"
        ),
    ))
}

/// Applies the job's `--if-exists` rule before the first byte of a new upload (a resumed one
/// decided already). `None`: skipped, nothing to send; `Some(Some(key))`: send under `key`.
async fn settle_conflict(ctx: &JobContext) -> Result<Option<Option<String>>> {
    let job = &ctx.job;
    if job.if_exists == IfExists::Overwrite || ctx.store.upload(job.id)?.is_some() {
        return Ok(Some(None));
    }
    let size = stat(&job.path).await?.size;
    let decision = ctx
        .call("checking the destination", || {
            conflict::decide(
                ctx.backend.as_ref(),
                &job.key,
                &job.path,
                size,
                job.if_exists,
                ctx.config.plan,
            )
        })
        .await?;
    match decision {
        conflict::Decision::Upload { .. } => Ok(Some(None)),
        conflict::Decision::Skip(outcome) => {
            let note = format!("skipped: {}", outcome.skip_reason().unwrap_or_default());
            ctx.store.set_outcome(job.id, outcome, &note)?;
            ctx.counters.set_total(size);
            ctx.counters.set_committed(size);
            tracing::info!(job = %job.id, key = %job.key, %note, "not uploaded");
            Ok(None)
        }
        conflict::Decision::Rename(key) => {
            ctx.store.set_key(job.id, &key)?;
            ctx.store
                .set_outcome(job.id, Outcome::Renamed, &format!("renamed to {key}"))?;
            tracing::info!(job = %job.id, from = %job.key, to = %key, "renamed: the key was taken");
            Ok(Some(Some(key)))
        }
    }
}
