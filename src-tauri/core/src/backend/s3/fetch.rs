//! Downloading a span of an object into a local file: GetObject with `Range` or `partNumber`,
//! and If-Match. Streamed: each chunk is digested (MD5 and CRCs as the engine asked) and
//! written at its offset as it arrives, so memory stays flat and no byte is read twice. A part
//! answer says where it lies (`Content-Range`); one that lies outside the object, or a body of
//! another length than announced, is an error. A server that ignores `Range` and answers 200
//! with the whole body is handled by skipping to the range. With checksums asked for, the
//! request carries `x-amz-checksum-mode: ENABLED` (set before signing, so the SDK does not
//! validate on its own) and a checksum the answer carries for exactly its bytes is compared
//! here. Under a download limit each chunk waits for its airtime before it is written, so the
//! socket is read no faster than the limit and TCP slows the server down.

use super::S3Backend;
use super::span_file::SpanFile;
use crate::backend::fetch::{
    Checksum, ChecksumAlgorithm, FetchReceipt, FetchRequest, ObjectChecksum, PartHead, Span,
    StreamDigest,
};
use crate::error::{Error, ErrorKind, Result};
use aws_sdk_s3::types::ChecksumType;
use std::sync::atomic::Ordering;

const CHECKSUM_MODE: &str = "x-amz-checksum-mode";

/// The full checksum among an answer's `x-amz-checksum-*` values (composites are dropped).
fn full_checksum(
    crc32c: Option<&str>,
    crc32: Option<&str>,
    crc64nvme: Option<&str>,
) -> Option<Checksum> {
    [
        (ChecksumAlgorithm::Crc32c, crc32c),
        (ChecksumAlgorithm::Crc32, crc32),
        (ChecksumAlgorithm::Crc64Nvme, crc64nvme),
    ]
    .into_iter()
    .find_map(|(algorithm, value)| Checksum::parse(algorithm, value?))
}

/// The object's checksum among a whole-object answer's `x-amz-checksum-*` values, full or
/// composite.
fn object_checksum(
    crc32c: Option<&str>,
    crc32: Option<&str>,
    crc64nvme: Option<&str>,
) -> Option<ObjectChecksum> {
    [
        (ChecksumAlgorithm::Crc32c, crc32c),
        (ChecksumAlgorithm::Crc32, crc32),
        (ChecksumAlgorithm::Crc64Nvme, crc64nvme),
    ]
    .into_iter()
    .find_map(|(algorithm, value)| ObjectChecksum::parse(algorithm, value?))
}

/// `(start, length, total)` of a `Content-Range: bytes a-b/total` value.
fn parse_content_range(value: &str) -> Option<(u64, u64, u64)> {
    let (span, total) = value.trim().strip_prefix("bytes ")?.split_once('/')?;
    let (a, b) = span.split_once('-')?;
    let (a, b) = (a.parse::<u64>().ok()?, b.parse::<u64>().ok()?);
    let total = total.parse().ok()?;
    (b >= a).then(|| (a, b - a + 1, total))
}

impl S3Backend {
    pub(super) async fn fetch_span(
        &self,
        key: &str,
        fetch: &FetchRequest<'_>,
    ) -> Result<FetchReceipt> {
        fetch.progress.store(0, Ordering::Relaxed);
        let mut request = self
            .client
            .get_object()
            .bucket(&self.bucket)
            .key(key)
            .set_if_match(fetch.if_match.map(|etag| format!("\"{etag}\"")));
        match fetch.span {
            Span::Range { offset, length } if length > 0 => {
                request = request.range(format!("bytes={offset}-{}", offset + length - 1));
            }
            Span::Range { .. } => {}
            Span::Part(number) => {
                request = request.part_number(i32::try_from(number).unwrap_or(i32::MAX));
            }
        }
        let mut customized = request.customize();
        if self.checksum_mode {
            customized = customized.mutate_request(|r| {
                r.headers_mut().insert(CHECKSUM_MODE, "ENABLED");
            });
        }
        let out = self
            .send("GetObject", self.options.answer_timeout, customized.send())
            .await?;
        let announced = out.content_length().and_then(|n| u64::try_from(n).ok());
        let content_range = out.content_range().and_then(parse_content_range);
        let (offset, length, skip) = self.place(fetch, announced, content_range)?;
        let what = match fetch.span {
            Span::Part(n) => format!(
                "part {n} (bytes {offset}-{}) of {key}",
                (offset + length).saturating_sub(1)
            ),
            Span::Range { .. } => format!(
                "bytes {offset}-{} of {key}",
                (offset + length).saturating_sub(1)
            ),
        };
        // A checksum the server keeps for exactly these bytes: a part's own (a composite
        // object's), or the whole object's when the whole object came.
        let server = full_checksum(
            out.checksum_crc32_c(),
            out.checksum_crc32(),
            out.checksum_crc64_nvme(),
        )
        .filter(|_| self.checksum_mode)
        .filter(|_| match fetch.span {
            Span::Part(_) => {
                out.checksum_type() != Some(&ChecksumType::FullObject)
                    || (offset == 0 && length == fetch.object_size)
            }
            Span::Range { .. } => content_range.is_none() && skip == 0,
        });
        let mut digest = StreamDigest::new(fetch.md5, fetch.crc, server);

        let file_error = |e: std::io::Error| crate::error::download_write_error(fetch.into, e);
        let mut file = SpanFile::open(fetch.into, offset)
            .await
            .map_err(file_error)?;
        let mut body = out.body;
        let (mut skipped, mut written) = (0u64, 0u64);
        while written < length {
            let chunk = tokio::time::timeout(self.options.answer_timeout, body.next())
                .await
                .map_err(|_| self.no_answer("GetObject", self.options.answer_timeout))?;
            let bytes = match chunk {
                None => break,
                Some(Ok(bytes)) => bytes,
                Some(Err(e)) => {
                    return Err(Error::new(
                        ErrorKind::Interrupted,
                        format!("GetObject {key}: the body was cut: {e}"),
                    ));
                }
            };
            let mut drop = 0;
            if skipped < skip {
                drop = (skip - skipped).min(bytes.len() as u64) as usize;
                skipped += drop as u64;
            }
            let take = (length - written).min((bytes.len() - drop) as u64) as usize;
            if let Some(throttles) = &self.throttles {
                tokio::time::sleep(throttles.download.reserve(take)).await;
            }
            let kept = bytes.slice(drop..drop + take);
            digest.update(&kept);
            file.push(kept).await.map_err(file_error)?;
            written += take as u64;
            fetch.progress.fetch_add(take as u64, Ordering::Relaxed);
        }
        if written < length {
            return Err(Error::new(
                ErrorKind::Interrupted,
                format!("GetObject {key}: the body ended after {written} of {length} bytes"),
            ));
        }
        file.finish().await.map_err(file_error)?;
        digest.finish(offset, length, &what)
    }

    /// Where an answer's bytes go: `(offset, length, bytes to skip first)`, checked against
    /// the span asked for and the object's size.
    fn place(
        &self,
        fetch: &FetchRequest<'_>,
        announced: Option<u64>,
        content_range: Option<(u64, u64, u64)>,
    ) -> Result<(u64, u64, u64)> {
        let size = fetch.object_size;
        let placed = match (fetch.span, content_range) {
            (Span::Range { offset, length }, Some((start, len, total))) => {
                (start == offset && len == length && total == size && announced == Some(length))
                    .then_some((offset, length, 0))
            }
            // 200: the whole object came; skip to the range.
            (Span::Range { offset, length }, None) => announced
                .filter(|n| *n == size && offset + length <= size)
                .map(|_| (offset, length, offset)),
            (Span::Part(_), Some((start, len, total))) => {
                (total == size && start + len <= size && announced == Some(len))
                    .then_some((start, len, 0))
            }
            // A one-part object answers its part 1 as the whole object.
            (Span::Part(1), None) => announced.filter(|n| *n == size).map(|n| (0, n, 0)),
            (Span::Part(_), None) => None,
        };
        placed.ok_or_else(|| {
            let range = content_range.map_or("no Content-Range".into(), |(a, l, t)| {
                format!("Content-Range {a}+{l} of {t}")
            });
            self.protocol(
                "GetObject",
                &format!(
                    "a body of {} bytes ({range}) for {:?} of an object of {size} bytes",
                    announced.map_or("unknown".into(), |n| n.to_string()),
                    fetch.span
                ),
            )
        })
    }

    pub(super) async fn head_of_part(
        &self,
        key: &str,
        part: Option<u32>,
    ) -> Result<Option<PartHead>> {
        // The whole object's HEAD is asked for its checksum alone: without checksum mode
        // there is nothing to learn from it.
        if part.is_none() && !self.checksum_mode {
            return Ok(None);
        }
        let mut request = self.client.head_object().bucket(&self.bucket).key(key);
        if let Some(n) = part {
            request = request.part_number(i32::try_from(n).unwrap_or(i32::MAX));
        }
        let mut customized = request.customize();
        if self.checksum_mode {
            customized = customized.mutate_request(|r| {
                r.headers_mut().insert(CHECKSUM_MODE, "ENABLED");
            });
        }
        let out = match self
            .answer("HeadObject", self.options.answer_timeout, customized.send())
            .await?
        {
            Err(e) if e.raw_response().is_some_and(|r| r.status().as_u16() == 404) => {
                return Ok(None);
            }
            // A server that does not know partNumber may refuse it: no parts to tell of.
            Err(e)
                if part.is_some()
                    && e.raw_response()
                        .is_some_and(|r| matches!(r.status().as_u16(), 400 | 416 | 501)) =>
            {
                return Ok(None);
            }
            Err(e) => return Err(self.classify("HeadObject", false, e)),
            Ok(out) => out,
        };
        let Some(length) = out.content_length().and_then(|n| u64::try_from(n).ok()) else {
            return Err(self.protocol("HeadObject", "no Content-Length"));
        };
        let (crc32c, crc32, crc64nvme) = (
            out.checksum_crc32_c(),
            out.checksum_crc32(),
            out.checksum_crc64_nvme(),
        );
        let checksum = match part {
            _ if !self.checksum_mode => None,
            None => object_checksum(crc32c, crc32, crc64nvme),
            // A part's own checksum; a part HEAD may also carry the object's, which is not it.
            Some(_) if out.checksum_type() == Some(&ChecksumType::FullObject) => None,
            Some(_) => full_checksum(crc32c, crc32, crc64nvme).map(ObjectChecksum::Full),
        };
        Ok(Some(PartHead {
            length,
            parts_count: out.parts_count().and_then(|n| u32::try_from(n).ok()),
            checksum,
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_ranges_parse_and_composites_are_not_full_checksums() {
        assert_eq!(
            parse_content_range("bytes 8388608-16777215/26214400"),
            Some((8_388_608, 8_388_608, 26_214_400))
        );
        assert_eq!(parse_content_range("bytes 5-4/10"), None);
        assert_eq!(parse_content_range("bytes */10"), None);
        assert_eq!(full_checksum(Some("4waSgw==-3"), None, None), None);
        assert_eq!(
            full_checksum(Some("4waSgw=="), None, None).map(|c| c.algorithm),
            Some(ChecksumAlgorithm::Crc32c)
        );
    }
}
