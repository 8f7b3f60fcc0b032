//! The S3 backend against a real S3 wire protocol on loopback (`hoist-test-s3`): requests,
//! multipart bookkeeping, and the classification of every injected fault into an ErrorKind.

use hoist_core::backend::s3::{S3Backend, S3Options};
use hoist_core::backend::{
    Backend, ObjectInfo, PartBody, PartDigest, PartReceipt, digest_range, multipart_etag,
};
use hoist_core::credentials::{AccessKey, Secret};
use hoist_core::error::{Error, ErrorKind};
use hoist_core::model::{Destination, DestinationId, DestinationKind};
use hoist_test_s3::{Fault, FaultAction, Op, TestS3};
use std::future::Future;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

const BUCKET: &str = "hoist-bucket";
const MIB: u64 = 1024 * 1024;

/// Fails the test instead of hanging when something never finishes.
async fn within<F: Future>(secs: u64, fut: F) -> F::Output {
    match tokio::time::timeout(Duration::from_secs(secs), fut).await {
        Ok(out) => out,
        Err(_) => panic!("timed out after {secs} s"),
    }
}

fn destination(endpoint: &str, bucket: &str) -> Destination {
    Destination {
        id: DestinationId("test".into()),
        name: "test".into(),
        kind: DestinationKind::S3,
        endpoint: Some(endpoint.into()),
        region: hoist_test_s3::REGION.into(),
        bucket: bucket.into(),
        path_style: true,
        prefix: String::new(),
        folder: None,
        builtin: false,
        provider: None,
        options: Default::default(),
        capabilities: None,
    }
}

fn access_key(id: &str, secret: &str) -> AccessKey {
    AccessKey {
        access_key_id: Secret::new(id.into()),
        secret_access_key: Secret::new(secret.into()),
    }
}

fn good_key() -> AccessKey {
    access_key(hoist_test_s3::ACCESS_KEY, hoist_test_s3::SECRET_KEY)
}

struct Fixture {
    s3: TestS3,
    backend: S3Backend,
    dir: tempfile::TempDir,
}

async fn fixture() -> Fixture {
    fixture_with(S3Options::default()).await
}

async fn fixture_with(options: S3Options) -> Fixture {
    let s3 = TestS3::start().await;
    s3.create_bucket(BUCKET);
    let backend =
        S3Backend::with_options(&destination(&s3.endpoint(), BUCKET), &good_key(), options)
            .unwrap();
    Fixture {
        s3,
        backend,
        dir: tempfile::tempdir().unwrap(),
    }
}

impl Fixture {
    /// Uploads the first `len` bytes of `path` as part `number` of key "k".
    async fn part(
        &self,
        id: &str,
        number: u32,
        path: &Path,
        len: u64,
    ) -> Result<PartReceipt, Error> {
        let d = digest(path, 0, len).await;
        self.backend
            .upload_part("k", id, number, body(path, 0, len), d)
            .await
    }

    /// Puts the first `len` bytes of `path` with their right digest.
    async fn put(&self, key: &str, path: &Path, len: u64) -> Result<ObjectInfo, Error> {
        let d = digest(path, 0, len).await;
        self.backend.put_object(key, body(path, 0, len), d).await
    }

    /// A file of `len` pseudo-random bytes (no two parts alike) that depend on `seed`.
    fn file(&self, name: &str, len: u64, seed: u8) -> PathBuf {
        let path = self.dir.path().join(name);
        let mut x = u32::from(seed) * 2 + 1;
        let bytes: Vec<u8> = (0..len)
            .map(|_| {
                x = x.wrapping_mul(1_103_515_245).wrapping_add(12_345);
                (x >> 16) as u8
            })
            .collect();
        std::fs::write(&path, bytes).unwrap();
        path
    }
}

fn body(path: &Path, offset: u64, length: u64) -> PartBody {
    PartBody {
        path: path.to_path_buf(),
        offset,
        length,
        progress: Arc::new(AtomicU64::new(0)),
    }
}

async fn digest(path: &Path, offset: u64, length: u64) -> PartDigest {
    digest_range(path, offset, length).await.unwrap()
}

fn fault(op: Op, action: FaultAction) -> Fault {
    Fault {
        op,
        part_number: None,
        action,
        times: 1,
    }
}

#[track_caller]
fn assert_kind(err: &Error, kind: ErrorKind) {
    assert_eq!(err.kind(), kind, "{err:?}");
}

#[tokio::test]
async fn put_then_head_and_progress_counts_the_body() {
    within(30, async {
        let f = fixture().await;
        let path = f.file("a.bin", 300_000, 1);
        let b = body(&path, 0, 300_000);
        let progress = Arc::clone(&b.progress);
        let d = digest(&path, 0, 300_000).await;
        let info = f.backend.put_object("dir/a.bin", b, d).await.unwrap();
        assert_eq!(info.size, 300_000);
        assert_eq!(
            info.etag.as_deref(),
            Some(d.md5_hex().as_str()),
            "ETag is unquoted MD5"
        );
        assert_eq!(progress.load(Ordering::SeqCst), 300_000);
        // Exactly the file's bytes on the wire: no aws-chunked framing, no trailer.
        let put =
            f.s3.requests()
                .into_iter()
                .find(|r| r.op == Op::PutObject)
                .unwrap();
        assert_eq!((put.status, put.body_bytes), (200, 300_000));
        assert_eq!(
            f.s3.object(BUCKET, "dir/a.bin").unwrap(),
            std::fs::read(&path).unwrap()
        );
        let head = f.backend.head_object("dir/a.bin").await.unwrap().unwrap();
        assert_eq!((head.size, head.etag), (300_000, Some(d.md5_hex())));
        assert_eq!(
            f.backend.head_object("dir/missing.bin").await.unwrap(),
            None
        );
    })
    .await;
}

#[tokio::test]
async fn a_range_of_a_file_is_sent_and_an_empty_body_works() {
    within(30, async {
        let f = fixture().await;
        let path = f.file("r.bin", 1000, 2);
        let d = digest(&path, 100, 50).await;
        f.backend
            .put_object("range", body(&path, 100, 50), d)
            .await
            .unwrap();
        assert_eq!(
            f.s3.object(BUCKET, "range").unwrap(),
            std::fs::read(&path).unwrap()[100..150]
        );
        let info = f.put("empty", &path, 0).await.unwrap();
        assert_eq!(info.size, 0);
        assert_eq!(f.s3.object(BUCKET, "empty").unwrap(), Vec::<u8>::new());
    })
    .await;
}

#[tokio::test]
async fn multipart_round_trip_with_paginated_list_parts() {
    within(60, async {
        // One part per ListParts page, so three parts take three pages.
        let f = fixture_with(S3Options {
            list_parts_page: Some(1),
            ..S3Options::default()
        })
        .await;
        let len = 10 * MIB + 1000;
        let path = f.file("big.bin", len, 3);
        let ranges = [(0, 5 * MIB), (5 * MIB, 5 * MIB), (10 * MIB, 1000)];
        let id = f.backend.create_multipart("big.bin").await.unwrap();
        let mut receipts = Vec::new();
        let mut md5s = Vec::new();
        // Upload out of order: parts are independent.
        for (number, (offset, length)) in [(3u32, ranges[2]), (1, ranges[0]), (2, ranges[1])] {
            let d = digest(&path, offset, length).await;
            let b = body(&path, offset, length);
            let progress = Arc::clone(&b.progress);
            let receipt = f
                .backend
                .upload_part("big.bin", &id, number, b, d)
                .await
                .unwrap();
            assert_eq!((receipt.part_number, receipt.size), (number, length));
            assert_eq!(receipt.etag, d.md5_hex());
            assert_eq!(progress.load(Ordering::SeqCst), length);
            receipts.push(receipt);
        }
        receipts.sort_by_key(|r| r.part_number);
        for (offset, length) in ranges {
            md5s.push(digest(&path, offset, length).await.md5);
        }

        let listed = f.backend.list_parts("big.bin", &id).await.unwrap().unwrap();
        assert_eq!(listed, receipts);
        let pages =
            f.s3.requests()
                .iter()
                .filter(|r| r.op == Op::ListParts)
                .count();
        assert!(
            pages >= 3,
            "ListParts was not paginated: {pages} request(s)"
        );

        let info = f
            .backend
            .complete_multipart("big.bin", &id, &receipts)
            .await
            .unwrap();
        assert_eq!(info.size, len);
        assert_eq!(info.etag.as_deref(), Some(multipart_etag(&md5s).as_str()));
        let stored = f.s3.object_path(BUCKET, "big.bin").unwrap();
        assert!(
            std::fs::read(stored).unwrap() == std::fs::read(&path).unwrap(),
            "object bytes differ"
        );
        let head = f.backend.head_object("big.bin").await.unwrap().unwrap();
        assert_eq!((head.size, head.etag), (len, Some(multipart_etag(&md5s))));
    })
    .await;
}

#[tokio::test]
async fn list_parts_unsupported_is_none_and_abort_is_idempotent() {
    within(30, async {
        let f = fixture().await;
        let id = f.backend.create_multipart("k").await.unwrap();
        f.s3.set_list_parts_supported(false);
        assert_eq!(f.backend.list_parts("k", &id).await.unwrap(), None);
        f.s3.set_list_parts_supported(true);
        assert_eq!(f.backend.list_parts("k", &id).await.unwrap(), Some(vec![]));
        f.backend.abort_multipart("k", &id).await.unwrap();
        assert!(f.s3.pending_uploads(BUCKET).is_empty());
        f.backend.abort_multipart("k", &id).await.unwrap();
        f.backend
            .abort_multipart("k", "no-such-upload-id")
            .await
            .unwrap();
    })
    .await;
}

#[tokio::test]
async fn slow_down_is_throttled_with_retry_after() {
    within(30, async {
        let f = fixture().await;
        let path = f.file("p", 1000, 4);
        let id = f.backend.create_multipart("k").await.unwrap();
        f.s3.inject(Fault {
            op: Op::UploadPart,
            part_number: Some(1),
            action: FaultAction::SlowDown {
                retry_after: Some("2".into()),
            },
            times: 1,
        });
        let err = f.part(&id, 1, &path, 1000).await.unwrap_err();
        assert_kind(&err, ErrorKind::Throttled);
        assert_eq!(err.retry_after(), Some(Duration::from_secs(2)));
        assert!(err.is_retryable());
        // The fault fired once; the same request now succeeds.
        f.part(&id, 1, &path, 1000).await.unwrap();
        // Retry-After as an HTTP date (regression: it was ignored).
        let at = std::time::SystemTime::now() + Duration::from_secs(30);
        f.s3.inject(Fault {
            op: Op::UploadPart,
            part_number: Some(2),
            action: FaultAction::SlowDown {
                retry_after: Some(httpdate::fmt_http_date(at)),
            },
            times: 1,
        });
        let err = f.part(&id, 2, &path, 1000).await.unwrap_err();
        let wait = err.retry_after().expect("the HTTP date is honoured");
        assert!(
            wait > Duration::from_secs(25) && wait <= Duration::from_secs(30),
            "{wait:?}"
        );
    })
    .await;
}

#[tokio::test]
async fn server_faults_map_to_their_kinds() {
    within(30, async {
        let f = fixture().await;
        let path = f.file("p", 1000, 5);
        let cases = [
            (FaultAction::InternalError, ErrorKind::ServerBusy, true),
            (
                FaultAction::SlowDown { retry_after: None },
                ErrorKind::Throttled,
                true,
            ),
            (FaultAction::AccessDenied, ErrorKind::AccessDenied, false),
        ];
        for (action, kind, retryable) in cases {
            f.s3.inject(fault(Op::PutObject, action.clone()));
            let err = f.put("k", &path, 1000).await.unwrap_err();
            assert_kind(&err, kind);
            assert_eq!(err.is_retryable(), retryable, "{action:?}");
            assert!(
                std::error::Error::source(&err).is_some(),
                "the SDK error stays attached"
            );
        }
        f.s3.inject(fault(Op::CreateMultipartUpload, FaultAction::AccessDenied));
        let err = f.backend.create_multipart("k").await.unwrap_err();
        assert_kind(&err, ErrorKind::AccessDenied);
    })
    .await;
}

#[tokio::test]
async fn a_cut_body_is_interrupted_and_progress_restarts_on_the_next_attempt() {
    within(30, async {
        let f = fixture().await;
        let len = 2 * MIB;
        let path = f.file("p", len, 6);
        let d = digest(&path, 0, len).await;
        f.s3.inject(fault(Op::PutObject, FaultAction::CutBodyAfter(64 * 1024)));
        let b = body(&path, 0, len);
        let progress = Arc::clone(&b.progress);
        let err = f.backend.put_object("k", b.clone(), d).await.unwrap_err();
        assert_kind(&err, ErrorKind::Interrupted);
        assert!(f.s3.object(BUCKET, "k").is_none());
        f.backend.put_object("k", b, d).await.unwrap();
        assert_eq!(
            progress.load(Ordering::SeqCst),
            len,
            "the second attempt counted from 0"
        );
    })
    .await;
}

#[tokio::test]
async fn a_dropped_answer_is_interrupted_even_after_the_server_completed() {
    within(30, async {
        let f = fixture().await;
        let path = f.file("p", 1000, 7);
        let id = f.backend.create_multipart("k").await.unwrap();
        let part = f.part(&id, 1, &path, 1000).await.unwrap();
        f.s3.inject(fault(
            Op::CompleteMultipartUpload,
            FaultAction::CompleteThenDropAnswer,
        ));
        let err = f
            .backend
            .complete_multipart("k", &id, &[part])
            .await
            .unwrap_err();
        assert_kind(&err, ErrorKind::Interrupted);
        // The caller must look before retrying: the object is there.
        assert_eq!(
            f.backend.head_object("k").await.unwrap().map(|i| i.size),
            Some(1000)
        );
    })
    .await;
}

#[tokio::test]
async fn complete_answered_200_with_an_error_body_is_an_error() {
    within(30, async {
        let f = fixture().await;
        let path = f.file("p", 1000, 8);
        let id = f.backend.create_multipart("k").await.unwrap();
        let part = f.part(&id, 1, &path, 1000).await.unwrap();
        f.s3.inject(fault(
            Op::CompleteMultipartUpload,
            FaultAction::CompleteOkWithErrorBody,
        ));
        let err = f
            .backend
            .complete_multipart("k", &id, std::slice::from_ref(&part))
            .await
            .unwrap_err();
        assert_kind(&err, ErrorKind::ServerBusy);
        assert!(
            f.s3.object(BUCKET, "k").is_none(),
            "the upload was not completed"
        );
        f.backend
            .complete_multipart("k", &id, &[part])
            .await
            .unwrap();
        assert!(f.s3.object(BUCKET, "k").is_some());
    })
    .await;
}

#[tokio::test]
async fn a_forgotten_upload_is_no_such_upload() {
    within(30, async {
        let f = fixture().await;
        let path = f.file("p", 1000, 9);
        let id = f.backend.create_multipart("k").await.unwrap();
        f.s3.inject(fault(Op::UploadPart, FaultAction::ForgetUpload));
        let err = f.part(&id, 1, &path, 1000).await.unwrap_err();
        assert_kind(&err, ErrorKind::NoSuchUpload);
        assert!(!err.is_retryable());
        let err = f.backend.list_parts("k", &id).await.unwrap_err();
        assert_kind(&err, ErrorKind::NoSuchUpload);
    })
    .await;
}

#[tokio::test]
async fn a_wrong_digest_is_a_checksum_mismatch() {
    within(30, async {
        let f = fixture().await;
        let path = f.file("p", 1000, 10);
        let other = f.file("q", 1000, 11);
        let wrong = digest(&other, 0, 1000).await;
        let err = f
            .backend
            .put_object("k", body(&path, 0, 1000), wrong)
            .await
            .unwrap_err();
        assert_kind(&err, ErrorKind::ChecksumMismatch);
        assert!(f.s3.object(BUCKET, "k").is_none());
    })
    .await;
}

#[tokio::test]
async fn wrong_credentials_and_a_missing_bucket_fail_fast_with_the_fix() {
    within(30, async {
        let f = fixture().await;
        let path = f.file("p", 100, 12);
        let d = digest(&path, 0, 100).await;
        let endpoint = f.s3.endpoint();

        let wrong_secret = access_key(hoist_test_s3::ACCESS_KEY, "not-the-secret");
        let b = S3Backend::new(&destination(&endpoint, BUCKET), &wrong_secret).unwrap();
        let err = b.put_object("k", body(&path, 0, 100), d).await.unwrap_err();
        assert_kind(&err, ErrorKind::BadCredentials);
        assert!(err.message().contains("secret key"), "{}", err.message());

        let wrong_id = access_key("unknown-key-id", hoist_test_s3::SECRET_KEY);
        let b = S3Backend::new(&destination(&endpoint, BUCKET), &wrong_id).unwrap();
        let err = b.create_multipart("k").await.unwrap_err();
        assert_kind(&err, ErrorKind::BadCredentials);

        let b = S3Backend::new(&destination(&endpoint, "no-such-bucket"), &good_key()).unwrap();
        let err = b.put_object("k", body(&path, 0, 100), d).await.unwrap_err();
        assert_kind(&err, ErrorKind::NoSuchBucket);
        assert!(
            err.message().contains("'no-such-bucket'"),
            "{}",
            err.message()
        );
        assert!(err.message().contains(&endpoint), "{}", err.message());
    })
    .await;
}

#[tokio::test]
async fn a_stopped_server_is_unreachable_until_it_is_back() {
    within(30, async {
        let f = fixture().await;
        let path = f.file("p", 100, 13);
        f.put("k", &path, 100).await.unwrap();
        f.s3.stop().await;
        // A request may still leave on the pooled connection the server just closed: that
        // one broke mid-way (Interrupted). A new connection is refused (Unreachable).
        let mut err = f.put("k", &path, 100).await.unwrap_err();
        if err.kind() == ErrorKind::Interrupted {
            err = f.put("k", &path, 100).await.unwrap_err();
        }
        assert_kind(&err, ErrorKind::Unreachable);
        assert!(err.kind().is_offline());
        let err = f.backend.head_object("k").await.unwrap_err();
        assert_kind(&err, ErrorKind::Unreachable);
        f.s3.restart().await;
        assert!(f.backend.head_object("k").await.unwrap().is_some());
    })
    .await;
}

#[tokio::test]
async fn an_unresolvable_host_is_unreachable() {
    within(30, async {
        let b = S3Backend::new(
            &destination("http://no-such-host.invalid:9000", BUCKET),
            &good_key(),
        )
        .unwrap();
        let err = b.create_multipart("k").await.unwrap_err();
        assert_kind(&err, ErrorKind::Unreachable);
    })
    .await;
}

#[tokio::test]
async fn a_server_that_never_answers_times_out_as_interrupted() {
    within(30, async {
        let answer_timeout = Duration::from_millis(500);
        let f = fixture_with(S3Options {
            answer_timeout,
            ..S3Options::default()
        })
        .await;
        let path = f.file("p", 1000, 14);
        f.s3.inject(fault(
            Op::PutObject,
            FaultAction::Stall(Duration::from_secs(20)),
        ));
        let started = tokio::time::Instant::now();
        let err = f.put("k", &path, 1000).await.unwrap_err();
        assert_kind(&err, ErrorKind::Interrupted);
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "waited for the stall to end"
        );
    })
    .await;
}

#[tokio::test]
async fn a_body_the_server_stops_reading_is_a_stalled_upload() {
    within(30, async {
        // A listener that accepts and never reads: the socket buffers fill, the body stops.
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let endpoint = format!("http://{}", listener.local_addr().unwrap());
        let holder = tokio::spawn(async move {
            let mut held = Vec::new();
            while let Ok((socket, _)) = listener.accept().await {
                held.push(socket);
            }
        });
        let options = S3Options {
            stall_grace: Duration::from_secs(1),
            ..S3Options::default()
        };
        let b =
            S3Backend::with_options(&destination(&endpoint, BUCKET), &good_key(), options).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("big");
        let len = 64 * MIB;
        std::fs::File::create(&path).unwrap().set_len(len).unwrap();
        let d = digest(&path, 0, len).await;
        let err = b.put_object("k", body(&path, 0, len), d).await.unwrap_err();
        assert_kind(&err, ErrorKind::Interrupted);
        assert!(err.message().contains("stalled"), "{}", err.message());
        holder.abort();
    })
    .await;
}

#[tokio::test]
async fn local_file_problems_are_file_errors() {
    within(30, async {
        let f = fixture().await;
        let path = f.file("p", 100, 15);
        let d = digest(&path, 0, 100).await;
        // The part was planned for 200 bytes; the file now has 100.
        let err = f
            .backend
            .put_object("k", body(&path, 0, 200), d)
            .await
            .unwrap_err();
        assert_kind(&err, ErrorKind::FileChanged);
        let gone = f.dir.path().join("gone");
        let err = f
            .backend
            .put_object("k", body(&gone, 0, 100), d)
            .await
            .unwrap_err();
        assert_kind(&err, ErrorKind::FileMissing);
        assert!(
            f.s3.requests().iter().all(|r| r.op != Op::PutObject),
            "nothing was sent"
        );
    })
    .await;
}

#[test]
fn destinations_are_checked_and_described() {
    let bad = destination("not a url", BUCKET);
    let err = S3Backend::new(&bad, &good_key()).err().unwrap();
    assert_kind(&err, ErrorKind::InvalidInput);
    assert!(err.message().contains("endpoint"), "{}", err.message());
    let err = S3Backend::new(&destination("ftp://example.com", BUCKET), &good_key())
        .err()
        .unwrap();
    assert_kind(&err, ErrorKind::InvalidInput);

    let b = S3Backend::new(&destination("http://127.0.0.1:3900/", BUCKET), &good_key()).unwrap();
    assert_eq!(b.describe(), "s3://hoist-bucket (http://127.0.0.1:3900)");
    assert_eq!(b.probe_url().as_deref(), Some("http://127.0.0.1:3900"));
    let aws = Destination {
        endpoint: None,
        region: "eu-west-1".into(),
        ..destination("", BUCKET)
    };
    let b = S3Backend::new(&aws, &good_key()).unwrap();
    assert_eq!(
        b.probe_url().as_deref(),
        Some("https://s3.eu-west-1.amazonaws.com")
    );
}
