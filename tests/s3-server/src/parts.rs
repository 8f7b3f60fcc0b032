//! Parts of stored objects as GetObject and HeadObject answer them with `partNumber`, and the
//! checksums they give with `x-amz-checksum-mode: ENABLED`.

use crate::files::{base64_encode, parse_crc32c};
use crate::storage::{StoredObject, StoredPart};
use s3s::dto;
use s3s::{S3Result, s3_error};

impl StoredObject {
    /// The byte range of part `number` (from 1), or `None` past the last part. An object put in
    /// one request has one part, the whole object, as on AWS.
    pub fn part_range(&self, number: u32) -> Option<std::ops::Range<u64>> {
        if self.parts.is_empty() {
            return (number == 1).then_some(0..self.size);
        }
        let index = usize::try_from(number).ok()?.checked_sub(1)?;
        let start: u64 = self.parts.iter().take(index).map(|(size, _)| size).sum();
        let (size, _) = self.parts.get(index)?;
        Some(start..start + size)
    }

    pub fn parts_count(&self) -> u32 {
        u32::try_from(self.parts.len().max(1)).unwrap_or(u32::MAX)
    }
}

/// The byte range of part `number` (`partNumber`), as AWS answers it: 1 of an object put in
/// one request is the whole object, a number past the last part is refused (416, as AWS's
/// `InvalidPartNumber`).
pub(crate) fn part_of(object: &StoredObject, number: i32) -> S3Result<std::ops::Range<u64>> {
    u32::try_from(number)
        .ok()
        .and_then(|n| object.part_range(n))
        .ok_or_else(|| s3_error!(InvalidRange, "The requested partnumber is not satisfiable"))
}

/// The CRC32C an answer carries with `x-amz-checksum-mode: ENABLED`: a part's own when a part
/// was asked for, else the whole object's (one put in one request with a checksum, or the
/// composite `<base64>-N` of an upload whose parts all carried one, as AWS and Garage keep it);
/// none without checksum mode.
pub(crate) fn checksum_of(
    object: &StoredObject,
    part: Option<i32>,
    mode: Option<&dto::ChecksumMode>,
) -> Option<String> {
    if mode.is_none_or(|m| m.as_str() != dto::ChecksumMode::ENABLED) {
        return None;
    }
    match part {
        Some(n) if !object.parts.is_empty() => usize::try_from(n)
            .ok()
            .and_then(|n| object.parts.get(n.checked_sub(1)?))
            .and_then(|(_, crc)| crc.clone()),
        _ => object.crc32c.clone(),
    }
}

/// The composite checksum of an upload completed from `parts`: the CRC32C of their CRC32Cs'
/// big-endian bytes, a dash and the count; `None` unless every part carried one.
pub(crate) fn composite_crc32c(parts: &[StoredPart]) -> Option<String> {
    let mut joined = Vec::with_capacity(parts.len() * 4);
    for part in parts {
        joined.extend_from_slice(&parse_crc32c(part.crc32c.as_deref()?).ok()?.to_be_bytes());
    }
    Some(format!(
        "{}-{}",
        base64_encode(&crc32c::crc32c(&joined).to_be_bytes()),
        parts.len()
    ))
}

/// Complete's list of parts: `(number, ETag)` each, and the CRC32C each names, if any.
pub(crate) type ListedParts = (Vec<(u32, String)>, Vec<Option<String>>);

pub(crate) fn listed_parts(upload: Option<dto::CompletedMultipartUpload>) -> S3Result<ListedParts> {
    let given = upload.and_then(|m| m.parts).unwrap_or_default();
    let crcs = given.iter().map(|p| p.checksum_crc32c.clone()).collect();
    let listed = given
        .into_iter()
        .map(
            |p| match (p.part_number.and_then(|n| u32::try_from(n).ok()), p.e_tag) {
                (Some(n), Some(tag)) => Ok((n, tag.into_value())),
                _ => Err(s3_error!(
                    MalformedXML,
                    "Each part needs a PartNumber and an ETag"
                )),
            },
        )
        .collect::<S3Result<Vec<_>>>()?;
    Ok((listed, crcs))
}

/// Complete's list may name each part's CRC32C: one that is not the stored part's is refused,
/// as AWS refuses it (InvalidPart).
pub(crate) fn check_listed_checksums(
    chosen: &[StoredPart],
    listed: &[Option<String>],
) -> S3Result<()> {
    for (part, crc) in chosen.iter().zip(listed) {
        if let Some(crc) = crc
            && part.crc32c.as_deref() != Some(crc.as_str())
        {
            return Err(s3_error!(
                InvalidPart,
                "One or more of the specified parts could not be found: the checksum listed does not match the part's"
            ));
        }
    }
    Ok(())
}

pub(crate) fn size_i32(n: u32) -> i32 {
    i32::try_from(n).unwrap_or(i32::MAX)
}
