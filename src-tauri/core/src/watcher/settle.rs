//! When a file is finished: its size and mtime have not changed for the settle time and it can
//! be opened for reading. Every sighting (an event, a scan) restarts a file's clock; when the
//! clock runs out the file is looked at again, and only a file that still matches what was seen
//! is handed on. A file that changed waits another settle time; a file that vanished (a
//! temporary file renamed away) is dropped.

use super::FileStat;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

#[derive(Debug)]
pub struct Settler {
    settle: Duration,
    waiting: HashMap<PathBuf, Sighting>,
}

#[derive(Debug, Clone, Copy)]
struct Sighting {
    stat: Option<FileStat>,
    since: Instant,
}

/// What became of the files whose clock ran out.
#[derive(Debug, Default)]
pub struct Settled {
    /// Finished files, with the state they were finished in.
    pub stable: Vec<(PathBuf, FileStat)>,
    /// Files that are gone (or no longer regular files).
    pub gone: Vec<PathBuf>,
}

impl Settler {
    pub fn new(settle: Duration) -> Settler {
        Settler {
            settle,
            waiting: HashMap::new(),
        }
    }

    /// `relative` changed now; `stat` is what it looks like, if known.
    pub fn saw(&mut self, relative: PathBuf, stat: Option<FileStat>, now: Instant) {
        self.waiting.insert(relative, Sighting { stat, since: now });
    }

    /// A sighting from a walk of a file whose modified time says it has not changed for
    /// `unchanged`: its clock is taken to have run that long already (at most the settle time),
    /// so a file found finished at start-up is looked at again at once rather than after
    /// another settle period. The look still requires the same size and mtime and that it
    /// opens.
    pub fn saw_unchanged_for(
        &mut self,
        relative: PathBuf,
        stat: FileStat,
        now: Instant,
        unchanged: Duration,
    ) {
        let since = now.checked_sub(unchanged.min(self.settle)).unwrap_or(now);
        self.saw(relative, Some(stat), since);
    }

    /// Stops waiting for `relative` and everything below it (it was removed).
    pub fn forget(&mut self, relative: &Path) {
        self.waiting.retain(|path, _| !path.starts_with(relative));
    }

    /// How many files wait to settle.
    pub fn waiting(&self) -> usize {
        self.waiting.len()
    }

    /// When the next clock runs out.
    pub fn next_due(&self) -> Option<Instant> {
        self.waiting.values().map(|s| s.since + self.settle).min()
    }

    /// Looks again at every file whose clock has run out by `now`.
    pub fn settle(&mut self, root: &Path, now: Instant) -> Settled {
        let due: Vec<PathBuf> = self
            .waiting
            .iter()
            .filter(|(_, s)| s.since + self.settle <= now)
            .map(|(path, _)| path.clone())
            .collect();
        let mut out = Settled::default();
        for relative in due {
            let seen = self.waiting[&relative].stat;
            let full = root.join(&relative);
            let current = match std::fs::symlink_metadata(&full) {
                Ok(meta) if meta.is_file() => FileStat::of(&meta),
                _ => {
                    self.waiting.remove(&relative);
                    out.gone.push(relative);
                    continue;
                }
            };
            if seen != Some(current) || std::fs::File::open(&full).is_err() {
                self.saw(relative, Some(current), now);
                continue;
            }
            self.waiting.remove(&relative);
            out.stable.push((relative, current));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_found_unchanged_for_the_settle_time_is_stable_at_the_first_look() {
        let dir = tempfile::tempdir().unwrap();
        let (old, fresh) = (dir.path().join("old.bin"), dir.path().join("fresh.bin"));
        std::fs::write(&old, b"old").unwrap();
        std::fs::write(&fresh, b"fresh").unwrap();
        let settle = Duration::from_secs(2);
        let mut settler = Settler::new(settle);
        let now = Instant::now() + settle; // a clock that can be set back by the settle time
        settler.saw_unchanged_for("old.bin".into(), stat(&old), now, Duration::from_secs(3600));
        settler.saw_unchanged_for(
            "fresh.bin".into(),
            stat(&fresh),
            now,
            Duration::from_millis(10),
        );
        let settled = settler.settle(dir.path(), now);
        let stable: Vec<_> = settled.stable.iter().map(|(p, _)| p.clone()).collect();
        assert_eq!(
            stable,
            [PathBuf::from("old.bin")],
            "only the old file is due at once"
        );
        assert_eq!(
            settler.waiting(),
            1,
            "the fresh one waits out its settle time"
        );
    }

    fn stat(path: &Path) -> FileStat {
        FileStat::of(&std::fs::metadata(path).unwrap())
    }

    #[test]
    fn a_file_is_stable_only_after_a_full_settle_time_without_change() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("f.bin");
        std::fs::write(&file, b"one").unwrap();
        let settle = Duration::from_secs(2);
        let mut settler = Settler::new(settle);
        let t0 = Instant::now();
        settler.saw("f.bin".into(), Some(stat(&file)), t0);
        assert!(
            settler
                .settle(dir.path(), t0 + settle / 2)
                .stable
                .is_empty()
        );
        // It grows before its clock runs out: the look at t0 + settle sees a change and waits on.
        std::fs::write(&file, b"one two").unwrap();
        let settled = settler.settle(dir.path(), t0 + settle);
        assert!(settled.stable.is_empty() && settled.gone.is_empty());
        assert_eq!(settler.next_due(), Some(t0 + settle + settle));
        let settled = settler.settle(dir.path(), t0 + settle * 2);
        assert_eq!(settled.stable.len(), 1);
        assert_eq!(settled.stable[0].1.size, 7);
        assert!(settler.next_due().is_none());
    }

    #[test]
    fn a_file_renamed_away_before_it_settles_is_gone() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("sub")).unwrap();
        let temp = dir.path().join("sub/.save-123");
        std::fs::write(&temp, b"draft").unwrap();
        let t0 = Instant::now();
        let mut settler = Settler::new(Duration::from_millis(10));
        settler.saw("sub/.save-123".into(), Some(stat(&temp)), t0);
        settler.saw("sub/other".into(), None, t0);
        std::fs::rename(&temp, dir.path().join("sub/final.txt")).unwrap();
        settler.forget(Path::new("sub/other"));
        let settled = settler.settle(dir.path(), t0 + Duration::from_millis(10));
        assert_eq!(settled.gone, [PathBuf::from("sub/.save-123")]);
        assert!(settled.stable.is_empty() && settler.next_due().is_none());
    }
}
