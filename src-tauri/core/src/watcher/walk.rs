//! The one folder walker: every regular file at or below a path, with its [`FileStat`], and
//! every entry that is not taken with the reason. Files added to the queue and watched folders
//! are both walked here; they differ only in [`WalkRules`] (which links are followed, which
//! names are ignored). Entries come in name order, depth first, so a folder's jobs are queued in
//! the order a file manager shows them. A followed link never leads into a folder already walked
//! (no loops).

use super::IgnoreRules;
use std::collections::HashSet;
use std::fmt;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

/// What a file looked like: a change to any of these is a new version.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FileStat {
    pub size: u64,
    pub mtime_ns: i64,
    pub inode: u64,
}

impl FileStat {
    pub fn of(meta: &std::fs::Metadata) -> FileStat {
        FileStat {
            size: meta.len(),
            mtime_ns: meta.mtime() * 1_000_000_000 + meta.mtime_nsec(),
            inode: meta.ino(),
        }
    }
}

/// Which symbolic links a walk follows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Links {
    /// None: a watch never leaves its folder.
    Never,
    /// The path the walk starts at, if it is a link; links met below it are skipped.
    Given,
    /// Every link, to files and folders.
    All,
}

#[derive(Debug, Clone, Copy)]
pub struct WalkRules<'a> {
    pub links: Links,
    /// Names never looked at (silently: they are not reported as skipped).
    pub ignore: Option<&'a IgnoreRules>,
}

/// Why an entry was not taken.
#[derive(Debug)]
pub enum SkipReason {
    Unreadable(std::io::Error),
    /// A folder whose entries cannot be listed.
    Unlistable(std::io::Error),
    /// A link the rules do not follow.
    Link,
    BrokenLink(std::io::Error),
    /// A followed link to a folder already walked.
    Loop,
    /// A socket, pipe or device.
    Special,
}

impl fmt::Display for SkipReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SkipReason::Unreadable(e) => write!(f, "cannot read it: {e}"),
            SkipReason::Unlistable(e) => write!(f, "cannot list the folder: {e}"),
            SkipReason::Link => f.write_str(
                "a symbolic link: links inside folders are not followed unless the 'follow \
                 links' setting is on",
            ),
            SkipReason::BrokenLink(e) => write!(f, "a broken link: {e}"),
            SkipReason::Loop => {
                f.write_str("a link to a folder already added: not followed (a loop)")
            }
            SkipReason::Special => f.write_str("not a regular file (socket, pipe or device)"),
        }
    }
}

#[derive(Debug, Default)]
pub struct Walk {
    /// Each file's path relative to the root, and its state.
    pub files: Vec<(PathBuf, FileStat)>,
    /// Each entry not taken (relative to the root), with the reason.
    pub skipped: Vec<(PathBuf, SkipReason)>,
}

impl Walk {
    fn skip(&mut self, relative: &Path, reason: SkipReason) {
        self.skipped.push((relative.to_path_buf(), reason));
    }
}

/// Walks `root/under` (`under` relative to `root`; empty for `root` itself), which may be a file
/// or a folder. Never fails: a start that cannot be read is the first skipped entry.
pub fn walk(root: &Path, under: &Path, rules: WalkRules<'_>) -> Walk {
    let mut out = Walk::default();
    let mut folders_seen = HashSet::new();
    // Entries still to look at, the next one last; `true` for the walk's start.
    let mut pending = vec![(under.to_path_buf(), true)];
    while let Some((relative, given)) = pending.pop() {
        if !relative.as_os_str().is_empty() && rules.ignore.is_some_and(|i| i.is_ignored(&relative))
        {
            continue;
        }
        let path = root.join(&relative);
        let meta = match std::fs::symlink_metadata(&path) {
            Ok(meta) => meta,
            Err(e) => {
                out.skip(&relative, SkipReason::Unreadable(e));
                continue;
            }
        };
        let meta = if meta.file_type().is_symlink() {
            let follow = match rules.links {
                Links::Never => false,
                Links::Given => given,
                Links::All => true,
            };
            if !follow {
                out.skip(&relative, SkipReason::Link);
                continue;
            }
            match std::fs::metadata(&path) {
                Ok(target) => target,
                Err(e) => {
                    out.skip(&relative, SkipReason::BrokenLink(e));
                    continue;
                }
            }
        } else {
            meta
        };
        if meta.is_file() {
            out.files.push((relative, FileStat::of(&meta)));
        } else if meta.is_dir() {
            if rules.links != Links::Never && !folders_seen.insert((meta.dev(), meta.ino())) {
                out.skip(&relative, SkipReason::Loop);
                continue;
            }
            let entries = match std::fs::read_dir(&path) {
                Ok(entries) => entries,
                Err(e) => {
                    out.skip(&relative, SkipReason::Unlistable(e));
                    continue;
                }
            };
            let mut names: Vec<_> = entries.flatten().map(|e| e.file_name()).collect();
            names.sort_unstable_by(|a, b| b.cmp(a));
            pending.extend(names.into_iter().map(|name| (relative.join(name), false)));
        } else {
            out.skip(&relative, SkipReason::Special);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(walk: &Walk) -> (Vec<String>, Vec<String>) {
        let text = |p: &PathBuf| p.to_string_lossy().into_owned();
        (
            walk.files.iter().map(|(p, _)| text(p)).collect(),
            walk.skipped.iter().map(|(p, _)| text(p)).collect(),
        )
    }

    #[test]
    fn a_watch_walk_finds_nested_files_and_skips_ignored_names_and_links() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::create_dir_all(root.join("a/b")).unwrap();
        std::fs::create_dir_all(root.join("skip")).unwrap();
        std::fs::write(root.join("top.txt"), b"1").unwrap();
        std::fs::write(root.join("a/b/deep.txt"), b"22").unwrap();
        std::fs::write(root.join("a/x.tmp"), b"3").unwrap();
        std::fs::write(root.join("skip/inside.txt"), b"4").unwrap();
        std::os::unix::fs::symlink(root.join("a"), root.join("link")).unwrap();
        let ignore = IgnoreRules::new(&["*.tmp", "skip"]).unwrap();
        let rules = WalkRules {
            links: Links::Never,
            ignore: Some(&ignore),
        };
        let all = walk(root, Path::new(""), rules);
        assert_eq!(
            names(&all),
            (
                vec!["a/b/deep.txt".into(), "top.txt".into()],
                vec!["link".into()]
            )
        );
        assert_eq!(all.files[0].1.size, 2);
        let below = walk(root, Path::new("a"), rules);
        assert_eq!(names(&below).0, ["a/b/deep.txt"]);
        // A watch never follows a link, even one it is asked to walk.
        assert_eq!(
            names(&walk(root, Path::new("link"), rules)),
            (vec![], vec!["link".into()])
        );
    }

    #[test]
    fn followed_links_reach_files_and_folders_but_never_loop() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::create_dir_all(root.join("album")).unwrap();
        std::fs::create_dir_all(root.join("other/sub")).unwrap();
        std::fs::write(root.join("album/a.jpg"), b"1").unwrap();
        std::fs::write(root.join("other/sub/b.jpg"), b"2").unwrap();
        std::os::unix::fs::symlink(root.join("album"), root.join("album/again")).unwrap();
        std::os::unix::fs::symlink(root.join("other"), root.join("album/more")).unwrap();
        std::os::unix::fs::symlink(root.join("gone"), root.join("album/broken")).unwrap();
        std::os::unix::fs::symlink(root.join("album"), root.join("given")).unwrap();
        let rules = |links| WalkRules {
            links,
            ignore: None,
        };
        let given = walk(root, Path::new("given"), rules(Links::Given));
        assert_eq!(
            names(&given),
            (
                vec!["given/a.jpg".into()],
                vec![
                    "given/again".into(),
                    "given/broken".into(),
                    "given/more".into()
                ]
            )
        );
        assert!(matches!(given.skipped[0].1, SkipReason::Link));
        let all = walk(root, Path::new("given"), rules(Links::All));
        assert_eq!(
            names(&all),
            (
                vec!["given/a.jpg".into(), "given/more/sub/b.jpg".into()],
                vec!["given/again".into(), "given/broken".into()]
            )
        );
        assert!(matches!(all.skipped[0].1, SkipReason::Loop));
        assert!(matches!(all.skipped[1].1, SkipReason::BrokenLink(_)));
        let missing = walk(root, Path::new("nope"), rules(Links::Given));
        assert!(matches!(
            missing.skipped[..],
            [(_, SkipReason::Unreadable(_))]
        ));
    }
}
