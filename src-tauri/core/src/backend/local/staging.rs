//! Writing into the staging folder: a body streamed into a synced temp file (with the
//! source's permission bits, metered and throttled), and a part put in place beside its MD5
//! sidecar (see the module docs of [`super`] for the order that keeps a listed part honest).

use super::Dirs;
use super::fsops::{self, PumpError, TempFile, write_error};
use super::parts::check_digest;
use crate::backend::{PartBody, PartDigest};
use crate::error::Result;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};

/// Streams `body` into a new temp file `<dir>/<prefix><random>`, synced; returns it with the
/// MD5 of the bytes written. Progress restarts at 0.
pub(super) fn copy_body(
    dirs: &Dirs,
    dir: &Path,
    prefix: &str,
    body: &PartBody,
    cancelled: &AtomicBool,
) -> Result<(TempFile, [u8; 16])> {
    let root = &dirs.root;
    body.progress.store(0, Ordering::Relaxed);
    let mut src = fsops::open_source(&body.path, body.offset)?;
    let mode = src
        .metadata()
        .map_err(|e| crate::error::file_error(&body.path, e))?
        .permissions()
        .mode();
    let mut temp = TempFile::create(root, dir, prefix)?;
    // The copy may be read by no more people than the file it copies.
    temp.set_mode(root, mode)?;
    let meter = fsops::Meter {
        progress: Some(body.progress.as_ref()),
        throttle: dirs.throttles.as_ref().map(|t| &*t.upload),
    };
    let md5 = match fsops::pump(&mut src, &mut temp.file, body.length, meter, cancelled) {
        Ok(md5) => md5,
        Err(PumpError::Read(e)) => return Err(crate::error::file_error(&body.path, e)),
        Err(PumpError::Write(e)) => return Err(write_error(root, &temp.path, e)),
        Err(PumpError::Short) => return Err(fsops::source_shrank(&body.path)),
        Err(PumpError::Cancelled) => return Err(fsops::cancelled()),
    };
    temp.sync(root)?;
    Ok((temp, md5))
}

/// Writes part `n` of the upload in `dir` from `body`; returns the MD5 of its bytes.
pub(super) fn write_part(
    dirs: &Dirs,
    dir: &Path,
    n: u32,
    body: &PartBody,
    digest: &PartDigest,
    cancelled: &AtomicBool,
) -> Result<[u8; 16]> {
    let name = format!("part-{n}");
    let root = &dirs.root;
    let (temp, md5) = copy_body(dirs, dir, &format!("{name}.tmp-"), body, cancelled)?;
    check_digest(&md5, digest, || "the bytes written".to_string())?;
    let part = dir.join(&name);
    // The sidecar changes only while no part file exists (see the module docs).
    fsops::remove_if_present(root, &part)?;
    fsops::write_small(
        root,
        &dir.join(format!("{name}.md5")),
        hex::encode(md5).as_bytes(),
    )?;
    temp.persist(root, &part)?;
    fsops::sync_dir(dir);
    Ok(md5)
}
