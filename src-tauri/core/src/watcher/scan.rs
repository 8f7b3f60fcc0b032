//! A full walk of a watched folder: every regular file below it that no rule ignores, with its
//! [`FileStat`]. Symbolic links are not followed (a watch never leaves its folder); folders that
//! cannot be read are reported, not fatal. This is the truth a watch reconciles its index
//! against; events only say where to look sooner.

use super::{FileStat, IgnoreRules};
use std::path::{Path, PathBuf};

#[derive(Debug, Default)]
pub struct Scan {
    /// Relative path and state of every file found, in no particular order.
    pub files: Vec<(PathBuf, FileStat)>,
    /// Folders below the root that could not be listed, with the reason.
    pub unreadable: Vec<(PathBuf, String)>,
}

/// Walks `root/under` (`under` relative to `root`; empty for the whole folder). Fails only when
/// `root/under` itself cannot be listed.
pub fn scan(root: &Path, under: &Path, rules: &IgnoreRules) -> std::io::Result<Scan> {
    let mut out = Scan::default();
    let start = root.join(under);
    let meta = std::fs::symlink_metadata(&start)?;
    if meta.is_file() {
        if !rules.is_ignored(under) {
            out.files.push((under.to_path_buf(), FileStat::of(&meta)));
        }
        return Ok(out);
    }
    let first = std::fs::read_dir(&start)?;
    let mut folders = vec![(under.to_path_buf(), first)];
    while let Some((relative, entries)) = folders.pop() {
        for entry in entries.flatten() {
            let child = relative.join(entry.file_name());
            if rules.is_ignored(&child) {
                continue;
            }
            let Ok(kind) = entry.file_type() else {
                continue;
            };
            if kind.is_dir() {
                match std::fs::read_dir(entry.path()) {
                    Ok(entries) => folders.push((child, entries)),
                    Err(e) => out.unreadable.push((child, e.to_string())),
                }
            } else if kind.is_file()
                && let Ok(meta) = entry.metadata()
            {
                out.files.push((child, FileStat::of(&meta)));
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_walk_finds_nested_files_and_skips_ignored_names_and_links() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::create_dir_all(root.join("a/b")).unwrap();
        std::fs::create_dir_all(root.join("skip")).unwrap();
        std::fs::write(root.join("top.txt"), b"1").unwrap();
        std::fs::write(root.join("a/b/deep.txt"), b"22").unwrap();
        std::fs::write(root.join("a/x.tmp"), b"3").unwrap();
        std::fs::write(root.join("skip/inside.txt"), b"4").unwrap();
        std::os::unix::fs::symlink(root.join("a"), root.join("link")).unwrap();
        let rules = IgnoreRules::new(&["*.tmp", "skip"]).unwrap();
        let mut found: Vec<_> = scan(root, Path::new(""), &rules)
            .unwrap()
            .files
            .into_iter()
            .map(|(path, stat)| (path.to_string_lossy().into_owned(), stat.size))
            .collect();
        found.sort();
        assert_eq!(found, [("a/b/deep.txt".into(), 2), ("top.txt".into(), 1)]);
        let below: Vec<_> = scan(root, Path::new("a"), &rules).unwrap().files;
        assert_eq!(below.len(), 1);
        assert_eq!(below[0].0, Path::new("a/b/deep.txt"));
    }
}
