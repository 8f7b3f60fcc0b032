//! The S3 backend: one aws-sdk-s3 request per [`Backend`] call, and the one place where S3
//! failures are classified into [`ErrorKind`]s.
//!
//! The client is configured for S3-compatible servers rather than for AWS alone: no aws-config
//! (credentials come from the keychain), no aws-chunked bodies or checksum trailers
//! (`WhenRequired`; integrity is the `Content-MD5` the engine computed), no SDK retries (the
//! engine owns them). Bodies are streamed from disk by offset and length through a counting
//! wrapper, so memory does not grow with the part size and progress is per byte.
//!
//! Timeouts, and why each exists: a 10 s connect timeout; no read or operation timeout (it
//! would kill a slow but progressing part); the SDK's stalled-stream protection with a 30 s
//! grace period, which fails an upload whose body does not move for that long (it stops
//! watching once the whole body was handed over); and our own answer timeout, which starts
//! when the last body byte was handed to the HTTP stack (or when a body-less request is sent)
//! and fails a request the server swallowed without answering.
//!
//! Classification happens once, in [`S3Backend::classify`], from structured data only: the S3
//! error code, the HTTP status, the `SdkError` variant, the connector error kind and the types
//! and `io::ErrorKind`s found in the source chain. Messages name the fix; the SDK error stays
//! attached as the source.

mod body;
mod classify;
mod features;
mod fetch;
mod objects;
mod reach;
mod span_file;
mod uploads;

use super::fetch::{FetchReceipt, FetchRequest, PartHead};
use super::{
    Backend, DeleteFailure, ListRequest, Listing, ObjectDetails, ObjectInfo, PartBody, PartDigest,
    PartReceipt, PendingUpload,
};
use crate::connection::{ConnectionStep, FeatureCheck};
use crate::credentials::AccessKey;
use crate::digest::ChecksumAlgorithm;
use crate::error::{Error, ErrorKind, Result};
use crate::model::Destination;
use crate::options::UploadOptions;
use crate::presets::ChecksumPolicy;
use crate::throttle::Throttles;
use async_trait::async_trait;
use aws_sdk_s3::config::{
    BehaviorVersion, Credentials, Region, RequestChecksumCalculation, ResponseChecksumValidation,
    StalledStreamProtectionConfig,
};
use aws_sdk_s3::error::{ProvideErrorMetadata, SdkError};
use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_smithy_types::retry::RetryConfig;
use aws_smithy_types::timeout::TimeoutConfig;
use body::BodyWatch;
use std::future::Future;
use std::time::Duration;

/// Time limits of an [`S3Backend`]; [`Default`] is what the app uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct S3Options {
    /// Establishing the TCP (and TLS) connection.
    pub connect_timeout: Duration,
    /// How long an upload body may send nothing before the request fails (stalled-stream
    /// protection, minimum 1 B/s).
    pub stall_grace: Duration,
    /// How long to wait for an answer once the request (with its whole body) was sent.
    pub answer_timeout: Duration,
    /// The same for CompleteMultipartUpload, which AWS documents can take minutes.
    pub complete_timeout: Duration,
    /// `max-parts` of each ListParts page; `None` lets the server choose (1000 on AWS).
    pub list_parts_page: Option<i32>,
}

impl Default for S3Options {
    fn default() -> Self {
        S3Options {
            connect_timeout: Duration::from_secs(10),
            stall_grace: Duration::from_secs(30),
            answer_timeout: Duration::from_secs(120),
            complete_timeout: Duration::from_secs(15 * 60),
            list_parts_page: None,
        }
    }
}

/// An S3-compatible bucket reached through aws-sdk-s3.
pub struct S3Backend {
    client: aws_sdk_s3::Client,
    bucket: String,
    /// The endpoint as configured, or AWS's regional endpoint; for messages and probing.
    endpoint: String,
    region: String,
    options: S3Options,
    /// The shared bandwidth limits (request bodies, answer bodies), if the engine set them.
    throttles: Option<Throttles>,
    /// Headers objects get (the destination's upload options).
    headers: UploadOptions,
    /// False when the destination's connection test found the server rejects `Content-MD5`, or its
    /// preset sends no integrity header; the digest still verifies ETags.
    send_content_md5: bool,
    /// The integrity value bodies carry ([`upload_checksum`]).
    upload_checksum: ChecksumPolicy,
    /// Downloads ask for the checksums the server keeps (`x-amz-checksum-mode`), unless the
    /// connection test found `x-amz-checksum-*` headers refused or the preset sends none.
    checksum_mode: bool,
}

impl S3Backend {
    pub fn new(destination: &Destination, key: &AccessKey) -> Result<S3Backend> {
        Self::with_options(destination, key, S3Options::default())
    }

    pub fn with_options(
        destination: &Destination,
        key: &AccessKey,
        options: S3Options,
    ) -> Result<S3Backend> {
        if destination.bucket.trim().is_empty() {
            return Err(invalid(destination, "bucket is empty: set the bucket name"));
        }
        let timeouts = TimeoutConfig::builder()
            .connect_timeout(options.connect_timeout)
            .disable_read_timeout()
            .disable_operation_timeout()
            .disable_operation_attempt_timeout()
            .build();
        let stall = StalledStreamProtectionConfig::enabled()
            .grace_period(options.stall_grace)
            .build();
        let credentials = Credentials::new(
            key.access_key_id.expose(),
            key.secret_access_key.expose(),
            None,
            None,
            "hoist",
        );
        let mut config = aws_sdk_s3::Config::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new(destination.region.clone()))
            .force_path_style(destination.path_style)
            .credentials_provider(credentials)
            .request_checksum_calculation(RequestChecksumCalculation::WhenRequired)
            .response_checksum_validation(ResponseChecksumValidation::WhenRequired)
            .retry_config(RetryConfig::disabled())
            .timeout_config(timeouts)
            .stalled_stream_protection(stall);
        if let Some(url) = &destination.endpoint {
            config = config.endpoint_url(url.trim_end_matches('/'));
        }
        let endpoint = match &destination.endpoint {
            Some(url) => url.trim_end_matches('/').to_string(),
            None => format!("https://s3.{}.amazonaws.com", destination.region),
        };
        let sends_integrity = destination.provider.is_none_or(|p| {
            crate::presets::checksum_policy(p) != crate::presets::ChecksumPolicy::None
        });
        Ok(S3Backend {
            client: aws_sdk_s3::Client::from_conf(config.build()),
            bucket: destination.bucket.clone(),
            endpoint,
            region: destination.region.clone(),
            options,
            throttles: None,
            headers: UploadOptions {
                // A canned ACL the connection test found rejected is left out rather than failing uploads.
                acl: destination
                    .options
                    .acl
                    .clone()
                    .filter(|_| destination.capabilities.as_ref().is_none_or(|c| c.acl)),
                ..destination.options.clone()
            },
            send_content_md5: destination
                .capabilities
                .as_ref()
                .is_none_or(|c| c.content_md5)
                && sends_integrity,
            checksum_mode: destination
                .capabilities
                .as_ref()
                .is_none_or(|c| c.checksum_headers)
                && sends_integrity,
            upload_checksum: upload_checksum(destination),
        })
    }

    /// `Content-Type` for `key`, when the destination sets it from file names.
    fn content_type(&self, key: &str) -> Option<String> {
        self.headers
            .detect_content_type
            .then(|| super::content_type::for_key(key).to_string())
    }

    fn content_md5(&self, digest: &PartDigest) -> Option<String> {
        digest.content_md5().filter(|_| self.send_content_md5)
    }

    /// Paces request bodies by the upload limit and downloaded bodies by the download limit.
    pub fn with_throttles(mut self, throttles: Throttles) -> S3Backend {
        self.throttles = Some(throttles);
        self
    }

    /// Sends a request with a body; gives up when no answer comes `answer_timeout` after the
    /// last body byte was handed to the HTTP stack.
    async fn send_body<T, E, F>(&self, op: &'static str, watch: &BodyWatch, fut: F) -> Result<T>
    where
        F: Future<Output = Result<T, SdkError<E, HttpResponse>>>,
        E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    {
        let deadline = async {
            watch.wait_sent().await;
            tokio::time::sleep(self.options.answer_timeout).await;
        };
        tokio::select! {
            out = fut => out.map_err(|e| self.classify(op, watch.was_polled(), e)),
            () = deadline => Err(self.no_answer(op, self.options.answer_timeout)),
        }
    }

    /// Sends a body-less request with an answer timeout of `limit`.
    async fn send<T, E, F>(&self, op: &'static str, limit: Duration, fut: F) -> Result<T>
    where
        F: Future<Output = Result<T, SdkError<E, HttpResponse>>>,
        E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    {
        self.answer(op, limit, fut)
            .await?
            .map_err(|e| self.classify(op, false, e))
    }

    /// Awaits a body-less request for at most `limit` and returns the SDK's own result, for
    /// callers to whom some failures are answers (404 to HEAD, 501 to ListParts).
    async fn answer<T, E, F>(
        &self,
        op: &'static str,
        limit: Duration,
        fut: F,
    ) -> Result<Result<T, SdkError<E, HttpResponse>>>
    where
        F: Future<Output = Result<T, SdkError<E, HttpResponse>>>,
    {
        tokio::time::timeout(limit, fut)
            .await
            .map_err(|_| self.no_answer(op, limit))
    }
}

#[async_trait]
impl Backend for S3Backend {
    fn describe(&self) -> String {
        format!("s3://{} ({})", self.bucket, self.endpoint)
    }

    fn probe_url(&self) -> Option<String> {
        Some(self.endpoint.clone())
    }

    async fn put_object(
        &self,
        key: &str,
        body: PartBody,
        digest: PartDigest,
    ) -> Result<ObjectInfo> {
        self.put(key, body, digest).await
    }

    fn upload_checksum(&self) -> ChecksumPolicy {
        self.upload_checksum
    }

    async fn create_multipart(
        &self,
        key: &str,
        checksum: Option<ChecksumAlgorithm>,
    ) -> Result<String> {
        self.create_upload(key, checksum).await
    }

    async fn upload_part(
        &self,
        key: &str,
        upload_id: &str,
        part_number: u32,
        body: PartBody,
        digest: PartDigest,
    ) -> Result<PartReceipt> {
        self.send_part(key, upload_id, part_number, body, digest)
            .await
    }

    async fn list_parts(&self, key: &str, upload_id: &str) -> Result<Option<Vec<PartReceipt>>> {
        self.parts_of(key, upload_id).await
    }

    async fn complete_multipart(
        &self,
        key: &str,
        upload_id: &str,
        parts: &[PartReceipt],
    ) -> Result<ObjectInfo> {
        self.complete(key, upload_id, parts).await
    }

    async fn abort_multipart(&self, key: &str, upload_id: &str) -> Result<()> {
        self.abort(key, upload_id).await
    }

    async fn list_multipart_uploads(&self, prefix: &str) -> Result<Option<Vec<PendingUpload>>> {
        self.pending_uploads(prefix).await
    }

    /// The same HEAD as [`Backend::stat`], reduced to what the engine compares.
    async fn head_object(&self, key: &str) -> Result<Option<ObjectInfo>> {
        Ok(self.details(key).await?.map(|d| ObjectInfo {
            size: d.size,
            etag: d.etag,
            checksum: None,
        }))
    }

    async fn fetch(&self, key: &str, request: &FetchRequest<'_>) -> Result<FetchReceipt> {
        self.fetch_span(key, request).await
    }

    async fn head_part(&self, key: &str, part: Option<u32>) -> Result<Option<PartHead>> {
        self.head_of_part(key, part).await
    }

    async fn list(&self, request: ListRequest<'_>) -> Result<Listing> {
        self.list_page(request).await
    }

    async fn stat(&self, key: &str) -> Result<Option<ObjectDetails>> {
        self.details(key).await
    }

    async fn delete_object(&self, key: &str) -> Result<()> {
        self.delete(key).await
    }

    async fn delete_objects(&self, keys: &[String]) -> Result<Vec<DeleteFailure>> {
        self.delete_batch(keys).await
    }

    async fn share_url(&self, key: &str, expires: Duration) -> Result<Option<String>> {
        self.presigned_get(key, expires).await.map(Some)
    }

    async fn reachability(&self) -> Vec<ConnectionStep> {
        reach::reachability(&self.endpoint).await
    }

    async fn feature_checks(&self, scratch: &str) -> Option<Vec<FeatureCheck>> {
        Some(self.try_features(scratch).await)
    }
}

/// The integrity value a destination's uploads carry: what its connection test found the
/// server checks (CRC32C when it refused a wrong one, else Content-MD5 where accepted), or
/// before any test, its preset's. (A test from before Hoist tried a wrong CRC32C remembered
/// no `crc32c_checked`: Content-MD5 until the destination is tested again.)
pub fn upload_checksum(destination: &Destination) -> ChecksumPolicy {
    let preset = destination
        .provider
        .map_or(ChecksumPolicy::ContentMd5, crate::presets::checksum_policy);
    match &destination.capabilities {
        _ if preset == ChecksumPolicy::None => ChecksumPolicy::None,
        Some(c) if c.checksum_headers && c.crc32c_checked => ChecksumPolicy::Crc32c,
        Some(c) if c.content_md5 => ChecksumPolicy::ContentMd5,
        Some(_) => ChecksumPolicy::None,
        None => preset,
    }
}

fn invalid(destination: &Destination, what: &str) -> Error {
    Error::new(
        ErrorKind::InvalidInput,
        format!("destination '{}': the {what}", destination.name),
    )
}

fn content_length(body: &PartBody) -> Result<i64> {
    i64::try_from(body.length).map_err(|_| {
        Error::new(
            ErrorKind::InvalidInput,
            format!("a body of {} bytes is too large", body.length),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::options::Capabilities;
    use crate::presets::Provider;
    use crate::store::destinations::tests::sample_destination;

    #[test]
    fn crc32c_is_sent_only_where_the_server_is_known_to_refuse_a_wrong_one() {
        let mut d = sample_destination("d");
        d.provider = None;
        d.capabilities = None;
        assert_eq!(upload_checksum(&d), ChecksumPolicy::ContentMd5, "untested");
        d.provider = Some(Provider::Garage);
        assert_eq!(
            upload_checksum(&d),
            ChecksumPolicy::Crc32c,
            "Garage's preset"
        );
        // A test from before the wrong-CRC32C check remembered only "accepted".
        d.capabilities = Some(Capabilities::default());
        assert_eq!(
            upload_checksum(&d),
            ChecksumPolicy::ContentMd5,
            "accepted only"
        );
        d.provider = None;
        d.capabilities = Some(Capabilities {
            crc32c_checked: true,
            ..Capabilities::default()
        });
        assert_eq!(upload_checksum(&d), ChecksumPolicy::Crc32c, "tested");
        d.capabilities = Some(Capabilities {
            content_md5: false,
            checksum_headers: false,
            ..Capabilities::default()
        });
        assert_eq!(upload_checksum(&d), ChecksumPolicy::None, "refuses both");
    }
}
