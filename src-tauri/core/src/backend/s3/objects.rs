//! Browsing requests: a listing page (one folder level or recursive), HEAD details, deleting
//! one object or a batch (DeleteObjects), and presigned GET URLs (share links). Keys and ETags in answers are the server's: they are passed on as data, never
//! used as paths here.

use super::S3Backend;
use super::classify::code_kind;
use crate::backend::{
    DeleteFailure, ListRequest, Listing, MAX_DELETE_BATCH, MAX_SHARE_LIFETIME, ObjectDetails,
    ObjectEntry, unquote_etag,
};
use crate::error::{Error, ErrorKind, Result};
use aws_sdk_s3::presigning::PresigningConfig;
use aws_sdk_s3::types::{Delete, ObjectIdentifier};
use std::time::Duration;

impl S3Backend {
    pub(super) async fn list_page(&self, list: ListRequest<'_>) -> Result<Listing> {
        let page = list.page;
        let request = self
            .client
            .list_objects_v2()
            .bucket(&self.bucket)
            .prefix(list.prefix)
            .set_delimiter((!list.recursive).then(|| "/".to_string()))
            .max_keys(list.limit.clamp(1, 1000) as i32)
            .set_continuation_token(page.map(str::to_string))
            .send();
        let out = self
            .send("ListObjectsV2", self.options.answer_timeout, request)
            .await?;
        let mut listing = Listing {
            folders: out
                .common_prefixes()
                .iter()
                .filter_map(|p| p.prefix().map(str::to_string))
                .collect(),
            objects: out
                .contents()
                .iter()
                .filter_map(|o| {
                    Some(ObjectEntry {
                        key: o.key()?.to_string(),
                        size: o.size().and_then(|n| u64::try_from(n).ok()).unwrap_or(0),
                        modified: o.last_modified().map(|t| t.secs()),
                        etag: o.e_tag().map(unquote_etag).filter(|e| !e.is_empty()),
                        storage_class: o.storage_class().map(|c| c.as_str().to_string()),
                    })
                })
                .collect(),
            next: None,
        };
        if out.is_truncated() == Some(true) {
            match out.next_continuation_token() {
                Some(token) if Some(token) != page => listing.next = Some(token.to_string()),
                _ => {
                    return Err(self.protocol(
                        "ListObjectsV2",
                        "a truncated page without a new continuation token",
                    ));
                }
            }
        }
        listing.folders.sort();
        listing.objects.sort_by(|a, b| a.key.cmp(&b.key));
        Ok(listing)
    }

    /// HeadObject: every HEAD the backend sends (the engine's checks and Browse's details).
    pub(super) async fn details(&self, key: &str) -> Result<Option<ObjectDetails>> {
        let request = self
            .client
            .head_object()
            .bucket(&self.bucket)
            .key(key)
            .send();
        let out = match self
            .answer("HeadObject", self.options.answer_timeout, request)
            .await?
        {
            // A HEAD answer has no body, so a missing bucket looks like a missing object too.
            Err(e) if e.raw_response().is_some_and(|r| r.status().as_u16() == 404) => {
                return Ok(None);
            }
            Err(e) => return Err(self.classify("HeadObject", false, e)),
            Ok(out) => out,
        };
        let size = out.content_length().and_then(|n| u64::try_from(n).ok());
        let Some(size) = size else {
            return Err(self.protocol("HeadObject", "no Content-Length"));
        };
        Ok(Some(ObjectDetails {
            key: key.to_string(),
            size,
            modified: out.last_modified().map(|t| t.secs()),
            etag: out.e_tag().map(unquote_etag).filter(|e| !e.is_empty()),
            content_type: out.content_type().map(str::to_string),
            storage_class: out.storage_class().map(|c| c.as_str().to_string()),
            cache_control: out.cache_control().map(str::to_string),
            metadata: out
                .metadata()
                .map(|m| m.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
                .unwrap_or_default(),
        }))
    }

    pub(super) async fn delete_batch(&self, keys: &[String]) -> Result<Vec<DeleteFailure>> {
        if keys.is_empty() {
            return Ok(Vec::new());
        }
        if keys.len() > MAX_DELETE_BATCH {
            return Err(Error::new(
                ErrorKind::InvalidInput,
                format!("at most {MAX_DELETE_BATCH} keys go in one delete request"),
            ));
        }
        let objects = keys
            .iter()
            .map(|key| ObjectIdentifier::builder().key(key).build())
            .collect::<std::result::Result<Vec<_>, _>>()
            .map_err(|e| Error::new(ErrorKind::InvalidInput, format!("bad key: {e}")))?;
        let delete = Delete::builder()
            .set_objects(Some(objects))
            .quiet(true)
            .build()
            .map_err(|e| Error::new(ErrorKind::InvalidInput, format!("bad delete: {e}")))?;
        let request = self
            .client
            .delete_objects()
            .bucket(&self.bucket)
            .delete(delete)
            .send();
        let out = self
            .send("DeleteObjects", self.options.answer_timeout, request)
            .await?;
        Ok(out.errors().iter().map(delete_failure).collect())
    }

    pub(super) async fn delete(&self, key: &str) -> Result<()> {
        let request = self
            .client
            .delete_object()
            .bucket(&self.bucket)
            .key(key)
            .send();
        self.send("DeleteObject", self.options.answer_timeout, request)
            .await
            .map(drop)
    }

    pub(super) async fn presigned_get(&self, key: &str, expires: Duration) -> Result<String> {
        if expires > MAX_SHARE_LIFETIME || expires.is_zero() {
            return Err(Error::new(
                ErrorKind::InvalidInput,
                "a share link lasts from one second to seven days (S3's limit)",
            ));
        }
        let config = PresigningConfig::expires_in(expires)
            .map_err(|e| Error::new(ErrorKind::InvalidInput, format!("bad link lifetime: {e}")))?;
        let request = self
            .client
            .get_object()
            .bucket(&self.bucket)
            .key(key)
            .presigned(config)
            .await
            .map_err(|e| Error::new(ErrorKind::Local, format!("cannot sign the link: {e}")))?;
        Ok(request.uri().to_string())
    }
}

/// One key's failure in a DeleteObjects answer, its code mapped as any answer's is.
fn delete_failure(e: &aws_sdk_s3::types::Error) -> DeleteFailure {
    let code = e.code().unwrap_or("Unknown");
    let kind = code_kind(code).unwrap_or(ErrorKind::Rejected);
    DeleteFailure {
        key: e.key().unwrap_or_default().to_string(),
        error: kind,
        message: format!("{code}: {}", e.message().unwrap_or("no message")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_credentials_in_a_batch_delete_were_called_rejected() {
        let failure = |code: &str| {
            delete_failure(
                &aws_sdk_s3::types::Error::builder()
                    .key("photos/a.jpg")
                    .code(code)
                    .message("says the server")
                    .build(),
            )
        };
        let slow = failure("SlowDown");
        assert_eq!(slow.key, "photos/a.jpg");
        assert_eq!(slow.error, ErrorKind::Throttled);
        assert_eq!(slow.message, "SlowDown: says the server");
        // Codes the first map did not have: each as any answer with it is classified.
        assert_eq!(
            failure("InvalidAccessKeyId").error,
            ErrorKind::BadCredentials
        );
        assert_eq!(failure("NoSuchKey").error, ErrorKind::NotFound);
        assert_eq!(failure("SomethingNew").error, ErrorKind::Rejected);
    }
}
