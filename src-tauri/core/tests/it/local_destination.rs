//! Local-folder destinations through the whole engine: the same queue semantics as S3 (single
//! writes, multipart staged and assembled atomically, pause and resume without re-copying
//! finished parts), and the built-in destination that makes the first upload work with nothing
//! configured.

use crate::support::*;
use hoist_core::EnqueueRequest;
use hoist_core::model::{JobState, Selection};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn files_and_folders_land_in_the_folder_byte_for_byte() {
    let dir = tempfile::tempdir().unwrap();
    let (core, folder) = core_with_folder(dir.path());
    let src = dir.path().join("src/album");
    std::fs::create_dir_all(src.join("sub")).unwrap();
    std::fs::write(src.join("small.txt"), pattern(10, 1)).unwrap();
    std::fs::write(src.join("sub/big.bin"), pattern(12 * MIB + 1, 2)).unwrap();
    let report = core
        .enqueue(EnqueueRequest {
            paths: vec![src],
            ..Default::default()
        })
        .unwrap();
    run_core_batch(&core, &report.batch).await;
    let jobs = core.batch_jobs(&report.batch).unwrap();
    assert!(
        jobs.iter().all(|j| j.state == JobState::Completed),
        "{jobs:?}"
    );
    assert_eq!(
        std::fs::read(folder.join("album/small.txt")).unwrap(),
        pattern(10, 1)
    );
    assert_eq!(
        std::fs::read(folder.join("album/sub/big.bin")).unwrap(),
        pattern(12 * MIB + 1, 2)
    );
    let staging = folder.join(".hoist-staging");
    let left = std::fs::read_dir(&staging).map(|d| d.count()).unwrap_or(0);
    assert_eq!(left, 0, "staging is empty after the uploads");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_paused_multipart_copy_resumes_without_copying_finished_parts_again() {
    let dir = tempfile::tempdir().unwrap();
    let (core, folder) = core_with_folder(dir.path());
    let src = dir.path().join("big.bin");
    std::fs::write(&src, pattern(20 * MIB, 3)).unwrap();
    let report = core
        .enqueue(EnqueueRequest {
            paths: vec![src],
            ..Default::default()
        })
        .unwrap();
    let id = report.jobs[0];
    // Pause as soon as two parts are committed; the copy is fast, so the pause may also land
    // after completion, which the assertions below allow for.
    let db = rusqlite::Connection::open(dir.path().join("data/hoist.db")).unwrap();
    let runner = core.clone();
    let batch = report.batch.clone();
    let handle = tokio::spawn(async move { run_core_batch(&runner, &batch).await });
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        let parts: i64 = db
            .query_row("SELECT COUNT(*) FROM parts", [], |r| r.get(0))
            .unwrap();
        let state = core.batch_jobs(&report.batch).unwrap()[0].state;
        if parts >= 2 || state == JobState::Completed {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "no part was committed in time"
        );
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
    core.pause(&Selection::Ids(vec![id])).unwrap();
    tokio::time::timeout(WAIT, handle).await.unwrap().unwrap();
    let committed_before: i64 = db
        .query_row("SELECT COUNT(*) FROM parts", [], |r| r.get(0))
        .unwrap();
    if core.batch_jobs(&report.batch).unwrap()[0].state == JobState::Paused {
        assert!(
            !folder.join("big.bin").exists(),
            "no partial file at the final path"
        );
        core.resume(&Selection::Ids(vec![id])).unwrap();
        run_core_batch(&core, &report.batch).await;
        assert!(committed_before >= 2);
    }
    assert_eq!(
        core.batch_jobs(&report.batch).unwrap()[0].state,
        JobState::Completed
    );
    assert_eq!(
        std::fs::read(folder.join("big.bin")).unwrap(),
        pattern(20 * MIB, 3)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_key_that_would_leave_the_folder_fails_that_job_only() {
    let dir = tempfile::tempdir().unwrap();
    let (core, folder) = core_with_folder(dir.path());
    std::fs::create_dir_all(dir.path().join("src")).unwrap();
    let ok = dir.path().join("src/ok.txt");
    std::fs::write(&ok, b"fine").unwrap();
    let escape = core
        .enqueue(EnqueueRequest {
            paths: vec![ok.clone()],
            prefix: Some("../".into()),
            ..Default::default()
        })
        .unwrap();
    let fine = core
        .enqueue(EnqueueRequest {
            paths: vec![ok],
            ..Default::default()
        })
        .unwrap();
    run_core_batch(&core, &escape.batch).await;
    run_core_batch(&core, &fine.batch).await;
    let bad = &core.batch_jobs(&escape.batch).unwrap()[0];
    assert_eq!(bad.state, JobState::Failed);
    assert_eq!(bad.error_code, Some(hoist_core::ErrorKind::InvalidInput));
    assert!(
        !dir.path().join("ok.txt").exists(),
        "nothing was written outside the folder"
    );
    assert_eq!(std::fs::read(folder.join("ok.txt")).unwrap(), b"fine");
}
