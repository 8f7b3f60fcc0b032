//! Desktop notifications, sent from Rust (DESIGN §5): one when a batch finishes (uploads or
//! downloads: how many files, total size, how many failed), one per failure (which file, why), and when uploads go offline and
//! come back. [`NoticePolicy`] decides what to say and keeps it quiet: failures are shown at most
//! one per [`FAILURE_GAP`] (the others are counted into the next one), the network at most once
//! per [`NETWORK_GAP`] and "back online" only after an "offline" was shown. Uploads from a
//! watched folder come in many small batches, so they are added up per watch and said at most
//! once per [`WATCH_GAP`] ("12 files from Scans uploaded"). The task around it
//! watches the core's events and checks finished batches at most once a second, with one SQL
//! aggregate per batch, so 100,000 small files cost 100,000 events but no per-job query storm.

use hoist_core::model::{Direction, JobId, JobState};
use hoist_core::{CancellationToken, Core, Event, QueueCounts, WatchId};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::time::{Duration, Instant};
use tauri::AppHandle;
use tokio::sync::broadcast::error::RecvError;

/// The shortest time between two failure notifications.
pub const FAILURE_GAP: Duration = Duration::from_secs(10);
/// The shortest time between two network notifications.
pub const NETWORK_GAP: Duration = Duration::from_secs(60);
/// The shortest time between two notifications about one watched folder.
pub const WATCH_GAP: Duration = Duration::from_secs(30);
/// How often finished batches are looked for.
const BATCH_CHECK: Duration = Duration::from_secs(1);

/// One notification to show.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notice {
    pub title: String,
    pub body: String,
}

/// Text made safe for a Freedesktop notification body, which servers may render as a subset
/// of HTML markup (`<b>`, `<a href>`, `<img>`...): `&`, `<` and `>` become entities.
pub fn escape_markup(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            c => out.push(c),
        }
    }
    out
}

/// What decides notifications; pure, so its rules are unit-tested with a made-up clock.
#[derive(Debug, Default)]
pub struct NoticePolicy {
    last_failure: Option<Instant>,
    /// Failures not shown because they came too soon after the last one.
    failures_held: u32,
    last_network: Option<Instant>,
    offline_shown: bool,
    /// Finished uploads of each watched folder not yet told.
    watches: BTreeMap<WatchId, WatchTally>,
}

/// What one watched folder uploaded since its last notification.
#[derive(Debug, Default)]
struct WatchTally {
    /// The folder's name, as the notification says it.
    name: String,
    completed: u64,
    failed: u64,
    bytes: u64,
    last_shown: Option<Instant>,
}

impl WatchTally {
    /// The notification for what was added up, if there is something and the gap has passed.
    fn take_due(&mut self, now: Instant) -> Option<Notice> {
        let quiet = self
            .last_shown
            .is_some_and(|last| now.duration_since(last) < WATCH_GAP);
        if quiet || (self.completed == 0 && self.failed == 0) {
            return None;
        }
        self.last_shown = Some(now);
        let completed = std::mem::take(&mut self.completed);
        let failed = std::mem::take(&mut self.failed);
        let size = crate::cli::output::bytes(std::mem::take(&mut self.bytes));
        let (title, body) = match (completed, failed) {
            (0, failed) => (
                format!("Uploads from {} failed", self.name),
                format!("{} failed; see the queue.", plural(failed, "file")),
            ),
            (completed, 0) => (
                format!("{} from {} uploaded", plural(completed, "file"), self.name),
                format!("{size} uploaded."),
            ),
            (completed, failed) => (
                format!("{} from {} uploaded", plural(completed, "file"), self.name),
                format!("{size} uploaded; {failed} failed, see the queue."),
            ),
        };
        Some(Notice { title, body })
    }
}

impl NoticePolicy {
    /// A batch (all of one direction) has no queued, running or paused job left.
    pub fn batch_finished(&mut self, counts: &QueueCounts, direction: Direction) -> Option<Notice> {
        if counts.completed == 0 && counts.failed == 0 {
            return None; // all cancelled: the user knows
        }
        let files = plural(counts.completed, "file");
        let size = crate::cli::output::bytes(counts.bytes_completed);
        let (noun, verb) = match direction {
            Direction::Upload => ("Uploads", "Uploaded"),
            Direction::Download => ("Downloads", "Downloaded"),
        };
        let (title, body) = match counts.failed {
            0 => (
                format!("{noun} finished"),
                format!("{verb} {files} ({size})."),
            ),
            failed => (
                format!("{noun} finished with failures"),
                format!("{verb} {files} ({size}); {failed} failed."),
            ),
        };
        Some(Notice { title, body })
    }

    /// A batch queued by the watch of folder `name` finished: added to the watch's tally, which
    /// is told now unless the watch was told about less than [`WATCH_GAP`] ago.
    pub fn watch_batch_finished(
        &mut self,
        watch: WatchId,
        name: &str,
        counts: &QueueCounts,
        now: Instant,
    ) -> Option<Notice> {
        let tally = self.watches.entry(watch).or_default();
        name.clone_into(&mut tally.name);
        tally.completed += counts.completed;
        tally.failed += counts.failed;
        tally.bytes += counts.bytes_completed;
        tally.take_due(now)
    }

    /// Watched folders' tallies whose gap has passed.
    pub fn flush_watches(&mut self, now: Instant) -> Vec<Notice> {
        self.watches
            .values_mut()
            .filter_map(|tally| tally.take_due(now))
            .collect()
    }

    /// A job failed; `name` is its file name, `reason` the error message.
    pub fn job_failed(
        &mut self,
        name: &str,
        reason: &str,
        direction: Direction,
        now: Instant,
    ) -> Option<Notice> {
        if self
            .last_failure
            .is_some_and(|last| now.duration_since(last) < FAILURE_GAP)
        {
            self.failures_held += 1;
            return None;
        }
        self.last_failure = Some(now);
        let held = std::mem::take(&mut self.failures_held);
        // File names and server messages are untrusted; notification servers may render markup.
        let mut body = format!("{}: {}", escape_markup(name), escape_markup(reason));
        if held > 0 {
            body.push_str(&format!(
                " ({} more failed before this one; see the queue)",
                held
            ));
        }
        let title = match direction {
            Direction::Upload => "Upload failed",
            Direction::Download => "Download failed",
        };
        Some(Notice {
            title: title.into(),
            body,
        })
    }

    /// Failures held back, once [`FAILURE_GAP`] has passed since the last one shown.
    pub fn flush(&mut self, now: Instant) -> Option<Notice> {
        let due = self
            .last_failure
            .is_none_or(|last| now.duration_since(last) >= FAILURE_GAP);
        if self.failures_held == 0 || !due {
            return None;
        }
        self.last_failure = Some(now);
        let held = std::mem::take(&mut self.failures_held);
        Some(Notice {
            title: "Uploads failed".into(),
            body: format!(
                "{held} more {} failed; see the queue.",
                if held == 1 { "upload" } else { "uploads" }
            ),
        })
    }

    pub fn network(&mut self, online: bool, now: Instant) -> Option<Notice> {
        if online {
            if !self.offline_shown {
                return None;
            }
            self.offline_shown = false;
            return Some(Notice {
                title: "Back online".into(),
                body: "Uploads are going on.".into(),
            });
        }
        if self.offline_shown
            || self
                .last_network
                .is_some_and(|last| now.duration_since(last) < NETWORK_GAP)
        {
            return None;
        }
        self.last_network = Some(now);
        self.offline_shown = true;
        Some(Notice {
            title: "Waiting for the network".into(),
            body: "Uploads will go on by themselves when the storage answers again.".into(),
        })
    }
}

fn plural(n: u64, noun: &str) -> String {
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{n} {noun}s")
    }
}

/// Watches the core's events and shows notifications until `stop`. Reads the preference each
/// time, so switching notifications off applies at once.
pub async fn run(app: AppHandle, core: Core, stop: CancellationToken) {
    let mut events = core.subscribe();
    let mut policy = NoticePolicy::default();
    let mut dirty_batches: BTreeMap<String, Dirty> = BTreeMap::new();
    let mut notified_batches: HashSet<String> = HashSet::new();
    let mut watch_names = WatchNames::default();
    let mut tick = tokio::time::interval(BATCH_CHECK);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        let notice = tokio::select! {
            _ = stop.cancelled() => return,
            received = events.recv() => match received {
                Ok(Event::JobState { id, state, error }) => {
                    on_job_state(&core, &mut policy, &mut dirty_batches, id, state, error)
                }
                Ok(Event::Network { online }) => policy.network(online, Instant::now()),
                Ok(
                    Event::JobsAdded { .. }
                    | Event::WatchesChanged
                    | Event::JobsRemoved { .. }
                    | Event::MeteredHold { .. },
                ) => None,
                Err(RecvError::Lagged(missed)) => {
                    tracing::debug!(missed, "notifications lagged behind the queue");
                    None
                }
                Err(RecvError::Closed) => return,
            },
            _ = tick.tick() => {
                let mut notices = finished_batches(
                    &core,
                    &mut policy,
                    &mut dirty_batches,
                    &mut notified_batches,
                    &mut watch_names,
                );
                notices.extend(policy.flush_watches(Instant::now()));
                for notice in notices {
                    show(&app, &core, &notice);
                }
                policy.flush(Instant::now())
            }
        };
        if let Some(notice) = notice {
            show(&app, &core, &notice);
        }
    }
}

/// What a batch with a finished job is: its direction, and the watch that queued it.
#[derive(Debug, Clone, Copy)]
struct Dirty {
    direction: Direction,
    watch: Option<WatchId>,
}

/// Watched folders' names, read when a watch is first told about.
#[derive(Debug, Default)]
struct WatchNames(HashMap<WatchId, String>);

impl WatchNames {
    fn get(&mut self, core: &Core, watch: WatchId) -> String {
        if !self.0.contains_key(&watch) {
            match core.watches() {
                Ok(watches) => {
                    for w in watches {
                        let name = w.folder.file_name().map_or_else(
                            || w.folder.display().to_string(),
                            |n| n.to_string_lossy().into_owned(),
                        );
                        self.0.insert(w.id, name);
                    }
                }
                Err(e) => tracing::warn!(error = %e, "cannot read the watches for a notification"),
            }
        }
        // A watch removed while its uploads finish: named once, not looked up again per batch.
        self.0
            .entry(watch)
            .or_insert_with(|| "a watched folder".into())
            .clone()
    }
}

fn on_job_state(
    core: &Core,
    policy: &mut NoticePolicy,
    dirty: &mut BTreeMap<String, Dirty>,
    id: JobId,
    state: JobState,
    error: Option<String>,
) -> Option<Notice> {
    if !state.is_terminal() {
        return None;
    }
    let job = match core.job(id) {
        Ok(Some(job)) => job,
        Ok(None) => return None,
        Err(e) => {
            tracing::warn!(error = %e, "cannot read a finished job for its notification");
            return None;
        }
    };
    dirty.insert(
        job.batch.clone(),
        Dirty {
            direction: job.direction,
            watch: job.watch,
        },
    );
    if state != JobState::Failed {
        return None;
    }
    let name = job
        .path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| job.key.clone());
    let reason = error
        .or(job.error_message)
        .unwrap_or_else(|| "unknown error".into());
    policy.job_failed(&name, &reason, job.direction, Instant::now())
}

fn finished_batches(
    core: &Core,
    policy: &mut NoticePolicy,
    dirty: &mut BTreeMap<String, Dirty>,
    notified: &mut HashSet<String>,
    watch_names: &mut WatchNames,
) -> Vec<Notice> {
    let mut notices = Vec::new();
    for (batch, Dirty { direction, watch }) in std::mem::take(dirty) {
        let counts = match core.batch_counts(&batch) {
            Ok(counts) => counts,
            Err(e) => {
                tracing::warn!(error = %e, "cannot count a batch for its notification");
                continue;
            }
        };
        if counts.unfinished() > 0 {
            notified.remove(&batch); // a retried batch may finish again
            continue;
        }
        if !notified.insert(batch) {
            continue;
        }
        let notice = match watch {
            Some(watch) => {
                let name = watch_names.get(core, watch);
                policy.watch_batch_finished(watch, &name, &counts, Instant::now())
            }
            None => policy.batch_finished(&counts, direction),
        };
        notices.extend(notice);
    }
    notices
}

fn show(app: &AppHandle, core: &Core, notice: &Notice) {
    use tauri_plugin_notification::NotificationExt;
    match core.preferences() {
        Ok(preferences) if !preferences.notifications => return,
        Ok(_) => {}
        Err(e) => tracing::warn!(error = %e, "cannot read preferences; notifying anyway"),
    }
    tracing::info!(title = %notice.title, body = %notice.body, "notification");
    let shown = app
        .notification()
        .builder()
        .title(&notice.title)
        .body(&notice.body)
        .show();
    if let Err(e) = shown {
        tracing::warn!(error = %e, "could not show a notification");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markup_in_file_names_and_server_messages_reached_the_notification() {
        let mut policy = NoticePolicy::default();
        let notice = policy
            .job_failed(
                "<img src=x>&<b>.jpg",
                "server said <a href=\"http://evil\">click</a>",
                Direction::Download,
                Instant::now(),
            )
            .unwrap();
        assert_eq!(
            notice.body,
            "&lt;img src=x&gt;&amp;&lt;b&gt;.jpg: server said &lt;a href=\"http://evil\"&gt;click&lt;/a&gt;"
        );
        assert!(!notice.body.contains('<') && !notice.body.contains('>'));
    }

    #[test]
    fn failures_are_rate_limited_and_the_held_ones_are_counted() {
        let mut policy = NoticePolicy::default();
        let t0 = Instant::now();
        let first = policy
            .job_failed("a.jpg", "access denied", Direction::Upload, t0)
            .unwrap();
        assert_eq!(first.body, "a.jpg: access denied");
        assert_eq!(
            policy.job_failed("b.jpg", "x", Direction::Upload, t0 + Duration::from_secs(1)),
            None
        );
        assert_eq!(
            policy.job_failed("c.jpg", "x", Direction::Upload, t0 + Duration::from_secs(2)),
            None
        );
        assert_eq!(policy.flush(t0 + Duration::from_secs(5)), None);
        let flushed = policy.flush(t0 + FAILURE_GAP).unwrap();
        assert!(
            flushed.body.starts_with("2 more uploads failed"),
            "{}",
            flushed.body
        );
        assert_eq!(policy.flush(t0 + FAILURE_GAP * 3), None);
        let later = policy
            .job_failed("d.jpg", "gone", Direction::Upload, t0 + FAILURE_GAP * 3)
            .unwrap();
        assert_eq!(later.body, "d.jpg: gone");
    }

    #[test]
    fn a_held_failure_is_mentioned_by_the_next_one_shown() {
        let mut policy = NoticePolicy::default();
        let t0 = Instant::now();
        policy.job_failed("a", "x", Direction::Upload, t0).unwrap();
        assert_eq!(policy.job_failed("b", "x", Direction::Upload, t0), None);
        let next = policy
            .job_failed("c", "y", Direction::Upload, t0 + FAILURE_GAP)
            .unwrap();
        assert!(next.body.contains("1 more failed"), "{}", next.body);
    }

    #[test]
    fn network_says_offline_once_and_online_only_after_offline() {
        let mut policy = NoticePolicy::default();
        let t0 = Instant::now();
        assert_eq!(policy.network(true, t0), None);
        assert!(policy.network(false, t0).is_some());
        assert_eq!(policy.network(false, t0 + Duration::from_secs(1)), None);
        assert_eq!(
            policy
                .network(true, t0 + Duration::from_secs(2))
                .unwrap()
                .title,
            "Back online"
        );
        // Flapping within the gap stays quiet.
        assert_eq!(policy.network(false, t0 + Duration::from_secs(3)), None);
        assert_eq!(policy.network(true, t0 + Duration::from_secs(4)), None);
        assert!(policy.network(false, t0 + NETWORK_GAP).is_some());
    }

    #[test]
    fn a_watched_folder_is_told_once_per_gap_with_what_it_uploaded_meanwhile() {
        let mut policy = NoticePolicy::default();
        let t0 = Instant::now();
        let scans = WatchId(1);
        let files = |completed, failed| QueueCounts {
            completed,
            failed,
            bytes_completed: completed * 1024,
            ..Default::default()
        };
        let first = policy
            .watch_batch_finished(scans, "Scans", &files(1, 0), t0)
            .unwrap();
        assert_eq!(first.title, "1 file from Scans uploaded");
        assert_eq!(first.body, "1.0 KiB uploaded.");
        // Eleven more small batches within the gap: nothing said, all added up.
        for i in 1..=11 {
            let at = t0 + Duration::from_secs(i);
            assert_eq!(
                policy.watch_batch_finished(scans, "Scans", &files(1, 0), at),
                None
            );
        }
        assert_eq!(
            policy.watch_batch_finished(scans, "Scans", &files(0, 1), t0 + Duration::from_secs(12)),
            None
        );
        // Another watch is told on its own.
        let camera = policy
            .watch_batch_finished(WatchId(2), "Camera", &files(3, 0), t0)
            .unwrap();
        assert_eq!(camera.title, "3 files from Camera uploaded");
        assert!(policy.flush_watches(t0 + WATCH_GAP / 2).is_empty());
        let held = policy.flush_watches(t0 + WATCH_GAP);
        assert_eq!(held.len(), 1, "{held:?}");
        assert_eq!(held[0].title, "11 files from Scans uploaded");
        assert_eq!(held[0].body, "11.0 KiB uploaded; 1 failed, see the queue.");
        // Nothing new: nothing to say.
        assert!(policy.flush_watches(t0 + WATCH_GAP * 3).is_empty());
        let failed_only = policy
            .watch_batch_finished(scans, "Scans", &files(0, 2), t0 + WATCH_GAP * 3)
            .unwrap();
        assert_eq!(failed_only.title, "Uploads from Scans failed");
        assert_eq!(failed_only.body, "2 files failed; see the queue.");
    }

    #[test]
    fn batch_notices_say_files_size_and_failures() {
        let mut policy = NoticePolicy::default();
        let done = QueueCounts {
            completed: 3,
            bytes_completed: 2_500_000,
            ..Default::default()
        };
        assert_eq!(
            policy
                .batch_finished(&done, Direction::Upload)
                .unwrap()
                .body,
            "Uploaded 3 files (2.4 MiB)."
        );
        let downloaded = policy.batch_finished(&done, Direction::Download).unwrap();
        assert_eq!(downloaded.title, "Downloads finished");
        assert_eq!(downloaded.body, "Downloaded 3 files (2.4 MiB).");
        let mixed = QueueCounts {
            completed: 1,
            failed: 2,
            bytes_completed: 10,
            ..Default::default()
        };
        let notice = policy.batch_finished(&mixed, Direction::Upload).unwrap();
        assert_eq!(notice.title, "Uploads finished with failures");
        assert_eq!(notice.body, "Uploaded 1 file (10 B); 2 failed.");
        let cancelled = QueueCounts {
            cancelled: 4,
            ..Default::default()
        };
        assert_eq!(policy.batch_finished(&cancelled, Direction::Download), None);
    }
}
