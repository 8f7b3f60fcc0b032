//! What `--json` prints where a command would print sentences: the summary of a batch
//! (`upload`, `get`), and an error (`{"error": {"code", "message", "hint"}}` on stderr, with the
//! same exit status as without `--json`). The schemas are in the README.

use hoist_core::ErrorKind;
use hoist_core::model::{Direction, Job, JobState};
use serde::Serialize;
use std::time::Duration;

/// A batch's end, as `hoist upload --json` and `hoist get --json` print it.
#[derive(Serialize)]
pub struct BatchSummary<'a> {
    pub direction: &'static str,
    pub batch: &'a str,
    pub files: usize,
    /// Sent and finished (skipped ones not counted).
    pub transferred: usize,
    /// Completed without sending: the if-exists rule found the object (or file) there.
    pub skipped: usize,
    pub failed: usize,
    pub paused: usize,
    pub cancelled: usize,
    /// Queued or running still (the batch was interrupted).
    pub waiting: usize,
    /// Bytes of the transferred files.
    pub bytes: u64,
    pub seconds: f64,
    pub interrupted: bool,
    /// Paths (uploads) or keys (downloads) not queued at all, with the reason.
    pub not_queued: Vec<NotQueued>,
    pub failures: Vec<Failure<'a>>,
}

#[derive(Serialize)]
pub struct NotQueued {
    pub item: String,
    pub reason: String,
}

#[derive(Serialize)]
pub struct Failure<'a> {
    pub id: i64,
    pub path: &'a std::path::Path,
    pub key: &'a str,
    pub code: Option<ErrorKind>,
    pub message: Option<&'a str>,
}

impl<'a> BatchSummary<'a> {
    pub fn of(
        batch: &'a str,
        jobs: &'a [Job],
        elapsed: Duration,
        interrupted: bool,
        not_queued: Vec<NotQueued>,
    ) -> BatchSummary<'a> {
        let count = |state: JobState| jobs.iter().filter(|j| j.state == state).count();
        let skipped_job = |j: &Job| {
            j.outcome
                .is_some_and(hoist_core::model::Outcome::is_skipped)
        };
        let completed = jobs.iter().filter(|j| j.state == JobState::Completed);
        let skipped = completed.clone().filter(|j| skipped_job(j)).count();
        let downloads = !jobs.is_empty() && jobs.iter().all(|j| j.direction == Direction::Download);
        BatchSummary {
            direction: if downloads { "download" } else { "upload" },
            batch,
            files: jobs.len(),
            transferred: count(JobState::Completed) - skipped,
            skipped,
            failed: count(JobState::Failed),
            paused: count(JobState::Paused),
            cancelled: count(JobState::Cancelled),
            waiting: count(JobState::Queued) + count(JobState::Running),
            bytes: completed
                .filter(|j| !skipped_job(j))
                .map(|j| j.bytes_total)
                .sum(),
            seconds: (elapsed.as_secs_f64() * 1000.0).round() / 1000.0,
            interrupted,
            not_queued,
            failures: jobs
                .iter()
                .filter(|j| j.state == JobState::Failed)
                .map(|j| Failure {
                    id: j.id.0,
                    path: &j.path,
                    key: &j.key,
                    code: j.error_code,
                    message: j.error_message.as_deref(),
                })
                .collect(),
        }
    }
}

/// Prints `value` as one line of JSON on stdout.
pub fn print<T: Serialize>(value: &T) {
    println!(
        "{}",
        serde_json::to_string(value).unwrap_or_else(|_| "null".into())
    );
}

/// An error as `--json` reports it, on stderr.
pub fn print_error(code: &str, message: &str, hint: Option<&str>) {
    let error = serde_json::json!({ "error": { "code": code, "message": message, "hint": hint } });
    eprintln!("{error}");
}
