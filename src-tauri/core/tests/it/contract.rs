//! One contract for every backend: the same tests run against the S3 backend (the in-test
//! server), the local folder backend and the S3 backend against Garage (an independent
//! server; skipped without one unless HOIST_REQUIRE_GARAGE=1). What the engine, the connection
//! test and the browser rely on: put then head, multipart with parts sent in any order,
//! ListParts, idempotent abort, NoSuchUpload, incomplete-upload listing, folder-style listing
//! with pages, delete, share links. Each test works under a prefix of its own, so Garage's
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
        let bytes: Vec<u8> = (0..len)
            .map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed))
            .collect();
        std::fs::write(&path, bytes).unwrap();
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
);

async fn put_then_head(s: Subject) {
    assert_eq!(
        within(WAIT_SECS, s.backend.head_object(&s.key("a.bin")))
            .await
            .unwrap(),
        None
    );
    let path = s.file("a.bin", 70_000, 1);
    s.put("a.bin", &path).await.unwrap();
    let info = within(WAIT_SECS, s.backend.head_object(&s.key("a.bin")))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(info.size, 70_000);
    let md5 = hex::encode(Md5::digest(std::fs::read(&path).unwrap()));
    if let Some(etag) = info.etag {
        assert_eq!(etag, md5, "a single PUT's ETag is the MD5 of its bytes");
    }
    // A second PUT replaces the object.
    let smaller = s.file("b.bin", 10, 2);
    s.put("a.bin", &smaller).await.unwrap();
    let info = within(WAIT_SECS, s.backend.head_object(&s.key("a.bin")))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(info.size, 10);
}

async fn multipart_parts_in_any_order(s: Subject) {
    let len = 2 * 5 * MIB + 1;
    let path = s.file("big.bin", len, 3);
    let key = s.key("big.bin");
    let id = within(WAIT_SECS, s.backend.create_multipart(&key, None))
        .await
        .unwrap();
    let ranges = [
        (3u32, 10 * MIB as u64, 1u64),
        (1, 0, 5 * MIB as u64),
        (2, 5 * MIB as u64, 5 * MIB as u64),
    ];
    let mut receipts = Vec::new();
    let mut md5s = std::collections::BTreeMap::new();
    for (number, offset, length) in ranges {
        let (body, digest) = body(&path, offset, length).await;
        md5s.insert(number, digest.md5.unwrap());
        let receipt = within(
            WAIT_SECS,
            s.backend.upload_part(&key, &id, number, body, digest),
        )
        .await
        .unwrap();
        assert_eq!((receipt.part_number, receipt.size), (number, length));
        receipts.push(receipt);
    }
    if let Some(listed) = within(WAIT_SECS, s.backend.list_parts(&key, &id))
        .await
        .unwrap()
    {
        let numbers: Vec<(u32, u64)> = listed.iter().map(|p| (p.part_number, p.size)).collect();
        assert_eq!(numbers, [(1, 5 * MIB as u64), (2, 5 * MIB as u64), (3, 1)]);
    }
    receipts.sort_by_key(|r| r.part_number);
    let done = within(
        WAIT_SECS,
        s.backend.complete_multipart(&key, &id, &receipts),
    )
    .await
    .unwrap();
    assert_eq!(done.size, len as u64);
    let info = within(WAIT_SECS, s.backend.head_object(&key))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(info.size, len as u64);
    let expected = multipart_etag(&md5s.values().copied().collect::<Vec<_>>());
    if let Some(etag) = info.etag.or(done.etag) {
        assert_eq!(etag, expected);
    }
    let md5 = within(WAIT_SECS, s.backend.object_md5(&key)).await.unwrap();
    if let Some(md5) = md5 {
        assert_eq!(
            md5,
            <[u8; 16]>::from(Md5::digest(std::fs::read(&path).unwrap()))
        );
    }
}

async fn abort_is_idempotent_and_ends_the_upload(s: Subject) {
    let path = s.file("p.bin", 1000, 4);
    let key = s.key("aborted.bin");
    let id = within(WAIT_SECS, s.backend.create_multipart(&key, None))
        .await
        .unwrap();
    let (part, digest) = body(&path, 0, 1000).await;
    let receipt = within(WAIT_SECS, s.backend.upload_part(&key, &id, 1, part, digest))
        .await
        .unwrap();
    within(WAIT_SECS, s.backend.abort_multipart(&key, &id))
        .await
        .unwrap();
    within(WAIT_SECS, s.backend.abort_multipart(&key, &id))
        .await
        .unwrap();
    let completed = within(
        WAIT_SECS,
        s.backend.complete_multipart(&key, &id, &[receipt]),
    )
    .await;
    assert_eq!(completed.unwrap_err().kind(), ErrorKind::NoSuchUpload);
    assert_eq!(
        within(WAIT_SECS, s.backend.head_object(&key))
            .await
            .unwrap(),
        None
    );
}

async fn an_unknown_upload_id_is_no_such_upload(s: Subject) {
    let path = s.file("p.bin", 100, 5);
    let key = s.key("never.bin");
    let unknown = hex::encode(rand::random::<[u8; 16]>());
    let (part, digest) = body(&path, 0, 100).await;
    let sent = within(
        WAIT_SECS,
        s.backend.upload_part(&key, &unknown, 1, part, digest),
    )
    .await;
    assert_eq!(sent.unwrap_err().kind(), ErrorKind::NoSuchUpload);
    // Aborting what does not exist is fine: a cancelled job may abort twice.
    within(WAIT_SECS, s.backend.abort_multipart(&key, &unknown))
        .await
        .unwrap();
}

async fn incomplete_uploads_are_listed_under_their_prefix(s: Subject) {
    let key = s.key("pending.bin");
    let id = within(WAIT_SECS, s.backend.create_multipart(&key, None))
        .await
        .unwrap();
    let listed = within(WAIT_SECS, s.backend.list_multipart_uploads(&s.prefix))
        .await
        .unwrap();
    if let Some(uploads) = listed {
        let mine: Vec<_> = uploads.iter().filter(|u| u.upload_id == id).collect();
        assert_eq!(mine.len(), 1, "{uploads:?}");
        assert_eq!(mine[0].key, key);
        let elsewhere = within(WAIT_SECS, s.backend.list_multipart_uploads("elsewhere/"))
            .await
            .unwrap();
        assert!(
            !elsewhere
                .unwrap_or_default()
                .iter()
                .any(|u| u.upload_id == id)
        );
    }
    within(WAIT_SECS, s.backend.abort_multipart(&key, &id))
        .await
        .unwrap();
    let after = within(WAIT_SECS, s.backend.list_multipart_uploads(&s.prefix))
        .await
        .unwrap();
    assert!(!after.unwrap_or_default().iter().any(|u| u.upload_id == id));
}

async fn listing_shows_folders_and_objects_in_pages(s: Subject) {
    let small = s.file("s", 3, 6);
    for name in [
        "b.txt",
        "a.txt",
        "photos/1.jpg",
        "photos/2024/2.jpg",
        "z/deep/x",
    ] {
        s.put(name, &small).await.unwrap();
    }
    let top = s.list(&s.prefix, false, None, 1000).await.unwrap();
    assert_eq!(top.folders, [s.key("photos/"), s.key("z/")]);
    let keys: Vec<&str> = top.objects.iter().map(|o| o.key.as_str()).collect();
    assert_eq!(keys, [s.key("a.txt"), s.key("b.txt")]);
    assert!(top.objects.iter().all(|o| o.size == 3));
    assert!(
        top.objects
            .iter()
            .all(|o| o.modified.is_some_and(|t| t > 1_700_000_000))
    );
    assert_eq!(top.next, None);

    let photos = s.list(&s.key("photos/"), false, None, 1000).await.unwrap();
    assert_eq!(photos.folders, [s.key("photos/2024/")]);
    assert_eq!(photos.objects.len(), 1);
    assert_eq!(photos.objects[0].key, s.key("photos/1.jpg"));

    // One entry per page: every entry exactly once, then no next page.
    let mut seen = Vec::new();
    let mut page = None;
    for _ in 0..10 {
        let listing = s.list(&s.prefix, false, page.as_deref(), 1).await.unwrap();
        seen.extend(listing.folders);
        seen.extend(listing.objects.into_iter().map(|o| o.key));
        page = listing.next;
        if page.is_none() {
            break;
        }
    }
    seen.sort();
    let expected = [
        s.key("a.txt"),
        s.key("b.txt"),
        s.key("photos/"),
        s.key("z/"),
    ];
    assert_eq!(seen, expected);
    assert_eq!(page, None, "the pages end");

    let missing = s.list(&s.key("nothing/"), false, None, 1000).await.unwrap();
    assert!(missing.folders.is_empty() && missing.objects.is_empty());
}

async fn delete_removes_and_a_missing_object_is_fine(s: Subject) {
    let small = s.file("s", 3, 7);
    s.put("dir/only.txt", &small).await.unwrap();
    s.put("kept.txt", &small).await.unwrap();
    within(WAIT_SECS, s.backend.delete_object(&s.key("dir/only.txt")))
        .await
        .unwrap();
    within(WAIT_SECS, s.backend.delete_object(&s.key("dir/only.txt")))
        .await
        .unwrap();
    assert_eq!(
        within(WAIT_SECS, s.backend.head_object(&s.key("dir/only.txt")))
            .await
            .unwrap(),
        None
    );
    let listing = s.list(&s.prefix, false, None, 1000).await.unwrap();
    assert!(
        listing.folders.is_empty(),
        "an emptied folder is gone: {listing:?}"
    );
    let keys: Vec<&str> = listing.objects.iter().map(|o| o.key.as_str()).collect();
    assert_eq!(keys, [s.key("kept.txt")]);
}

async fn a_share_link_serves_the_bytes(s: Subject) {
    let path = s.file("shared.bin", 5000, 8);
    s.put("shared.bin", &path).await.unwrap();
    let url = within(
        WAIT_SECS,
        s.backend
            .share_url(&s.key("shared.bin"), Duration::from_secs(120)),
    )
    .await
    .unwrap();
    let Some(url) = url else {
        return; // a folder has no links to share
    };
    let got = within(WAIT_SECS, reqwest::get(&url)).await.unwrap();
    assert!(got.status().is_success(), "{}", got.status());
    assert_eq!(
        got.bytes().await.unwrap().as_ref(),
        std::fs::read(&path).unwrap()
    );
    let key = s.key("shared.bin");
    let too_long = s
        .backend
        .share_url(&key, Duration::from_secs(8 * 24 * 3600));
    assert_eq!(
        within(WAIT_SECS, too_long).await.unwrap_err().kind(),
        ErrorKind::InvalidInput
    );
}

async fn a_recursive_listing_gives_every_key_in_byte_order_in_pages(s: Subject) {
    let small = s.file("s", 1, 9);
    // '-' (0x2D) sorts before '/' (0x2F): "a-b" comes before everything in folder "a/".
    let names = ["a/x", "a-b", "a/b/c", "b", "a/b/d", "a0", "ä/1"];
    for name in names {
        s.put(name, &small).await.unwrap();
    }
    let mut expected: Vec<String> = names.iter().map(|n| s.key(n)).collect();
    expected.sort();
    for limit in [1, 2, 3, 1000] {
        let (keys, pages) = s.list_all(&s.prefix, true, limit).await;
        assert_eq!(keys, expected, "limit {limit}");
        assert_eq!(
            pages,
            expected.len().div_ceil(limit as usize).max(1),
            "limit {limit}"
        );
    }
    let (under_a, _) = s.list_all(&s.key("a/"), true, 2).await;
    assert_eq!(under_a, [s.key("a/b/c"), s.key("a/b/d"), s.key("a/x")]);
}

async fn details_name_size_type_and_time(s: Subject) {
    let path = s.file("page.html", 1234, 10);
    s.put("site/page.html", &path).await.unwrap();
    let details = within(WAIT_SECS, s.backend.stat(&s.key("site/page.html")))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(details.key, s.key("site/page.html"));
    assert_eq!(details.size, 1234);
    assert!(details.modified.is_some_and(|t| t > 1_700_000_000));
    if let Some(content_type) = &details.content_type {
        assert!(content_type.starts_with("text/html"), "{content_type}");
    }
    assert_eq!(
        within(WAIT_SECS, s.backend.stat(&s.key("site/none")))
            .await
            .unwrap(),
        None
    );
    assert_eq!(
        within(WAIT_SECS, s.backend.stat(&s.key("site")))
            .await
            .unwrap(),
        None
    );
}

async fn a_batch_delete_removes_every_key_and_misses_are_fine(s: Subject) {
    let small = s.file("s", 2, 11);
    let mut keys = Vec::new();
    for i in 0..25 {
        let name = format!("batch/{}/{i:03}", i % 3);
        s.put(&name, &small).await.unwrap();
        keys.push(s.key(&name));
    }
    keys.push(s.key("batch/never-there"));
    let failed = within(WAIT_SECS, s.backend.delete_objects(&keys))
        .await
        .unwrap();
    assert!(failed.is_empty(), "{failed:?}");
    let (left, _) = s.list_all(&s.prefix, true, 1000).await;
    assert!(left.is_empty(), "{left:?}");
    assert!(
        within(WAIT_SECS, s.backend.delete_objects(&[]))
            .await
            .unwrap()
            .is_empty()
    );
}

async fn a_range_is_written_at_its_offset_and_a_missing_object_is_not_found(s: Subject) {
    let path = s.file("src.bin", 100_000, 12);
    s.put("dl/src.bin", &path).await.unwrap();
    let source = std::fs::read(&path).unwrap();
    let target = s.files.path().join("target.part");
    std::fs::write(&target, vec![0u8; source.len()]).unwrap();
    let progress = Arc::new(AtomicU64::new(0));
    fn request<'a>(
        into: &'a Path,
        size: usize,
        progress: &Arc<AtomicU64>,
        span: Span,
        if_match: Option<&'a str>,
    ) -> FetchRequest<'a> {
        FetchRequest {
            into,
            span,
            object_size: size as u64,
            if_match,
            progress: progress.clone(),
            md5: true,
            crc: Some(ChecksumAlgorithm::Crc32c),
        }
    }
    let request = |span, if_match| request(&target, source.len(), &progress, span, if_match);
    let etag = within(WAIT_SECS, s.backend.head_object(&s.key("dl/src.bin")))
        .await
        .unwrap()
        .unwrap()
        .etag;
    for (offset, length) in [(40_000u64, 60_000u64), (0, 40_000)] {
        let receipt = within(
            WAIT_SECS,
            s.backend.fetch(
                &s.key("dl/src.bin"),
                &request(Span::Range { offset, length }, etag.as_deref()),
            ),
        )
        .await
        .unwrap();
        let bytes = &source[offset as usize..(offset + length) as usize];
        assert_eq!((receipt.offset, receipt.length), (offset, length));
        assert_eq!(
            receipt.md5,
            Some(<[u8; 16]>::from(Md5::digest(bytes))),
            "MD5 computed as the bytes came"
        );
        assert_eq!(
            receipt.crc.map(|c| c.value),
            Some(crc_fast::checksum(
                crc_fast::CrcAlgorithm::Crc32Iscsi,
                bytes
            ))
        );
        assert_eq!(progress.load(std::sync::atomic::Ordering::Relaxed), length);
    }
    assert_eq!(std::fs::read(&target).unwrap(), source);
    let ten = Span::Range {
        offset: 0,
        length: 10,
    };
    let missing = within(
        WAIT_SECS,
        s.backend.fetch(&s.key("dl/none"), &request(ten, None)),
    )
    .await;
    assert_eq!(missing.unwrap_err().kind(), ErrorKind::NotFound);
    // A backend that keeps ETags refuses a range of another version of the object.
    if etag.is_some() {
        let stale = "0123456789abcdef0123456789abcdef";
        let changed = within(
            WAIT_SECS,
            s.backend
                .fetch(&s.key("dl/src.bin"), &request(ten, Some(stale))),
        )
        .await;
        assert_eq!(changed.unwrap_err().kind(), ErrorKind::ObjectChanged);
    }
}
