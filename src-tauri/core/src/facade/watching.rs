//! Watched folders, from the facade: adding one (with the checks that keep a watch from
//! uploading its own output), listing, pausing, removing, editing its ignore rules, and the
//! [`WatchSink`] the watch sessions queue through. The sessions themselves run in the engine
//! (see [`crate::watches`]).

use super::Core;
use super::enqueue::{UploadBatch, bucket_for};
use super::keys::folder_prefix;
use crate::browse::Place;
use crate::error::{Error, ErrorKind, Fix, Result};
use crate::event::Event;
use crate::model::{Destination, DestinationKind, NewWatch, Watch, WatchId, WatchState, new_id};
use crate::options::IfExists;
use crate::store::WatchedFile;
use crate::watcher::{DEFAULT_IGNORES, FileStat, IgnoreRules};
use crate::watches::{Queued, WatchSink};
use std::path::{Path, PathBuf};
use std::time::Duration;
use tokio_util::sync::CancellationToken;

/// How often [`Core::report_outside_watch_changes`] looks for other processes' changes.
pub const OUTSIDE_CHANGES_EVERY: Duration = Duration::from_millis(500);

/// The settle time a watch gets unless told otherwise.
pub const DEFAULT_SETTLE: Duration = Duration::from_secs(2);
const MIN_SETTLE: Duration = Duration::from_millis(100);
const MAX_SETTLE: Duration = Duration::from_secs(24 * 3600);

/// A folder to watch; see [`Core::add_watch`].
#[derive(Debug, Clone, Default)]
pub struct WatchRequest {
    pub folder: PathBuf,
    /// Destination name; `None` picks the default one.
    pub destination: Option<String>,
    /// Key prefix; `None` uses the destination's.
    pub prefix: Option<String>,
    /// Bucket; `None` uses the destination's.
    pub bucket: Option<String>,
    /// Globs added to [`DEFAULT_IGNORES`].
    pub ignore: Vec<String>,
    /// Conflict rule; `None` uses the destination's.
    pub if_exists: Option<IfExists>,
    /// `None`: [`DEFAULT_SETTLE`].
    pub settle: Option<Duration>,
    pub mirror_deletes: bool,
    /// Walk the folder on a timer instead of listening for changes.
    pub poll: bool,
}

/// What [`Core::edit_watch`] changes; `None` keeps the watch's own.
#[derive(Debug, Clone, Default)]
pub struct WatchChanges {
    /// A destination by name (its bucket with it).
    pub destination: Option<String>,
    pub prefix: Option<String>,
    /// `Some(None)`: the destination's rule.
    pub if_exists: Option<Option<IfExists>>,
    pub settle: Option<Duration>,
    pub mirror_deletes: Option<bool>,
    pub poll: Option<bool>,
}

/// Watches by state; see [`Core::watch_counts`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct WatchCounts {
    /// Watching, polling or about to start.
    pub running: usize,
    pub paused: usize,
    /// In the error state (the folder is gone or unreadable).
    pub failing: usize,
}

fn invalid(message: String) -> Error {
    Error::new(ErrorKind::InvalidInput, message)
}

impl Core {
    /// Adds a watch. Refused, with the reason: a folder that does not exist or is not a folder,
    /// Hoist's data directory or a folder inside it, and a folder that holds (or lies inside)
    /// the local folder the watch would upload to.
    pub fn add_watch(&self, request: WatchRequest) -> Result<Watch> {
        let shown = request.folder.display().to_string();
        let meta = std::fs::metadata(&request.folder)
            .map_err(|e| invalid(format!("cannot watch {shown}: {e}")))?;
        if !meta.is_dir() {
            return Err(invalid(format!(
                "cannot watch {shown}: it is a file, not a folder (watch the folder it is in)"
            )));
        }
        let folder = std::fs::canonicalize(&request.folder)
            .map_err(|e| invalid(format!("cannot watch {shown}: {e}")))?;
        let data_dir = std::fs::canonicalize(&self.inner.data_dir)
            .unwrap_or_else(|_| self.inner.data_dir.clone());
        if overlaps(&folder, &data_dir) {
            return Err(invalid(format!(
                "cannot watch {}: it holds Hoist's own data ({}); watch a folder of your files",
                folder.display(),
                data_dir.display()
            )));
        }
        let destination = self
            .inner
            .destinations
            .resolve(request.destination.as_deref())?;
        uploads_elsewhere(&folder, &destination)?;
        let bucket = bucket_for(&destination, request.bucket.as_deref())?;
        let settle = request.settle.unwrap_or(DEFAULT_SETTLE);
        check_settle(settle)?;
        let mut ignore: Vec<String> = DEFAULT_IGNORES.iter().map(|g| g.to_string()).collect();
        for glob in &request.ignore {
            if !ignore.contains(glob) {
                ignore.push(glob.clone());
            }
        }
        IgnoreRules::new(&ignore).map_err(invalid)?;
        let id = self.inner.store.add_watch(&NewWatch {
            folder,
            destination_id: destination.id.clone(),
            bucket,
            prefix: folder_prefix(request.prefix.as_deref().unwrap_or(&destination.prefix)),
            key_template: None,
            ignore,
            if_exists: request.if_exists,
            settle_ms: settle.as_millis() as u64,
            mirror_deletes: request.mirror_deletes,
            poll: request.poll,
        })?;
        self.watches_changed();
        self.find_watch(&id.to_string())
    }

    /// Every watch with its counts.
    pub fn watches(&self) -> Result<Vec<Watch>> {
        self.inner.store.watches()
    }

    /// How many watches are running, paused and failing, read without counting their files
    /// (cheap enough for a status line refreshed every second).
    pub fn watch_counts(&self) -> Result<WatchCounts> {
        let mut counts = WatchCounts::default();
        for watch in self.inner.store.watch_settings()? {
            match watch.state {
                WatchState::Paused => counts.paused += 1,
                WatchState::Error => counts.failing += 1,
                WatchState::Starting | WatchState::Watching | WatchState::Polling => {
                    counts.running += 1
                }
            }
        }
        Ok(counts)
    }

    /// The watch named by `spec`: its id, or its folder (which must then be watched once).
    pub fn find_watch(&self, spec: &str) -> Result<Watch> {
        if let Ok(id) = spec.parse::<i64>()
            && let Some(watch) = self.inner.store.watch(WatchId(id))?
        {
            return Ok(watch);
        }
        let folder = std::fs::canonicalize(spec).unwrap_or_else(|_| PathBuf::from(spec));
        let matching: Vec<Watch> = self
            .inner
            .store
            .watches()?
            .into_iter()
            .filter(|w| w.folder == folder)
            .collect();
        match matching.as_slice() {
            [one] => Ok(one.clone()),
            [] => Err(
                Error::new(ErrorKind::NotFound, format!("no watch '{spec}'"))
                    .with_fix(Fix::SeeWatches),
            ),
            several => Err(invalid(format!(
                "{} is watched {} times (ids {}): name the watch by its id",
                folder.display(),
                several.len(),
                several
                    .iter()
                    .map(|w| w.id.to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            ))),
        }
    }

    /// Removes a watch and its index; its jobs stay in the queue, its objects in the bucket.
    pub fn remove_watch(&self, id: WatchId) -> Result<()> {
        self.inner.store.remove_watch(id)?;
        self.watches_changed();
        Ok(())
    }

    /// Pauses (no new files are looked at; queued ones still upload) or resumes a watch. A
    /// resumed watch walks its folder first, so nothing added meanwhile is missed.
    pub fn set_watch_paused(&self, id: WatchId, paused: bool) -> Result<()> {
        self.inner.store.set_watch_paused(id, paused)?;
        self.watches_changed();
        Ok(())
    }

    /// Changes where a watch uploads and how, by the same rules as [`Core::add_watch`]; what it
    /// uploaded already stays where it went and is not sent again.
    pub fn edit_watch(&self, id: WatchId, changes: WatchChanges) -> Result<Watch> {
        let watch = self.inner.store.watch(id)?.ok_or_else(|| {
            Error::new(ErrorKind::NotFound, format!("no watch {id}")).with_fix(Fix::SeeWatches)
        })?;
        let destination = match changes.destination.as_deref() {
            Some(name) => self.inner.destinations.named(name)?,
            None => self.destination_of(&watch)?,
        };
        uploads_elsewhere(&watch.folder, &destination)?;
        let bucket = if destination.id == watch.destination_id {
            watch.bucket.clone()
        } else {
            bucket_for(&destination, None)?
        };
        let settle = changes
            .settle
            .unwrap_or(Duration::from_millis(watch.settle_ms));
        check_settle(settle)?;
        let changed = NewWatch {
            folder: watch.folder.clone(),
            destination_id: destination.id.clone(),
            bucket,
            prefix: changes
                .prefix
                .map(|p| folder_prefix(&p))
                .unwrap_or(watch.prefix.clone()),
            key_template: watch.key_template.clone(),
            ignore: watch.ignore.clone(),
            if_exists: changes.if_exists.unwrap_or(watch.if_exists),
            settle_ms: settle.as_millis() as u64,
            mirror_deletes: changes.mirror_deletes.unwrap_or(watch.mirror_deletes),
            poll: changes.poll.unwrap_or(watch.poll),
        };
        self.inner.store.update_watch(id, &changed)?;
        self.watches_changed();
        self.find_watch(&id.to_string())
    }

    /// Replaces a watch's ignore rules (each a glob; see `IgnoreRules`).
    pub fn set_watch_ignore(&self, id: WatchId, ignore: Vec<String>) -> Result<()> {
        let ignore: Vec<String> = ignore
            .into_iter()
            .map(|g| g.trim().to_string())
            .filter(|g| !g.is_empty())
            .collect();
        IgnoreRules::new(&ignore).map_err(invalid)?;
        self.inner.store.set_watch_ignore(id, &ignore)?;
        self.watches_changed();
        Ok(())
    }

    /// Until `stop`: tells this process's subscribers ([`Event::WatchesChanged`]) of changes to
    /// the watches made by other processes too (`hoist watch pause` while the window is open),
    /// by reading the table's revision every [`OUTSIDE_CHANGES_EVERY`]. One row, one read: cheap
    /// beside the window's other work.
    pub async fn report_outside_watch_changes(&self, stop: CancellationToken) {
        let revision = |core: Core| async move {
            tokio::task::spawn_blocking(move || core.inner.store.watches_revision())
                .await
                .ok()
                .and_then(|read| read.ok())
        };
        let mut seen = revision(self.clone()).await;
        loop {
            tokio::select! {
                _ = stop.cancelled() => return,
                _ = tokio::time::sleep(OUTSIDE_CHANGES_EVERY) => {}
            }
            let now = revision(self.clone()).await;
            if now.is_some() && now != seen {
                seen = now;
                let _ = self.inner.events.send(Event::WatchesChanged);
            }
        }
    }

    /// The destination a watch uploads to (refused by name when it is gone).
    fn destination_of(&self, watch: &Watch) -> Result<Destination> {
        self.inner
            .destinations
            .list()?
            .into_iter()
            .find(|d| d.id == watch.destination_id)
            .ok_or_else(|| {
                Error::new(
                    ErrorKind::NotFound,
                    format!("watch {}'s destination is gone", watch.id),
                )
            })
    }

    fn watches_changed(&self) {
        self.inner.watches_changed.notify_one();
        let _ = self.inner.events.send(Event::WatchesChanged);
    }
}

/// A watch never uploads into the folder it watches (it would upload its own uploads).
fn uploads_elsewhere(folder: &Path, destination: &Destination) -> Result<()> {
    if destination.kind == DestinationKind::Local
        && let Some(target) = &destination.folder
    {
        let target = std::fs::canonicalize(target).unwrap_or_else(|_| target.clone());
        if overlaps(folder, &target) {
            return Err(invalid(format!(
                "cannot watch {} into destination '{}': it uploads to {}, so the watch \
                 would upload its own uploads; choose another folder or destination",
                folder.display(),
                destination.name,
                target.display()
            )));
        }
    }
    Ok(())
}

fn check_settle(settle: Duration) -> Result<()> {
    if !(MIN_SETTLE..=MAX_SETTLE).contains(&settle) {
        return Err(invalid(format!(
            "the settle time must be between {} ms and 24 h",
            MIN_SETTLE.as_millis()
        )));
    }
    Ok(())
}

/// Whether one folder is the other or inside it.
fn overlaps(a: &Path, b: &Path) -> bool {
    a.starts_with(b) || b.starts_with(a)
}

#[async_trait::async_trait]
impl WatchSink for Core {
    fn queue(&self, watch: &Watch, files: Vec<(PathBuf, FileStat)>) -> Result<Queued> {
        let destination = self.destination_of(watch)?;
        let batch = new_id();
        let uploads = UploadBatch::new(
            &destination,
            &watch.bucket,
            &watch.prefix,
            watch.key_template.as_deref(),
            watch.if_exists.unwrap_or(destination.options.if_exists),
            &batch,
        );
        let mut queued = Vec::new();
        let mut refused = Vec::new();
        for (relative, stat) in files {
            match uploads.job(watch.folder.join(&relative), &relative, stat.size) {
                Ok(job) => queued.push(WatchedFile {
                    job,
                    relative,
                    stat,
                }),
                Err(reason) => refused.push((relative, reason)),
            }
        }
        let ids = self.inner.store.queue_watched(watch.id, &batch, &queued)?;
        self.queued(&batch, &ids, queued.iter().map(|f| f.job.bytes_total).sum());
        Ok(Queued {
            jobs: queued
                .into_iter()
                .zip(ids)
                .map(|(file, id)| (file.relative, file.job.key, id))
                .collect(),
            refused,
        })
    }

    async fn delete(&self, watch: &Watch, keys: &[String]) -> Result<Vec<String>> {
        if keys.is_empty() {
            return Ok(Vec::new());
        }
        let place = Place {
            // Never the default destination in its stead: deletes go where the uploads went.
            destination: Some(self.destination_of(watch)?.name),
            bucket: Some(watch.bucket.clone()),
        };
        let report = self.inner.browser.delete(&place, keys).await?;
        Ok(keys
            .iter()
            .filter(|key| !report.failed.iter().any(|f| &f.key == *key))
            .cloned()
            .collect())
    }

    fn state_changed(&self, _watch: WatchId) {
        let _ = self.inner.events.send(Event::WatchesChanged);
    }
}
