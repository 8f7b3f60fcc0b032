//! Storage-agnostic folder watching: which files below a folder are new, changed or gone, and
//! when a file is finished being written. It knows nothing of queues or buckets (see
//! `crate::watches` for that): [`walk`] walks a folder (the truth; the same walker takes the files added to the queue), [`FolderEvents`] turns
//! inotify's events into [`Signal`]s (hints of where to look sooner), [`Settler`] decides when a
//! file is stable, [`IgnoreRules`] which names are never looked at.

mod events;
mod ignore;
mod settle;
mod walk;

pub use events::{FolderEvents, Signal, StartError};
pub use ignore::{DEFAULT_IGNORES, IgnoreRules};
pub use settle::Settler;
pub use walk::{FileStat, Links, SkipReason, WalkRules, walk};

use std::path::Path;

/// `None` when the kernel reports changes in `folder`; otherwise why it must be polled
/// (network file systems and FUSE mounts do not send inotify events for changes made
/// elsewhere).
pub fn needs_polling(folder: &Path) -> Option<String> {
    // Magic numbers from statfs(2).
    const NOT_LOCAL: &[(u64, &str)] = &[
        (0x6969, "an NFS mount"),
        (0x517b, "an SMB mount"),
        (0xff53_4d42, "a CIFS mount"),
        (0xfe53_4d42, "an SMB2 mount"),
        (0x6573_5546, "a FUSE mount"),
        (0x0102_1997, "a 9p mount"),
        (0x00c3_6400, "a Ceph mount"),
        (0x5346_414f, "an AFS mount"),
        (0x0bd0_0bd0, "a Lustre mount"),
    ];
    let kind = rustix::fs::statfs(folder).ok()?.f_type as u64;
    NOT_LOCAL
        .iter()
        .find(|(magic, _)| *magic == kind)
        .map(|(_, what)| {
            format!("the folder is on {what}, which does not report changes as they happen")
        })
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_local_folder_needs_no_polling() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(super::needs_polling(dir.path()), None);
    }
}
