//! Browsing requests: a folder-style listing page, deleting an object, and presigned GET URLs
//! (share links). Keys and ETags in answers are the server's: they are passed on as data, never
//! used as paths here.

use super::S3Backend;
use crate::backend::{Listing, ObjectEntry, unquote_etag};
use crate::error::{Error, ErrorKind, Result};
use aws_sdk_s3::presigning::PresigningConfig;
use std::time::Duration;

/// S3 refuses presigned URLs that live longer than a week (SigV4).
pub const MAX_SHARE_LIFETIME: Duration = Duration::from_secs(7 * 24 * 3600);

impl S3Backend {
    pub(super) async fn list_page(
        &self,
        prefix: &str,
        page: Option<&str>,
        limit: u32,
    ) -> Result<Listing> {
        let request = self
            .client
            .list_objects_v2()
            .bucket(&self.bucket)
            .prefix(prefix)
            .delimiter("/")
            .max_keys(limit.clamp(1, 1000) as i32)
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
