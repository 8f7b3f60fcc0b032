//! The folder backend against real temp directories: atomic PUTs, multipart staging and
//! completion, key validation, and the error kinds of local failures.

use crate::support::within;
use hoist_core::backend::local::{LocalBackend, STAGING_DIR};
use hoist_core::backend::{Backend, Digests, PartBody, PartDigest, digest_range, multipart_etag};
use hoist_core::error::{Error, ErrorKind};
use hoist_core::model::PartReceipt;
use hoist_test_s3::pattern as data;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

const KIB: usize = 1024;
/// How long a call on the folder backend may take before the test fails.
const WAIT_SECS: u64 = 20;

/// A temp dir holding the destination `root` (not created: the backend makes it) and the
/// source files in `src`, outside the root.
struct Fixture {
    tmp: tempfile::TempDir,
    root: PathBuf,
    backend: LocalBackend,
}

fn fixture() -> Fixture {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("root");
    std::fs::create_dir(tmp.path().join("src")).unwrap();
    let backend = LocalBackend::new(root.clone()).unwrap();
    Fixture { tmp, root, backend }
}

impl Fixture {
    fn source(&self, name: &str, bytes: &[u8]) -> PathBuf {
        let path = self.tmp.path().join("src").join(name);
        std::fs::write(&path, bytes).unwrap();
        path
    }

    fn staging(&self) -> PathBuf {
        self.root.join(STAGING_DIR)
    }

    /// Every file and folder under `root`, relative, sorted.
    fn tree(&self) -> Vec<String> {
        tree(&self.root)
    }
}

fn tree(dir: &Path) -> Vec<String> {
    fn walk(base: &Path, dir: &Path, out: &mut Vec<String>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            out.push(path.strip_prefix(base).unwrap().display().to_string());
            if path.is_dir() {
                walk(base, &path, out);
            }
        }
    }
    let mut out = Vec::new();
    if dir.exists() {
        walk(dir, dir, &mut out);
    }
    out.sort();
    out
}

/// A body for `length` bytes of `path` at `offset`, with its correct digest.
async fn body(path: &Path, offset: u64, length: u64) -> (PartBody, PartDigest) {
    let digest = digest_range(path, offset, length, Digests::MD5)
        .await
        .unwrap();
    let body = PartBody {
        path: path.to_path_buf(),
        offset,
        length,
        progress: Arc::new(AtomicU64::new(12_345)),
        bytes: None,
    };
    (body, digest)
}

#[track_caller]
fn assert_kind<T: std::fmt::Debug>(result: Result<T, Error>, kind: ErrorKind, needle: &str) {
    let err = result.expect_err("expected an error");
    assert_eq!(err.kind(), kind, "{err:?}");
    assert!(err.message().contains(needle), "{needle:?} not in {err:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn put_writes_the_bytes_and_head_reports_the_size() {
    let f = fixture();
    let bytes = data(600 * KIB + 7, 1);
    let src = f.source("a.bin", &bytes);
    let (b, digest) = body(&src, 0, bytes.len() as u64).await;
    let progress = Arc::clone(&b.progress);
    let info = within(
        WAIT_SECS,
        f.backend.put_object("photos/2024/a.bin", b, digest),
    )
    .await
    .unwrap();
    assert_eq!(info.size, bytes.len() as u64);
    assert_eq!(
        info.etag.as_deref(),
        Some(digest.md5_hex().unwrap().as_str())
    );
    assert_eq!(progress.load(Ordering::Relaxed), bytes.len() as u64);
    assert_eq!(
        std::fs::read(f.root.join("photos/2024/a.bin")).unwrap(),
        bytes
    );

    let head = within(WAIT_SECS, f.backend.head_object("photos/2024/a.bin")).await;
    let head = head.unwrap().expect("the object exists");
    assert_eq!((head.size, head.etag), (bytes.len() as u64, None));
    assert_eq!(
        within(WAIT_SECS, f.backend.head_object("photos/2024"))
            .await
            .unwrap(),
        None
    );
    assert_eq!(
        within(WAIT_SECS, f.backend.head_object("nothing"))
            .await
            .unwrap(),
        None
    );
    assert_eq!(
        within(WAIT_SECS, f.backend.head_object("photos/2024/a.bin/x"))
            .await
            .unwrap(),
        None
    );
    assert_eq!(f.backend.describe(), format!("folder {}", f.root.display()));
    assert_eq!(f.backend.probe_url(), None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn put_replaces_an_object_atomically_and_leaves_no_temp_files() {
    let f = fixture();
    let old = data(300 * KIB, 3);
    let new = data(20 * KIB + 1, 4);
    for (name, bytes) in [("old", &old), ("new", &new)] {
        let src = f.source(name, bytes);
        let (b, digest) = body(&src, 0, bytes.len() as u64).await;
        within(WAIT_SECS, f.backend.put_object("dir/obj", b, digest))
            .await
            .unwrap();
    }
    assert_eq!(std::fs::read(f.root.join("dir/obj")).unwrap(), new);
    assert_eq!(
        f.tree(),
        vec![STAGING_DIR.to_string(), "dir".into(), "dir/obj".into()]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn multipart_out_of_order_with_a_one_byte_last_part() {
    let f = fixture();
    let sizes = [300 * KIB as u64, 300 * KIB as u64, 1];
    let bytes = data(sizes.iter().sum::<u64>() as usize, 6);
    let src = f.source("big", &bytes);
    let key = "videos/big.mov";
    let id = within(WAIT_SECS, f.backend.create_multipart(key, None))
        .await
        .unwrap();
    assert_eq!(
        std::fs::read(f.staging().join(&id).join("key")).unwrap(),
        key.as_bytes()
    );
    let offsets = [0, sizes[0], sizes[0] + sizes[1]];
    let mut receipts = Vec::new();
    for i in [2usize, 0, 1] {
        let (b, digest) = body(&src, offsets[i], sizes[i]).await;
        let progress = Arc::clone(&b.progress);
        let n = i as u32 + 1;
        let receipt = within(WAIT_SECS, f.backend.upload_part(key, &id, n, b, digest))
            .await
            .unwrap();
        assert_eq!(progress.load(Ordering::Relaxed), sizes[i]);
        let expected = PartReceipt {
            part_number: n,
            size: sizes[i],
            etag: digest.md5_hex().unwrap(),
            md5: None,
            crc32c: None,
        };
        assert_eq!(receipt, expected);
        receipts.push((receipt, digest.md5));
    }
    receipts.sort_by_key(|(r, _)| r.part_number);
    let parts: Vec<PartReceipt> = receipts.iter().map(|(r, _)| r.clone()).collect();
    let md5s: Vec<[u8; 16]> = receipts.iter().map(|(_, m)| m.unwrap()).collect();

    let listed = within(WAIT_SECS, f.backend.list_parts(key, &id))
        .await
        .unwrap();
    assert_eq!(listed.as_deref(), Some(parts.as_slice()));

    let info = within(WAIT_SECS, f.backend.complete_multipart(key, &id, &parts))
        .await
        .unwrap();
    assert_eq!(info.size, bytes.len() as u64);
    assert_eq!(info.etag, Some(multipart_etag(&md5s)));
    assert_eq!(std::fs::read(f.root.join(key)).unwrap(), bytes);
    assert_eq!(
        f.tree(),
        vec![
            STAGING_DIR.into(),
            "videos".into(),
            "videos/big.mov".to_string()
        ]
    );
    // The upload is gone once completed.
    let again = within(WAIT_SECS, f.backend.list_parts(key, &id)).await;
    assert_kind(again, ErrorKind::NoSuchUpload, &id);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn complete_refuses_parts_that_do_not_match() {
    let f = fixture();
    let bytes = data(9000, 8);
    let src = f.source("s", &bytes);
    let id = within(WAIT_SECS, f.backend.create_multipart("out/k", None))
        .await
        .unwrap();
    let mut parts = Vec::new();
    for n in 1..=2u32 {
        let (b, digest) = body(&src, (n as u64 - 1) * 4500, 4500).await;
        parts.push(
            within(WAIT_SECS, f.backend.upload_part("out/k", &id, n, b, digest))
                .await
                .unwrap(),
        );
    }
    let mut wrong_size = parts.clone();
    wrong_size[0].size = 4499;
    let unordered = vec![parts[1].clone(), parts[0].clone()];
    let twice = vec![parts[0].clone(), parts[0].clone()];
    // A part of another size than stored is "lost" like one of another ETag (the contract's
    // case), as S3's InvalidPart; a malformed list is rejected.
    for (bad, kind, needle) in [
        (wrong_size, ErrorKind::PartLost, "part 1"),
        (unordered, ErrorKind::Rejected, "part 1"),
        (twice, ErrorKind::Rejected, "part 1"),
        (Vec::new(), ErrorKind::Rejected, "without parts"),
    ] {
        let result = within(WAIT_SECS, f.backend.complete_multipart("out/k", &id, &bad)).await;
        assert_kind(result, kind, needle);
        assert!(!f.root.join("out/k").exists());
    }
    // Nothing was lost: the right list still completes.
    within(
        WAIT_SECS,
        f.backend.complete_multipart("out/k", &id, &parts),
    )
    .await
    .unwrap();
    assert_eq!(std::fs::read(f.root.join("out/k")).unwrap(), bytes);
}

fn hex_md5(bytes: &[u8]) -> String {
    use md5::Digest;
    hex::encode(md5::Md5::digest(bytes))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn abort_removes_the_upload_and_unknown_ids_are_fine() {
    let f = fixture();
    let src = f.source("s", &data(100, 10));
    let id = within(WAIT_SECS, f.backend.create_multipart("k", None))
        .await
        .unwrap();
    let (b, digest) = body(&src, 0, 100).await;
    within(WAIT_SECS, f.backend.upload_part("k", &id, 1, b, digest))
        .await
        .unwrap();
    assert!(f.staging().join(&id).is_dir());
    within(WAIT_SECS, f.backend.abort_multipart("k", &id))
        .await
        .unwrap();
    assert_eq!(f.tree(), vec![STAGING_DIR.to_string()]);
    within(WAIT_SECS, f.backend.abort_multipart("k", &id))
        .await
        .unwrap();
    within(WAIT_SECS, f.backend.abort_multipart("k", "not-an-id"))
        .await
        .unwrap();
    within(WAIT_SECS, f.backend.abort_multipart("k", "../../.."))
        .await
        .unwrap();
    assert!(f.tmp.path().join("src/s").exists());

    // Another key's upload is not touched by an abort naming this key.
    let other = within(WAIT_SECS, f.backend.create_multipart("other", None))
        .await
        .unwrap();
    within(WAIT_SECS, f.backend.abort_multipart("k", &other))
        .await
        .unwrap();
    assert!(f.staging().join(&other).join("key").exists());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_upload_ids_are_no_such_upload() {
    let f = fixture();
    let src = f.source("s", &data(10, 11));
    let real = within(WAIT_SECS, f.backend.create_multipart("k", None))
        .await
        .unwrap();
    let unknown = "0123456789abcdef0123456789abcdef";
    let part = PartReceipt {
        part_number: 1,
        size: 10,
        etag: hex_md5(&data(10, 11)),
        md5: None,
        crc32c: None,
    };
    // (key, id): a well-formed unknown id, a malformed one, and a real id with another key.
    for (key, id) in [("k", unknown), ("k", "../../etc"), ("other", real.as_str())] {
        let (b, digest) = body(&src, 0, 10).await;
        let put = within(WAIT_SECS, f.backend.upload_part(key, id, 1, b, digest)).await;
        let needle = format!("of {key} is not in");
        assert_kind(put, ErrorKind::NoSuchUpload, &needle);
        let list = within(WAIT_SECS, f.backend.list_parts(key, id)).await;
        assert_kind(list, ErrorKind::NoSuchUpload, &needle);
        let done = within(
            WAIT_SECS,
            f.backend
                .complete_multipart(key, id, std::slice::from_ref(&part)),
        )
        .await;
        assert_kind(done, ErrorKind::NoSuchUpload, &needle);
    }
    assert!(!f.root.join("k").exists() && !f.root.join("other").exists());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keys_that_could_escape_the_root_are_refused() {
    let f = fixture();
    let src = f.source("s", &data(10, 12));
    let keys = [
        "../x",
        "/abs",
        "a//b",
        "a/./b",
        "dir/",
        "",
        "a/../../x",
        "nul\0byte",
        ".hoist-staging/x",
        ".HOIST-STAGING",
    ];
    for key in keys {
        let shown = key.escape_debug().to_string();
        let (b, digest) = body(&src, 0, 10).await;
        let put = within(WAIT_SECS, f.backend.put_object(key, b, digest)).await;
        assert_kind(put, ErrorKind::InvalidInput, &format!("'{shown}'"));
        let create = within(WAIT_SECS, f.backend.create_multipart(key, None)).await;
        assert_kind(create, ErrorKind::InvalidInput, &format!("'{shown}'"));
        let head = within(WAIT_SECS, f.backend.head_object(key)).await;
        assert_kind(head, ErrorKind::InvalidInput, &format!("'{shown}'"));
    }
    // Nothing was written anywhere: the temp dir holds the empty root and the source only.
    assert_eq!(tree(f.tmp.path()), vec!["root", "src", "src/s"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_file_in_the_way_of_a_folder_is_rejected() {
    let f = fixture();
    let src = f.source("s", &data(10, 13));
    let (b, digest) = body(&src, 0, 10).await;
    within(WAIT_SECS, f.backend.put_object("a", b, digest))
        .await
        .unwrap();
    let (b, digest) = body(&src, 0, 10).await;
    let nested = within(WAIT_SECS, f.backend.put_object("a/b", b, digest)).await;
    assert_kind(nested, ErrorKind::Rejected, "same name");
    std::fs::create_dir_all(f.root.join("d/e")).unwrap();
    let (b, digest) = body(&src, 0, 10).await;
    let onto_dir = within(WAIT_SECS, f.backend.put_object("d", b, digest)).await;
    assert_kind(onto_dir, ErrorKind::Rejected, "same name");
    assert_eq!(f.tree(), vec![STAGING_DIR, "a", "d", "d/e"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn source_file_errors_keep_their_kinds() {
    let f = fixture();
    let src = f.source("s", &data(100, 14));
    let (mut b, digest) = body(&src, 0, 100).await;
    b.length = 200;
    let short = within(WAIT_SECS, f.backend.put_object("k", b, digest)).await;
    assert_kind(short, ErrorKind::FileChanged, "became shorter");
    let (mut b, digest) = body(&src, 0, 100).await;
    b.path = f.tmp.path().join("src/gone");
    let gone = within(WAIT_SECS, f.backend.put_object("k", b, digest)).await;
    assert_kind(gone, ErrorKind::FileMissing, "gone");
    assert_eq!(f.tree(), vec![STAGING_DIR.to_string()]);
}

#[test]
fn the_root_must_be_absolute_and_is_created() {
    let relative = LocalBackend::new(PathBuf::from("uploads/here"));
    assert_kind(relative, ErrorKind::InvalidInput, "uploads/here");

    let tmp = tempfile::tempdir().unwrap();
    let deep = tmp.path().join("a/b/c");
    let backend = LocalBackend::new(deep.clone()).unwrap();
    assert!(deep.is_dir());
    assert_eq!(backend.root(), deep);

    let file = tmp.path().join("file");
    std::fs::write(&file, b"x").unwrap();
    let not_dir = LocalBackend::new(file.join("sub"));
    assert_kind(not_dir, ErrorKind::Local, &file.display().to_string());
}

#[cfg(unix)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_read_only_root_is_access_denied() {
    use std::os::unix::fs::PermissionsExt;
    let f = fixture();
    let src = f.source("s", &data(10, 15));
    std::fs::set_permissions(&f.root, std::fs::Permissions::from_mode(0o555)).unwrap();
    // Permissions do not bind root (or some filesystems): nothing to test then.
    let probe = f.root.join("probe");
    if std::fs::write(&probe, b"x").is_ok() {
        std::fs::remove_file(&probe).unwrap();
        std::fs::set_permissions(&f.root, std::fs::Permissions::from_mode(0o755)).unwrap();
        eprintln!("skipped: writing into a 0o555 folder succeeded (running as root?)");
        return;
    }
    let (b, digest) = body(&src, 0, 10).await;
    let put = within(WAIT_SECS, f.backend.put_object("k", b, digest)).await;
    let create = within(WAIT_SECS, f.backend.create_multipart("k", None)).await;
    std::fs::set_permissions(&f.root, std::fs::Permissions::from_mode(0o755)).unwrap();
    let root = f.root.display().to_string();
    assert_kind(put, ErrorKind::AccessDenied, &root);
    assert_kind(create, ErrorKind::AccessDenied, &root);
    assert!(f.tree().is_empty(), "{:?}", f.tree());
}
