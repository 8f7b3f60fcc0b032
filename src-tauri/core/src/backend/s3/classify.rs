//! What a failed S3 request means, decided once from structured data: the S3 error code, the
//! HTTP status, the `SdkError` variant, the connector error kind, and the error types and
//! `io::ErrorKind`s in the source chain. Never from message text. Each kind's message names
//! the fix; the SDK error stays attached as the source.
//!
//! "Unreachable" (the queue waits for the network without spending attempts) is reserved for
//! failures where the connection was never established: DNS, refused, unroutable, connect
//! timeout. A connection that breaks after that is "Interrupted" (retried, and counted), so a
//! server that reliably drops one request cannot keep a job waiting forever.

use super::S3Backend;
use super::body::BodyEndedEarly;
use crate::error::{Error, ErrorKind, Fix};
use aws_sdk_s3::error::{ConnectorError, ProvideErrorMetadata, SdkError};
use aws_smithy_runtime_api::client::dns::ResolveDnsError;
use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_smithy_types::retry::ErrorKind as RetryKind;
use std::time::Duration;

type DynError = dyn std::error::Error + 'static;

impl S3Backend {
    pub(super) fn no_answer(&self, op: &str, after: Duration) -> Error {
        Error::new(
            ErrorKind::Interrupted,
            format!(
                "{} did not answer {op} within {} s",
                self.endpoint,
                after.as_secs()
            ),
        )
    }

    /// Decides what a failed request means. `body_polled`: whether any byte of the request's
    /// body was asked for, i.e. whether the connection was established.
    pub(super) fn classify<E>(
        &self,
        op: &str,
        body_polled: bool,
        err: SdkError<E, HttpResponse>,
    ) -> Error
    where
        E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    {
        let mut fix = None;
        let (kind, message, retry_after) = match &err {
            SdkError::ServiceError(_) => {
                let raw = err.raw_response();
                let status = raw.map(|r| r.status().as_u16()).unwrap_or(0);
                let retry_after = raw.and_then(retry_after);
                let region = raw.and_then(|r| r.headers().get("x-amz-bucket-region"));
                let (kind, message) =
                    self.service_failure(op, status, err.code(), err.message(), region);
                if kind == ErrorKind::WrongRegion {
                    // The header says it; without one, the answer's text may.
                    fix = region
                        .or_else(|| err.message().and_then(named_region))
                        .filter(|r| crate::presets::check_region(r).is_ok())
                        .map(|region| Fix::UseRegion {
                            region: region.to_owned(),
                        });
                }
                (kind, message, retry_after)
            }
            SdkError::DispatchFailure(failure) => {
                let (kind, message) =
                    self.dispatch_failure(op, body_polled, &err, failure.as_connector_error());
                (kind, message, None)
            }
            SdkError::TimeoutError(_) => (
                ErrorKind::Interrupted,
                format!("{op} to {} timed out", self.endpoint),
                None,
            ),
            SdkError::ResponseError(_) => {
                if chain_has::<std::io::Error>(&err) {
                    let m = format!(
                        "the connection to {} broke while reading the answer to {op}",
                        self.endpoint
                    );
                    (ErrorKind::Interrupted, m, None)
                } else {
                    let m = format!("the answer of {} to {op} is not valid S3", self.endpoint);
                    (ErrorKind::Protocol, m, None)
                }
            }
            _ => (
                ErrorKind::InvalidInput,
                format!(
                    "cannot build the {op} request for s3://{}: check the destination's endpoint, region and bucket",
                    self.bucket
                ),
                None,
            ),
        };
        let error = Error::new(kind, message)
            .with_retry_after(retry_after)
            .with_source(err);
        match fix {
            Some(fix) => error.with_fix(fix),
            None => error,
        }
    }

    /// A request that got no HTTP answer. Whether the connection had been established is
    /// judged from what only happens after it was: the body was polled, the peer reset or
    /// closed it, or hyper saw an incomplete answer. DNS, TLS handshake and connect-timeout
    /// failures carry no public type of their own, so they are what remains.
    fn dispatch_failure(
        &self,
        op: &str,
        body_polled: bool,
        err: &DynError,
        connector: Option<&ConnectorError>,
    ) -> (ErrorKind, String) {
        let at = &self.endpoint;
        if let Some(short) = chain_find::<BodyEndedEarly>(err) {
            let missing = short.missing;
            let m = format!(
                "the file became shorter while it was being uploaded ({missing} bytes missing)"
            );
            return (ErrorKind::FileChanged, m);
        }
        if connector.is_some_and(ConnectorError::is_user) {
            // hyper reports a failing body (our file) and an unsendable request as user errors.
            return match chain_find::<std::io::Error>(err) {
                Some(io) if io.kind() == std::io::ErrorKind::NotFound => (
                    ErrorKind::FileMissing,
                    "the file disappeared while it was being uploaded".into(),
                ),
                Some(io) => {
                    let m = format!(
                        "the file could not be read while it was being uploaded ({})",
                        io.kind()
                    );
                    (ErrorKind::FileUnreadable, m)
                }
                None => (
                    ErrorKind::InvalidInput,
                    format!("the {op} request could not be sent to {at}"),
                ),
            };
        }
        if let Some(problem) = crate::http::certificate_problem(err) {
            let host = at.split("://").nth(1).unwrap_or(at);
            return (
                ErrorKind::UntrustedCertificate,
                crate::http::untrusted_message(host, &problem),
            );
        }
        let io = chain_io_kind(err);
        let refused = chain_has::<ResolveDnsError>(err) || io.is_some_and(is_connect_io);
        let connected = !refused
            && (body_polled
                || io.is_some_and(is_broken_connection_io)
                || connector.and_then(ConnectorError::as_other) == Some(RetryKind::TransientError));
        let timeout = connector.is_some_and(ConnectorError::is_timeout);
        match (connected, timeout) {
            // With no read timeout configured, a timeout on an established connection is
            // stalled-stream protection.
            (true, true) => {
                let grace = self.options.stall_grace.as_secs();
                (
                    ErrorKind::Interrupted,
                    format!("the upload to {at} stalled (nothing sent for {grace} s)"),
                )
            }
            (true, false) => (
                ErrorKind::Interrupted,
                format!("the connection to {at} broke during {op}"),
            ),
            (false, true) => (
                ErrorKind::Unreachable,
                format!(
                    "cannot connect to {at} (connect timeout): check the endpoint and the network"
                ),
            ),
            (false, false) => (
                ErrorKind::Unreachable,
                format!(
                    "cannot connect to {at}: check the endpoint (host, port, http or https) and the network"
                ),
            ),
        }
    }

    fn service_failure(
        &self,
        op: &str,
        status: u16,
        code: Option<&str>,
        server_message: Option<&str>,
        bucket_region: Option<&str>,
    ) -> (ErrorKind, String) {
        let kind = service_kind(code, status, bucket_region.is_some());
        let said = match (code, server_message) {
            (Some(c), Some(m)) => format!("{status} {c}: {m}"),
            (Some(c), None) => format!("{status} {c}"),
            (None, Some(m)) => format!("{status}: {m}"),
            (None, None) => format!("{status}"),
        };
        let (at, bucket) = (&self.endpoint, &self.bucket);
        use ErrorKind as K;
        let message = match (kind, code.unwrap_or("")) {
            (K::Throttled, _) => format!("{at} asks to slow down ({said}): Hoist will retry later"),
            (K::ServerBusy, _) => format!("{at} could not handle {op} ({said}): Hoist will retry"),
            (K::ChecksumMismatch, _) => {
                format!("the server received other bytes than Hoist read ({said}): {CHANGING}")
            }
            (K::BadCredentials, "InvalidAccessKeyId" | "NotSignedUp") => {
                format!("the access key id is not known to the server at {at}: {FIX_KEY}")
            }
            (K::BadCredentials, "SignatureDoesNotMatch") => {
                format!("the secret key does not match the access key id: {FIX_KEY}")
            }
            (K::BadCredentials, _) => {
                format!("the server refused the credentials ({said}): {FIX_KEY}")
            }
            (K::AccessDenied, _) => format!(
                "the server refused {op} in bucket '{bucket}' ({said}): check the key's permissions"
            ),
            (K::NoSuchBucket, _) => format!(
                "the bucket '{bucket}' does not exist at {at}: check the destination's bucket and endpoint"
            ),
            (K::NoSuchUpload, _) => format!(
                "the multipart upload is no longer known to the server ({said}): it expired, \
                 was aborted or was completed"
            ),
            (K::ClockSkew, _) => format!(
                "your clock differs from the server's by more than 15 minutes ({said}): \
                 correct the system time"
            ),
            (K::WrongRegion, _) => format!("{} ({said})", self.wrong_region(bucket_region)),
            (_, "EntityTooSmall") => {
                format!("the server refused a part smaller than its minimum part size ({said})")
            }
            (_, "InvalidPart" | "InvalidPartOrder") => format!(
                "the server does not hold the parts listed for completion, or their ETags differ \
                 ({said})"
            ),
            (K::Rejected, _) => format!("the server rejected {op} in bucket '{bucket}' ({said})"),
            _ => format!("unexpected answer of {at} to {op} ({said})"),
        };
        (kind, message)
    }

    fn wrong_region(&self, bucket_region: Option<&str>) -> String {
        match bucket_region {
            Some(r) => format!(
                "the bucket is in another region (server says {r}): set the destination's region"
            ),
            None => format!(
                "the bucket '{}' is not in region '{}': set the destination's region to the bucket's",
                self.bucket, self.region
            ),
        }
    }
}

impl S3Backend {
    pub(super) fn protocol(&self, op: &str, what: &str) -> Error {
        Error::new(
            ErrorKind::Protocol,
            format!("the answer of {} to {op} has {what}", self.endpoint),
        )
    }
}

/// The region a wrong-region answer's text names, when it has no `x-amz-bucket-region` header:
/// AWS says "expecting 'R'", Garage "expected: 'DATE/REGION/s3/aws4_request'".
fn named_region(message: &str) -> Option<&str> {
    let after = |marker: &str, end: char| {
        message
            .split(marker)
            .nth(1)
            .and_then(|rest| rest.split(end).next())
    };
    after("expecting '", '\'')
        .or_else(|| after("expected: '", '\'').and_then(|scope| scope.split('/').nth(1)))
        .filter(|region| !region.is_empty())
}

const FIX_KEY: &str = "check the destination's credentials";
const CHANGING: &str = "the file may be changing";

/// The kind of an S3 error answer: by its error code when it has a known one, else by the
/// HTTP status. `region_hint`: the answer named the bucket's region (x-amz-bucket-region).
fn service_kind(code: Option<&str>, status: u16, region_hint: bool) -> ErrorKind {
    use ErrorKind as K;
    code.and_then(code_kind).unwrap_or(match status {
        429 => K::Throttled,
        500 | 502 | 503 | 504 => K::ServerBusy,
        301 | 307 if region_hint => K::WrongRegion,
        412 => K::ObjectChanged,
        403 => K::AccessDenied,
        400..=499 => K::Rejected,
        _ => K::Protocol,
    })
}

/// The kind an S3 error code stands for, wherever it is met: a whole answer's, or one key's
/// in a DeleteObjects answer. None for a code this map does not know.
pub(super) fn code_kind(code: &str) -> Option<ErrorKind> {
    use ErrorKind as K;
    Some(match code {
        "SlowDown"
        | "Throttling"
        | "ThrottlingException"
        | "TooManyRequests"
        | "RequestLimitExceeded" => K::Throttled,
        "InternalError" | "ServiceUnavailable" | "RequestTimeout" | "OperationAborted" => {
            K::ServerBusy
        }
        "BadDigest"
        | "InvalidDigest"
        | "XAmzContentChecksumMismatch"
        | "XAmzContentSHA256Mismatch" => K::ChecksumMismatch,
        // NotSignedUp: the key's account may not use the service; s3s answers it for an
        // unknown access key id.
        "InvalidAccessKeyId"
        | "NotSignedUp"
        | "SignatureDoesNotMatch"
        | "InvalidToken"
        | "ExpiredToken"
        | "TokenRefreshRequired" => K::BadCredentials,
        "AccessDenied" | "AllAccessDisabled" | "AccountProblem" => K::AccessDenied,
        "NoSuchBucket" => K::NoSuchBucket,
        "NoSuchUpload" => K::NoSuchUpload,
        "NoSuchKey" => K::NotFound,
        "PreconditionFailed" => K::ObjectChanged,
        "InvalidPart" => K::PartLost,
        "RequestTimeTooSkewed" => K::ClockSkew,
        "PermanentRedirect"
        | "AuthorizationHeaderMalformed"
        | "IllegalLocationConstraintException" => K::WrongRegion,
        _ => return None,
    })
}

fn retry_after(raw: &HttpResponse) -> Option<Duration> {
    parse_retry_after(
        raw.headers().get("retry-after")?,
        std::time::SystemTime::now(),
    )
}

/// Retry-After in either of its forms (RFC 9110 §10.2.3): delay seconds, or an HTTP date
/// (a date already past means "now"). Anything else is ignored.
fn parse_retry_after(value: &str, now: std::time::SystemTime) -> Option<Duration> {
    let value = value.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let at = httpdate::parse_http_date(value).ok()?;
    Some(at.duration_since(now).unwrap_or(Duration::ZERO))
}

pub(super) fn is_not_implemented<E: ProvideErrorMetadata>(e: &SdkError<E, HttpResponse>) -> bool {
    let status = e.raw_response().map(|r| r.status().as_u16());
    status == Some(501) || e.code() == Some("NotImplemented")
}

/// I/O error kinds that mean the connection was never established.
fn is_connect_io(kind: std::io::ErrorKind) -> bool {
    use std::io::ErrorKind as Io;
    matches!(
        kind,
        Io::ConnectionRefused
            | Io::HostUnreachable
            | Io::NetworkUnreachable
            | Io::NetworkDown
            | Io::AddrNotAvailable
    )
}

/// I/O error kinds that only an established connection can produce.
fn is_broken_connection_io(kind: std::io::ErrorKind) -> bool {
    use std::io::ErrorKind as Io;
    matches!(
        kind,
        Io::ConnectionReset | Io::ConnectionAborted | Io::BrokenPipe | Io::UnexpectedEof
    )
}

/// Walks `err` and its sources; `io::Error` payloads are visited too (their `source()` skips
/// the payload itself).
fn chain(err: &DynError) -> impl Iterator<Item = &DynError> {
    std::iter::successors(Some(err), |&e| match e.downcast_ref::<std::io::Error>() {
        Some(io) => io.get_ref().map(|inner| inner as &DynError),
        None => e.source(),
    })
}

fn chain_find<T: std::error::Error + 'static>(err: &DynError) -> Option<&T> {
    chain(err).find_map(|e| e.downcast_ref::<T>())
}

fn chain_has<T: std::error::Error + 'static>(err: &DynError) -> bool {
    chain_find::<T>(err).is_some()
}

/// The innermost `io::ErrorKind` in the chain that says more than `Other`.
fn chain_io_kind(err: &DynError) -> Option<std::io::ErrorKind> {
    chain(err)
        .filter_map(|e| e.downcast_ref::<std::io::Error>().map(std::io::Error::kind))
        .filter(|k| *k != std::io::ErrorKind::Other)
        .last()
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_right_region_is_read_from_each_servers_wording() {
        use super::named_region;
        assert_eq!(
            named_region("the region 'us-east-1' is wrong; expecting 'eu-central-1'"),
            Some("eu-central-1")
        );
        assert_eq!(
            named_region(
                "Authorization header malformed, expected: '20260101/garage/s3/aws4_request'"
            ),
            Some("garage")
        );
        assert_eq!(named_region("access denied"), None);
    }

    use super::{parse_retry_after, service_kind};
    use crate::error::ErrorKind as K;
    use std::time::{Duration, SystemTime};

    #[test]
    fn retry_after_as_an_http_date_was_ignored() {
        let now = httpdate::parse_http_date("Wed, 21 Oct 2026 07:28:00 GMT").unwrap();
        let in_90s = "Wed, 21 Oct 2026 07:29:30 GMT";
        assert_eq!(
            parse_retry_after(in_90s, now),
            Some(Duration::from_secs(90))
        );
        // The obsolete forms HTTP still allows.
        assert_eq!(
            parse_retry_after("Wednesday, 21-Oct-26 07:29:30 GMT", now),
            Some(Duration::from_secs(90))
        );
        assert_eq!(
            parse_retry_after("Wed Oct 21 07:29:30 2026", now),
            Some(Duration::from_secs(90))
        );
        let past = "Tue, 20 Oct 2026 07:28:00 GMT";
        assert_eq!(parse_retry_after(past, now), Some(Duration::ZERO));
        assert_eq!(parse_retry_after(" 7 ", now), Some(Duration::from_secs(7)));
        assert_eq!(parse_retry_after("soon", SystemTime::now()), None);
    }

    #[test]
    fn codes_decide_before_statuses() {
        let cases = [
            (Some("SlowDown"), 503, K::Throttled),
            (None, 503, K::ServerBusy),
            (None, 429, K::Throttled),
            (Some("InternalError"), 500, K::ServerBusy),
            // CompleteMultipartUpload's 200 with an <Error> body.
            (Some("InternalError"), 200, K::ServerBusy),
            (Some("RequestTimeout"), 400, K::ServerBusy),
            (Some("BadDigest"), 400, K::ChecksumMismatch),
            (Some("InvalidDigest"), 400, K::ChecksumMismatch),
            (Some("InvalidAccessKeyId"), 403, K::BadCredentials),
            (Some("SignatureDoesNotMatch"), 403, K::BadCredentials),
            (Some("AccessDenied"), 403, K::AccessDenied),
            (None, 403, K::AccessDenied),
            (Some("NoSuchBucket"), 404, K::NoSuchBucket),
            (Some("NoSuchUpload"), 404, K::NoSuchUpload),
            (Some("RequestTimeTooSkewed"), 403, K::ClockSkew),
            (Some("PermanentRedirect"), 301, K::WrongRegion),
            (Some("AuthorizationHeaderMalformed"), 400, K::WrongRegion),
            (Some("EntityTooSmall"), 400, K::Rejected),
            (Some("InvalidPart"), 400, K::PartLost),
            (None, 404, K::Rejected),
            (Some("SomethingNew"), 502, K::ServerBusy),
            (None, 200, K::Protocol),
        ];
        for (code, status, kind) in cases {
            assert_eq!(service_kind(code, status, false), kind, "{code:?} {status}");
        }
        assert_eq!(service_kind(None, 301, true), K::WrongRegion);
        assert_eq!(service_kind(None, 301, false), K::Protocol);
    }
}
