//! `hoist profile test`: what a connection test found, step by step. The S3 steps live in
//! `backend::s3::probe`, the folder steps here; [`crate::Core::test_profile`] runs them and
//! remembers the capabilities in the profile.

use crate::error::ErrorKind;
use crate::options::Capabilities;
use serde::Serialize;
use std::path::Path;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum StepOutcome {
    Ok,
    Failed,
    /// Not run, because an earlier step that it needs failed.
    Skipped,
}

/// One check and what it found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ProbeStep {
    /// e.g. "DNS", "credentials and bucket", "multipart upload".
    pub name: String,
    pub outcome: StepOutcome,
    /// What was found, or what went wrong and how to fix it.
    pub detail: String,
    /// Whether the destination cannot work while this step fails (later steps are skipped).
    pub blocking: bool,
    /// The error kind behind a failure (`wrong_region`, `bad_credentials`, ...).
    pub error: Option<String>,
}

/// The whole test of one destination.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ProbeReport {
    pub profile: String,
    pub steps: Vec<ProbeStep>,
    /// What the server accepts; `None` when the test stopped before the capability checks.
    pub capabilities: Option<Capabilities>,
}

impl ProbeReport {
    /// True when no blocking step failed: uploads can work.
    pub fn usable(&self) -> bool {
        !self
            .steps
            .iter()
            .any(|s| s.blocking && s.outcome != StepOutcome::Ok)
    }
}

impl ProbeStep {
    pub fn ok(name: &str, blocking: bool, detail: impl Into<String>) -> ProbeStep {
        ProbeStep {
            name: name.into(),
            outcome: StepOutcome::Ok,
            detail: detail.into(),
            blocking,
            error: None,
        }
    }

    pub fn failed(
        name: &str,
        blocking: bool,
        kind: Option<ErrorKind>,
        detail: impl Into<String>,
    ) -> ProbeStep {
        ProbeStep {
            name: name.into(),
            outcome: StepOutcome::Failed,
            detail: detail.into(),
            blocking,
            error: kind.map(|k| k.code().to_string()),
        }
    }

    pub fn skipped(name: &str, blocking: bool) -> ProbeStep {
        ProbeStep {
            name: name.into(),
            outcome: StepOutcome::Skipped,
            detail: "not tried: an earlier step failed".into(),
            blocking,
            error: None,
        }
    }
}

/// A folder destination: it exists (or can be made), can be written and read back, and how
/// much room is left.
pub(crate) fn probe_folder(folder: &Path) -> Vec<ProbeStep> {
    let mut steps = Vec::new();
    if let Err(e) = std::fs::create_dir_all(folder) {
        steps.push(ProbeStep::failed(
            "folder",
            true,
            Some(ErrorKind::Local),
            format!(
                "cannot create {}: {e}: mount the disk, or choose another folder with \
                 `hoist profile edit NAME --folder DIR`",
                folder.display()
            ),
        ));
        steps.push(ProbeStep::skipped("write and read back", true));
        return steps;
    }
    steps.push(ProbeStep::ok(
        "folder",
        true,
        format!("{} exists", folder.display()),
    ));
    let scratch = folder.join(format!(".hoist-probe-{}", std::process::id()));
    let written = std::fs::write(&scratch, b"hoist probe")
        .and_then(|()| std::fs::read(&scratch))
        .map(|back| back == b"hoist probe");
    let _ = std::fs::remove_file(&scratch);
    steps.push(match written {
        Ok(true) => ProbeStep::ok(
            "write and read back",
            true,
            "a scratch file was written, read back and removed",
        ),
        Ok(false) => ProbeStep::failed(
            "write and read back",
            true,
            Some(ErrorKind::Local),
            "a scratch file read back different bytes: check the disk",
        ),
        Err(e) => ProbeStep::failed(
            "write and read back",
            true,
            Some(ErrorKind::AccessDenied),
            format!(
                "cannot write in {}: {e}: give your user write access, or choose another folder",
                folder.display()
            ),
        ),
    });
    if let Some(free) = free_space(folder) {
        steps.push(ProbeStep::ok(
            "free space",
            false,
            format!("{:.1} GiB free", free as f64 / (1u64 << 30) as f64),
        ));
    }
    steps
}

/// Free bytes on the file system holding `folder` (statvfs: blocks available to us).
fn free_space(folder: &Path) -> Option<u64> {
    let stat = rustix::fs::statvfs(folder).ok()?;
    Some(stat.f_bavail.saturating_mul(stat.f_frsize))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_writable_folder_passes_and_reports_free_space() {
        let dir = tempfile::tempdir().unwrap();
        let steps = probe_folder(&dir.path().join("new"));
        assert!(
            steps.iter().all(|s| s.outcome == StepOutcome::Ok),
            "{steps:?}"
        );
        assert!(
            steps
                .iter()
                .any(|s| s.name == "free space" && s.detail.ends_with("GiB free"))
        );
        assert_eq!(
            std::fs::read_dir(dir.path().join("new")).unwrap().count(),
            0
        );
    }

    #[test]
    fn free_space_comes_from_statvfs_not_from_parsing_df() {
        let dir = tempfile::tempdir().unwrap();
        assert!(free_space(dir.path()).is_some_and(|free| free > 0));
        assert_eq!(free_space(&dir.path().join("missing")), None);
    }

    #[test]
    fn a_folder_that_cannot_be_made_fails_with_the_fix() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("a-file");
        std::fs::write(&file, b"x").unwrap();
        let steps = probe_folder(&file.join("below"));
        assert_eq!(steps[0].outcome, StepOutcome::Failed);
        assert!(
            steps[0].detail.contains("--folder DIR"),
            "{}",
            steps[0].detail
        );
        assert_eq!(steps[1].outcome, StepOutcome::Skipped);
    }
}
