//! Which names a watch never uploads: [`DEFAULT_IGNORES`] (system litter, editors' and
//! browsers' temporary files, Hoist's own partial downloads) plus the watch's own globs. A glob
//! without `/` is matched against every name on the path (so `.DS_Store` or `node_modules`
//! anywhere below the folder is skipped, with whatever is inside it); one with `/` against the
//! whole path relative to the watched folder.

use globset::{GlobBuilder, GlobSet, GlobSetBuilder};
use std::path::Path;

/// The rules a new watch starts with; the user sees them and may remove any.
pub const DEFAULT_IGNORES: &[&str] = &[
    ".DS_Store",
    "Thumbs.db",
    "desktop.ini",
    "*.tmp",
    "*.part",
    "*.crdownload",
    "*.swp",
    "~$*",
    ".~lock.*",
    ".*.hoist-part",
    ".hoist-staging",
];

#[derive(Debug, Clone)]
pub struct IgnoreRules {
    names: GlobSet,
    paths: GlobSet,
}

impl IgnoreRules {
    /// Compiles `globs`; a glob that does not parse is named in the error.
    pub fn new<S: AsRef<str>>(globs: &[S]) -> Result<IgnoreRules, String> {
        let mut names = GlobSetBuilder::new();
        let mut paths = GlobSetBuilder::new();
        for glob in globs {
            let glob = glob.as_ref().trim();
            if glob.is_empty() {
                continue;
            }
            let anchored = glob.trim_start_matches('/');
            let compiled = GlobBuilder::new(anchored)
                .literal_separator(true)
                .build()
                .map_err(|e| format!("the ignore rule '{glob}' is not a valid pattern: {e}"))?;
            if anchored.contains('/') {
                paths.add(compiled);
            } else {
                names.add(compiled);
            }
        }
        let build = |set: GlobSetBuilder| {
            set.build()
                .map_err(|e| format!("the ignore rules cannot be used: {e}"))
        };
        Ok(IgnoreRules {
            names: build(names)?,
            paths: build(paths)?,
        })
    }

    /// Whether `relative` (a path below the watched folder) or a folder on its way is ignored.
    pub fn is_ignored(&self, relative: &Path) -> bool {
        relative
            .components()
            .any(|part| self.names.is_match(part.as_os_str()))
            || self.paths.is_match(relative)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn defaults() -> IgnoreRules {
        IgnoreRules::new(DEFAULT_IGNORES).unwrap()
    }

    #[test]
    fn the_defaults_skip_litter_and_temporary_files_at_any_depth() {
        let rules = defaults();
        for ignored in [
            ".DS_Store",
            "a/b/.DS_Store",
            "Thumbs.db",
            "scan.tmp",
            "movie.mkv.part",
            "x/file.zip.crdownload",
            ".notes.txt.swp",
            "~$report.docx",
            ".~lock.sheet.ods#",
            "photos/.IMG_1.jpg.hoist-part",
            ".hoist-staging/abc",
        ] {
            assert!(
                rules.is_ignored(Path::new(ignored)),
                "{ignored} should be ignored"
            );
        }
        for kept in [
            "IMG_1.jpg",
            "a/b/report.docx",
            "temp/notes.txt",
            "part/x.bin",
        ] {
            assert!(!rules.is_ignored(Path::new(kept)), "{kept} should be kept");
        }
    }

    #[test]
    fn a_glob_with_a_slash_is_matched_against_the_whole_path() {
        let rules = IgnoreRules::new(&["raw/*.cr2", "cache"]).unwrap();
        assert!(rules.is_ignored(Path::new("raw/a.cr2")));
        assert!(!rules.is_ignored(Path::new("2024/raw/a.cr2")));
        assert!(!rules.is_ignored(Path::new("a.cr2")));
        assert!(rules.is_ignored(Path::new("x/cache/y.bin")));
    }

    #[test]
    fn a_bad_glob_is_named() {
        let error = IgnoreRules::new(&["ok", "a[b"]).unwrap_err();
        assert!(error.contains("'a[b'"), "{error}");
    }
}
