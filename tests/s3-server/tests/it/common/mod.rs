//! Helpers shared by the integration tests: an aws-sdk-s3 client configured the way Hoist
//! configures it (path style, WhenRequired checksums, SDK retries off), timeouts around every
//! wait, and a flattened view of SDK errors.

use std::future::Future;
use std::time::Duration;

use aws_sdk_s3::Client;
use aws_sdk_s3::config::retry::RetryConfig;
use aws_sdk_s3::config::timeout::TimeoutConfig;
use aws_sdk_s3::config::{
    BehaviorVersion, Credentials, Region, RequestChecksumCalculation, ResponseChecksumValidation,
};
use aws_sdk_s3::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{CompletedMultipartUpload, CompletedPart};
use base64::Engine as _;
use hoist_test_s3::{ACCESS_KEY, REGION, SECRET_KEY, TestS3};
use md5::{Digest, Md5};

pub const BUCKET: &str = "bucket";
pub const MIB: usize = 1024 * 1024;

/// A started server with the test bucket.
pub async fn server() -> TestS3 {
    let s3 = within("start", TestS3::start()).await;
    s3.create_bucket(BUCKET);
    s3
}

pub fn client(s3: &TestS3) -> Client {
    client_with(&s3.endpoint(), SECRET_KEY, Duration::from_secs(60))
}

/// A client whose every attempt gives up after `attempt_timeout`.
pub fn client_with(endpoint: &str, secret: &str, attempt_timeout: Duration) -> Client {
    let config = aws_sdk_s3::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new(REGION))
        .endpoint_url(endpoint)
        .force_path_style(true)
        .credentials_provider(Credentials::new(
            ACCESS_KEY,
            secret,
            None,
            None,
            "hoist-test",
        ))
        .request_checksum_calculation(RequestChecksumCalculation::WhenRequired)
        .response_checksum_validation(ResponseChecksumValidation::WhenRequired)
        .retry_config(RetryConfig::disabled())
        .timeout_config(
            TimeoutConfig::builder()
                .connect_timeout(Duration::from_secs(5))
                .operation_attempt_timeout(attempt_timeout)
                .build(),
        )
        .build();
    Client::from_conf(config)
}

/// Awaits `f`, failing the test after 60 s.
pub async fn within<F: Future>(what: &str, f: F) -> F::Output {
    match tokio::time::timeout(Duration::from_secs(60), f).await {
        Ok(v) => v,
        Err(_) => panic!("timed out: {what}"),
    }
}

pub use hoist_test_s3::pattern as data;

pub fn md5_bytes(data: &[u8]) -> [u8; 16] {
    Md5::digest(data).into()
}

pub fn md5_hex(data: &[u8]) -> String {
    hex::encode(md5_bytes(data))
}

pub fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

pub fn content_md5(data: &[u8]) -> String {
    b64(&md5_bytes(data))
}

pub fn quoted(s: &str) -> String {
    format!("\"{s}\"")
}

/// The ETag S3 gives an object assembled from these parts.
pub fn multipart_etag(parts: &[&[u8]]) -> String {
    let mut all = Md5::new();
    for p in parts {
        all.update(md5_bytes(p));
    }
    format!("\"{}-{}\"", hex::encode(all.finalize()), parts.len())
}

/// What a failed SDK call looked like on the wire.
#[derive(Debug)]
pub struct Failure {
    pub status: Option<u16>,
    pub code: Option<String>,
    /// "service", "dispatch", "response", "timeout" or "other".
    pub kind: &'static str,
}

impl Failure {
    /// The connection went away without an answer (dropped, cut or reset).
    pub fn no_answer(&self) -> bool {
        matches!(self.kind, "dispatch" | "response") && self.status.is_none()
    }
}

pub fn failure<T: std::fmt::Debug, E>(
    r: Result<T, SdkError<E, aws_sdk_s3::config::http::HttpResponse>>,
) -> Failure
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    let err = r.expect_err("the call should have failed");
    let kind = match &err {
        SdkError::ServiceError(_) => "service",
        SdkError::DispatchFailure(_) => "dispatch",
        SdkError::ResponseError(_) => "response",
        SdkError::TimeoutError(_) => "timeout",
        _ => "other",
    };
    Failure {
        status: err.raw_response().map(|r| r.status().as_u16()),
        code: err.code().map(str::to_owned),
        kind,
    }
}

pub async fn put(client: &Client, key: &str, body: &[u8]) -> String {
    let out = within(
        "put",
        client
            .put_object()
            .bucket(BUCKET)
            .key(key)
            .content_md5(content_md5(body))
            .body(ByteStream::from(body.to_vec()))
            .send(),
    )
    .await
    .expect("put_object");
    out.e_tag().expect("etag").to_owned()
}

pub async fn create_upload(client: &Client, key: &str) -> String {
    let out = within(
        "create",
        client
            .create_multipart_upload()
            .bucket(BUCKET)
            .key(key)
            .send(),
    )
    .await
    .expect("create_multipart_upload");
    out.upload_id().expect("upload id").to_owned()
}

pub async fn upload_part(
    client: &Client,
    key: &str,
    upload_id: &str,
    n: i32,
    body: &[u8],
) -> String {
    let out = within("upload_part", send_part(client, key, upload_id, n, body))
        .await
        .expect("upload_part");
    out.e_tag().expect("etag").to_owned()
}

pub async fn send_part(
    client: &Client,
    key: &str,
    upload_id: &str,
    n: i32,
    body: &[u8],
) -> Result<
    aws_sdk_s3::operation::upload_part::UploadPartOutput,
    SdkError<
        aws_sdk_s3::operation::upload_part::UploadPartError,
        aws_sdk_s3::config::http::HttpResponse,
    >,
> {
    client
        .upload_part()
        .bucket(BUCKET)
        .key(key)
        .upload_id(upload_id)
        .part_number(n)
        .content_md5(content_md5(body))
        .body(ByteStream::from(body.to_vec()))
        .send()
        .await
}

pub fn completed(parts: &[(i32, &str)]) -> CompletedMultipartUpload {
    CompletedMultipartUpload::builder()
        .set_parts(Some(
            parts
                .iter()
                .map(|(n, e)| CompletedPart::builder().part_number(*n).e_tag(*e).build())
                .collect(),
        ))
        .build()
}

pub async fn send_complete(
    client: &Client,
    key: &str,
    upload_id: &str,
    parts: &[(i32, &str)],
) -> Result<
    aws_sdk_s3::operation::complete_multipart_upload::CompleteMultipartUploadOutput,
    SdkError<
        aws_sdk_s3::operation::complete_multipart_upload::CompleteMultipartUploadError,
        aws_sdk_s3::config::http::HttpResponse,
    >,
> {
    client
        .complete_multipart_upload()
        .bucket(BUCKET)
        .key(key)
        .upload_id(upload_id)
        .multipart_upload(completed(parts))
        .send()
        .await
}
