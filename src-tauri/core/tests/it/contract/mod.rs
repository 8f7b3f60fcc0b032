//! One contract for every backend: the same tests run against the S3 backend (the in-test
//! server), the local folder backend and the S3 backend against Garage (an independent
//! server; skipped without one unless HOIST_REQUIRE_GARAGE=1). What the engine, the connection
//! test and the browser rely on: put then head, multipart with parts sent in any order,
//! ListParts, idempotent abort, NoSuchUpload, incomplete-upload listing, folder-style listing
//! with pages, delete, share links; and what resume depends on: a part sent twice, a wrong
//! digest, a part the server lacks at Complete (PartLost). Each test works under a prefix of its own, so Garage's
//! shared bucket holds runs side by side.

use crate::support::within;
use hoist_core::backend::fetch::{ChecksumAlgorithm, FetchRequest, Span};
use hoist_core::backend::local::LocalBackend;
use hoist_core::backend::s3::{S3Backend, S3Options};
use hoist_core::backend::{
    Backend, Digests, ListRequest, PartBody, PartDigest, digest_range, multipart_etag,
};
use hoist_core::credentials::{AccessKey, Secret};
use hoist_core::error::ErrorKind;
use hoist_core::model::{Destination, DestinationId, DestinationKind};
use md5::{Digest, Md5};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::AtomicU64;
use std::time::Duration;

mod browse;
mod parts;
mod uploads;

use browse::*;
use parts::*;
use uploads::*;

const MIB: usize = 1024 * 1024;
/// How long one call on a backend may take before the test fails.
const WAIT_SECS: u64 = 60;

/// One backend under test, with what keeps it alive and a scratch folder for source files.
struct Subject {
    backend: Arc<dyn Backend>,
    /// Where this test's keys live (`contract/RANDOM/`).
    prefix: String,
    files: tempfile::TempDir,
    _server: Option<hoist_test_s3::TestS3>,
    _root: Option<tempfile::TempDir>,
}

fn s3_destination(endpoint: &str, region: &str, bucket: &str) -> Destination {
    Destination {
        id: DestinationId("contract".into()),
        name: "contract".into(),
        kind: DestinationKind::S3,
        endpoint: Some(endpoint.into()),
        region: region.into(),
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

fn key_pair(id: &str, secret: &str) -> AccessKey {
    AccessKey {
        access_key_id: Secret::new(id.into()),
        secret_access_key: Secret::new(secret.into()),
    }
}

fn subject(backend: Arc<dyn Backend>) -> Subject {
    Subject {
        backend,
        prefix: format!("contract/{}/", hex::encode(rand::random::<[u8; 6]>())),
        files: tempfile::tempdir().unwrap(),
        _server: None,
        _root: None,
    }
}

async fn in_test_s3() -> Option<Subject> {
    let server = hoist_test_s3::TestS3::start().await;
    server.create_bucket("contract");
    let destination = s3_destination(&server.endpoint(), hoist_test_s3::REGION, "contract");
    let key = key_pair(hoist_test_s3::ACCESS_KEY, hoist_test_s3::SECRET_KEY);
    let backend = S3Backend::with_options(&destination, &key, S3Options::default()).unwrap();
    let mut subject = subject(Arc::new(backend));
    subject._server = Some(server);
    Some(subject)
}

async fn local_folder() -> Option<Subject> {
    let root = tempfile::tempdir().unwrap();
    let backend = LocalBackend::new(root.path().join("destination")).unwrap();
    let mut subject = subject(Arc::new(backend));
    subject._root = Some(root);
    Some(subject)
}

async fn garage() -> Option<Subject> {
    let var = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
    let found = (|| {
        Some((
            var("HOIST_GARAGE_ENDPOINT")?,
            var("HOIST_GARAGE_REGION")?,
            var("HOIST_GARAGE_BUCKET")?,
            var("HOIST_GARAGE_ACCESS_KEY")?,
            var("HOIST_GARAGE_SECRET_KEY")?,
        ))
    })();
    let Some((endpoint, region, bucket, id, secret)) = found else {
        assert!(
            std::env::var("HOIST_REQUIRE_GARAGE").is_err(),
            "HOIST_REQUIRE_GARAGE is set but no Garage is described (HOIST_GARAGE_*)"
        );
        eprintln!("no Garage (HOIST_GARAGE_*): the Garage contract tests are skipped");
        return None;
    };
    let destination = s3_destination(&endpoint, &region, &bucket);
    let backend =
        S3Backend::with_options(&destination, &key_pair(&id, &secret), S3Options::default())
            .unwrap();
    Some(subject(Arc::new(backend)))
}

impl Subject {
    fn key(&self, name: &str) -> String {
        format!("{}{name}", self.prefix)
    }

    /// A file of `len` bytes that depend on `seed`.
    fn file(&self, name: &str, len: usize, seed: u8) -> PathBuf {
        let path = self.files.path().join(name);
        std::fs::write(&path, hoist_test_s3::pattern(len, seed)).unwrap();
        path
    }

    /// One listing page of `prefix`.
    async fn list(
        &self,
        prefix: &str,
        recursive: bool,
        page: Option<&str>,
        limit: u32,
    ) -> hoist_core::Result<hoist_core::Listing> {
        let request = ListRequest {
            prefix,
            recursive,
            page,
            limit,
        };
        within(WAIT_SECS, self.backend.list(request)).await
    }

    /// Every page of a listing, following `next`.
    async fn list_all(&self, prefix: &str, recursive: bool, limit: u32) -> (Vec<String>, usize) {
        let mut keys = Vec::new();
        let mut page = None;
        let mut pages = 0;
        loop {
            let listing = self
                .list(prefix, recursive, page.as_deref(), limit)
                .await
                .unwrap();
            pages += 1;
            assert!(listing.folders.len() + listing.objects.len() <= limit as usize);
            keys.extend(listing.folders);
            keys.extend(listing.objects.into_iter().map(|o| o.key));
            match listing.next {
                Some(next) => page = Some(next),
                None => return (keys, pages),
            }
            assert!(pages < 1000, "the pages never end");
        }
    }

    async fn put(&self, name: &str, path: &Path) -> hoist_core::Result<()> {
        let len = std::fs::metadata(path).unwrap().len();
        let (body, digest) = body(path, 0, len).await;
        within(
            WAIT_SECS,
            self.backend.put_object(&self.key(name), body, digest),
        )
        .await
        .map(drop)
    }
}

async fn body(path: &Path, offset: u64, length: u64) -> (PartBody, PartDigest) {
    let digest = digest_range(path, offset, length, Digests::MD5)
        .await
        .unwrap();
    let body = PartBody {
        path: path.to_path_buf(),
        offset,
        length,
        progress: Arc::new(AtomicU64::new(0)),
        bytes: None,
    };
    (body, digest)
}

/// Runs each contract test against every backend, as `BACKEND::TEST`.
macro_rules! contract {
    ($($test:ident),* $(,)?) => {
        mod s3 { $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $test() {
                if let Some(subject) = super::in_test_s3().await { super::$test(subject).await }
            }
        )* }
        mod local { $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $test() {
                if let Some(subject) = super::local_folder().await { super::$test(subject).await }
            }
        )* }
        mod garage { $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $test() {
                if let Some(subject) = super::garage().await { super::$test(subject).await }
            }
        )* }
    };
}

contract!(
    put_then_head,
    multipart_parts_in_any_order,
    abort_is_idempotent_and_ends_the_upload,
    an_unknown_upload_id_is_no_such_upload,
    incomplete_uploads_are_listed_under_their_prefix,
    listing_shows_folders_and_objects_in_pages,
    delete_removes_and_a_missing_object_is_fine,
    a_share_link_serves_the_bytes,
    a_recursive_listing_gives_every_key_in_byte_order_in_pages,
    details_name_size_type_and_time,
    a_batch_delete_removes_every_key_and_misses_are_fine,
    a_range_is_written_at_its_offset_and_a_missing_object_is_not_found,
    a_part_sent_twice_is_the_second,
    a_body_with_a_wrong_digest_is_refused_and_not_kept,
    a_part_the_server_lacks_is_lost_and_the_upload_survives,
    a_range_and_an_empty_body_are_objects,
);
