//! Fault hooks and the request log.
//!
//! Every HTTP request is classified by method, path and query (`uploads`, `uploadId`,
//! `partNumber`) into an [`Op`] before s3s sees it. The [`FaultBook`] keeps the queue of
//! injected [`Fault`]s (the first queued fault matching a request fires and loses one of its
//! `times`) and the log of every request in arrival order, whose byte counters are live.

use std::sync::Arc;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// The S3 operation a request was classified as (by method, path and query string).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    PutObject,
    CreateMultipartUpload,
    UploadPart,
    ListParts,
    CompleteMultipartUpload,
    AbortMultipartUpload,
    HeadObject,
    GetObject,
    /// ListObjects (v1 or v2) on a bucket.
    ListObjects,
    /// DeleteObjects (POST /bucket?delete): a batch delete.
    DeleteObjects,
    /// Everything else: bucket operations, DeleteObject, ListMultipartUploads, ListBuckets...
    Other,
}

/// A fault that fires on the next `times` requests matching `op` (and `part_number` if Some).
#[derive(Debug, Clone)]
pub struct Fault {
    pub op: Op,
    pub part_number: Option<u32>,
    pub action: FaultAction,
    pub times: u32,
}

/// What a fault does to the request it fires on.
#[derive(Debug, Clone)]
pub enum FaultAction {
    /// The body is read, then 503 `<Code>SlowDown</Code>`, with this Retry-After header when
    /// Some (seconds, e.g. "2", or an HTTP date).
    SlowDown { retry_after: Option<String> },
    /// The body is read, then 500 InternalError.
    InternalError,
    /// Reads this many body bytes (or the whole body if shorter), then drops the TCP connection
    /// without answering. The request is not processed.
    CutBodyAfter(u64),
    /// The request is processed, and its answer (e.g. GetObject's) is cut after this many body
    /// bytes: the headers promise the whole body, the connection closes early.
    CutAnswerAfter(u64),
    /// The request is processed, and the byte at this offset of its answer's body (the last
    /// byte when the body is shorter) is flipped; status and headers stay as they were, as a
    /// faulty middlebox, NIC or disk cache would leave them.
    FlipAnswerByte(u64),
    /// Reads the whole request, then answers nothing for this long, then drops the connection.
    /// The request is not processed.
    Stall(Duration),
    /// The body is read, then 200 with an `<Error><Code>InternalError</Code>` body; nothing is
    /// processed (meant for CompleteMultipartUpload: the upload is NOT completed).
    CompleteOkWithErrorBody,
    /// The request is processed (CompleteMultipartUpload completes the object), then the
    /// connection is dropped without answering.
    CompleteThenDropAnswer,
    /// The request's upload id is deleted (with its parts) before the request is handled: this
    /// request and later ones on that id get 404 NoSuchUpload.
    ForgetUpload,
    /// Part N of the request's upload id is deleted before the request is handled, as if the
    /// server had lost it (meant for CompleteMultipartUpload: it then answers InvalidPart).
    ForgetPart(u32),
    /// The body is read, then 403 AccessDenied.
    AccessDenied,
    /// The body is read, then the S3 error with this code and its usual status (e.g.
    /// `RequestTimeTooSkewed` 403, `InvalidArgument` 400, `AuthorizationHeaderMalformed` 400).
    Error { code: &'static str },
}

/// One request as the server saw it.
#[derive(Debug, Clone)]
pub struct RequestRecord {
    pub op: Op,
    /// Object key (percent-decoded), empty for bucket and service requests.
    pub key: String,
    pub part_number: Option<u32>,
    pub upload_id: Option<String>,
    /// HTTP status answered; 0 when no answer was sent (cut, stalled, dropped) or not yet.
    pub status: u16,
    /// Body bytes received so far (as sent on the wire).
    pub body_bytes: u64,
    /// The request's headers among [`RECORDED_HEADERS`], names in lower case.
    pub headers: Vec<(String, String)>,
}

/// The request headers the log keeps, for tests about what a client sends.
pub const RECORDED_HEADERS: &[&str] = &[
    "content-type",
    "content-md5",
    "cache-control",
    "x-amz-acl",
    "x-amz-storage-class",
    "x-amz-checksum-crc32c",
    "x-amz-checksum-algorithm",
    "range",
    "if-match",
];

impl RequestRecord {
    /// The value of a recorded header (name in lower case).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// A request classified from its method, path and query string.
#[derive(Debug, Clone)]
pub(crate) struct Classified {
    pub op: Op,
    pub bucket: String,
    pub key: String,
    pub part_number: Option<u32>,
    pub upload_id: Option<String>,
}

/// Classifies a path-style S3 request.
pub(crate) fn classify(method: &http::Method, uri: &http::Uri) -> Classified {
    let path = uri.path().strip_prefix('/').unwrap_or(uri.path());
    let (bucket, key) = match path.split_once('/') {
        Some((b, k)) => (percent_decode(b), percent_decode(k)),
        None => (percent_decode(path), String::new()),
    };
    let mut has_uploads = false;
    let mut has_delete = false;
    let mut upload_id = None;
    let mut part_number = None;
    for pair in uri
        .query()
        .unwrap_or("")
        .split('&')
        .filter(|p| !p.is_empty())
    {
        let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
        match name {
            "uploads" => has_uploads = true,
            "delete" => has_delete = true,
            "uploadId" => upload_id = Some(percent_decode(value)),
            "partNumber" => part_number = value.parse::<u32>().ok(),
            _ => {}
        }
    }
    let on_object = !key.is_empty();
    let op = match *method {
        http::Method::PUT if on_object && upload_id.is_some() && part_number.is_some() => {
            Op::UploadPart
        }
        http::Method::PUT if on_object => Op::PutObject,
        http::Method::POST if on_object && has_uploads => Op::CreateMultipartUpload,
        http::Method::POST if on_object && upload_id.is_some() => Op::CompleteMultipartUpload,
        http::Method::POST if !on_object && !bucket.is_empty() && has_delete => Op::DeleteObjects,
        http::Method::GET if on_object && upload_id.is_some() => Op::ListParts,
        http::Method::GET if on_object => Op::GetObject,
        http::Method::GET if !bucket.is_empty() && !has_uploads => Op::ListObjects,
        http::Method::HEAD if on_object => Op::HeadObject,
        http::Method::DELETE if on_object && upload_id.is_some() => Op::AbortMultipartUpload,
        _ => Op::Other,
    };
    Classified {
        op,
        bucket,
        key,
        part_number,
        upload_id,
    }
}

/// Decodes `%XX` escapes; invalid escapes are kept as they are.
pub(crate) fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && i + 2 < bytes.len()
            && let (Some(h), Some(l)) = (hex_val(bytes[i + 1]), hex_val(bytes[i + 2]))
        {
            out.push(h * 16 + l);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn hex_val(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

struct Entry {
    record: RequestRecord,
    body_bytes: Arc<AtomicU64>,
}

/// The fault queue and the request log.
#[derive(Default)]
pub(crate) struct FaultBook {
    queue: Mutex<Vec<Fault>>,
    log: Mutex<Vec<Entry>>,
}

/// Handle on one logged request: its live byte counter and its place in the log.
pub(crate) struct Logged {
    pub index: usize,
    pub body_bytes: Arc<AtomicU64>,
}

impl FaultBook {
    pub fn inject(&self, fault: Fault) {
        if fault.times > 0 {
            lock(&self.queue).push(fault);
        }
    }

    /// Forgets every queued fault.
    pub fn clear(&self) {
        lock(&self.queue).clear();
    }

    /// Takes one firing of the first queued fault matching this request.
    pub fn take(&self, req: &Classified) -> Option<FaultAction> {
        let mut queue = lock(&self.queue);
        let pos = queue.iter().position(|f| {
            f.op == req.op && f.part_number.is_none_or(|n| Some(n) == req.part_number)
        })?;
        let fault = &mut queue[pos];
        let action = fault.action.clone();
        fault.times -= 1;
        if fault.times == 0 {
            queue.remove(pos);
        }
        Some(action)
    }

    /// Appends a request to the log with status 0 and a fresh byte counter.
    pub fn log(&self, req: &Classified, headers: &http::HeaderMap) -> Logged {
        let headers = RECORDED_HEADERS
            .iter()
            .filter_map(|name| {
                let value = headers.get(*name)?.to_str().ok()?;
                Some((name.to_string(), value.to_string()))
            })
            .collect();
        let body_bytes = Arc::new(AtomicU64::new(0));
        let mut log = lock(&self.log);
        log.push(Entry {
            record: RequestRecord {
                op: req.op,
                key: req.key.clone(),
                part_number: req.part_number,
                upload_id: req.upload_id.clone(),
                status: 0,
                body_bytes: 0,
                headers,
            },
            body_bytes: Arc::clone(&body_bytes),
        });
        Logged {
            index: log.len() - 1,
            body_bytes,
        }
    }

    pub fn set_status(&self, logged: &Logged, status: u16) {
        if let Some(entry) = lock(&self.log).get_mut(logged.index) {
            entry.record.status = status;
        }
    }

    pub fn records(&self) -> Vec<RequestRecord> {
        lock(&self.log)
            .iter()
            .map(|e| RequestRecord {
                body_bytes: e.body_bytes.load(Ordering::SeqCst),
                ..e.record.clone()
            })
            .collect()
    }
}

/// Locks a mutex, ignoring poisoning (a panicking test must not wedge the server).
pub(crate) fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(method: http::Method, uri: &str) -> Classified {
        classify(&method, &uri.parse().unwrap())
    }

    #[test]
    fn classifies_by_method_and_query() {
        let put = c(http::Method::PUT, "/b/dir/a%20b.bin");
        assert_eq!(
            (put.op, put.bucket.as_str(), put.key.as_str()),
            (Op::PutObject, "b", "dir/a b.bin")
        );
        let part = c(http::Method::PUT, "/b/k?partNumber=3&uploadId=abc%2Bd");
        assert_eq!(part.op, Op::UploadPart);
        assert_eq!(part.part_number, Some(3));
        assert_eq!(part.upload_id.as_deref(), Some("abc+d"));
        assert_eq!(
            c(http::Method::POST, "/b/k?uploads").op,
            Op::CreateMultipartUpload
        );
        assert_eq!(
            c(http::Method::POST, "/b/k?uploads=").op,
            Op::CreateMultipartUpload
        );
        assert_eq!(
            c(http::Method::POST, "/b/k?uploadId=u").op,
            Op::CompleteMultipartUpload
        );
        assert_eq!(
            c(http::Method::GET, "/b/k?uploadId=u&max-parts=2").op,
            Op::ListParts
        );
        assert_eq!(c(http::Method::GET, "/b/k").op, Op::GetObject);
        assert_eq!(c(http::Method::HEAD, "/b/k").op, Op::HeadObject);
        assert_eq!(
            c(http::Method::DELETE, "/b/k?uploadId=u").op,
            Op::AbortMultipartUpload
        );
        assert_eq!(c(http::Method::DELETE, "/b/k").op, Op::Other);
        assert_eq!(
            c(http::Method::GET, "/b?list-type=2&prefix=x").op,
            Op::ListObjects
        );
        assert_eq!(c(http::Method::GET, "/b?uploads").op, Op::Other);
        assert_eq!(c(http::Method::GET, "/").op, Op::Other);
        assert_eq!(c(http::Method::PUT, "/b").op, Op::Other);
    }

    #[test]
    fn faults_fire_in_order_and_count_down() {
        let book = FaultBook::default();
        book.inject(Fault {
            op: Op::UploadPart,
            part_number: Some(2),
            action: FaultAction::InternalError,
            times: 2,
        });
        book.inject(Fault {
            op: Op::UploadPart,
            part_number: None,
            action: FaultAction::AccessDenied,
            times: 1,
        });
        let p1 = c(http::Method::PUT, "/b/k?partNumber=1&uploadId=u");
        let p2 = c(http::Method::PUT, "/b/k?partNumber=2&uploadId=u");
        assert!(matches!(book.take(&p2), Some(FaultAction::InternalError)));
        assert!(matches!(book.take(&p1), Some(FaultAction::AccessDenied)));
        assert!(book.take(&p1).is_none());
        assert!(matches!(book.take(&p2), Some(FaultAction::InternalError)));
        assert!(book.take(&p2).is_none());
    }
}
