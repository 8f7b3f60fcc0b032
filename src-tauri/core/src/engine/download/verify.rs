//! What a finished download is checked against, from the digests recorded with its spans (so
//! the file is not read again, but for a single-part object fetched in several ranges, whose one
//! MD5 needs the bytes in order):
//!
//! - always: the spans tile the object exactly, and the file has the object's size;
//! - a multipart object fetched by part: its ETag, the MD5 of the parts' MD5s (`multipart-etag`);
//! - an object whose ETag is an MD5 (a single PUT; a folder's MD5): that MD5 (`md5`);
//! - a whole-object checksum the server keeps: the spans' CRCs combined (`crc32c`, ...);
//! - a composite checksum (a multipart upload's, `<base64>-N`) of an object fetched by its
//!   parts: the checksum of the parts' CRCs in order (`crc32c`, ...);
//! - every span's own checksum, which the backend compared as it arrived (`crc32c`, ...).
//!
//! The cheapest check that covers every byte is the one computed: where the server keeps a CRC
//! that the spans can be checked against (full, or composite of the parts fetched), no MD5 is
//! computed at all (CRC32C runs at memory speed, MD5 at ~600 MB/s a core); the ETag's MD5 is the
//! check only of objects that carry no such checksum.
//!
//! What passed is named, joined with `+`; an object that gave nothing to check (an SSE-KMS
//! object's ETag is no MD5; a multipart object from a server that ignores `partNumber`) is
//! `size-only`, and says so.

use crate::backend::{is_md5_etag, md5_range, multipart_etag};
use crate::digest::{Checksum, ChecksumAlgorithm, FetchReceipt, ObjectChecksum};
use crate::error::Result;
use crate::store::{DownloadRow, SpanRow};

/// The digests each span's bytes need as they arrive.
pub(super) struct Wants {
    pub md5: bool,
    pub crc: Option<ChecksumAlgorithm>,
}

/// Whether the server keeps a CRC the spans of `row` can be checked against.
fn crc_covers_every_byte(row: &DownloadRow) -> bool {
    match row.checksum {
        Some(ObjectChecksum::Full(_)) => true,
        Some(ObjectChecksum::Composite { parts, .. }) => row.parts == Some(parts),
        None => false,
    }
}

pub(super) fn wants(row: &DownloadRow) -> Wants {
    Wants {
        md5: !crc_covers_every_byte(row)
            && (row.parts.is_some() || (is_md5_etag(&row.etag) && row.span_count() == 1)),
        crc: row.checksum.map(|c| c.algorithm()),
    }
}

pub(super) enum Verdict {
    /// How the bytes were checked (`multipart-etag+crc32c`, `size-only`, ...).
    Verified(String),
    /// What did not match, for people.
    Mismatch(String),
}

/// Checks the fetched spans of `row` (all of them) against the object.
pub(super) async fn verify(row: &DownloadRow, spans: &[SpanRow]) -> Result<Verdict> {
    let mut placed: Vec<&FetchReceipt> = spans.iter().map(|s| &s.receipt).collect();
    placed.sort_by_key(|r| r.offset);
    if let Some(what) = gap(row, spans.len() as u64, &placed) {
        return Ok(Verdict::Mismatch(what));
    }
    let on_disk = tokio::fs::metadata(&row.partial)
        .await
        .map_err(|e| crate::error::file_error(&row.partial, e))?
        .len();
    if on_disk != row.size {
        return Ok(Verdict::Mismatch(format!(
            "the file has {on_disk} bytes, the object {}",
            row.size
        )));
    }
    let mut checks: Vec<&'static str> = Vec::new();
    if row.parts.is_some() {
        let md5s: Option<Vec<[u8; 16]>> = spans.iter().map(|s| s.receipt.md5).collect();
        if let Some(md5s) = md5s {
            let computed = multipart_etag(&md5s);
            if computed != row.etag {
                return Ok(Verdict::Mismatch(format!(
                    "the parts' MD5s give the ETag {computed}, the object's is {}",
                    row.etag
                )));
            }
            checks.push("multipart-etag");
        }
    } else if is_md5_etag(&row.etag) {
        let streamed = match spans {
            [one] => one.receipt.md5,
            _ => None,
        };
        let md5 = match streamed {
            Some(md5) => Some(md5),
            // Nothing else covered the bytes of a single-part object fetched in ranges: its
            // one MD5 needs them in order, so they are read once more.
            None if !crc_covers_every_byte(row) => {
                Some(md5_range(&row.partial, 0, row.size).await?)
            }
            None => None,
        };
        if let Some(md5) = md5 {
            let md5 = hex::encode(md5);
            if md5 != row.etag {
                return Ok(Verdict::Mismatch(format!(
                    "the bytes' MD5 {md5} is not the object's ETag {}",
                    row.etag
                )));
            }
            checks.push("md5");
        }
    }
    match row.checksum {
        Some(ObjectChecksum::Full(expected)) => {
            let combined =
                placed
                    .iter()
                    .try_fold(Checksum::empty(expected.algorithm), |whole, r| {
                        r.crc
                            .filter(|c| c.algorithm == expected.algorithm)
                            .map(|c| whole.then(c, r.length))
                    });
            if let Some(combined) = combined {
                if combined != expected {
                    return Ok(Verdict::Mismatch(format!(
                        "the bytes have {combined}, the object's checksum is {}",
                        expected.header_value()
                    )));
                }
                checks.push(expected.algorithm.name());
            }
        }
        Some(expected @ ObjectChecksum::Composite { parts, .. }) if row.parts == Some(parts) => {
            let crcs: Option<Vec<Checksum>> = placed.iter().map(|r| r.crc).collect();
            if let Some(computed) = crcs.as_deref().and_then(ObjectChecksum::of_parts) {
                if computed != expected {
                    return Ok(Verdict::Mismatch(format!(
                        "the parts' checksums give {}, the object's is {}",
                        computed.header_value(),
                        expected.header_value()
                    )));
                }
                checks.push(expected.algorithm().name());
            }
        }
        _ => {}
    }
    // Each span's own checksum, compared as it arrived: named when every span had one.
    if let Some(first) = spans.first().and_then(|s| s.receipt.checked)
        && spans.iter().all(|s| {
            s.receipt
                .checked
                .is_some_and(|c| c.algorithm == first.algorithm)
        })
        && !checks.contains(&first.algorithm.name())
    {
        checks.push(first.algorithm.name());
    }
    Ok(Verdict::Verified(if checks.is_empty() {
        "size-only".to_string()
    } else {
        checks.join("+")
    }))
}

/// Where the spans fail to cover the object exactly once, if they do.
fn gap(row: &DownloadRow, count: u64, placed: &[&FetchReceipt]) -> Option<String> {
    if count != row.span_count() {
        return Some(format!(
            "{count} of the object's {} parts were fetched",
            row.span_count()
        ));
    }
    let mut end = 0u64;
    for r in placed {
        if r.offset != end {
            return Some(format!(
                "the parts the server gave do not cover the object: a gap or an overlap at byte {end}"
            ));
        }
        end += r.length;
    }
    (end != row.size).then(|| {
        format!(
            "the parts the server gave cover {end} bytes of an object of {}",
            row.size
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use md5::{Digest, Md5};

    fn receipt(offset: u64, bytes: &[u8]) -> FetchReceipt {
        let mut crc = crate::digest::StreamDigest::new(true, Some(ChecksumAlgorithm::Crc32c), None);
        crc.update(bytes);
        crc.finish(offset, bytes.len() as u64, "span").unwrap()
    }

    fn row(partial: &std::path::Path, etag: String, size: u64, parts: Option<u32>) -> DownloadRow {
        DownloadRow {
            etag,
            size,
            modified: None,
            range_size: 4,
            parts,
            checksum: None,
            partial: partial.to_path_buf(),
        }
    }

    #[tokio::test]
    async fn unequal_parts_check_their_multipart_etag_and_a_flipped_byte_is_a_mismatch() {
        let dir = tempfile::tempdir().unwrap();
        let partial = dir.path().join("p");
        std::fs::write(&partial, b"aaaaabbc").unwrap();
        let md5 = |b: &[u8]| -> [u8; 16] { Md5::digest(b).into() };
        let etag = multipart_etag(&[md5(b"aaaaa"), md5(b"bb"), md5(b"c")]);
        let spans = |middle: &[u8]| {
            vec![
                SpanRow {
                    number: 0,
                    receipt: receipt(0, b"aaaaa"),
                },
                SpanRow {
                    number: 1,
                    receipt: receipt(5, middle),
                },
                SpanRow {
                    number: 2,
                    receipt: receipt(7, b"c"),
                },
            ]
        };
        let good = row(&partial, etag.clone(), 8, Some(3));
        match verify(&good, &spans(b"bb")).await.unwrap() {
            Verdict::Verified(how) => assert_eq!(how, "multipart-etag"),
            Verdict::Mismatch(what) => panic!("{what}"),
        }
        match verify(&good, &spans(b"bc")).await.unwrap() {
            Verdict::Mismatch(what) => assert!(what.contains(&etag), "{what}"),
            Verdict::Verified(how) => panic!("a flipped byte passed as {how}"),
        }
        let mut checked = good.clone();
        checked.checksum = receipt(0, b"aaaaabbc").crc.map(ObjectChecksum::Full);
        match verify(&checked, &spans(b"bb")).await.unwrap() {
            Verdict::Verified(how) => assert_eq!(how, "multipart-etag+crc32c"),
            Verdict::Mismatch(what) => panic!("{what}"),
        }
    }

    #[tokio::test]
    async fn spans_that_overlap_or_leave_a_gap_never_pass() {
        let dir = tempfile::tempdir().unwrap();
        let partial = dir.path().join("p");
        std::fs::write(&partial, b"aaaabbbb").unwrap();
        let md5 = |b: &[u8]| -> [u8; 16] { Md5::digest(b).into() };
        let etag = multipart_etag(&[md5(b"aaaa"), md5(b"aaaa")]);
        let overlapping = [
            SpanRow {
                number: 0,
                receipt: receipt(0, b"aaaa"),
            },
            SpanRow {
                number: 1,
                receipt: receipt(0, b"aaaa"),
            },
        ];
        assert!(matches!(
            verify(&row(&partial, etag, 8, Some(2)), &overlapping)
                .await
                .unwrap(),
            Verdict::Mismatch(_)
        ));
    }

    #[tokio::test]
    async fn an_object_with_nothing_to_check_says_size_only_and_md5_objects_say_md5() {
        let dir = tempfile::tempdir().unwrap();
        let partial = dir.path().join("p");
        std::fs::write(&partial, b"aaaabbbb").unwrap();
        let spans = [
            SpanRow {
                number: 0,
                receipt: receipt(0, b"aaaa"),
            },
            SpanRow {
                number: 1,
                receipt: receipt(4, b"bbbb"),
            },
        ];
        let kms = row(&partial, "not-an-md5".into(), 8, None);
        assert!(
            matches!(verify(&kms, &spans).await.unwrap(), Verdict::Verified(h) if h == "size-only")
        );
        let single = row(&partial, hex::encode(Md5::digest(b"aaaabbbb")), 8, None);
        assert!(
            matches!(verify(&single, &spans).await.unwrap(), Verdict::Verified(h) if h == "md5")
        );
        std::fs::write(&partial, b"aaaabbbc").unwrap();
        assert!(matches!(
            verify(&single, &spans).await.unwrap(),
            Verdict::Mismatch(_)
        ));
    }
}
