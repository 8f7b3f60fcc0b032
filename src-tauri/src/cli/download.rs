//! `hoist get`: downloads as queue jobs, driven like `hoist upload` (progress bars, summary;
//! `hoist run` resumes what an interruption left).

use super::settings::{Limit, parse_limit};
use clap::Args;
use hoist_core::model::Direction;
use hoist_core::{Core, Place, Result};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Debug, Args)]
pub struct GetArgs {
    /// The destination (may be left out when exactly one exists).
    #[arg(long, alias = "profile")]
    destination: Option<String>,
    /// Another bucket than the destination's.
    #[arg(long)]
    bucket: Option<String>,
    /// Keys to download; a folder ending in / downloads everything under it, keeping the
    /// folder's name and the relative paths below it.
    #[arg(required = true, value_name = "KEY_OR_PREFIX")]
    items: Vec<String>,
    /// The folder to download into (default: the current folder).
    #[arg(long, value_name = "DIR")]
    to: Option<PathBuf>,
    /// When a local file of the name exists: overwrite, skip, or rename (keep both:
    /// `photo (1).jpg`); an identical file is skipped. Default: the destination's rule.
    #[arg(long, value_parser = super::destination_edit::parse_if_exists)]
    if_exists: Option<hoist_core::options::IfExists>,
    /// Only add to the queue; `hoist run` (or the window) downloads later.
    #[arg(long)]
    detach: bool,
    /// Download at most this fast, all downloads together, for this run only (e.g. 10M);
    /// `hoist settings download-limit` sets it for good.
    #[arg(long, value_parser = parse_limit)]
    limit: Option<Limit>,
    /// Print JSON on stdout: the summary at the end (with --detach, what was queued); errors
    /// as {"error": {...}} on stderr.
    #[arg(long)]
    pub(super) json: bool,
}

pub async fn get(core: &Core, args: GetArgs) -> Result<ExitCode> {
    if let Some(Limit(limit)) = args.limit {
        core.set_run_bandwidth_limit(Direction::Download, limit)?;
    }
    let to = match args.to {
        Some(dir) => std::path::absolute(&dir).unwrap_or(dir),
        None => std::env::current_dir().unwrap_or_else(|_| PathBuf::from(".")),
    };
    let place = Place {
        destination: args.destination,
        bucket: args.bucket,
    };
    let report = core
        .enqueue_download(&place, &args.items, &to, args.if_exists)
        .await?;
    if args.json && (args.detach || report.jobs.is_empty()) {
        super::summary::print(&report);
        return Ok(if report.refused.is_empty() && !report.jobs.is_empty() {
            ExitCode::SUCCESS
        } else {
            ExitCode::FAILURE
        });
    }
    if args.json {
        let not_queued = report
            .refused
            .iter()
            .map(|r| super::summary::NotQueued {
                item: r.key.clone(),
                reason: r.reason.clone(),
            })
            .collect();
        let json = super::transfer::Report::Json(not_queued);
        return super::transfer::drive_batch(core, &report.batch, json).await;
    }
    for refused in &report.refused {
        eprintln!("skipped {}: {}", refused.key, refused.reason);
    }
    if report.jobs.is_empty() {
        eprintln!("error: nothing to download");
        return Ok(ExitCode::FAILURE);
    }
    println!(
        "queued {} download(s) into {}",
        report.jobs.len(),
        to.display()
    );
    if args.detach {
        println!("run `hoist run` (or open the window) to download them");
        return Ok(if report.refused.is_empty() {
            ExitCode::SUCCESS
        } else {
            ExitCode::FAILURE
        });
    }
    let clean = report.refused.is_empty();
    super::transfer::drive_batch(core, &report.batch, super::transfer::Report::Text { clean }).await
}
