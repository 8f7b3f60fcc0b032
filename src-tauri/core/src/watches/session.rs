//! One watch, running: walk the folder against the index, then follow events (or walk again
//! every [`POLL_EVERY`] where there are none), hand finished files to the sink, and mirror
//! deletions if the watch asks for it. A folder that is missing or unreadable puts the watch in
//! the error state, and it tries again every [`RETRY_EVERY`]: a drive plugged back in, or a
//! folder made again, is watched again without the user doing anything.

use super::{Queued, WatchSink};
use crate::model::{JobState, Watch, WatchState};
use crate::store::{IndexedFile, Store};
use crate::watcher::{
    FileStat, FolderEvents, IgnoreRules, Links, Settler, Signal, SkipReason, StartError, WalkRules,
};
use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::mpsc;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

/// How often a polled folder is walked.
pub const POLL_EVERY: Duration = Duration::from_secs(5);
/// How often a watched folder is walked anyway, in case an event was missed without notice.
const RESCAN_EVERY: Duration = Duration::from_secs(3600);
/// How many finished files are queued in one transaction. A first walk over 100,000 files
/// queues them in pieces: the batch in memory stays small (one piece of 100,000 raised the peak
/// RSS by some 150 MiB, kept by the allocator afterwards), and uploads start after the first.
const QUEUE_CHUNK: usize = 2_000;
/// When a watch polling because the kernel's watch limit was reached tries events again (the
/// limit may have been raised, or other folders given watches back): soon at first, because
/// the kernel frees watches given back a little later, not at once, then less and less often,
/// at least every 5 minutes.
const LIMIT_RETRY_FIRST: Duration = Duration::from_secs(2);
const LIMIT_RETRY_EVERY: Duration = Duration::from_secs(300);

/// The wait before the next try after a try that waited `last`.
fn next_limit_retry(last: Duration) -> Duration {
    (last * 2).min(LIMIT_RETRY_EVERY)
}
/// How soon a watch in the error state tries again.
const RETRY_EVERY: Duration = Duration::from_secs(10);

pub async fn run(
    watch: Watch,
    store: Arc<Store>,
    sink: Arc<dyn WatchSink>,
    stop: CancellationToken,
) {
    loop {
        let mut session = Session {
            watch: watch.clone(),
            store: store.clone(),
            sink: sink.clone(),
            index: HashMap::new(),
        };
        let Err(problem) = session.watch(&stop).await else {
            return;
        };
        tracing::warn!(watch = %watch.id, folder = %watch.folder.display(), %problem, "watch stopped");
        session.set_state(WatchState::Error, Some(&problem));
        tokio::select! {
            _ = stop.cancelled() => return,
            _ = tokio::time::sleep(RETRY_EVERY) => {}
        }
    }
}

struct Session {
    watch: Watch,
    store: Arc<Store>,
    sink: Arc<dyn WatchSink>,
    /// The watch's index as this session keeps it (job states as of when read).
    index: HashMap<PathBuf, IndexedFile>,
}

impl Session {
    fn set_state(&self, state: WatchState, note: Option<&str>) {
        match self.store.set_watch_state(self.watch.id, state, note) {
            Ok(()) => self.sink.state_changed(self.watch.id),
            Err(e) => {
                tracing::warn!(watch = %self.watch.id, error = %e, "cannot note the watch's state")
            }
        }
    }

    /// Runs until `stop` (Ok) or until the folder cannot be watched (Err: why, for people).
    async fn watch(&mut self, stop: &CancellationToken) -> Result<(), String> {
        let root = self.watch.folder.clone();
        match std::fs::metadata(&root) {
            Ok(meta) if meta.is_dir() => {}
            Ok(_) => return Err(format!("{} is not a folder any more", root.display())),
            Err(e) => return Err(format!("cannot open {}: {e}", root.display())),
        }
        let rules = IgnoreRules::new(&self.watch.ignore)?;
        let (signals, mut received) = mpsc::unbounded_channel();
        let mut poll_note = if self.watch.poll {
            Some("polling was chosen for this watch".to_string())
        } else {
            crate::watcher::needs_polling(&root)
        };
        // Polling only because the kernel's limit was reached at start: events are tried again.
        let mut limited = false;
        let mut events = match poll_note {
            Some(_) => None,
            None => match FolderEvents::start(&root, rules.clone(), signals.clone()) {
                Ok(events) => Some(events),
                Err(StartError::LimitReached) => {
                    poll_note = Some(limit_note());
                    limited = true;
                    None
                }
                Err(StartError::Other(e)) => return Err(e),
            },
        };
        self.announce(poll_note.as_deref());
        let settle = Duration::from_millis(self.watch.settle_ms);
        let mut settler = Settler::new(settle);
        let walk_started = std::time::Instant::now();
        self.index = self
            .store
            .watch_index(self.watch.id)
            .map_err(|e| e.to_string())?;
        self.rescan(&root, Path::new(""), &rules, &mut settler, true)
            .await?;
        tracing::info!(
            watch = %self.watch.id,
            indexed = self.index.len(),
            to_settle = settler.waiting(),
            ms = walk_started.elapsed().as_millis() as u64,
            "walked the folder"
        );
        let mut walk_at = Instant::now() + walk_interval(poll_note.is_some());
        let mut limit_retry_wait = LIMIT_RETRY_FIRST;
        let mut limit_retry_at = Instant::now() + limit_retry_wait;
        loop {
            if limited && Instant::now() >= limit_retry_at {
                limit_retry_wait = next_limit_retry(limit_retry_wait);
                // Jittered, so two watches that hit the limit together do not retry in step.
                limit_retry_at =
                    Instant::now() + limit_retry_wait.mul_f64(rand::random_range(0.5..1.5));
                if let Ok(started) = FolderEvents::start(&root, rules.clone(), signals.clone()) {
                    events = Some(started);
                    limited = false;
                    poll_note = None;
                    self.announce(None);
                    // Changes between the last walk and the first event are found by a walk.
                    walk_at = Instant::now();
                }
            }
            let mut wake_at = settler
                .next_due()
                .map(Instant::from_std)
                .map_or(walk_at, |due| due.min(walk_at));
            if limited {
                wake_at = wake_at.min(limit_retry_at);
            }
            tokio::select! {
                _ = stop.cancelled() => return Ok(()),
                signal = received.recv(), if events.is_some() => {
                    let mut batch: Vec<Signal> = signal.into_iter().collect();
                    while let Ok(more) = received.try_recv() {
                        batch.push(more);
                    }
                    for signal in batch {
                        match signal {
                            Signal::Changed(relative) => {
                                self.changed(&root, relative, &rules, &mut settler).await?
                            }
                            Signal::Removed(relative) => {
                                settler.forget(&relative);
                                self.removed(&root, &relative).await;
                            }
                            Signal::Rescan => {
                                tracing::info!(watch = %self.watch.id, "events were lost: walking the folder again");
                                self.rescan(&root, Path::new(""), &rules, &mut settler, true).await?;
                            }
                            Signal::LimitReached => {
                                if poll_note.is_none() {
                                    poll_note = Some(limit_note());
                                    self.announce(poll_note.as_deref());
                                    walk_at = Instant::now() + walk_interval(true);
                                }
                            }
                            Signal::Failed(e) => {
                                tracing::warn!(watch = %self.watch.id, error = %e, "watcher error")
                            }
                        }
                    }
                }
                _ = tokio::time::sleep_until(wake_at) => {}
            }
            if Instant::now() >= walk_at {
                self.rescan(&root, Path::new(""), &rules, &mut settler, true)
                    .await?;
                walk_at = Instant::now() + walk_interval(poll_note.is_some());
            }
            let settled = settler.settle(&root, std::time::Instant::now());
            for gone in &settled.gone {
                self.removed(&root, gone).await;
            }
            self.queue(settled.stable);
        }
    }

    fn announce(&self, poll_note: Option<&str>) {
        match poll_note {
            Some(note) => {
                tracing::info!(watch = %self.watch.id, folder = %self.watch.folder.display(), %note, "polling");
                self.set_state(WatchState::Polling, Some(note));
            }
            None => {
                tracing::info!(watch = %self.watch.id, folder = %self.watch.folder.display(), "watching");
                self.set_state(WatchState::Watching, None);
            }
        }
    }

    /// Something at `relative` was written or created: a file waits to settle, a folder is
    /// walked (files made right after it may have had no events).
    async fn changed(
        &mut self,
        root: &Path,
        relative: PathBuf,
        rules: &IgnoreRules,
        settler: &mut Settler,
    ) -> Result<(), String> {
        match std::fs::symlink_metadata(root.join(&relative)) {
            Ok(meta) if meta.is_dir() => {
                self.rescan(root, &relative, rules, settler, false).await?
            }
            Ok(meta) if meta.is_file() => {
                let stat = FileStat::of(&meta);
                settler.saw(relative, Some(stat), std::time::Instant::now());
            }
            _ => {}
        }
        Ok(())
    }

    /// Walks `under` (the whole folder when empty): files new or changed since the index wait to
    /// settle; with `full`, indexed files no longer there are handled as removed.
    async fn rescan(
        &mut self,
        root: &Path,
        under: &Path,
        rules: &IgnoreRules,
        settler: &mut Settler,
        full: bool,
    ) -> Result<(), String> {
        let (walk_root, walk_under, walk_ignore) =
            (root.to_path_buf(), under.to_path_buf(), rules.clone());
        let walk = tokio::task::spawn_blocking(move || {
            let rules = WalkRules {
                links: Links::Never,
                ignore: Some(&walk_ignore),
            };
            crate::watcher::walk(&walk_root, &walk_under, rules)
        })
        .await
        .map_err(|e| format!("the folder walk stopped: {e}"))?;
        for (path, reason) in &walk.skipped {
            match reason {
                // The walk's start: the folder itself (or a new folder gone again).
                SkipReason::Unreadable(_) | SkipReason::Unlistable(_) if path == under => {
                    if !full {
                        tracing::debug!(path = %under.display(), %reason, "cannot walk a new folder");
                        return Ok(());
                    }
                    return Err(format!("cannot read {}: {reason}", root.display()));
                }
                SkipReason::Unlistable(_) => {
                    tracing::warn!(watch = %self.watch.id, folder = %path.display(), %reason, "cannot read a folder")
                }
                _ => {}
            }
        }
        let now = std::time::Instant::now();
        let wall = std::time::SystemTime::now();
        let mut present = HashSet::with_capacity(walk.files.len());
        for (relative, stat) in walk.files {
            if self
                .index
                .get(&relative)
                .is_none_or(|known| known.stat != stat)
            {
                // Unchanged since its modified time: a file older than the settle time is
                // looked at again at once.
                let modified = std::time::UNIX_EPOCH
                    + Duration::from_nanos(u64::try_from(stat.mtime_ns).unwrap_or(0));
                let unchanged = wall.duration_since(modified).unwrap_or_default();
                settler.saw_unchanged_for(relative.clone(), stat, now, unchanged);
            }
            if full {
                present.insert(relative);
            }
        }
        if full {
            let missing: Vec<PathBuf> = self
                .index
                .keys()
                .filter(|path| !present.contains(*path))
                .cloned()
                .collect();
            if !missing.is_empty() && present.is_empty() && self.watch.mirror_deletes {
                // An empty folder where files were is more often an unmounted drive than a
                // user who deleted everything: deleting every object would be unrecoverable.
                tracing::warn!(watch = %self.watch.id, files = missing.len(),
                    "the folder is empty: not deleting the objects of its files until they are deleted one by one");
                return Ok(());
            }
            self.forget_gone(missing).await;
        }
        Ok(())
    }

    /// `relative` (a file or a folder) went away: the indexed files at or below it that are
    /// not there any more are forgotten (see [`Session::forget_gone`]). Nothing happens for a
    /// path that exists again by now.
    async fn removed(&mut self, root: &Path, relative: &Path) {
        if root.join(relative).symlink_metadata().is_ok() {
            return;
        }
        // A file is one lookup; only a folder needs a look through the whole index.
        let gone: Vec<PathBuf> = if self.index.contains_key(relative) {
            vec![relative.to_path_buf()]
        } else {
            self.index
                .keys()
                .filter(|path| path.starts_with(relative))
                .filter(|path| root.join(path).symlink_metadata().is_err())
                .cloned()
                .collect()
        };
        self.forget_gone(gone).await;
    }

    /// Drops files gone from the folder from the index, in one transaction; with
    /// mirror-deletes, first deletes (in one batch) the objects this watch uploaded for them.
    async fn forget_gone(&mut self, gone: Vec<PathBuf>) {
        if gone.is_empty() {
            return;
        }
        let mut forget = gone.clone();
        if self.watch.mirror_deletes {
            let uploaded: HashSet<String> = gone
                .iter()
                .filter_map(|path| self.index.get(path))
                .filter(|file| {
                    file.job.is_none_or(|(_, state)| {
                        state == JobState::Completed || self.finished(file)
                    })
                })
                .map(|file| file.key.clone())
                .collect();
            let keys: Vec<String> = uploaded.iter().cloned().collect();
            match self.sink.delete(&self.watch, &keys).await {
                Ok(deleted) => {
                    let deleted: HashSet<String> = deleted.into_iter().collect();
                    tracing::info!(watch = %self.watch.id, objects = deleted.len(), "deleted the objects of removed files");
                    // A delete that failed is kept, to be tried at the next walk.
                    forget.retain(|path| {
                        self.index.get(path).is_none_or(|file| {
                            !uploaded.contains(&file.key) || deleted.contains(&file.key)
                        })
                    });
                }
                Err(e) => {
                    tracing::warn!(watch = %self.watch.id, error = %e, "cannot delete the objects of removed files");
                    forget.retain(|path| {
                        self.index
                            .get(path)
                            .is_none_or(|file| !uploaded.contains(&file.key))
                    });
                }
            }
        }
        match self.store.forget_watched(self.watch.id, &forget) {
            Ok(()) => {
                for path in &forget {
                    self.index.remove(path);
                }
            }
            Err(e) => {
                tracing::warn!(watch = %self.watch.id, error = %e, "cannot update the watch's index")
            }
        }
    }

    /// Whether the job of an indexed file completed since the index was read.
    fn finished(&self, file: &IndexedFile) -> bool {
        file.job.is_some_and(|(id, _)| {
            matches!(self.store.job(id), Ok(Some(job)) if job.state == JobState::Completed)
        })
    }

    /// Queues finished files that are not already queued as they are now.
    fn queue(&mut self, stable: Vec<(PathBuf, FileStat)>) {
        let mut fresh = Vec::new();
        for (relative, stat) in stable {
            match self.index.get(&relative) {
                Some(known) if known.stat == stat => {}
                Some(IndexedFile {
                    job: Some((id, _)), ..
                }) if matches!(self.store.job(*id), Ok(Some(job)) if job.state == JobState::Queued) =>
                {
                    // Its job has not started: it will read this version.
                    if self
                        .store
                        .restat_watched(self.watch.id, &relative, stat)
                        .is_ok()
                        && let Some(known) = self.index.get_mut(&relative)
                    {
                        known.stat = stat;
                    }
                }
                _ => fresh.push((relative, stat)),
            }
        }
        let mut fresh = fresh.into_iter();
        loop {
            let chunk: Vec<_> = fresh.by_ref().take(QUEUE_CHUNK).collect();
            if chunk.is_empty() {
                return;
            }
            self.queue_chunk(chunk);
        }
    }

    /// Queues files in one transaction and records them in the index.
    fn queue_chunk(&mut self, fresh: Vec<(PathBuf, FileStat)>) {
        let stats: HashMap<PathBuf, FileStat> = fresh.iter().cloned().collect();
        match self.sink.queue(&self.watch, fresh) {
            Ok(Queued { jobs, refused }) => {
                for (path, reason) in &refused {
                    tracing::warn!(watch = %self.watch.id, path = %path.display(), %reason, "not queued");
                }
                tracing::info!(watch = %self.watch.id, files = jobs.len(), "queued finished files");
                for (relative, key, job) in jobs {
                    let stat = stats[&relative];
                    self.index.insert(
                        relative,
                        IndexedFile {
                            stat,
                            key,
                            job: Some((job, JobState::Queued)),
                        },
                    );
                }
            }
            Err(e) => {
                tracing::warn!(watch = %self.watch.id, error = %e, "cannot queue finished files")
            }
        }
    }
}

fn walk_interval(polling: bool) -> Duration {
    if polling { POLL_EVERY } else { RESCAN_EVERY }
}

fn limit_note() -> String {
    "the system's limit on watched folders is reached (fs.inotify.max_user_watches): raise it \
     with `sudo sysctl fs.inotify.max_user_watches=524288` (and a line in /etc/sysctl.d/ to keep \
     it); until then this folder is walked every few seconds"
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_watch_at_the_kernel_limit_tries_events_again_soon_then_less_often_up_to_five_minutes() {
        let mut wait = LIMIT_RETRY_FIRST;
        let mut waits = vec![wait];
        for _ in 0..10 {
            wait = next_limit_retry(wait);
            waits.push(wait);
        }
        assert_eq!(waits[..4], [2, 4, 8, 16].map(Duration::from_secs));
        assert_eq!(*waits.last().unwrap(), LIMIT_RETRY_EVERY);
        assert!(waits.windows(2).all(|w| w[0] <= w[1]));
    }
}
