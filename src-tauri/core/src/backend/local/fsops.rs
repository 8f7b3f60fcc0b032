//! Blocking file work for the folder backend: streaming copies that hash and count as they go,
//! temp files that remove themselves unless kept, directory syncs, and the mapping of
//! destination I/O errors to [`ErrorKind`]s. Everything here runs inside `spawn_blocking`.

use crate::error::{Error, ErrorKind, Result, file_error};
use crate::throttle::Throttle;
use md5::{Digest, Md5};
use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

/// Copy chunk size.
const CHUNK: usize = 256 * 1024;

/// Runs `work` on the blocking pool. Dropping the returned future (a paused or cancelled job)
/// raises the flag `work` receives, so a long copy stops at its next chunk instead of running
/// on unseen; its temp file is then removed by [`TempFile`].
pub(super) async fn blocking<T, F>(work: F) -> Result<T>
where
    T: Send + 'static,
    F: FnOnce(&AtomicBool) -> Result<T> + Send + 'static,
{
    struct RaiseOnDrop(Arc<AtomicBool>);
    impl Drop for RaiseOnDrop {
        fn drop(&mut self) {
            self.0.store(true, Ordering::Relaxed);
        }
    }
    let flag = Arc::new(AtomicBool::new(false));
    let _raise = RaiseOnDrop(Arc::clone(&flag));
    tokio::task::spawn_blocking(move || work(&flag))
        .await
        .map_err(|e| {
            Error::new(
                ErrorKind::Local,
                format!("a file operation stopped unexpectedly: {e}"),
            )
        })?
}

/// Why a [`pump`] stopped early.
pub(super) enum PumpError {
    Read(io::Error),
    Write(io::Error),
    /// The source ended before `length` bytes.
    Short,
    Cancelled,
}

/// What a [`pump`] reports to and is paced by.
#[derive(Default, Clone, Copy)]
pub(super) struct Meter<'a> {
    /// Bytes written so far are added here.
    pub progress: Option<&'a AtomicU64>,
    /// The bandwidth limit a body's bytes are written under.
    pub throttle: Option<&'a Throttle>,
}

/// Copies exactly `length` bytes from `src` to `dst` in 256 KiB chunks, returning their MD5 and
/// adding each written chunk to the meter's progress. Under a bandwidth limit each chunk is
/// written in throttle-sized slices, each after its reserved wait, checking `cancelled` between.
pub(super) fn pump(
    src: &mut impl Read,
    dst: &mut impl Write,
    length: u64,
    meter: Meter<'_>,
    cancelled: &AtomicBool,
) -> Result<[u8; 16], PumpError> {
    let mut hasher = Md5::new();
    let mut buf = vec![0u8; CHUNK.min(usize::try_from(length).unwrap_or(CHUNK)).max(1)];
    let mut remaining = length;
    while remaining > 0 {
        if cancelled.load(Ordering::Relaxed) {
            return Err(PumpError::Cancelled);
        }
        let want = usize::try_from(remaining).map_or(buf.len(), |r| r.min(buf.len()));
        let n = match src.read(&mut buf[..want]) {
            Ok(0) => return Err(PumpError::Short),
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(PumpError::Read(e)),
        };
        hasher.update(&buf[..n]);
        for slice in buf[..n].chunks(meter.throttle.map_or(n, Throttle::slice)) {
            if let Some(throttle) = meter.throttle {
                std::thread::sleep(throttle.reserve(slice.len()));
                if cancelled.load(Ordering::Relaxed) {
                    return Err(PumpError::Cancelled);
                }
            }
            dst.write_all(slice).map_err(PumpError::Write)?;
            if let Some(progress) = meter.progress {
                progress.fetch_add(slice.len() as u64, Ordering::Relaxed);
            }
        }
        remaining -= n as u64;
    }
    Ok(hasher.finalize().into())
}

/// Opens the source file of a body at `offset`.
pub(super) fn open_source(path: &Path, offset: u64) -> Result<File> {
    let mut file = File::open(path).map_err(|e| file_error(path, e))?;
    file.seek(SeekFrom::Start(offset))
        .map_err(|e| file_error(path, e))?;
    Ok(file)
}

/// The error of a source that ended before its range did.
pub(super) fn source_shrank(path: &Path) -> Error {
    Error::new(
        ErrorKind::FileChanged,
        format!(
            "{} became shorter while it was being uploaded",
            path.display()
        ),
    )
}

/// The error of a copy whose caller went away (never seen by the engine, which dropped it).
pub(super) fn cancelled() -> Error {
    Error::new(ErrorKind::Interrupted, "the copy was cancelled")
}

/// A file being written that is removed on drop unless [`TempFile::keep`] was called, so a
/// failed or cancelled write leaves nothing behind (a crash still can: see the module docs).
pub(super) struct TempFile {
    pub(super) path: PathBuf,
    pub(super) file: File,
    kept: bool,
}

impl TempFile {
    /// Creates `<dir>/<prefix><random>`, failing rather than reusing an existing file.
    pub(super) fn create(root: &Path, dir: &Path, prefix: &str) -> Result<TempFile> {
        let path = dir.join(format!("{prefix}{:016x}", rand::random::<u64>()));
        // Private until it gets its source's mode (see `copy_mode`).
        let file = File::options()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&path)
            .map_err(|e| write_error(root, &path, e))?;
        Ok(TempFile {
            path,
            file,
            kept: false,
        })
    }

    /// Gives the file `mode`'s permission bits (no set-id or sticky bits).
    pub(super) fn set_mode(&self, root: &Path, mode: u32) -> Result<()> {
        self.file
            .set_permissions(std::fs::Permissions::from_mode(mode & 0o777))
            .map_err(|e| write_error(root, &self.path, e))
    }

    /// Flushes the contents to the disk.
    pub(super) fn sync(&self, root: &Path) -> Result<()> {
        self.file
            .sync_all()
            .map_err(|e| write_error(root, &self.path, e))
    }

    /// Renames the file onto `target` (atomically replacing it) and keeps it.
    pub(super) fn persist(mut self, root: &Path, target: &Path) -> Result<()> {
        std::fs::rename(&self.path, target).map_err(|e| write_error(root, target, e))?;
        self.kept = true;
        Ok(())
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        if !self.kept {
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

/// Writes `contents` to `target` through a synced temp file in the same folder and a rename.
pub(super) fn write_small(root: &Path, target: &Path, contents: &[u8]) -> Result<()> {
    let dir = target.parent().unwrap_or(root);
    let mut temp = TempFile::create(root, dir, ".tmp-")?;
    temp.file
        .write_all(contents)
        .map_err(|e| write_error(root, &temp.path, e))?;
    temp.sync(root)?;
    temp.persist(root, target)
}

/// Creates `dir` and its missing parents.
pub(super) fn make_dirs(root: &Path, dir: &Path) -> Result<()> {
    std::fs::create_dir_all(dir).map_err(|e| write_error(root, dir, e))
}

/// Makes the folders an object goes into, readable by others as folders usually are (0755),
/// whatever the process's umask (Hoist's is 077, for its own files): a shared destination stays
/// browsable, while each file keeps its source's mode. Folders that exist are left as they are.
pub(super) fn make_object_dirs(root: &Path, dir: &Path) -> Result<()> {
    let missing: Vec<&Path> = dir
        .ancestors()
        .take_while(|d| *d != root && !d.exists())
        .collect();
    make_dirs(root, dir)?;
    for created in missing {
        std::fs::set_permissions(created, std::fs::Permissions::from_mode(0o755))
            .map_err(|e| write_error(root, created, e))?;
    }
    Ok(())
}

/// Makes a rename or a new entry in `dir` durable. Best effort: some network filesystems refuse
/// to sync a folder, and the data itself was already synced.
pub(super) fn sync_dir(dir: &Path) {
    #[cfg(unix)]
    if let Err(e) = File::open(dir).and_then(|d| d.sync_all()) {
        tracing::debug!(dir = %dir.display(), error = %e, "cannot sync folder");
    }
    #[cfg(not(unix))]
    let _ = dir;
}

/// Removes a file; one that is already gone is fine.
pub(super) fn remove_if_present(root: &Path, path: &Path) -> Result<()> {
    match std::fs::remove_file(path) {
        Err(e) if e.kind() != io::ErrorKind::NotFound => Err(write_error(root, path, e)),
        _ => Ok(()),
    }
}

/// Maps an I/O error on `path` inside the destination folder `root` to a kind and a message
/// that names the folder and the fix.
pub(super) fn write_error(root: &Path, path: &Path, e: io::Error) -> Error {
    use io::ErrorKind as Io;
    let folder = path.parent().unwrap_or(root).display();
    let (kind, message) = match e.kind() {
        Io::StorageFull | Io::QuotaExceeded => (
            ErrorKind::Local,
            format!(
                "the destination disk is full: free space on {}",
                root.display()
            ),
        ),
        Io::FileTooLarge => (
            ErrorKind::Local,
            format!(
                "the disk of {} cannot hold a file this large (FAT32 stops at 4 GiB): \
                 choose a folder on another disk",
                root.display()
            ),
        ),
        Io::PermissionDenied | Io::ReadOnlyFilesystem => (
            ErrorKind::AccessDenied,
            format!(
                "no permission to write in the folder {folder} (or it is on a read-only \
                 disk): make it writable for your user or choose another destination folder"
            ),
        ),
        Io::NotADirectory | Io::IsADirectory | Io::DirectoryNotEmpty | Io::AlreadyExists => (
            ErrorKind::Rejected,
            format!(
                "cannot write {}: a file and a folder of the same name are in the way; \
                 rename or remove one of them",
                path.display()
            ),
        ),
        Io::InvalidFilename => (
            ErrorKind::InvalidInput,
            format!(
                "the disk of {} does not accept the name {} (too long, or characters it \
                 refuses): rename the file",
                root.display(),
                path.display()
            ),
        ),
        _ => (
            ErrorKind::Local,
            format!("cannot write {}: {e}", path.display()),
        ),
    };
    Error::new(kind, message).with_source(e)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kind_and_message(e: io::ErrorKind) -> (ErrorKind, String) {
        let err = write_error(Path::new("/mnt/nas"), Path::new("/mnt/nas/a/b"), e.into());
        (err.kind(), err.message().to_string())
    }

    #[test]
    fn destination_errors_name_the_folder_and_the_fix() {
        let (kind, message) = kind_and_message(io::ErrorKind::StorageFull);
        assert_eq!(kind, ErrorKind::Local);
        assert_eq!(
            message,
            "the destination disk is full: free space on /mnt/nas"
        );
        let (kind, message) = kind_and_message(io::ErrorKind::PermissionDenied);
        assert_eq!(kind, ErrorKind::AccessDenied);
        assert!(message.contains("folder /mnt/nas/a "), "{message}");
        let (kind, _) = kind_and_message(io::ErrorKind::ReadOnlyFilesystem);
        assert_eq!(kind, ErrorKind::AccessDenied);
        let (kind, _) = kind_and_message(io::ErrorKind::NotADirectory);
        assert_eq!(kind, ErrorKind::Rejected);
        let (kind, message) = kind_and_message(io::ErrorKind::Other);
        assert_eq!(kind, ErrorKind::Local);
        assert!(message.contains("/mnt/nas/a/b"), "{message}");
    }

    #[test]
    fn pump_copies_hashes_counts_and_stops() {
        let src = vec![5u8; 600 * 1024];
        let (mut out, progress) = (Vec::new(), AtomicU64::new(0));
        let md5 = pump(
            &mut &src[..],
            &mut out,
            600 * 1024,
            Meter {
                progress: Some(&progress),
                throttle: None,
            },
            &AtomicBool::new(false),
        );
        assert_eq!(md5.ok(), Some(<[u8; 16]>::from(Md5::digest(&src))));
        assert_eq!((out, progress.into_inner()), (src.clone(), 600 * 1024));
        let short = pump(
            &mut &src[..10],
            &mut Vec::new(),
            11,
            Meter::default(),
            &AtomicBool::new(false),
        );
        assert!(matches!(short, Err(PumpError::Short)));
        let stopped = pump(
            &mut &src[..],
            &mut Vec::new(),
            10,
            Meter::default(),
            &AtomicBool::new(true),
        );
        assert!(matches!(stopped, Err(PumpError::Cancelled)));
    }
}
