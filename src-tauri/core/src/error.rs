//! The core's one public error type.
//!
//! Every failure carries an [`ErrorKind`] decided once, where the failure is first understood (an
//! S3 error code, an I/O error kind, an HTTP status), never by matching message strings later.
//! The kind decides what the engine does: retry with backoff, wait for the network, or fail the
//! job with a message that names the fix. Jobs store `kind.code()` and the message, so the UI and
//! CLI can show why a job failed after a restart.

use std::fmt;
use std::time::Duration;

/// What went wrong, as far as deciding what to do next is concerned.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize, ts_rs::TS,
)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum ErrorKind {
    /// The endpoint could not be reached at all (DNS, refused, reset before any answer, TLS
    /// handshake, connect timeout). The queue waits for the network without spending attempts.
    Unreachable,
    /// A request started but did not finish: reset mid-body, read timeout, stalled stream.
    Interrupted,
    /// The server asked us to slow down (503 SlowDown, 429).
    Throttled,
    /// A server-side failure worth retrying (500, 502, 503, 504, InternalError, RequestTimeout).
    ServerBusy,
    /// The server rejected a part's bytes (BadDigest): the file may have changed under us.
    ChecksumMismatch,
    /// The credentials are not accepted: unknown access key id or wrong secret.
    BadCredentials,
    /// The credentials are valid but not allowed to do this.
    AccessDenied,
    /// The bucket does not exist at this endpoint.
    NoSuchBucket,
    /// The multipart upload id is unknown (expired, aborted elsewhere, or completed).
    NoSuchUpload,
    /// The object is not the one a download started on (its ETag changed: 412 to If-Match).
    /// The download starts over from the new object.
    ObjectChanged,
    /// Complete was refused because the server does not hold a part we recorded, or holds it
    /// with another ETag (InvalidPart). The engine sends such parts again, once.
    PartLost,
    /// The server's TLS certificate is not trusted (unknown CA, expired, another host's).
    UntrustedCertificate,
    /// The bucket is in another region than the destination says.
    WrongRegion,
    /// The local clock is more than 15 minutes off the server's.
    ClockSkew,
    /// The server answered with something we do not understand or cannot accept.
    Protocol,
    /// The server refused the request as invalid (other 4xx).
    Rejected,
    /// The local file is gone.
    FileMissing,
    /// The local file changed while it was being uploaded.
    FileChanged,
    /// The local file cannot be read (permissions, special file, I/O error).
    FileUnreadable,
    /// The user's input is wrong (bad destination name, bad key, bad option); the message says what.
    InvalidInput,
    /// A named thing (destination, job) does not exist.
    NotFound,
    /// No OS keychain is reachable, or it holds no secret for a destination.
    Keychain,
    /// Another process already drives this data directory's queue.
    EngineBusy,
    /// The local database failed.
    Database,
    /// Any other local failure (data directory, logs).
    Local,
}

impl ErrorKind {
    /// Whether the same request may succeed if sent again after a pause.
    pub fn is_retryable(self) -> bool {
        matches!(
            self,
            ErrorKind::Unreachable
                | ErrorKind::Interrupted
                | ErrorKind::Throttled
                | ErrorKind::ServerBusy
                | ErrorKind::ChecksumMismatch
        )
    }

    /// Whether the failure means "no network": such retries do not count against a job.
    pub fn is_offline(self) -> bool {
        matches!(self, ErrorKind::Unreachable)
    }

    /// The kind whose [`ErrorKind::code`] is `code` (serde's name of it); `None` for a code
    /// this version does not know.
    pub fn from_code(code: &str) -> Option<ErrorKind> {
        serde_json::from_value(serde_json::Value::String(code.to_string())).ok()
    }

    /// A stable snake_case code, stored with failed jobs and shown by `hoist queue --json`.
    /// The same names serde gives the variants (a test keeps them so), as a `&'static str`.
    pub fn code(self) -> &'static str {
        match self {
            ErrorKind::Unreachable => "unreachable",
            ErrorKind::Interrupted => "interrupted",
            ErrorKind::Throttled => "throttled",
            ErrorKind::ServerBusy => "server_busy",
            ErrorKind::ChecksumMismatch => "checksum_mismatch",
            ErrorKind::BadCredentials => "bad_credentials",
            ErrorKind::AccessDenied => "access_denied",
            ErrorKind::NoSuchBucket => "no_such_bucket",
            ErrorKind::NoSuchUpload => "no_such_upload",
            ErrorKind::ObjectChanged => "object_changed",
            ErrorKind::PartLost => "part_lost",
            ErrorKind::UntrustedCertificate => "untrusted_certificate",
            ErrorKind::WrongRegion => "wrong_region",
            ErrorKind::ClockSkew => "clock_skew",
            ErrorKind::Protocol => "protocol",
            ErrorKind::Rejected => "rejected",
            ErrorKind::FileMissing => "file_missing",
            ErrorKind::FileChanged => "file_changed",
            ErrorKind::FileUnreadable => "file_unreadable",
            ErrorKind::InvalidInput => "invalid_input",
            ErrorKind::NotFound => "not_found",
            ErrorKind::Keychain => "keychain",
            ErrorKind::EngineBusy => "engine_busy",
            ErrorKind::Database => "database",
            ErrorKind::Local => "local",
        }
    }
}

type Source = Box<dyn std::error::Error + Send + Sync + 'static>;

/// A failure with its kind, a human message that names the fix, and the underlying cause.
pub struct Error {
    kind: ErrorKind,
    message: String,
    source: Option<Source>,
    retry_after: Option<Duration>,
    fix: Option<Fix>,
}

/// What the user can do about an error, as data: the message says it in words for everyone,
/// and each shell may add its own way to do it (the CLI names the command and its flags).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fix {
    /// Several destinations exist and none was named.
    ChooseDestination,
    /// The destination names no bucket: name one for this upload, or give it one.
    NameBucket { destination: String },
    /// A setting this request needs was not given ("account-id", "region", "endpoint").
    Give { setting: &'static str },
    /// Change one setting of a destination (`setting` is the field: "region", "endpoint",
    /// "bucket", "keys", "folder").
    EditDestination {
        destination: String,
        setting: &'static str,
    },
    /// Jobs that are not finished (or keep multipart uploads on the server) stand in the way:
    /// cancel them first.
    CancelJobs,
    /// Watches stand in the way (their ids): remove them first.
    RemoveWatches { ids: Vec<i64> },
    /// The server said which region the bucket is in: the destination's region should be it.
    UseRegion { region: String },
    /// The list of watches shows what is meant (the watch that exists already, or the ids).
    SeeWatches,
    /// The queue database is damaged (or not Hoist's): moving it aside starts afresh.
    MoveDatabaseAside { path: std::path::PathBuf },
}

impl Error {
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Error {
            kind,
            message: message.into(),
            source: None,
            retry_after: None,
            fix: None,
        }
    }

    /// Says what the user can do about it (see [`Fix`]).
    pub fn with_fix(mut self, fix: Fix) -> Self {
        self.fix = Some(fix);
        self
    }

    pub fn fix(&self) -> Option<&Fix> {
        self.fix.as_ref()
    }

    pub fn with_source(mut self, source: impl Into<Source>) -> Self {
        self.source = Some(source.into());
        self
    }

    /// The server's Retry-After, when it sent one.
    pub fn with_retry_after(mut self, after: Option<Duration>) -> Self {
        self.retry_after = after;
        self
    }

    /// Prefixes the message with what was being done, e.g. "uploading part 3 of photos/a.jpg".
    pub fn context(mut self, what: impl fmt::Display) -> Self {
        self.message = format!("{what}: {}", self.message);
        self
    }

    pub fn kind(&self) -> ErrorKind {
        self.kind
    }

    pub fn message(&self) -> &str {
        &self.message
    }

    pub fn retry_after(&self) -> Option<Duration> {
        self.retry_after
    }

    pub fn is_retryable(&self) -> bool {
        self.kind.is_retryable()
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("Error");
        d.field("kind", &self.kind).field("message", &self.message);
        if let Some(source) = &self.source {
            d.field("source", source);
        }
        d.finish()
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.source
            .as_deref()
            .map(|s| s as &(dyn std::error::Error + 'static))
    }
}

impl From<rusqlite::Error> for Error {
    fn from(e: rusqlite::Error) -> Self {
        Error::new(ErrorKind::Database, format!("database error: {e}")).with_source(e)
    }
}

/// Maps a local I/O error on `path` to a kind and a message that names the file.
pub fn file_error(path: &std::path::Path, e: std::io::Error) -> Error {
    use std::io::ErrorKind as Io;
    let (kind, what) = match e.kind() {
        Io::NotFound => (ErrorKind::FileMissing, "no longer exists"),
        Io::PermissionDenied => (
            ErrorKind::FileUnreadable,
            "cannot be read (permission denied)",
        ),
        _ => (ErrorKind::FileUnreadable, "cannot be read"),
    };
    Error::new(kind, format!("{} {what}", path.display())).with_source(e)
}

/// The error of writing a downloaded file at `path` (its folder, the hidden partial file, the
/// rename into place): a full disk or a refused folder is named with the fix; what was already
/// fetched stays on disk and recorded, so a retry goes on from there.
pub fn download_write_error(path: &std::path::Path, e: std::io::Error) -> Error {
    use std::io::ErrorKind as Io;
    let folder = path.parent().unwrap_or(path).display();
    let (kind, message) = match e.kind() {
        Io::StorageFull | Io::QuotaExceeded => (
            ErrorKind::Local,
            format!(
                "the disk holding {folder} is full: free some space, then retry (what was \
                 downloaded so far is kept)"
            ),
        ),
        Io::PermissionDenied | Io::ReadOnlyFilesystem => (
            ErrorKind::AccessDenied,
            format!(
                "cannot write in {folder} (permission denied or a read-only disk): choose \
                 another folder or make it writable"
            ),
        ),
        _ => (
            ErrorKind::Local,
            format!("cannot write {}: {e}", path.display()),
        ),
    };
    Error::new(kind, message).with_source(e)
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_kinds_stored_code_is_the_name_serde_and_the_window_use() {
        use ts_rs::TS;
        // ts-rs lists every variant by serde's name: each must be `code()` of the kind it names.
        let union = ErrorKind::inline(&ts_rs::Config::default());
        let names: Vec<&str> = union.split(" | ").map(|n| n.trim_matches('"')).collect();
        assert!(names.len() > 20, "{union}");
        for name in names {
            let kind = ErrorKind::from_code(name).unwrap_or_else(|| panic!("{name} is not a code"));
            assert_eq!(kind.code(), name);
        }
        assert_eq!(ErrorKind::from_code("no_such_thing"), None);
    }

    #[test]
    fn a_full_disk_during_a_download_says_so_and_that_the_bytes_are_kept() {
        let path = std::path::Path::new("/home/me/Downloads/.a.jpg.hoist-part");
        let full =
            download_write_error(path, std::io::Error::from(std::io::ErrorKind::StorageFull));
        assert_eq!(full.kind(), ErrorKind::Local);
        assert!(!full.kind().is_retryable());
        assert_eq!(
            full.message(),
            "the disk holding /home/me/Downloads is full: free some space, then retry (what was \
             downloaded so far is kept)"
        );
        let denied = download_write_error(
            path,
            std::io::Error::from(std::io::ErrorKind::PermissionDenied),
        );
        assert_eq!(denied.kind(), ErrorKind::AccessDenied);
        assert!(
            denied
                .message()
                .starts_with("cannot write in /home/me/Downloads")
        );
    }

    #[test]
    fn only_network_and_server_side_kinds_are_retryable() {
        assert!(ErrorKind::Unreachable.is_retryable());
        assert!(ErrorKind::Throttled.is_retryable());
        assert!(!ErrorKind::AccessDenied.is_retryable());
        assert!(!ErrorKind::BadCredentials.is_retryable());
        assert!(!ErrorKind::NoSuchBucket.is_retryable());
        assert!(!ErrorKind::FileMissing.is_retryable());
        assert!(ErrorKind::Unreachable.is_offline());
        assert!(!ErrorKind::ServerBusy.is_offline());
    }

    #[test]
    fn file_errors_name_the_file() {
        let e = file_error(
            std::path::Path::new("/tmp/x.bin"),
            std::io::Error::from(std::io::ErrorKind::NotFound),
        );
        assert_eq!(e.kind(), ErrorKind::FileMissing);
        assert!(e.message().contains("/tmp/x.bin"), "{}", e.message());
    }
}
