//! The SQLite store of one data directory: destinations, the job queue, multipart state, settings.
//!
//! One `hoist.db` in WAL mode is shared by every process that opens the data directory (the
//! window, CLI calls); each process holds one connection behind a mutex. Writes are short
//! transactions. Multipart state (upload ids, part rows) is written with `synchronous=FULL`, so
//! a committed part survives a power cut: a part counts as uploaded only once its row is
//! committed. Everything else uses `synchronous=NORMAL`, which in WAL mode survives a crash of
//! the process but may lose the last commits to a power cut; that costs at most a job going back
//! a state, which the engine recovers from (a completed upload is found by its HEAD check). Schema changes are numbered
//! migrations, applied in order and recorded in `PRAGMA user_version`; each table's module keeps
//! its own steps.

pub(crate) mod destinations;
mod downloads;
mod job_states;
mod jobs;
mod preferences;
mod removal;
mod settings;
mod summary;
mod uploads;
mod watches;

pub use preferences::Preferences;
pub use removal::Removal;
pub use summary::{QueueCounts, TransferTotals};

pub use downloads::{DownloadRow, SpanRow};
pub use jobs::NewJob;
pub use uploads::UploadRow;
pub use watches::{IndexedFile, WatchedFile};

use crate::error::{Error, ErrorKind, Fix, Result};
use rusqlite::Connection;
use std::path::Path;
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

/// Every schema step in order; index + 1 is the `user_version` after it ran.
const MIGRATIONS: &[&str] = &[
    // 1: the first schema.
    concat!(
        include_str!("sql/001_profiles.sql"),
        include_str!("sql/001_jobs.sql"),
        include_str!("sql/001_uploads.sql"),
        include_str!("sql/001_settings.sql"),
    ),
    // 2: local-folder destinations.
    include_str!("sql/002_local_destinations.sql"),
    // 3: destination options, connection-test results, per-job conflict rule.
    include_str!("sql/003_destination_options.sql"),
    // 4: each completed job's outcome code.
    include_str!("sql/004_job_outcomes.sql"),
    // 5: "profiles" renamed "destinations".
    include_str!("sql/005_destinations.sql"),
    // 6: downloads (a job's direction, download progress by range).
    include_str!("sql/006_downloads.sql"),
    // 7: watched folders, their indexes, the watch a job came from.
    include_str!("sql/007_watches.sql"),
    // 8: verified downloads (parts as uploaded, per-span digests, how a download was checked).
    include_str!("sql/008_download_checks.sql"),
    // 9: CRC32C-checked uploads (the upload's algorithm, each part's checksum).
    include_str!("sql/009_part_checksums.sql"),
    // 10: the completed uploads of each watch, to bound how many stay in the queue.
    include_str!("sql/010_watched_finished.sql"),
    // 11: a revision of the watches table, moved on by triggers (changes by other processes).
    include_str!("sql/011_watches_revision.sql"),
];

pub struct Store {
    conn: Mutex<Connection>,
}

/// A file SQLite cannot read as a database (damaged, or another program's) named, with what
/// Hoist did (nothing: the file is as it was) and how to start afresh; other errors as they are.
fn damaged(db: &Path, e: Error) -> Error {
    use rusqlite::ErrorCode;
    let Some(sqlite) = std::error::Error::source(&e)
        .and_then(|source| source.downcast_ref::<rusqlite::Error>())
        .filter(|sqlite| {
            matches!(
                sqlite.sqlite_error_code(),
                Some(ErrorCode::NotADatabase | ErrorCode::DatabaseCorrupt)
            )
        })
    else {
        return e;
    };
    Error::new(
        ErrorKind::Database,
        format!(
            "the queue database {} is damaged or not Hoist's ({}); Hoist left it untouched. \
             To start afresh, move it aside: the queue, destinations and watches start empty \
             (keys stay in the keychain)",
            db.display(),
            sqlite
        ),
    )
    .with_fix(Fix::MoveDatabaseAside {
        path: db.to_path_buf(),
    })
}

impl Store {
    /// Opens (creating if needed) `hoist.db` in `data_dir` and brings its schema up to date.
    /// The data directory is private to the user (0700), and so is the database (0600; SQLite
    /// gives its WAL and SHM files the database's mode).
    pub fn open(data_dir: &Path) -> Result<Store> {
        use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
        let local = |what: &str, path: &Path, e: std::io::Error| {
            Error::new(
                ErrorKind::Local,
                format!("cannot {what} {}: {e}", path.display()),
            )
            .with_source(e)
        };
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(data_dir)
            .map_err(|e| local("create the data directory", data_dir, e))?;
        std::fs::set_permissions(data_dir, std::fs::Permissions::from_mode(0o700))
            .map_err(|e| local("make private the data directory", data_dir, e))?;
        let db = data_dir.join("hoist.db");
        for path in [
            db.clone(),
            data_dir.join("hoist.db-wal"),
            data_dir.join("hoist.db-shm"),
        ] {
            if path.exists() {
                std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600))
                    .map_err(|e| local("make private", &path, e))?;
            }
        }
        std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .mode(0o600)
            .open(&db)
            .map_err(|e| local("create", &db, e))?;
        let conn = Connection::open(&db)?;
        Store::init(conn).map_err(|e| damaged(&db, e))
    }

    #[cfg(test)]
    pub fn open_in_memory() -> Result<Store> {
        Store::init(Connection::open_in_memory()?)
    }

    fn init(mut conn: Connection) -> Result<Store> {
        conn.busy_timeout(Duration::from_secs(10))?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "NORMAL")?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        migrate(&mut conn)?;
        Ok(Store {
            conn: Mutex::new(conn),
        })
    }

    /// Runs `write` with `synchronous=FULL`: its commit is on disk when this returns.
    fn durably<T>(&self, write: impl FnOnce(&mut Connection) -> Result<T>) -> Result<T> {
        let mut conn = self.conn();
        conn.pragma_update(None, "synchronous", "FULL")?;
        let result = write(&mut conn);
        conn.pragma_update(None, "synchronous", "NORMAL")?;
        result
    }

    fn conn(&self) -> MutexGuard<'_, Connection> {
        // A panic while holding the lock leaves SQLite consistent (transactions roll back).
        self.conn
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

fn migrate(conn: &mut Connection) -> Result<()> {
    let version = conn.pragma_query_value(None, "user_version", |r| r.get::<_, i64>(0))? as usize;
    if version > MIGRATIONS.len() {
        return Err(Error::new(
            ErrorKind::Database,
            format!(
                "the database was written by a newer Hoist (schema {version}, this one knows {}): \
                 update Hoist",
                MIGRATIONS.len()
            ),
        ));
    }
    for (i, step) in MIGRATIONS.iter().enumerate().skip(version) {
        let tx = conn.transaction()?;
        tx.execute_batch(step)?;
        tx.pragma_update(None, "user_version", (i + 1) as i64)?;
        tx.commit()?;
    }
    Ok(())
}

pub use crate::model::now;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_damaged_database_said_only_file_is_not_a_database() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("hoist.db");
        let junk = b"this is no SQLite file, but it is longer than a header would be ".repeat(80);
        std::fs::write(&db, &junk).unwrap();
        let err = Store::open(dir.path())
            .err()
            .expect("a damaged file is refused");
        let text = err.to_string();
        assert!(text.contains(&db.display().to_string()), "{text}");
        assert!(
            text.contains("left it untouched") && text.contains("move it aside"),
            "{text}"
        );
        assert_eq!(
            err.fix(),
            Some(&Fix::MoveDatabaseAside { path: db.clone() })
        );
        assert_eq!(std::fs::read(&db).unwrap(), junk, "the file was changed");
    }

    #[test]
    fn migrations_are_idempotent_across_reopen() {
        let dir = tempfile::tempdir().unwrap();
        drop(Store::open(dir.path()).unwrap());
        let store = Store::open(dir.path()).unwrap();
        let version: i64 = store
            .conn()
            .pragma_query_value(None, "user_version", |r| r.get(0))
            .unwrap();
        assert_eq!(version as usize, MIGRATIONS.len());
        let mode: String = store
            .conn()
            .pragma_query_value(None, "journal_mode", |r| r.get(0))
            .unwrap();
        assert_eq!(mode, "wal");
    }

    #[test]
    fn a_version_1_database_with_an_upload_in_flight_is_migrated_intact() {
        let dir = tempfile::tempdir().unwrap();
        {
            let conn = Connection::open(dir.path().join("hoist.db")).unwrap();
            conn.execute_batch(MIGRATIONS[0]).unwrap();
            conn.pragma_update(None, "user_version", 1i64).unwrap();
            conn.execute_batch(
                "INSERT INTO profiles (id, name, kind, endpoint, region, bucket, path_style, \
                 prefix, created_at) VALUES ('p1', 'old', 's3', 'http://x', 'r', 'b', 1, '', 0);
                 INSERT INTO jobs (id, path, profile_id, bucket, key, state, bytes_total, batch, \
                 created_at, updated_at) VALUES (7, x'2f746d702f61', 'p1', 'b', 'a', 'running', \
                 20, 'batch', 0, 0);
                 INSERT INTO uploads VALUES (7, 'u1', 'b', 'a', 10, 20, 1, 2, 0);
                 INSERT INTO parts VALUES (7, 1, 10, 'e1', '0123456789abcdef0123456789abcdef');",
            )
            .unwrap();
        }
        let store = Store::open(dir.path()).unwrap();
        let destination = store.destination_by_name("old").unwrap().unwrap();
        assert_eq!((destination.folder, destination.builtin), (None, false));
        let job = store.job(crate::model::JobId(7)).unwrap().unwrap();
        assert_eq!(job.state, crate::model::JobState::Running);
        assert_eq!(store.upload(job.id).unwrap().unwrap().upload_id, "u1");
        let parts = store.parts(job.id).unwrap();
        assert_eq!(parts.len(), 1);
        assert_eq!(
            parts[0].md5.map(hex::encode).as_deref(),
            Some("0123456789abcdef0123456789abcdef")
        );
    }

    #[test]
    fn outcomes_of_jobs_completed_before_version_4_come_from_their_notes() {
        use crate::model::{JobId, Outcome};
        let dir = tempfile::tempdir().unwrap();
        {
            let conn = Connection::open(dir.path().join("hoist.db")).unwrap();
            for step in &MIGRATIONS[..3] {
                conn.execute_batch(step).unwrap();
            }
            conn.pragma_update(None, "user_version", 3i64).unwrap();
            conn.execute_batch(
                "INSERT INTO profiles (id, name, kind, endpoint, region, bucket, path_style, \
                 prefix, created_at) VALUES ('p1', 'old', 's3', 'http://x', 'r', 'b', 1, '', 0);",
            )
            .unwrap();
            let notes = [
                (1, "completed", Some("skipped: an identical object exists")),
                (
                    2,
                    "completed",
                    Some(
                        "skipped: a different object exists (--if-exists skip never replaces one)",
                    ),
                ),
                (3, "completed", Some("renamed to a-1.jpg")),
                (4, "completed", None),
                (5, "queued", None),
            ];
            for (id, state, note) in notes {
                conn.execute(
                    "INSERT INTO jobs (id, path, profile_id, bucket, key, state, bytes_total, \
                     batch, created_at, updated_at, note) \
                     VALUES (?1, x'2f61', 'p1', 'b', 'a', ?2, 1, 'b', 0, 0, ?3)",
                    rusqlite::params![id, state, note],
                )
                .unwrap();
            }
        }
        let store = Store::open(dir.path()).unwrap();
        let outcome = |id| store.job(JobId(id)).unwrap().unwrap().outcome;
        assert_eq!(outcome(1), Some(Outcome::SkippedIdentical));
        assert_eq!(outcome(2), Some(Outcome::SkippedExisting));
        assert_eq!(outcome(3), Some(Outcome::Renamed));
        assert_eq!(outcome(4), Some(Outcome::Uploaded));
        assert_eq!(outcome(5), None);
    }

    #[test]
    fn a_newer_schema_is_refused_with_a_clear_message() {
        let dir = tempfile::tempdir().unwrap();
        drop(Store::open(dir.path()).unwrap());
        let conn = Connection::open(dir.path().join("hoist.db")).unwrap();
        conn.pragma_update(None, "user_version", 99).unwrap();
        drop(conn);
        let err = Store::open(dir.path())
            .err()
            .expect("newer schema must be refused");
        assert!(err.message().contains("newer Hoist"), "{}", err.message());
    }
}
