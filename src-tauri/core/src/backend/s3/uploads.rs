//! The upload calls of the S3 backend: PutObject, the multipart upload's Create, UploadPart,
//! ListParts, Complete and Abort, and ListMultipartUploads. Each body carries the integrity
//! value its digest holds: `x-amz-checksum-crc32c` where the destination's server checks it
//! (an upload created with that algorithm lists each part's CRC32C again for Complete), else
//! `Content-MD5` unless the server refused it.

use super::{S3Backend, body, classify::is_not_implemented, content_length};
use crate::backend::{ObjectInfo, PartBody, PartDigest, PartReceipt, PendingUpload, unquote_etag};
use crate::digest::{Checksum, ChecksumAlgorithm, ObjectChecksum};
use crate::error::{Error, ErrorKind, Result};
use aws_sdk_s3::types::{
    ChecksumAlgorithm as SdkChecksumAlgorithm, CompletedMultipartUpload, CompletedPart,
    ObjectCannedAcl, StorageClass,
};

impl S3Backend {
    pub(super) async fn put(
        &self,
        key: &str,
        body: PartBody,
        digest: PartDigest,
    ) -> Result<ObjectInfo> {
        let (stream, watch) =
            body::counted(&body, self.throttles.as_ref().map(|t| t.upload.clone())).await?;
        let request = self
            .client
            .put_object()
            .bucket(&self.bucket)
            .key(key)
            .content_length(content_length(&body)?)
            .set_content_md5(self.content_md5(&digest))
            .set_checksum_crc32_c(digest.crc32c.map(|c| c.header_value()))
            .set_content_type(self.content_type(key))
            .set_cache_control(self.headers.cache_control.clone())
            .set_acl(self.headers.acl.as_deref().map(ObjectCannedAcl::from))
            .set_storage_class(
                self.headers
                    .storage_class
                    .as_deref()
                    .map(StorageClass::from),
            )
            .body(stream)
            .send();
        let out = self.send_body("PutObject", &watch, request).await?;
        Ok(ObjectInfo {
            size: body.length,
            etag: out.e_tag().map(unquote_etag).filter(|e| !e.is_empty()),
            checksum: out
                .checksum_crc32_c()
                .and_then(|v| ObjectChecksum::parse(ChecksumAlgorithm::Crc32c, v)),
        })
    }

    pub(super) async fn create_upload(
        &self,
        key: &str,
        checksum: Option<ChecksumAlgorithm>,
    ) -> Result<String> {
        let request = self
            .client
            .create_multipart_upload()
            .bucket(&self.bucket)
            .key(key)
            .set_checksum_algorithm(checksum.map(sdk_algorithm))
            .set_content_type(self.content_type(key))
            .set_cache_control(self.headers.cache_control.clone())
            .set_acl(self.headers.acl.as_deref().map(ObjectCannedAcl::from))
            .set_storage_class(
                self.headers
                    .storage_class
                    .as_deref()
                    .map(StorageClass::from),
            )
            .send();
        let out = self
            .send(
                "CreateMultipartUpload",
                self.options.answer_timeout,
                request,
            )
            .await?;
        match out.upload_id() {
            Some(id) if !id.is_empty() => Ok(id.to_string()),
            _ => Err(self.protocol("CreateMultipartUpload", "no upload id")),
        }
    }

    pub(super) async fn send_part(
        &self,
        key: &str,
        upload_id: &str,
        part_number: u32,
        body: PartBody,
        digest: PartDigest,
    ) -> Result<PartReceipt> {
        let number = i32::try_from(part_number).map_err(|_| {
            Error::new(
                ErrorKind::InvalidInput,
                format!("part number {part_number} is too large"),
            )
        })?;
        let (stream, watch) =
            body::counted(&body, self.throttles.as_ref().map(|t| t.upload.clone())).await?;
        let request = self
            .client
            .upload_part()
            .bucket(&self.bucket)
            .key(key)
            .upload_id(upload_id)
            .part_number(number)
            .content_length(content_length(&body)?)
            .set_content_md5(self.content_md5(&digest))
            .set_checksum_crc32_c(digest.crc32c.map(|c| c.header_value()))
            .body(stream)
            .send();
        let out = self.send_body("UploadPart", &watch, request).await?;
        match out.e_tag().map(unquote_etag) {
            Some(etag) if !etag.is_empty() => Ok(PartReceipt {
                part_number,
                size: body.length,
                etag,
                md5: None,
                crc32c: crc32c(out.checksum_crc32_c()),
            }),
            _ => Err(self.protocol("UploadPart", "no ETag")),
        }
    }

    pub(super) async fn parts_of(
        &self,
        key: &str,
        upload_id: &str,
    ) -> Result<Option<Vec<PartReceipt>>> {
        let mut parts = Vec::new();
        let mut marker: Option<String> = None;
        loop {
            let request = self
                .client
                .list_parts()
                .bucket(&self.bucket)
                .key(key)
                .upload_id(upload_id)
                .set_max_parts(self.options.list_parts_page)
                .set_part_number_marker(marker.clone())
                .send();
            let page = match self
                .answer("ListParts", self.options.answer_timeout, request)
                .await?
            {
                Err(e) if is_not_implemented(&e) => return Ok(None),
                Err(e) => return Err(self.classify("ListParts", false, e)),
                Ok(page) => page,
            };
            for part in page.parts() {
                let Some(number) = part.part_number().and_then(|n| u32::try_from(n).ok()) else {
                    continue;
                };
                parts.push(PartReceipt {
                    part_number: number,
                    size: part.size().and_then(|s| u64::try_from(s).ok()).unwrap_or(0),
                    // Some servers list parts without ETags: such a part matches nothing.
                    etag: part.e_tag().map(unquote_etag).unwrap_or_default(),
                    md5: None,
                    crc32c: crc32c(part.checksum_crc32_c()),
                });
            }
            if page.is_truncated() != Some(true) {
                break;
            }
            let next = page.next_part_number_marker().map(str::to_string);
            if next.is_none() || next == marker {
                return Err(self.protocol(
                    "ListParts",
                    "a truncated page without a new part number marker",
                ));
            }
            marker = next;
        }
        parts.sort_by_key(|p| p.part_number);
        parts.dedup_by_key(|p| p.part_number);
        Ok(Some(parts))
    }

    pub(super) async fn complete(
        &self,
        key: &str,
        upload_id: &str,
        parts: &[PartReceipt],
    ) -> Result<ObjectInfo> {
        let mut completed = Vec::with_capacity(parts.len());
        for p in parts {
            let number = i32::try_from(p.part_number).map_err(|_| {
                Error::new(
                    ErrorKind::InvalidInput,
                    format!("part number {} is too large", p.part_number),
                )
            })?;
            completed.push(
                CompletedPart::builder()
                    .part_number(number)
                    .e_tag(format!("\"{}\"", p.etag))
                    .set_checksum_crc32_c(p.crc32c.map(|c| c.header_value()))
                    .build(),
            );
        }
        let request = self
            .client
            .complete_multipart_upload()
            .bucket(&self.bucket)
            .key(key)
            .upload_id(upload_id)
            .multipart_upload(
                CompletedMultipartUpload::builder()
                    .set_parts(Some(completed))
                    .build(),
            )
            .send();
        // A 200 whose body is an <Error> arrives here as a service error: aws-sdk-s3 checks the
        // body of CompleteMultipartUpload answers. The ETag check below covers servers that
        // answer 200 with an empty or unexpected document.
        let out = self
            .send(
                "CompleteMultipartUpload",
                self.options.complete_timeout,
                request,
            )
            .await?;
        match out.e_tag().map(unquote_etag) {
            Some(etag) if !etag.is_empty() => Ok(ObjectInfo {
                size: parts.iter().map(|p| p.size).sum(),
                etag: Some(etag),
                checksum: out
                    .checksum_crc32_c()
                    .and_then(|v| ObjectChecksum::parse(ChecksumAlgorithm::Crc32c, v)),
            }),
            _ => Err(self.protocol(
                "CompleteMultipartUpload",
                "no ETag: the upload may not be complete",
            )),
        }
    }

    pub(super) async fn abort(&self, key: &str, upload_id: &str) -> Result<()> {
        let request = self
            .client
            .abort_multipart_upload()
            .bucket(&self.bucket)
            .key(key)
            .upload_id(upload_id)
            .send();
        match self
            .send("AbortMultipartUpload", self.options.answer_timeout, request)
            .await
        {
            Err(e) if e.kind() == ErrorKind::NoSuchUpload => Ok(()),
            other => other.map(|_| ()),
        }
    }

    pub(super) async fn pending_uploads(&self, prefix: &str) -> Result<Option<Vec<PendingUpload>>> {
        let mut uploads = Vec::new();
        let (mut key_marker, mut id_marker): (Option<String>, Option<String>) = (None, None);
        loop {
            let request = self
                .client
                .list_multipart_uploads()
                .bucket(&self.bucket)
                .prefix(prefix)
                .set_key_marker(key_marker.clone())
                .set_upload_id_marker(id_marker.clone())
                .send();
            let page = match self
                .answer("ListMultipartUploads", self.options.answer_timeout, request)
                .await?
            {
                Err(e) if is_not_implemented(&e) => return Ok(None),
                Err(e) => return Err(self.classify("ListMultipartUploads", false, e)),
                Ok(page) => page,
            };
            for upload in page.uploads() {
                if let (Some(key), Some(upload_id)) = (upload.key(), upload.upload_id()) {
                    uploads.push(PendingUpload {
                        key: key.to_string(),
                        upload_id: upload_id.to_string(),
                        initiated: upload.initiated().map(|t| t.secs()),
                    });
                }
            }
            if page.is_truncated() != Some(true) {
                break;
            }
            let next = (
                page.next_key_marker().map(str::to_string),
                page.next_upload_id_marker().map(str::to_string),
            );
            if next.0.is_none() || next == (key_marker.clone(), id_marker.clone()) {
                return Err(self.protocol(
                    "ListMultipartUploads",
                    "a truncated page without new markers",
                ));
            }
            (key_marker, id_marker) = next;
        }
        Ok(Some(uploads))
    }
}

/// A part's CRC32C as an answer gives it (a full value; anything else is ignored).
fn crc32c(value: Option<&str>) -> Option<Checksum> {
    Checksum::parse(ChecksumAlgorithm::Crc32c, value?)
}

fn sdk_algorithm(algorithm: ChecksumAlgorithm) -> SdkChecksumAlgorithm {
    match algorithm {
        ChecksumAlgorithm::Crc32c => SdkChecksumAlgorithm::Crc32C,
        ChecksumAlgorithm::Crc32 => SdkChecksumAlgorithm::Crc32,
        ChecksumAlgorithm::Crc64Nvme => SdkChecksumAlgorithm::Crc64Nvme,
    }
}
