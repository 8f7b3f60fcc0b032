//! The S3 operations, as an `s3s::S3` implementation over [`Storage`](crate::storage::Storage).
//!
//! s3s parses requests, verifies SigV4 and serializes answers; this module maps each supported
//! operation onto the storage and fills in the output the way AWS does (quoted ETags, sorted and
//! paginated listings, 501 for ListParts when it is switched off). Operations not listed here
//! answer 501 NotImplemented, s3s's default.

use crate::files::{self, Expected};
use crate::parts::{checksum_of, part_of, size_i32};
use crate::server::Shared;
use crate::storage::StoredObject;

use std::sync::Arc;
use std::sync::atomic::Ordering;

use s3s::dto::{self, ETag, StreamingBlob, Timestamp};
use s3s::{S3, S3Request, S3Response, S3Result, s3_error};
use tokio::io::{AsyncReadExt, AsyncSeekExt};

/// The s3s backend: every operation goes to the shared storage.
#[derive(Clone)]
pub(crate) struct Backend {
    pub shared: Arc<Shared>,
}

const MAX_LIST: i32 = 1000;

fn size_i64(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

fn etag(s: &str) -> Option<ETag> {
    Some(ETag::Strong(s.to_owned()))
}

fn owner() -> dto::Owner {
    dto::Owner {
        display_name: Some("hoist-test".to_owned()),
        id: Some("hoist-test-owner".to_owned()),
    }
}

fn expected(
    md5: Option<&str>,
    crc32c: Option<&str>,
    trailers: Option<s3s::TrailingHeaders>,
) -> S3Result<Expected> {
    Ok(Expected {
        md5: md5.map(files::parse_content_md5).transpose()?,
        crc32c: crc32c.map(files::parse_crc32c).transpose()?,
        trailers,
    })
}

fn page_size(requested: Option<i32>) -> usize {
    usize::try_from(requested.unwrap_or(MAX_LIST).clamp(1, MAX_LIST)).unwrap_or(1000)
}

/// Opens an object's file for a (possibly ranged) read: the body and its length.
async fn open_object(
    object: &StoredObject,
    range: Option<std::ops::Range<u64>>,
) -> S3Result<(StreamingBlob, u64)> {
    let mut file = tokio::fs::File::open(&object.path)
        .await
        .map_err(s3s::S3Error::internal_error)?;
    let range = range.unwrap_or(0..object.size);
    file.seek(std::io::SeekFrom::Start(range.start))
        .await
        .map_err(s3s::S3Error::internal_error)?;
    let len = range.end - range.start;
    let stream = tokio_util::io::ReaderStream::with_capacity(file.take(len), 256 * 1024);
    Ok((StreamingBlob::wrap(stream), len))
}

#[async_trait::async_trait]
impl S3 for Backend {
    async fn create_bucket(
        &self,
        req: S3Request<dto::CreateBucketInput>,
    ) -> S3Result<S3Response<dto::CreateBucketOutput>> {
        let bucket = req.input.bucket;
        if !self.shared.storage.create_bucket(&bucket) {
            return Err(s3_error!(BucketAlreadyOwnedByYou));
        }
        Ok(S3Response::new(dto::CreateBucketOutput {
            location: Some(format!("/{bucket}")),
        }))
    }

    async fn head_bucket(
        &self,
        req: S3Request<dto::HeadBucketInput>,
    ) -> S3Result<S3Response<dto::HeadBucketOutput>> {
        self.shared.storage.check_bucket(&req.input.bucket)?;
        Ok(S3Response::new(dto::HeadBucketOutput {
            bucket_region: Some(crate::REGION.to_owned()),
            ..Default::default()
        }))
    }

    async fn list_buckets(
        &self,
        _req: S3Request<dto::ListBucketsInput>,
    ) -> S3Result<S3Response<dto::ListBucketsOutput>> {
        let buckets = self
            .shared
            .storage
            .buckets()
            .into_iter()
            .map(|(name, created)| dto::Bucket {
                name: Some(name),
                creation_date: Some(Timestamp::from(created)),
                bucket_region: Some(crate::REGION.to_owned()),
            })
            .collect();
        Ok(S3Response::new(dto::ListBucketsOutput {
            buckets: Some(buckets),
            owner: Some(owner()),
            ..Default::default()
        }))
    }

    async fn put_object(
        &self,
        req: S3Request<dto::PutObjectInput>,
    ) -> S3Result<S3Response<dto::PutObjectOutput>> {
        let input = req.input;
        let expect = expected(
            input.content_md5.as_deref(),
            input.checksum_crc32c.as_deref(),
            req.trailing_headers,
        );
        let expect = match expect {
            Ok(e) => e,
            Err(e) => {
                files::drain(input.body).await;
                return Err(e);
            }
        };
        let object = self
            .shared
            .storage
            .put_object(
                &input.bucket,
                &input.key,
                input.body,
                expect,
                input.content_type,
            )
            .await?;
        Ok(S3Response::new(dto::PutObjectOutput {
            e_tag: etag(&object.etag),
            checksum_crc32c: input.checksum_crc32c,
            size: Some(size_i64(object.size)),
            ..Default::default()
        }))
    }

    async fn get_object(
        &self,
        req: S3Request<dto::GetObjectInput>,
    ) -> S3Result<S3Response<dto::GetObjectOutput>> {
        let input = req.input;
        let object = self.shared.storage.object(&input.bucket, &input.key)?;
        if let Some(dto::ETagCondition::ETag(wanted)) = &input.if_match
            && wanted.value() != object.etag
        {
            return Err(s3_error!(
                PreconditionFailed,
                "the object's ETag is not the one asked for"
            ));
        }
        let part = input.part_number.map(|n| part_of(&object, n)).transpose()?;
        let range = match (&input.range, &part) {
            (Some(_), Some(_)) => {
                return Err(s3_error!(
                    InvalidRequest,
                    "Cannot specify both Range header and partNumber query parameter"
                ));
            }
            (Some(r), None) => Some(r.check(object.size).map_err(|_| s3_error!(InvalidRange))?),
            (None, Some(range)) => Some(range.clone()),
            (None, None) => None,
        };
        let content_range = range
            .as_ref()
            .map(|r| format!("bytes {}-{}/{}", r.start, r.end - 1, object.size));
        let checksum = checksum_of(&object, input.part_number, input.checksum_mode.as_ref());
        let whole = range.is_none();
        let (body, len) = open_object(&object, range).await?;
        let output = dto::GetObjectOutput {
            body: Some(body),
            content_length: Some(size_i64(len)),
            content_range: content_range.clone(),
            accept_ranges: Some("bytes".to_owned()),
            e_tag: etag(&object.etag),
            last_modified: Some(Timestamp::from(object.modified)),
            content_type: object.content_type.clone(),
            parts_count: part.as_ref().map(|_| size_i32(object.parts_count())),
            checksum_crc32c: checksum.filter(|_| whole || part.is_some()),
            ..Default::default()
        };
        if content_range.is_some() {
            return Ok(S3Response::with_status(
                output,
                http::StatusCode::PARTIAL_CONTENT,
            ));
        }
        Ok(S3Response::new(output))
    }

    async fn head_object(
        &self,
        req: S3Request<dto::HeadObjectInput>,
    ) -> S3Result<S3Response<dto::HeadObjectOutput>> {
        let input = req.input;
        let object = self.shared.storage.object(&input.bucket, &input.key)?;
        let part = input.part_number.map(|n| part_of(&object, n)).transpose()?;
        let length = part.as_ref().map_or(object.size, |r| r.end - r.start);
        Ok(S3Response::new(dto::HeadObjectOutput {
            content_length: Some(size_i64(length)),
            accept_ranges: Some("bytes".to_owned()),
            e_tag: etag(&object.etag),
            last_modified: Some(Timestamp::from(object.modified)),
            parts_count: part.as_ref().map(|_| size_i32(object.parts_count())),
            checksum_crc32c: checksum_of(&object, input.part_number, input.checksum_mode.as_ref()),
            content_type: object.content_type,
            ..Default::default()
        }))
    }

    async fn delete_object(
        &self,
        req: S3Request<dto::DeleteObjectInput>,
    ) -> S3Result<S3Response<dto::DeleteObjectOutput>> {
        self.shared
            .storage
            .delete_object(&req.input.bucket, &req.input.key)?;
        Ok(S3Response::new(dto::DeleteObjectOutput::default()))
    }

    async fn delete_objects(
        &self,
        req: S3Request<dto::DeleteObjectsInput>,
    ) -> S3Result<S3Response<dto::DeleteObjectsOutput>> {
        let input = req.input;
        if input.delete.objects.len() > 1000 {
            return Err(s3_error!(
                MalformedXML,
                "more than 1000 keys in one DeleteObjects"
            ));
        }
        let quiet = input.delete.quiet == Some(true);
        let protected = self
            .shared
            .undeletable
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone();
        let mut deleted = Vec::new();
        let mut errors = Vec::new();
        for object in input.delete.objects {
            if protected.contains(&object.key) {
                errors.push(dto::Error {
                    code: Some("AccessDenied".to_owned()),
                    key: Some(object.key),
                    message: Some("Access Denied".to_owned()),
                    ..Default::default()
                });
                continue;
            }
            self.shared
                .storage
                .delete_object(&input.bucket, &object.key)?;
            if !quiet {
                deleted.push(dto::DeletedObject {
                    key: Some(object.key),
                    ..Default::default()
                });
            }
        }
        Ok(S3Response::new(dto::DeleteObjectsOutput {
            deleted: Some(deleted),
            errors: Some(errors),
            ..Default::default()
        }))
    }

    async fn list_objects_v2(
        &self,
        req: S3Request<dto::ListObjectsV2Input>,
    ) -> S3Result<S3Response<dto::ListObjectsV2Output>> {
        let input = req.input;
        let prefix = input.prefix.clone().unwrap_or_default();
        let token = match &input.continuation_token {
            Some(t) => Some(decode_token(t)?),
            None => None,
        };
        let after = token
            .clone()
            .max(input.start_after.clone())
            .unwrap_or_default();
        let entries = self
            .shared
            .storage
            .objects(&input.bucket, &prefix, &after)?;
        let max_keys =
            usize::try_from(input.max_keys.unwrap_or(MAX_LIST).clamp(0, MAX_LIST)).unwrap_or(1000);
        let delimiter = input.delimiter.clone().filter(|d| !d.is_empty());

        let mut contents = Vec::new();
        let mut prefixes: Vec<String> = Vec::new();
        let mut last_item = None;
        let mut truncated = false;
        for (key, object) in entries {
            let group = delimiter.as_deref().and_then(|d| {
                key[prefix.len()..]
                    .find(d)
                    .map(|i| key[..prefix.len() + i + d.len()].to_owned())
            });
            if let Some(group) = &group
                && (prefixes.last() == Some(group) || token.as_ref() == Some(group))
            {
                continue;
            }
            if contents.len() + prefixes.len() >= max_keys {
                truncated = true;
                break;
            }
            if let Some(group) = group {
                last_item = Some(group.clone());
                prefixes.push(group);
            } else {
                last_item = Some(key.clone());
                contents.push(dto::Object {
                    key: Some(key),
                    size: Some(size_i64(object.size)),
                    e_tag: etag(&object.etag),
                    last_modified: Some(Timestamp::from(object.modified)),
                    storage_class: Some(dto::ObjectStorageClass::from_static(
                        dto::ObjectStorageClass::STANDARD,
                    )),
                    ..Default::default()
                });
            }
        }
        let key_count = i32::try_from(contents.len() + prefixes.len()).unwrap_or(MAX_LIST);
        Ok(S3Response::new(dto::ListObjectsV2Output {
            name: Some(input.bucket),
            prefix: input.prefix,
            delimiter: input.delimiter,
            max_keys: Some(i32::try_from(max_keys).unwrap_or(MAX_LIST)),
            key_count: Some(key_count),
            continuation_token: input.continuation_token,
            start_after: input.start_after,
            is_truncated: Some(truncated),
            next_continuation_token: if truncated {
                last_item.map(|k| encode_token(&k))
            } else {
                None
            },
            contents: Some(contents),
            common_prefixes: Some(
                prefixes
                    .into_iter()
                    .map(|p| dto::CommonPrefix { prefix: Some(p) })
                    .collect(),
            ),
            ..Default::default()
        }))
    }

    async fn create_multipart_upload(
        &self,
        req: S3Request<dto::CreateMultipartUploadInput>,
    ) -> S3Result<S3Response<dto::CreateMultipartUploadOutput>> {
        let input = req.input;
        let upload_id =
            self.shared
                .storage
                .create_upload(&input.bucket, &input.key, input.content_type)?;
        Ok(S3Response::new(dto::CreateMultipartUploadOutput {
            bucket: Some(input.bucket),
            key: Some(input.key),
            upload_id: Some(upload_id),
            ..Default::default()
        }))
    }

    async fn upload_part(
        &self,
        req: S3Request<dto::UploadPartInput>,
    ) -> S3Result<S3Response<dto::UploadPartOutput>> {
        let input = req.input;
        let checked = expected(
            input.content_md5.as_deref(),
            input.checksum_crc32c.as_deref(),
            req.trailing_headers,
        )
        .and_then(|e| {
            let n = u32::try_from(input.part_number).map_err(|_| {
                s3_error!(
                    InvalidArgument,
                    "Part number must be an integer between 1 and 10000, inclusive"
                )
            })?;
            Ok((e, n))
        });
        let (expect, part_number) = match checked {
            Ok(v) => v,
            Err(e) => {
                files::drain(input.body).await;
                return Err(e);
            }
        };
        let part = self
            .shared
            .storage
            .upload_part(
                &input.bucket,
                &input.key,
                &input.upload_id,
                part_number,
                input.body,
                expect,
            )
            .await?;
        Ok(S3Response::new(dto::UploadPartOutput {
            e_tag: etag(&part.etag()),
            checksum_crc32c: part.crc32c,
            ..Default::default()
        }))
    }

    async fn list_parts(
        &self,
        req: S3Request<dto::ListPartsInput>,
    ) -> S3Result<S3Response<dto::ListPartsOutput>> {
        if !self.shared.list_parts_supported.load(Ordering::SeqCst) {
            return Err(s3_error!(
                NotImplemented,
                "ListParts is not supported by this server"
            ));
        }
        let input = req.input;
        let parts = self
            .shared
            .storage
            .parts(&input.bucket, &input.key, &input.upload_id)?;
        let marker = input.part_number_marker.unwrap_or(0).max(0);
        let max_parts = page_size(input.max_parts);
        let mut rest = parts
            .into_iter()
            .filter(|(n, _)| i64::from(*n) > i64::from(marker))
            .peekable();
        let page: Vec<_> = rest.by_ref().take(max_parts).collect();
        let truncated = rest.peek().is_some();
        let next_marker = page
            .last()
            .map(|(n, _)| i32::try_from(*n).unwrap_or(i32::MAX));
        let parts = page
            .into_iter()
            .map(|(n, p)| dto::Part {
                part_number: Some(i32::try_from(n).unwrap_or(i32::MAX)),
                e_tag: etag(&p.etag()),
                size: Some(size_i64(p.size)),
                last_modified: Some(Timestamp::from(p.modified)),
                checksum_crc32c: p.crc32c,
                ..Default::default()
            })
            .collect();
        Ok(S3Response::new(dto::ListPartsOutput {
            bucket: Some(input.bucket),
            key: Some(input.key),
            upload_id: Some(input.upload_id),
            part_number_marker: Some(marker),
            next_part_number_marker: next_marker,
            max_parts: Some(i32::try_from(max_parts).unwrap_or(MAX_LIST)),
            is_truncated: Some(truncated),
            parts: Some(parts),
            owner: Some(owner()),
            storage_class: Some(dto::StorageClass::from_static(dto::StorageClass::STANDARD)),
            ..Default::default()
        }))
    }

    async fn complete_multipart_upload(
        &self,
        req: S3Request<dto::CompleteMultipartUploadInput>,
    ) -> S3Result<S3Response<dto::CompleteMultipartUploadOutput>> {
        let input = req.input;
        let (listed, crcs) = crate::parts::listed_parts(input.multipart_upload)?;
        let object = self
            .shared
            .storage
            .complete(&input.bucket, &input.key, &input.upload_id, &listed, &crcs)
            .await?;
        Ok(S3Response::new(dto::CompleteMultipartUploadOutput {
            location: Some(format!("/{}/{}", input.bucket, input.key)),
            bucket: Some(input.bucket),
            key: Some(input.key),
            e_tag: etag(&object.etag),
            checksum_crc32c: object.crc32c,
            ..Default::default()
        }))
    }

    async fn abort_multipart_upload(
        &self,
        req: S3Request<dto::AbortMultipartUploadInput>,
    ) -> S3Result<S3Response<dto::AbortMultipartUploadOutput>> {
        let input = req.input;
        self.shared
            .storage
            .abort(&input.bucket, &input.key, &input.upload_id)?;
        Ok(S3Response::new(dto::AbortMultipartUploadOutput::default()))
    }

    async fn list_multipart_uploads(
        &self,
        req: S3Request<dto::ListMultipartUploadsInput>,
    ) -> S3Result<S3Response<dto::ListMultipartUploadsOutput>> {
        let input = req.input;
        let prefix = input.prefix.clone().unwrap_or_default();
        let key_marker = input.key_marker.clone().unwrap_or_default();
        let id_marker = input.upload_id_marker.clone();
        let mut past_id_marker = id_marker.is_none();
        let mut rest = self
            .shared
            .storage
            .uploads(&input.bucket, &prefix)?
            .into_iter()
            .filter(|u| {
                if u.key != key_marker || key_marker.is_empty() {
                    return u.key > key_marker;
                }
                // Same key as the marker: only uploads after the upload id marker.
                let keep = past_id_marker;
                past_id_marker |= id_marker.as_deref() == Some(u.upload_id.as_str());
                keep
            })
            .peekable();
        let max = page_size(input.max_uploads);
        let page: Vec<_> = rest.by_ref().take(max).collect();
        let truncated = rest.peek().is_some();
        let last = page.last().cloned();
        let uploads = page
            .into_iter()
            .map(|u| dto::MultipartUpload {
                key: Some(u.key),
                upload_id: Some(u.upload_id),
                initiated: Some(Timestamp::from(u.initiated)),
                owner: Some(owner()),
                storage_class: Some(dto::StorageClass::from_static(dto::StorageClass::STANDARD)),
                ..Default::default()
            })
            .collect();
        Ok(S3Response::new(dto::ListMultipartUploadsOutput {
            bucket: Some(input.bucket),
            prefix: input.prefix,
            key_marker: input.key_marker,
            upload_id_marker: input.upload_id_marker,
            max_uploads: Some(i32::try_from(max).unwrap_or(MAX_LIST)),
            is_truncated: Some(truncated),
            next_key_marker: if truncated {
                last.as_ref().map(|u| u.key.clone())
            } else {
                None
            },
            next_upload_id_marker: if truncated {
                last.map(|u| u.upload_id)
            } else {
                None
            },
            uploads: Some(uploads),
            ..Default::default()
        }))
    }
}

/// Continuation tokens are the last key (or common prefix) returned, hex-encoded.
fn encode_token(key: &str) -> String {
    hex::encode(key.as_bytes())
}

fn decode_token(token: &str) -> S3Result<String> {
    hex::decode(token)
        .ok()
        .and_then(|b| String::from_utf8(b).ok())
        .ok_or_else(|| {
            s3_error!(
                InvalidArgument,
                "The continuation token provided is incorrect"
            )
        })
}
