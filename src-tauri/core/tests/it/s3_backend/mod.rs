//! The S3 backend against a real S3 wire protocol on loopback (`hoist-test-s3`): requests,
//! multipart bookkeeping; the classification of every injected fault into an ErrorKind is in
//! [`faults`]. The contract every backend keeps is tested once, in `contract`.

use crate::support::within;
use hoist_core::backend::s3::{S3Backend, S3Options};
use hoist_core::backend::{
    Backend, Digests, ObjectInfo, PartBody, PartDigest, digest_range, multipart_etag,
};
use hoist_core::credentials::{AccessKey, Secret};
use hoist_core::error::{Error, ErrorKind};
use hoist_core::model::PartReceipt;
use hoist_core::model::{Destination, DestinationId, DestinationKind};
use hoist_test_s3::{Fault, FaultAction, Op, TestS3};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

const BUCKET: &str = "hoist-bucket";
const MIB: u64 = 1024 * 1024;

mod faults;

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
        std::fs::write(&path, hoist_test_s3::pattern(len as usize, seed)).unwrap();
        path
    }
}

fn body(path: &Path, offset: u64, length: u64) -> PartBody {
    PartBody {
        path: path.to_path_buf(),
        offset,
        length,
        progress: Arc::new(AtomicU64::new(0)),
        bytes: None,
    }
}

async fn digest(path: &Path, offset: u64, length: u64) -> PartDigest {
    digest_range(path, offset, length, Digests::MD5)
        .await
        .unwrap()
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
            Some(d.md5_hex().unwrap().as_str()),
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
        assert_eq!((head.size, head.etag), (300_000, d.md5_hex()));
        assert_eq!(
            f.backend.head_object("dir/missing.bin").await.unwrap(),
            None
        );
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
        let id = f.backend.create_multipart("big.bin", None).await.unwrap();
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
            assert_eq!(Some(receipt.etag.clone()), d.md5_hex());
            assert_eq!(progress.load(Ordering::SeqCst), length);
            receipts.push(receipt);
        }
        receipts.sort_by_key(|r| r.part_number);
        for (offset, length) in ranges {
            md5s.push(digest(&path, offset, length).await.md5.unwrap());
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
async fn list_parts_unsupported_is_none() {
    within(30, async {
        let f = fixture().await;
        let id = f.backend.create_multipart("k", None).await.unwrap();
        f.s3.set_list_parts_supported(false);
        assert_eq!(f.backend.list_parts("k", &id).await.unwrap(), None);
        f.s3.set_list_parts_supported(true);
        assert_eq!(f.backend.list_parts("k", &id).await.unwrap(), Some(vec![]));
        f.backend.abort_multipart("k", &id).await.unwrap();
        assert!(f.s3.pending_uploads(BUCKET).is_empty());
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

/// A destination's endpoint is checked where every destination is (destinations/rules.rs).
#[test]
fn destinations_are_described() {
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
