//! inotify through notify-debouncer-full, as [`Signal`]s on a channel. Paths are made relative
//! to the watched folder and ignored names are dropped here. The debouncer pairs the halves of a
//! rename, so an editor's "write a temporary file, rename it over the target" arrives as a
//! change to the target. New folders are reported as changes: the receiver walks them, since
//! files created right after their folder can be missed by the kernel watch.

use super::IgnoreRules;
use notify::event::{AccessKind, AccessMode, ModifyKind, RenameMode};
use notify::{EventKind, RecursiveMode};
use notify_debouncer_full::{DebounceEventResult, Debouncer, RecommendedCache, new_debouncer};
use std::path::{Path, PathBuf};
use std::time::Duration;
use tokio::sync::mpsc::UnboundedSender;

/// How long the debouncer holds events to pair renames and merge bursts.
const DEBOUNCE: Duration = Duration::from_millis(400);

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Signal {
    /// Something at this relative path was created or written (a file or a folder).
    Changed(PathBuf),
    /// This relative path (a file or a whole folder) is gone or was moved away.
    Removed(PathBuf),
    /// Events were lost (the kernel's queue overflowed): the folder must be walked again.
    Rescan,
    /// The kernel's limit on watched folders was reached: some new folders are not watched.
    LimitReached,
    /// Anything else the watcher reported.
    Failed(String),
}

#[derive(Debug)]
pub enum StartError {
    /// `fs.inotify.max_user_watches` (or the instance limit) is used up.
    LimitReached,
    Other(String),
}

/// Held while a folder's kernel watches are being added. A folder too big for the kernel's limit
/// takes watches until it fails, then gives them all back; without this, a small folder starting
/// at that moment would fail too and poll for no reason.
static STARTING: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// A live recursive watch; dropping it stops the events.
pub struct FolderEvents {
    _debouncer: Debouncer<notify::RecommendedWatcher, RecommendedCache>,
}

impl FolderEvents {
    pub fn start(
        root: &Path,
        rules: IgnoreRules,
        signals: UnboundedSender<Signal>,
    ) -> Result<FolderEvents, StartError> {
        let owned_root = root.to_path_buf();
        let handler = move |result: DebounceEventResult| match result {
            Ok(events) => {
                for event in events {
                    if event.need_rescan() {
                        let _ = signals.send(Signal::Rescan);
                        continue;
                    }
                    for signal in signals_of(&owned_root, &rules, &event.kind, &event.paths) {
                        let _ = signals.send(signal);
                    }
                }
            }
            Err(errors) => {
                for error in errors {
                    let _ = signals.send(match error.kind {
                        notify::ErrorKind::MaxFilesWatch => Signal::LimitReached,
                        _ => Signal::Failed(error.to_string()),
                    });
                }
            }
        };
        let _one_at_a_time = STARTING.lock().unwrap_or_else(|p| p.into_inner());
        let mut debouncer = new_debouncer(DEBOUNCE, None, handler)
            .map_err(|e| start_error(e, "cannot start watching"))?;
        let watched = debouncer.watch(root, RecursiveMode::Recursive);
        if let Err(e) = watched {
            drop(debouncer); // gives back the watches added so far, before the next folder tries
            return Err(start_error(e, "cannot watch the folder"));
        }
        Ok(FolderEvents {
            _debouncer: debouncer,
        })
    }
}

fn start_error(error: notify::Error, what: &str) -> StartError {
    match error.kind {
        notify::ErrorKind::MaxFilesWatch => StartError::LimitReached,
        _ => StartError::Other(format!("{what}: {error}")),
    }
}

fn signals_of(
    root: &Path,
    rules: &IgnoreRules,
    kind: &EventKind,
    paths: &[PathBuf],
) -> Vec<Signal> {
    let relative = |path: &PathBuf| -> Option<PathBuf> {
        let inside = path.strip_prefix(root).ok()?;
        (!inside.as_os_str().is_empty() && !rules.is_ignored(inside)).then(|| inside.to_path_buf())
    };
    let changed = |path: &PathBuf| relative(path).map(Signal::Changed);
    let removed = |path: &PathBuf| relative(path).map(Signal::Removed);
    match kind {
        // Reading (ours included) changes nothing; a writer closing is worth a look.
        EventKind::Access(AccessKind::Close(AccessMode::Write)) => {
            paths.iter().filter_map(changed).collect()
        }
        EventKind::Access(_) => Vec::new(),
        EventKind::Remove(_) | EventKind::Modify(ModifyKind::Name(RenameMode::From)) => {
            paths.iter().filter_map(removed).collect()
        }
        EventKind::Modify(ModifyKind::Name(RenameMode::Both)) if paths.len() == 2 => {
            [removed(&paths[0]), changed(&paths[1])]
                .into_iter()
                .flatten()
                .collect()
        }
        EventKind::Modify(ModifyKind::Name(_)) => paths
            .iter()
            .filter_map(|path| {
                if path.symlink_metadata().is_ok() {
                    changed(path)
                } else {
                    removed(path)
                }
            })
            .collect(),
        _ => paths.iter().filter_map(changed).collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use notify::event::{CreateKind, RemoveKind};

    #[test]
    fn events_become_relative_signals_without_reads_or_ignored_names() {
        let root = Path::new("/watched");
        let rules = IgnoreRules::new(&["*.tmp"]).unwrap();
        let p = |s: &str| PathBuf::from(s);
        let of = |kind: EventKind, paths: &[&str]| {
            let paths: Vec<_> = paths.iter().map(|s| p(s)).collect();
            signals_of(root, &rules, &kind, &paths)
        };
        assert_eq!(
            of(EventKind::Create(CreateKind::File), &["/watched/a/b.jpg"]),
            [Signal::Changed(p("a/b.jpg"))]
        );
        assert!(of(EventKind::Create(CreateKind::File), &["/watched/x.tmp"]).is_empty());
        assert!(
            of(
                EventKind::Access(AccessKind::Open(AccessMode::Read)),
                &["/watched/a"]
            )
            .is_empty()
        );
        assert_eq!(
            of(
                EventKind::Modify(ModifyKind::Name(RenameMode::Both)),
                &["/watched/doc.tmp", "/watched/doc.txt"]
            ),
            [Signal::Changed(p("doc.txt"))]
        );
        assert_eq!(
            of(
                EventKind::Modify(ModifyKind::Name(RenameMode::Both)),
                &["/watched/old.txt", "/watched/new.txt"]
            ),
            [Signal::Removed(p("old.txt")), Signal::Changed(p("new.txt"))]
        );
        assert_eq!(
            of(EventKind::Remove(RemoveKind::File), &["/watched/gone.txt"]),
            [Signal::Removed(p("gone.txt"))]
        );
        assert!(of(EventKind::Create(CreateKind::Folder), &["/elsewhere/a"]).is_empty());
    }
}
