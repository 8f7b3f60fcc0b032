//! The nouns every layer shares: destinations (destinations), jobs and their states, fingerprints.

mod part;
pub mod transition;
mod watch;

pub use part::PartReceipt;
pub use watch::{NewWatch, Watch, WatchId, WatchState};

use crate::error::ErrorKind;
use crate::options::{Capabilities, IfExists, UploadOptions};
use crate::presets::Provider;
use crate::throttle::{Throttle, Throttles};
use serde::{Deserialize, Serialize};
use std::path::PathBuf;

/// A queue row's id (SQLite rowid). A newtype serializes as its number (and the id below as
/// its string), as `#[serde(transparent)]` would say.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, ts_rs::TS,
)]
pub struct JobId(pub i64);

impl std::fmt::Display for JobId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// A destination's stable id; also the keychain entry's user name.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, ts_rs::TS)]
pub struct DestinationId(pub String);

/// Where a destination uploads to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum DestinationKind {
    /// An S3-compatible bucket.
    S3,
    /// A folder on this machine (a NAS mount, an external disk, Hoist's built-in folder).
    Local,
}

/// A destination: an S3-compatible bucket or a local folder, with an optional key prefix. Holds
/// no secret: an S3 access key pair lives in the OS keychain under the destination id.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct Destination {
    pub id: DestinationId,
    pub name: String,
    pub kind: DestinationKind,
    /// e.g. `https://s3.us-east-1.amazonaws.com` or `http://127.0.0.1:3900`; `None` means AWS.
    pub endpoint: Option<String>,
    pub region: String,
    pub bucket: String,
    pub path_style: bool,
    /// Prepended to every key; empty or ending in `/` by convention, but used as given.
    pub prefix: String,
    /// For `Local`: the folder objects are written to (keys become relative paths in it).
    pub folder: Option<PathBuf>,
    /// The local destination Hoist creates on first run; used when no other one exists.
    pub builtin: bool,
    /// The preset the destination was made from (checksum policy, part-size rules).
    pub provider: Option<Provider>,
    /// Key template, headers, conflict default.
    pub options: UploadOptions,
    /// What `hoist destination test` found; `None` until it ran.
    pub capabilities: Option<Capabilities>,
}

/// The states of a queue row. Transitions are decided by [`transition::transition`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum JobState {
    Queued,
    Running,
    Paused,
    Completed,
    Failed,
    Cancelled,
}

impl JobState {
    pub const ALL: [JobState; 6] = [
        JobState::Queued,
        JobState::Running,
        JobState::Paused,
        JobState::Completed,
        JobState::Failed,
        JobState::Cancelled,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            JobState::Queued => "queued",
            JobState::Running => "running",
            JobState::Paused => "paused",
            JobState::Completed => "completed",
            JobState::Failed => "failed",
            JobState::Cancelled => "cancelled",
        }
    }

    pub fn parse(s: &str) -> Option<JobState> {
        JobState::ALL.into_iter().find(|state| state.as_str() == s)
    }

    /// Completed, failed and cancelled jobs need nothing more from the engine.
    pub fn is_terminal(self) -> bool {
        matches!(
            self,
            JobState::Completed | JobState::Failed | JobState::Cancelled
        )
    }
}

impl std::fmt::Display for JobState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What identifies the bytes of a local file without reading them: if any field differs, the
/// file changed and an upload in progress must not be completed with its old parts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Fingerprint {
    pub size: u64,
    pub mtime_ns: i64,
    /// The inode number on Unix; 0 where the OS has none.
    pub inode: u64,
}

impl Fingerprint {
    pub fn of(meta: &std::fs::Metadata) -> Fingerprint {
        let mtime_ns = meta
            .modified()
            .ok()
            .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
            .map(|d| d.as_nanos() as i64)
            .unwrap_or(0);
        #[cfg(unix)]
        let inode = std::os::unix::fs::MetadataExt::ino(meta);
        #[cfg(not(unix))]
        let inode = 0;
        Fingerprint {
            size: meta.len(),
            mtime_ns,
            inode,
        }
    }
}

/// Which way a job moves bytes: a local file to an object, or an object to a local file.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    #[default]
    Upload,
    Download,
}

impl Direction {
    /// The throttle transfers going this way are paced by.
    pub fn throttle(self, throttles: &Throttles) -> &Throttle {
        match self {
            Direction::Upload => &throttles.upload,
            Direction::Download => &throttles.download,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Direction::Upload => "upload",
            Direction::Download => "download",
        }
    }

    pub fn parse(s: &str) -> Option<Direction> {
        [Direction::Upload, Direction::Download]
            .into_iter()
            .find(|d| d.as_str() == s)
    }
}

/// A path as text for the window and `--json`: a name that is not UTF-8 shows with U+FFFD in
/// place of its bad bytes instead of failing the whole list (serde refuses such a `PathBuf`).
pub fn path_for_people<S: serde::Serializer>(
    path: &std::path::Path,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(&path.to_string_lossy())
}

/// One transfer in the queue, as stored: an upload of `path` to `key`, or a download of `key`
/// into `path`.
#[derive(Debug, Clone, PartialEq, Serialize, ts_rs::TS)]
pub struct Job {
    pub id: JobId,
    pub direction: Direction,
    /// The local file: the source of an upload, the target of a download.
    #[serde(serialize_with = "path_for_people")]
    pub path: PathBuf,
    pub destination_id: DestinationId,
    pub destination_name: String,
    pub bucket: String,
    pub key: String,
    pub state: JobState,
    pub bytes_done: u64,
    pub bytes_total: u64,
    pub attempts: u32,
    pub error_code: Option<ErrorKind>,
    pub error_message: Option<String>,
    /// The batch this job was added in (one `hoist upload` call, one drop on the window).
    pub batch: String,
    /// What to do when the key already holds an object.
    pub if_exists: IfExists,
    /// How a completed job ended, as a code (`None` until it completed).
    pub outcome: Option<Outcome>,
    /// How a finished download's bytes were checked: `md5`, `multipart-etag`, `crc32c`,
    /// `crc32`, `crc64nvme`, joined with `+` when several were (`multipart-etag+crc32c`), or
    /// `size-only` for an object that gave nothing to check. `None` for uploads and unfinished
    /// or skipped downloads.
    pub verified: Option<String>,
    /// What is worth telling about how the job went, for people: e.g. "skipped: an identical
    /// object exists", "renamed to photo-1.jpg", "the server lost part 3 ...: sent again".
    pub note: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
    /// The watch that queued this job; `None` for files added by hand and downloads.
    pub watch: Option<WatchId>,
}

/// How a completed job ended. Programs match on this, never on the job's note.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// The file was uploaded and the object verified.
    Uploaded,
    /// The object was downloaded, verified and put in place under its name.
    Downloaded,
    /// Nothing was sent: an identical object was already there.
    SkippedIdentical,
    /// Nothing was sent: another object was there and the job's rule was "skip".
    SkippedExisting,
    /// The key was taken, so the file was uploaded under a free one (`NAME-1.EXT`).
    Renamed,
}

impl Outcome {
    pub const ALL: [Outcome; 5] = [
        Outcome::Uploaded,
        Outcome::Downloaded,
        Outcome::SkippedIdentical,
        Outcome::SkippedExisting,
        Outcome::Renamed,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Uploaded => "uploaded",
            Outcome::Downloaded => "downloaded",
            Outcome::SkippedIdentical => "skipped_identical",
            Outcome::SkippedExisting => "skipped_existing",
            Outcome::Renamed => "renamed",
        }
    }

    pub fn parse(s: &str) -> Option<Outcome> {
        Outcome::ALL.into_iter().find(|o| o.as_str() == s)
    }

    /// Whether nothing was sent.
    pub fn is_skipped(self) -> bool {
        matches!(self, Outcome::SkippedIdentical | Outcome::SkippedExisting)
    }

    /// Why nothing was sent, for people (naming the setting, not a flag); `None` if something was.
    pub fn skip_reason(self) -> Option<&'static str> {
        match self {
            Outcome::SkippedIdentical => Some("an identical object exists"),
            Outcome::SkippedExisting => {
                Some("a different object exists (the if-exists rule 'skip' never replaces one)")
            }
            Outcome::Uploaded | Outcome::Downloaded | Outcome::Renamed => None,
        }
    }
}

/// Which jobs a pause / resume / cancel / retry applies to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Selection {
    All,
    Ids(Vec<JobId>),
}

/// Seconds since the Unix epoch.
pub fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

/// A random 128-bit id as hex (destinations, batches).
pub fn new_id() -> String {
    hex::encode(rand::random::<[u8; 16]>())
}
