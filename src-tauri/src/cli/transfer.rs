//! `hoist upload` and `hoist run`: enqueue, drive the queue in this process (or wait for the
//! process that already drives it), show progress bars on a terminal, print a summary.
//! Ctrl-C stops cleanly: running jobs go back to `queued` with their parts kept.

use super::output::{bytes, per_second};
use super::settings::{Limit, parse_limit};
use super::summary;
use clap::Args;
use hoist_core::model::{Direction, Job, JobState, Outcome};
use hoist_core::{
    CancellationToken, Core, EnqueueRequest, ErrorKind, Result, RunUntil, TransferTotals,
};
use indicatif::{MultiProgress, ProgressBar, ProgressStyle};
use std::collections::HashMap;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, Instant};

#[derive(Debug, Args)]
pub struct RunArgs {
    /// Upload at most this fast, all files together, for this run only (e.g. 10M, 2MiB/s).
    #[arg(long, value_parser = parse_limit)]
    limit: Option<Limit>,
    /// Download at most this fast, all downloads together, for this run only.
    #[arg(long, value_parser = parse_limit)]
    download_limit: Option<Limit>,
    /// Keep running, uploading every finished file in the watched folders (`hoist watch add`)
    /// as well as the queue, until interrupted (Ctrl-C or SIGTERM).
    #[arg(long)]
    watch: bool,
    /// Print the run's summary as one JSON object; errors as {"error": {...}} on stderr.
    #[arg(long)]
    pub(super) json: bool,
}

#[derive(Debug, Args)]
pub struct UploadArgs {
    /// The destination (may be left out when exactly one exists).
    #[arg(long, alias = "profile")]
    destination: Option<String>,
    /// The folder in the bucket to upload into: 'photos' and 'photos/' both give
    /// photos/NAME; '' none (default: the destination's).
    #[arg(long)]
    prefix: Option<String>,
    /// Bucket (default: the destination's; needed for a destination that names none, e.g. imported).
    #[arg(long)]
    bucket: Option<String>,
    /// Follow symbolic links inside added folders (to files and folders, never in a loop);
    /// default: the follow-links setting (off: links are skipped with the reason).
    #[arg(long)]
    follow_links: bool,
    /// Only add to the queue; `hoist run` (or the window) uploads later.
    #[arg(long)]
    detach: bool,
    /// When a key already holds an object: overwrite, skip (send nothing; identical or not)
    /// or rename (upload as NAME-1.EXT, ...; identical ones are skipped). Default: the
    /// destination's (`destination edit --if-exists`), else overwrite.
    #[arg(long, value_parser = super::destination_edit::parse_if_exists)]
    if_exists: Option<hoist_core::options::IfExists>,
    /// Print what would happen to each file (key, size, upload/overwrite/skip/rename) and
    /// change nothing; only HEAD requests are sent.
    #[arg(long, conflicts_with_all = ["detach", "limit"])]
    dry_run: bool,
    /// Print JSON on stdout: with --dry-run the plan, else the summary at the end (with
    /// --detach, what was queued); errors as {"error": {...}} on stderr.
    #[arg(long)]
    pub(super) json: bool,
    /// Upload at most this fast, all files together, for this run only (e.g. 10M, 2MiB/s);
    /// `hoist settings limit` sets it for good.
    #[arg(long, value_parser = parse_limit, conflicts_with = "detach")]
    limit: Option<Limit>,
    /// Files and folders (folders are added recursively, keeping their name).
    #[arg(required = true)]
    paths: Vec<PathBuf>,
}

pub async fn upload(core: &Core, args: UploadArgs) -> Result<ExitCode> {
    if let Some(Limit(limit)) = args.limit {
        core.set_run_bandwidth_limit(Direction::Upload, limit)?;
    }
    let request = EnqueueRequest {
        paths: args.paths,
        destination: args.destination,
        prefix: args.prefix,
        bucket: args.bucket,
        if_exists: args.if_exists,
        follow_links: args.follow_links.then_some(true),
    };
    if args.dry_run {
        let preview = core.preview(request).await?;
        super::output::print_preview(&preview, args.json)?;
        return Ok(if preview.skipped.is_empty() {
            ExitCode::SUCCESS
        } else {
            ExitCode::FAILURE
        });
    }
    let report = core.enqueue(request)?;
    let clean = report.skipped.is_empty();
    if args.json && (args.detach || report.jobs.is_empty()) {
        summary::print(&report);
        return Ok(if clean && !report.jobs.is_empty() {
            ExitCode::SUCCESS
        } else {
            ExitCode::FAILURE
        });
    }
    let not_queued = report
        .skipped
        .iter()
        .map(|s| summary::NotQueued {
            item: s.path.display().to_string(),
            reason: s.reason.clone(),
        })
        .collect();
    if args.json {
        return drive_batch(core, &report.batch, Report::Json(not_queued)).await;
    }
    for skipped in &report.skipped {
        eprintln!("skipped {}: {}", skipped.path.display(), skipped.reason);
    }
    if report.jobs.is_empty() {
        eprintln!("error: nothing to upload");
        return Ok(ExitCode::FAILURE);
    }
    println!(
        "queued {} file(s), {}",
        report.jobs.len(),
        bytes(report.bytes)
    );
    if args.detach {
        println!("run `hoist run` (or open the window) to upload them");
        return Ok(if clean {
            ExitCode::SUCCESS
        } else {
            ExitCode::FAILURE
        });
    }
    drive_batch(core, &report.batch, Report::Text { clean }).await
}

/// How a batch's end is told: in sentences (`clean`: nothing was left out when queueing), or
/// as JSON with what was not queued.
pub(super) enum Report {
    Text { clean: bool },
    Json(Vec<summary::NotQueued>),
}

/// Drives (or follows) the batch to its end with progress bars, prints the summary, and says
/// how the command exits: 0 iff every job completed and `clean` (nothing was left out).
pub(super) async fn drive_batch(core: &Core, batch: &str, report: Report) -> Result<ExitCode> {
    let started = Instant::now();
    let stop = stop_on_ctrl_c();
    let json = matches!(report, Report::Json(_));
    let display = (!json).then(|| Display::start(core.clone(), Some(batch.to_string())));
    let ran = core
        .run_queue(RunUntil::Batch(batch.to_string()), stop.clone())
        .await;
    match ran {
        Ok(_) => {}
        Err(e) if e.kind() == ErrorKind::EngineBusy => {
            if let Some(display) = &display {
                display.println("another Hoist (the window or `hoist run`) is running this queue; following its progress");
            }
            core.wait_for_batch(batch, &stop).await?;
        }
        Err(e) => return Err(e),
    }
    if let Some(display) = display {
        display.finish().await;
    }
    let jobs = core.batch_jobs(batch)?;
    let interrupted = stop.is_cancelled();
    let (all_done, clean) = match report {
        Report::Text { clean } => (summarize(&jobs, started.elapsed(), interrupted), clean),
        Report::Json(not_queued) => {
            let clean = not_queued.is_empty();
            let summary =
                summary::BatchSummary::of(batch, &jobs, started.elapsed(), interrupted, not_queued);
            summary::print(&summary);
            (
                summary.failed + summary.paused + summary.cancelled + summary.waiting == 0,
                clean,
            )
        }
    };
    if interrupted && !all_done {
        return Ok(ExitCode::from(130));
    }
    Ok(if all_done && clean {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

pub async fn run_queue(core: &Core, args: RunArgs) -> Result<ExitCode> {
    if let Some(Limit(limit)) = args.limit {
        core.set_run_bandwidth_limit(Direction::Upload, limit)?;
    }
    if let Some(Limit(limit)) = args.download_limit {
        core.set_run_bandwidth_limit(Direction::Download, limit)?;
    }
    let stop = stop_on_ctrl_c();
    let until = if args.watch {
        let watches = core.watches()?;
        let active = watches.iter().filter(|w| !w.paused).count();
        if !args.json {
            println!(
                "watching {active} folder(s){}; Ctrl-C stops",
                if active == 0 {
                    " (add one with `hoist watch add DIR`; it is picked up without a restart)"
                } else {
                    ""
                }
            );
        }
        RunUntil::Watching
    } else {
        RunUntil::Idle
    };
    let display = (!args.json).then(|| Display::start(core.clone(), None));
    let summary = core.run_queue(until, stop.clone()).await;
    if let Some(display) = display {
        display.finish().await;
    }
    let summary = summary?;
    let secs = summary.elapsed.as_secs_f64();
    if args.json {
        let failed_in_queue = core
            .jobs()?
            .iter()
            .filter(|j| j.state == JobState::Failed)
            .count();
        summary::print(&serde_json::json!({
            "transferred": summary.completed,
            "skipped": summary.skipped,
            "failed": summary.failed,
            "bytes": summary.bytes,
            "seconds": (secs * 1000.0).round() / 1000.0,
            "interrupted": stop.is_cancelled(),
            "failed_in_queue": failed_in_queue,
        }));
        return Ok(if stop.is_cancelled() && !args.watch {
            ExitCode::from(130)
        } else if summary.failed == 0 {
            ExitCode::SUCCESS
        } else {
            ExitCode::FAILURE
        });
    }
    println!(
        "{} uploaded, {} skipped, {} failed: {} in {secs:.1} s ({})",
        summary.completed,
        summary.skipped,
        summary.failed,
        bytes(summary.bytes),
        per_second(summary.bytes, secs)
    );
    if stop.is_cancelled() && args.watch {
        println!(
            "stopped: unfinished files stay queued, and the watches find what changes meanwhile at the next start"
        );
        return Ok(ExitCode::SUCCESS);
    }
    if stop.is_cancelled() {
        println!("interrupted: unfinished files stay queued; `hoist run` resumes them");
        return Ok(ExitCode::from(130));
    }
    let failed = core
        .jobs()?
        .into_iter()
        .filter(|j| j.state == JobState::Failed)
        .count();
    if failed > 0 {
        println!("{failed} job(s) failed: see `hoist queue`; `hoist retry ID` queues one again");
    }
    Ok(if summary.failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

/// A token cancelled by Ctrl-C or SIGTERM (how systemd and `kill` ask a process to stop).
fn stop_on_ctrl_c() -> CancellationToken {
    let token = CancellationToken::new();
    let trigger = token.clone();
    tokio::spawn(async move {
        let mut terminate =
            tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).ok();
        let terminated = async {
            match terminate.as_mut() {
                Some(signal) => signal.recv().await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            interrupted = tokio::signal::ctrl_c() => if interrupted.is_ok() { trigger.cancel() },
            _ = terminated => trigger.cancel(),
        }
    });
    token
}

/// Prints the per-file outcome of failures and a one-line summary. True iff all completed.
fn summarize(jobs: &[Job], elapsed: Duration, interrupted: bool) -> bool {
    let count = |state: JobState| jobs.iter().filter(|j| j.state == state).count();
    let not_sent = |j: &&Job| j.outcome.is_some_and(Outcome::is_skipped);
    let done_bytes: u64 = jobs
        .iter()
        .filter(|j| j.state == JobState::Completed && !not_sent(j))
        .map(|j| j.bytes_total)
        .sum();
    let mut skipped = 0;
    for job in jobs.iter().filter(|j| j.state == JobState::Completed) {
        match (job.outcome, job.note.as_deref()) {
            (Some(outcome), note) if outcome.is_skipped() => {
                skipped += 1;
                let why = outcome.skip_reason().unwrap_or_default();
                println!("{}: {}", job.key, note.unwrap_or(why));
            }
            (_, Some(note)) if !note.is_empty() => println!("{}: {note}", job.path.display()),
            _ => {}
        }
    }
    for job in jobs.iter().filter(|j| j.state == JobState::Failed) {
        eprintln!(
            "failed: {} -> {}: {}",
            job.path.display(),
            job.key,
            job.error_message.as_deref().unwrap_or("unknown error")
        );
    }
    let secs = elapsed.as_secs_f64();
    let downloads = !jobs.is_empty() && jobs.iter().all(|j| j.direction == Direction::Download);
    let verb = if downloads { "downloaded" } else { "uploaded" };
    println!(
        "{} of {} file(s) {verb}, {} in {secs:.1} s ({}); {skipped} skipped, {} failed, {} paused, {} cancelled, {} waiting",
        count(JobState::Completed) - skipped,
        jobs.len(),
        bytes(done_bytes),
        per_second(done_bytes, secs),
        count(JobState::Failed),
        count(JobState::Paused),
        count(JobState::Cancelled),
        count(JobState::Queued) + count(JobState::Running),
    );
    let size_only: Vec<&Job> = jobs
        .iter()
        .filter(|j| j.verified.as_deref() == Some("size-only"))
        .collect();
    if !size_only.is_empty() {
        println!(
            "{} download(s) verified by size only: the server gave no MD5 ETag or checksum to check them against ({})",
            size_only.len(),
            size_only
                .iter()
                .take(3)
                .map(|j| j.key.as_str())
                .collect::<Vec<_>>()
                .join(", ")
                + if size_only.len() > 3 { ", ..." } else { "" }
        );
    }
    if interrupted {
        println!("interrupted: unfinished files stay queued; `hoist run` resumes them");
    }
    count(JobState::Completed) == jobs.len()
}

/// Progress bars on a terminal (nothing when stderr is not one): a total bar for the batch
/// and one bar per running file, refreshed from the core a few times a second.
struct Display {
    bars: MultiProgress,
    task: tokio::task::JoinHandle<()>,
    stop: CancellationToken,
}

impl Display {
    fn start(core: Core, batch: Option<String>) -> Display {
        let bars = MultiProgress::new();
        let stop = CancellationToken::new();
        let task = tokio::spawn(draw(core, batch, bars.clone(), stop.clone()));
        Display { bars, task, stop }
    }

    fn println(&self, line: &str) {
        let _ = self.bars.println(line);
    }

    async fn finish(self) {
        self.stop.cancel();
        let _ = self.task.await;
        let _ = self.bars.clear();
    }
}

async fn draw(core: Core, batch: Option<String>, bars: MultiProgress, stop: CancellationToken) {
    let file_style = ProgressStyle::with_template(
        "{prefix:<40!} {bar:30} {bytes:>10}/{total_bytes:<10} {bytes_per_sec:>12}",
    )
    .unwrap_or_else(|_| ProgressStyle::default_bar());
    let total_style =
        ProgressStyle::with_template("{msg:<40!} {bar:30} {bytes:>10}/{total_bytes:<10} eta {eta}")
            .unwrap_or_else(|_| ProgressStyle::default_bar());
    let total = bars.add(ProgressBar::new(0).with_style(total_style));
    let mut per_file: HashMap<i64, ProgressBar> = HashMap::new();
    let mut last_db_read = Instant::now() - Duration::from_secs(10);
    let mut totals = TransferTotals::default();
    loop {
        if last_db_read.elapsed() >= Duration::from_secs(1) {
            // One aggregate, not the jobs themselves: a watched folder's queue can hold 100,000
            // (reading them every second held some 70 MiB).
            totals = core.transfer_totals(batch.as_deref()).unwrap_or_default();
            last_db_read = Instant::now();
        }
        let snapshot = core.progress();
        let live: HashMap<i64, u64> = snapshot
            .jobs
            .iter()
            .map(|p| (p.id.0, p.bytes_done))
            .collect();
        // From the stored progress, which lags the live bytes of running jobs by about a second.
        total.set_length(totals.bytes_total);
        total.set_position(totals.bytes_done);
        let waiting = if snapshot.held_for_metered {
            " (paused: the connection is metered; `hoist settings pause-on-metered off` sends anyway)"
        } else if snapshot.online {
            ""
        } else {
            " (waiting for network)"
        };
        total.set_message(format!(
            "{} of {} done{waiting}",
            totals.completed, totals.jobs
        ));
        for p in &snapshot.jobs {
            let bar = per_file.entry(p.id.0).or_insert_with(|| {
                let name = core
                    .job(p.id)
                    .ok()
                    .flatten()
                    .map(|j| j.key)
                    .unwrap_or_default();
                bars.add(
                    ProgressBar::new(p.bytes_total)
                        .with_style(file_style.clone())
                        .with_prefix(name),
                )
            });
            bar.set_length(p.bytes_total);
            bar.set_position(p.bytes_done);
        }
        per_file.retain(|id, bar| {
            let keep = live.contains_key(id);
            if !keep {
                bar.finish_and_clear();
                bars.remove(bar);
            }
            keep
        });
        tokio::select! {
            _ = stop.cancelled() => break,
            _ = tokio::time::sleep(Duration::from_millis(200)) => {}
        }
    }
    for bar in per_file.values() {
        bar.finish_and_clear();
    }
    total.finish_and_clear();
}
