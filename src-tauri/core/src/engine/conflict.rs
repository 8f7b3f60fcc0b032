//! What an upload does when its key already holds an object (`--if-exists`), decided before any
//! byte is sent. "Identical" means the same size and the same content as far as the server's
//! ETag (or, for a local folder, the object's bytes) can tell: a single-request ETag is the MD5
//! of the bytes; a multipart ETag `X-N` is compared with the one Hoist's own plan would give this
//! file. An object whose ETag proves nothing (other part sizes, SSE-KMS) counts as different.

use super::plan::{self, PlanConfig, part_count, part_range};
use crate::backend::{Backend, is_md5_etag, is_multipart_etag, md5_range, multipart_etag};
use crate::error::{Error, ErrorKind, Result};
use crate::model::Outcome;
use crate::options::IfExists;
use std::path::Path;

/// How many `-N` names a rename tries before giving up.
const MAX_RENAMES: u32 = 1000;

/// The outcome for one file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// Send it; `replaces` says whether an object is there now.
    Upload { replaces: bool },
    /// Send nothing: `SkippedIdentical` or `SkippedExisting`.
    Skip(Outcome),
    /// Send it under this free key instead.
    Rename(String),
}

/// Decides for `key` under `mode`. Only HEADs (and, for a local folder, reads) the destination.
pub(crate) async fn decide(
    backend: &dyn Backend,
    key: &str,
    path: &Path,
    size: u64,
    mode: IfExists,
    plan: PlanConfig,
) -> Result<Decision> {
    let Some(existing) = backend.head_object(key).await? else {
        return Ok(Decision::Upload { replaces: false });
    };
    if mode == IfExists::Overwrite {
        return Ok(Decision::Upload { replaces: true });
    }
    if existing.size == size
        && same_content(backend, key, existing.etag.as_deref(), path, size, plan).await?
    {
        return Ok(Decision::Skip(Outcome::SkippedIdentical));
    }
    if mode == IfExists::Skip {
        return Ok(Decision::Skip(Outcome::SkippedExisting));
    }
    for n in 1..=MAX_RENAMES {
        let candidate = numbered(key, n);
        match backend.head_object(&candidate).await? {
            None => return Ok(Decision::Rename(candidate)),
            Some(other)
                if other.size == size
                    && same_content(
                        backend,
                        &candidate,
                        other.etag.as_deref(),
                        path,
                        size,
                        plan,
                    )
                    .await? =>
            {
                return Ok(Decision::Skip(Outcome::SkippedIdentical));
            }
            Some(_) => {}
        }
    }
    Err(Error::new(
        ErrorKind::Rejected,
        format!(
            "{key} and {MAX_RENAMES} numbered names beside it are taken: choose another prefix"
        ),
    ))
}

/// `dir/photo.jpg` -> `dir/photo-1.jpg`; `archive.tar.gz` -> `archive-1.tar.gz`; `.bashrc` ->
/// `.bashrc-1`.
pub(crate) fn numbered(key: &str, n: u32) -> String {
    let (dir, name) = match key.rfind('/') {
        Some(i) => key.split_at(i + 1),
        None => ("", key),
    };
    let stem_end = name
        .char_indices()
        .skip(1)
        .find(|(_, c)| *c == '.')
        .map_or(name.len(), |(i, _)| i);
    format!("{dir}{}-{n}{}", &name[..stem_end], &name[stem_end..])
}

async fn same_content(
    backend: &dyn Backend,
    key: &str,
    etag: Option<&str>,
    path: &Path,
    size: u64,
    plan_config: PlanConfig,
) -> Result<bool> {
    let etag = match etag {
        Some(etag) => etag.to_ascii_lowercase(),
        None => {
            let Some(theirs) = backend.object_md5(key).await? else {
                return Ok(false);
            };
            return Ok(md5_range(path, 0, size).await? == theirs);
        }
    };
    if is_md5_etag(&etag) {
        return Ok(hex::encode(md5_range(path, 0, size).await?) == etag);
    }
    if !is_multipart_etag(&etag) {
        return Ok(false);
    }
    let part_size = match plan::plan(size, plan_config)? {
        plan::Plan::Multipart { part_size } => part_size,
        plan::Plan::Single => plan_config.part_size.max(plan::MIN_PART_SIZE),
    };
    let parts = part_count(size, part_size);
    if !etag.ends_with(&format!("-{parts}")) {
        return Ok(false);
    }
    let mut md5s = Vec::with_capacity(parts as usize);
    for number in 1..=parts {
        let (offset, length) = part_range(size, part_size, number);
        md5s.push(md5_range(path, offset, length).await?);
    }
    Ok(multipart_etag(&md5s) == etag)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbered_names_go_before_the_extensions() {
        assert_eq!(numbered("dir/photo.jpg", 1), "dir/photo-1.jpg");
        assert_eq!(numbered("archive.tar.gz", 2), "archive-2.tar.gz");
        assert_eq!(numbered("a.b/README", 3), "a.b/README-3");
        assert_eq!(numbered(".bashrc", 1), ".bashrc-1");
    }
}
