//! The parts of a staged multipart upload in a folder destination: checking what Complete is
//! given against what is stored (`part-N` files and their `part-N.md5` sidecars).

use super::MAX_PART_NUMBER;
use crate::backend::{PartDigest, PartReceipt};
use crate::error::{Error, ErrorKind, Result};
use std::path::Path;

/// `checksum_mismatch` when the bytes written are not the bytes the engine digested.
pub(super) fn check_digest(
    md5: &[u8; 16],
    digest: &PartDigest,
    what: impl FnOnce() -> String,
) -> Result<()> {
    // A folder destination asks for MD5s (its ETags); a digest without one has nothing to
    // compare and the copy is checked against the MD5 it computed itself.
    match digest.md5 {
        Some(expected) if expected != *md5 => Err(Error::new(
            ErrorKind::ChecksumMismatch,
            format!(
                "{} have MD5 {}, not {}: the file changed while it was read",
                what(),
                hex::encode(md5),
                hex::encode(expected)
            ),
        )),
        _ => Ok(()),
    }
}

/// Checks that `parts` are in ascending order and each is stored with its size and ETag;
/// returns their MD5s.
pub(super) fn check_parts(dir: &Path, key: &str, parts: &[PartReceipt]) -> Result<Vec<[u8; 16]>> {
    let rejected = |message: String| Error::new(ErrorKind::Rejected, message);
    if parts.is_empty() {
        return Err(rejected(format!("cannot complete {key} without parts")));
    }
    let mut md5s = Vec::with_capacity(parts.len());
    let mut previous = 0;
    for part in parts {
        let n = part.part_number;
        if n <= previous {
            return Err(rejected(format!(
                "the parts of {key} are not in ascending order at part {n}"
            )));
        }
        previous = n;
        let size = std::fs::metadata(dir.join(format!("part-{n}")))
            .ok()
            .filter(|m| m.is_file())
            .map(|m| m.len());
        let md5 = read_sidecar(dir, n);
        let etag = crate::backend::unquote_etag(&part.etag).to_ascii_lowercase();
        match (size, md5) {
            (Some(size), Some(md5)) if size == part.size && hex::encode(md5) == etag => {
                md5s.push(md5);
            }
            // Missing or other than recorded, as S3's InvalidPart: the engine sends it again.
            (None, _) | (_, None) => {
                return Err(Error::new(
                    ErrorKind::PartLost,
                    format!("part {n} of {key} is not in the upload: upload it again"),
                ));
            }
            (Some(size), Some(md5)) => {
                return Err(Error::new(
                    ErrorKind::PartLost,
                    format!(
                        "part {n} of {key} is stored with {size} bytes and ETag {}, not {} bytes \
                     and ETag {etag}: upload it again",
                        hex::encode(md5),
                        part.size
                    ),
                ));
            }
        }
    }
    Ok(md5s)
}

/// The number of a file named exactly `part-<n>` (no leading zeros, 1..=10000).
pub(super) fn part_number(name: &str) -> Option<u32> {
    let digits = name.strip_prefix("part-")?;
    let n: u32 = digits.parse().ok()?;
    (n.to_string() == digits && (1..=MAX_PART_NUMBER).contains(&n)).then_some(n)
}

/// The MD5 stored next to part `n`, if it is there and well formed.
pub(super) fn read_sidecar(dir: &Path, n: u32) -> Option<[u8; 16]> {
    let text = std::fs::read_to_string(dir.join(format!("part-{n}.md5"))).ok()?;
    hex::decode(text.trim()).ok()?.try_into().ok()
}
