//! Downloads as queue jobs against the in-test S3 server: ranges fetched into a hidden partial
//! file and renamed into place, a cut answer resumed from its range, server errors retried, a
//! missing key failing clearly, an object replaced mid-download started over, the if-exists
//! rules on local files, and keys that cannot be files refused while the rest download.

use crate::support::*;
use hoist_core::model::{Direction, JobState, Outcome, Selection};
use hoist_core::options::IfExists;
use hoist_core::{ErrorKind, Place};
use hoist_test_s3::{Fault, FaultAction, Op};
use std::path::{Path, PathBuf};

async fn put(f: &Fixture, key: &str, bytes: Vec<u8>) {
    f.sdk_client()
        .put_object()
        .bucket(BUCKET)
        .key(key)
        .body(aws_sdk_s3::primitives::ByteStream::from(bytes))
        .send()
        .await
        .unwrap();
}

fn gets(f: &Fixture) -> Vec<u16> {
    f.server
        .requests()
        .iter()
        .filter(|r| r.op == Op::GetObject)
        .map(|r| r.status)
        .collect()
}

fn target(f: &Fixture) -> PathBuf {
    f.dir.path().join("downloads")
}

async fn download(f: &Fixture, items: &[&str], if_exists: Option<IfExists>) -> String {
    let items: Vec<String> = items.iter().map(|s| s.to_string()).collect();
    let report = f
        .core
        .enqueue_download(&Place::default(), &items, &target(f), if_exists)
        .await
        .unwrap();
    assert!(report.refused.is_empty(), "{:?}", report.refused);
    report.batch
}

/// Every file below `dir`, relative, sorted (hidden partial files included).
fn files(dir: &Path) -> Vec<String> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            if entry.file_type().unwrap().is_dir() {
                stack.push(entry.path());
            } else {
                let path = entry.path();
                out.push(
                    path.strip_prefix(dir)
                        .unwrap()
                        .to_string_lossy()
                        .into_owned(),
                );
            }
        }
    }
    out.sort();
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_large_object_downloads_by_ranges_and_lands_whole_under_its_name() {
    let f = Fixture::new().await;
    let bytes = pattern(11 * MIB, 3);
    put(&f, "videos/big.bin", bytes.clone()).await;
    let batch = download(&f, &["videos/big.bin"], None).await;
    let summary = f.run_batch(&batch).await;
    assert_eq!((summary.completed, summary.failed), (1, 0));
    assert_eq!(std::fs::read(target(&f).join("big.bin")).unwrap(), bytes);
    assert_eq!(files(&target(&f)), ["big.bin"], "no partial file is left");
    assert_eq!(gets(&f), [206, 206, 206], "three 5 MiB ranges");
    let job = f.job(&batch);
    assert_eq!(job.direction, Direction::Download);
    assert_eq!(job.outcome, Some(Outcome::Downloaded));
    let modified = std::fs::metadata(target(&f).join("big.bin"))
        .unwrap()
        .modified()
        .unwrap();
    let age = std::time::SystemTime::now()
        .duration_since(modified)
        .unwrap();
    assert!(
        age.as_secs() < 120,
        "the object's modified time: {age:?} ago"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cut_answer_is_fetched_again_from_its_range_only() {
    let f = Fixture::new().await;
    let bytes = pattern(11 * MIB, 4);
    put(&f, "big.bin", bytes.clone()).await;
    f.server.inject(Fault {
        op: Op::GetObject,
        part_number: None,
        action: FaultAction::CutAnswerAfter(MIB as u64),
        times: 1,
    });
    let batch = download(&f, &["big.bin"], None).await;
    let summary = f.run_batch(&batch).await;
    assert_eq!((summary.completed, summary.failed), (1, 0));
    assert_eq!(std::fs::read(target(&f).join("big.bin")).unwrap(), bytes);
    assert_eq!(
        gets(&f).len(),
        4,
        "three ranges and the cut one again: {:?}",
        gets(&f)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_busy_server_is_retried_and_a_missing_key_fails_clearly() {
    let f = Fixture::new().await;
    put(&f, "small.txt", b"small".to_vec()).await;
    f.server.inject(Fault {
        op: Op::GetObject,
        part_number: None,
        action: FaultAction::InternalError,
        times: 2,
    });
    let batch = download(&f, &["small.txt", "missing.txt"], None).await;
    let summary = f.run_batch(&batch).await;
    assert_eq!((summary.completed, summary.failed), (1, 1));
    assert_eq!(
        std::fs::read(target(&f).join("small.txt")).unwrap(),
        b"small"
    );
    let failed = f
        .core
        .batch_jobs(&batch)
        .unwrap()
        .into_iter()
        .find(|j| j.state == JobState::Failed)
        .unwrap();
    assert_eq!(failed.error_code, Some(ErrorKind::NotFound));
    assert!(
        failed
            .error_message
            .as_deref()
            .unwrap()
            .contains("no object 'missing.txt'"),
        "{failed:?}"
    );
    assert!(!target(&f).join("missing.txt").exists());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_object_replaced_mid_download_starts_over_from_the_new_one() {
    let f = Fixture::new().await;
    put(&f, "doc.bin", pattern(6 * MIB, 5)).await;
    // Every GetObject is cut: the job fails with its download recorded for the old object.
    f.server.inject(Fault {
        op: Op::GetObject,
        part_number: None,
        action: FaultAction::CutAnswerAfter(1000),
        times: 100,
    });
    let batch = download(&f, &["doc.bin"], None).await;
    let summary = f.run_batch(&batch).await;
    assert_eq!(summary.failed, 1);
    assert!(
        files(&target(&f)).iter().all(|n| n.starts_with('.')),
        "only the partial file"
    );
    f.server.clear_faults();
    let new = pattern(7 * MIB, 6);
    put(&f, "doc.bin", new.clone()).await;
    f.core
        .retry(&hoist_core::model::Selection::Ids(vec![f.job(&batch).id]))
        .unwrap();
    let summary = f.run_batch(&batch).await;
    assert_eq!((summary.completed, summary.failed), (1, 0));
    assert_eq!(std::fs::read(target(&f).join("doc.bin")).unwrap(), new);
    assert!(
        gets(&f).contains(&412),
        "If-Match refused the replaced object: {:?}",
        gets(&f)
    );
    assert_eq!(files(&target(&f)), ["doc.bin"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn local_files_are_skipped_kept_or_renamed_by_the_rule() {
    let f = Fixture::new().await;
    put(&f, "a.txt", b"server".to_vec()).await;
    put(&f, "same.txt", b"same".to_vec()).await;
    std::fs::create_dir_all(target(&f)).unwrap();
    std::fs::write(target(&f).join("a.txt"), b"mine").unwrap();
    std::fs::write(target(&f).join("same.txt"), b"same").unwrap();

    let batch = download(&f, &["a.txt", "same.txt"], Some(IfExists::Skip)).await;
    f.run_batch(&batch).await;
    let outcomes: Vec<_> = f
        .core
        .batch_jobs(&batch)
        .unwrap()
        .iter()
        .map(|j| j.outcome)
        .collect();
    assert_eq!(
        outcomes,
        [
            Some(Outcome::SkippedExisting),
            Some(Outcome::SkippedIdentical)
        ]
    );
    assert_eq!(std::fs::read(target(&f).join("a.txt")).unwrap(), b"mine");
    assert!(gets(&f).is_empty(), "nothing was fetched");

    let batch = download(&f, &["a.txt"], Some(IfExists::Rename)).await;
    f.run_batch(&batch).await;
    assert_eq!(std::fs::read(target(&f).join("a.txt")).unwrap(), b"mine");
    assert_eq!(
        std::fs::read(target(&f).join("a (1).txt")).unwrap(),
        b"server"
    );
    assert_eq!(f.job(&batch).path, target(&f).join("a (1).txt"));

    let batch = download(&f, &["a.txt"], Some(IfExists::Overwrite)).await;
    f.run_batch(&batch).await;
    assert_eq!(std::fs::read(target(&f).join("a.txt")).unwrap(), b"server");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keys_that_cannot_be_files_are_refused_and_the_folder_keeps_its_name() {
    let f = Fixture::new().await;
    for key in [
        "set/ok.txt",
        "set/deep/b.txt",
        "set/a\\b",
        "set/CON",
        "set/marker/",
    ] {
        put(&f, key, key.as_bytes().to_vec()).await;
    }
    let report = f
        .core
        .enqueue_download(&Place::default(), &["set/".to_string()], &target(&f), None)
        .await
        .unwrap();
    let refused: Vec<&str> = report.refused.iter().map(|r| r.key.as_str()).collect();
    assert_eq!(refused, ["set/CON", "set/a\\b"], "{:?}", report.refused);
    assert!(report.refused[1].reason.contains("backslash"));
    f.run_batch(&report.batch).await;
    assert_eq!(files(&target(&f)), ["set/deep/b.txt", "set/ok.txt"]);
    let relative = f
        .core
        .enqueue_download(
            &Place::default(),
            &["x".to_string()],
            Path::new("rel"),
            None,
        )
        .await;
    assert_eq!(relative.unwrap_err().kind(), ErrorKind::InvalidInput);
}

/// A small tmpfs mounted on `dir` (root only), unmounted when dropped.
struct SmallDisk(PathBuf);

impl SmallDisk {
    fn mount(dir: &Path, size: &str) -> Option<SmallDisk> {
        std::fs::create_dir_all(dir).unwrap();
        let out = std::process::Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(dir)
            .output()
            .ok()?;
        out.status.success().then(|| SmallDisk(dir.to_path_buf()))
    }

    fn grow(&self, size: &str) {
        let out = std::process::Command::new("mount")
            .args(["-o", &format!("remount,size={size}")])
            .arg(&self.0)
            .output()
            .unwrap();
        assert!(out.status.success(), "{out:?}");
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let _ = std::process::Command::new("umount")
            .arg("-l")
            .arg(&self.0)
            .status();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_disk_fails_the_download_clearly_and_a_retry_finishes_it() {
    let f = Fixture::new().await;
    let Some(disk) = SmallDisk::mount(&target(&f), "6m") else {
        eprintln!("skipped: mounting a tmpfs needs root (the suite runs it as root)");
        return;
    };
    let bytes = pattern(11 * MIB, 9);
    put(&f, "big.bin", bytes.clone()).await;
    let batch = download(&f, &["big.bin"], None).await;
    let summary = f.run_batch(&batch).await;
    assert_eq!((summary.completed, summary.failed), (0, 1));
    let job = f.job(&batch);
    let message = job.error_message.clone().unwrap_or_default();
    assert!(
        message.contains("is full: free some space, then retry"),
        "{message}"
    );
    assert_eq!(
        files(&target(&f)),
        [".big.bin.hoist-part"],
        "the partial file is kept, nothing is under the real name"
    );
    disk.grow("64m");
    f.core
        .retry(&hoist_core::model::Selection::Ids(vec![job.id]))
        .unwrap();
    let summary = f.run_batch(&batch).await;
    assert_eq!((summary.completed, summary.failed), (1, 0));
    assert_eq!(std::fs::read(target(&f).join("big.bin")).unwrap(), bytes);
    assert_eq!(files(&target(&f)), ["big.bin"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cancelled_download_left_its_hidden_partial_file_and_a_paused_one_keeps_it() {
    let f = Fixture::new().await;
    put(&f, "big.bin", pattern(11 * MIB, 9)).await;
    let stall = || Fault {
        op: Op::GetObject,
        part_number: None,
        action: FaultAction::Stall(std::time::Duration::from_secs(600)),
        times: 1,
    };
    let partial = target(&f).join(".big.bin.hoist-part");
    f.server.inject(stall());
    let batch = download(&f, &["big.bin"], None).await;
    let id = f.job(&batch).id;
    let run = f.spawn_batch(&batch);
    f.wait_until("the partial file is made", || partial.exists())
        .await;
    f.core.pause(&Selection::Ids(vec![id])).unwrap();
    within(60, run).await.unwrap().unwrap();
    assert_eq!(f.job(&batch).state, JobState::Paused);
    assert!(partial.exists(), "pausing removed the partial file");

    f.server.inject(stall());
    f.core.resume(&Selection::Ids(vec![id])).unwrap();
    let run = f.spawn_batch(&batch);
    f.wait_until("the download runs again", || {
        f.job(&batch).state == JobState::Running
    })
    .await;
    f.core.cancel(&Selection::Ids(vec![id])).unwrap();
    within(60, run).await.unwrap().unwrap();
    assert_eq!(f.job(&batch).state, JobState::Cancelled);
    assert_eq!(
        files(&target(&f)),
        Vec::<String>::new(),
        "the cancel left files"
    );
}
