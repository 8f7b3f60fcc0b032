//! The engine against the in-test S3 server: sizes at the edges of the plan, and each fault the
//! server can inject, from the outside (queue rows, server objects and request log).

use crate::support::*;
use hoist_core::model::JobState;
use hoist_core::{CancellationToken, Core};
use hoist_test_s3::{Fault, FaultAction, Op};
use std::time::Duration;

fn fault(op: Op, part_number: Option<u32>, action: FaultAction) -> Fault {
    Fault {
        op,
        part_number,
        action,
        times: 1,
    }
}

fn count(f: &Fixture, op: Op, part: Option<u32>) -> usize {
    f.server
        .requests()
        .iter()
        .filter(|r| r.op == op && (part.is_none() || r.part_number == part))
        .count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sizes_at_the_plan_edges_arrive_byte_for_byte() {
    let f = Fixture::new().await;
    let sizes = [
        0,
        1,
        5 * MIB - 1,
        5 * MIB,
        5 * MIB + 1,
        10 * MIB,
        10 * MIB + 1,
    ];
    let paths: Vec<_> = sizes
        .iter()
        .enumerate()
        .map(|(i, len)| f.file(&format!("f{i}"), *len, i as u8))
        .collect();
    let batch = f.enqueue(&paths.iter().map(|p| p.as_path()).collect::<Vec<_>>());
    let summary = f.run_batch(&batch).await;
    assert_eq!((summary.completed, summary.failed), (sizes.len(), 0));
    for (i, len) in sizes.iter().enumerate() {
        assert_eq!(
            f.object(&format!("f{i}")),
            pattern(*len, i as u8),
            "file of {len} bytes"
        );
    }
    // Up to the threshold one PUT each; above it, multipart with exact part counts (2, 2, 3).
    assert_eq!(count(&f, Op::PutObject, None), 4);
    assert_eq!(count(&f, Op::CreateMultipartUpload, None), 3);
    assert_eq!(count(&f, Op::UploadPart, None), 2 + 2 + 3);
    assert!(f.server.pending_uploads(BUCKET).is_empty());
    let jobs = f.core.batch_jobs(&batch).unwrap();
    assert!(
        jobs.iter()
            .all(|j| j.bytes_done == j.bytes_total && j.attempts == 0)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn folders_are_walked_with_relative_keys_and_the_prefix() {
    let f = Fixture::new().await;
    f.file("album/a.jpg", 10, 1);
    f.file("album/sub dir/b+c%#?.txt", 20, 2);
    f.file("album/sub dir/é.txt", 30, 3);
    let report = f
        .core
        .enqueue(hoist_core::EnqueueRequest {
            paths: vec![f.dir.path().join("files/album")],
            prefix: Some("backup/".into()),
            ..Default::default()
        })
        .unwrap();
    assert_eq!(report.jobs.len(), 3);
    f.run_batch(&report.batch).await;
    assert_eq!(
        f.server.keys(BUCKET),
        vec![
            "backup/album/a.jpg",
            "backup/album/sub dir/b+c%#?.txt",
            "backup/album/sub dir/é.txt"
        ]
    );
    assert_eq!(f.object("backup/album/sub dir/é.txt"), pattern(30, 3));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn throttling_and_server_errors_are_retried_with_retry_after() {
    let f = Fixture::new().await;
    let path = f.file("big", 15 * MIB, 7);
    f.server.inject(fault(
        Op::UploadPart,
        Some(2),
        FaultAction::SlowDown {
            retry_after: Some("1".into()),
        },
    ));
    f.server
        .inject(fault(Op::UploadPart, Some(3), FaultAction::InternalError));
    f.server.inject(fault(
        Op::CreateMultipartUpload,
        None,
        FaultAction::InternalError,
    ));
    let batch = f.enqueue(&[&path]);
    let started = std::time::Instant::now();
    f.run_batch(&batch).await;
    let job = f.job(&batch);
    assert_eq!(job.state, JobState::Completed, "{:?}", job.error_message);
    assert_eq!(job.attempts, 3);
    assert!(
        started.elapsed() >= Duration::from_secs(1),
        "Retry-After was not honoured"
    );
    assert_eq!(f.object("big"), pattern(15 * MIB, 7));
    assert_eq!(count(&f, Op::UploadPart, Some(2)), 2);
    // The failed Create left no second upload behind.
    assert!(f.server.pending_uploads(BUCKET).is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_connection_cut_mid_part_resends_that_part_only() {
    let f = Fixture::new().await;
    let path = f.file("cut", 12 * MIB, 9);
    f.server.inject(fault(
        Op::UploadPart,
        Some(1),
        FaultAction::CutBodyAfter(1024 * 1024),
    ));
    let batch = f.enqueue(&[&path]);
    f.run_batch(&batch).await;
    assert!(completed(&f.job(&batch)));
    assert_eq!(f.object("cut"), pattern(12 * MIB, 9));
    assert_eq!(count(&f, Op::UploadPart, Some(1)), 2);
    assert_eq!(count(&f, Op::UploadPart, Some(2)), 1);
    assert_eq!(count(&f, Op::UploadPart, Some(3)), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn complete_answering_200_with_an_error_is_not_success() {
    let f = Fixture::new().await;
    let path = f.file("c200", 6 * MIB, 4);
    f.server.inject(fault(
        Op::CompleteMultipartUpload,
        None,
        FaultAction::CompleteOkWithErrorBody,
    ));
    let batch = f.enqueue(&[&path]);
    f.run_batch(&batch).await;
    let job = f.job(&batch);
    assert!(completed(&job));
    assert_eq!(
        job.attempts, 1,
        "the error body must count as a failed attempt"
    );
    assert_eq!(count(&f, Op::CompleteMultipartUpload, None), 2);
    assert_eq!(f.object("c200"), pattern(6 * MIB, 4));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lost_complete_answer_is_checked_with_head_not_redone() {
    let f = Fixture::new().await;
    let path = f.file("lost", 6 * MIB, 5);
    f.server.inject(fault(
        Op::CompleteMultipartUpload,
        None,
        FaultAction::CompleteThenDropAnswer,
    ));
    let batch = f.enqueue(&[&path]);
    f.run_batch(&batch).await;
    assert!(completed(&f.job(&batch)));
    assert_eq!(f.object("lost"), pattern(6 * MIB, 5));
    // One upload id only: the retry found NoSuchUpload and the object in place.
    assert_eq!(count(&f, Op::CreateMultipartUpload, None), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_upload_the_server_forgot_starts_fresh_and_completes() {
    let f = Fixture::new().await;
    let path = f.file("forgot", 11 * MIB, 6);
    f.server
        .inject(fault(Op::UploadPart, Some(2), FaultAction::ForgetUpload));
    let batch = f.enqueue(&[&path]);
    f.run_batch(&batch).await;
    assert!(completed(&f.job(&batch)));
    assert_eq!(f.object("forgot"), pattern(11 * MIB, 6));
    assert_eq!(count(&f, Op::CreateMultipartUpload, None), 2);
    assert!(f.server.pending_uploads(BUCKET).is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn access_denied_fails_fast_and_other_jobs_go_on() {
    let f = Fixture::new().await;
    let denied = f.file("denied", 100, 1);
    let fine = f.file("fine", 100, 2);
    let missing = f.file("missing", 100, 3);
    f.server.inject(Fault {
        op: Op::PutObject,
        part_number: None,
        action: FaultAction::AccessDenied,
        times: 1,
    });
    let report = f
        .core
        .enqueue(hoist_core::EnqueueRequest {
            paths: vec![denied, fine, missing.clone()],
            ..Default::default()
        })
        .unwrap();
    std::fs::remove_file(&missing).unwrap();
    f.core.set_concurrency(1).unwrap();
    let summary = f.run_batch(&report.batch).await;
    assert_eq!((summary.completed, summary.failed), (1, 2));
    let jobs = f.core.batch_jobs(&report.batch).unwrap();
    assert_eq!(jobs[0].state, JobState::Failed);
    assert_eq!(
        jobs[0].error_code,
        Some(hoist_core::ErrorKind::AccessDenied)
    );
    assert_eq!(jobs[0].attempts, 0, "a fatal error is not retried");
    assert_eq!(jobs[1].state, JobState::Completed);
    assert_eq!(jobs[2].error_code, Some(hoist_core::ErrorKind::FileMissing));
    assert!(
        jobs[2]
            .error_message
            .as_deref()
            .unwrap()
            .contains("missing"),
        "{:?}",
        jobs[2].error_message
    );
    // A failed job stays retryable.
    f.core
        .retry(&hoist_core::model::Selection::Ids(vec![jobs[0].id]))
        .unwrap();
    f.run_batch(&report.batch).await;
    assert_eq!(
        f.core.batch_jobs(&report.batch).unwrap()[0].state,
        JobState::Completed
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn while_offline_jobs_wait_without_spending_attempts_then_resume() {
    let f = Fixture::new().await;
    let path = f.file("offline", 6 * MIB, 8);
    f.server.stop().await;
    let mut events = f.core.subscribe();
    let batch = f.enqueue(&[&path]);
    let run = f.spawn_batch(&batch);
    next_event(&mut events, |e| {
        matches!(e, hoist_core::Event::Network { online: false })
    })
    .await;
    assert!(!f.core.progress().online);
    f.server.restart().await;
    next_event(&mut events, |e| {
        matches!(e, hoist_core::Event::Network { online: true })
    })
    .await;
    tokio::time::timeout(WAIT, run)
        .await
        .expect("run ends")
        .unwrap()
        .unwrap();
    let job = f.job(&batch);
    assert!(completed(&job), "{:?}", job.error_message);
    assert_eq!(
        job.attempts, 0,
        "offline waits must not spend the retry budget"
    );
    assert_eq!(f.object("offline"), pattern(6 * MIB, 8));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_part_whose_answer_never_comes_is_sent_again() {
    let f = Fixture::new().await;
    let path = f.file("stalled", 11 * MIB, 2);
    f.server.inject(fault(
        Op::UploadPart,
        Some(2),
        FaultAction::Stall(Duration::from_secs(600)),
    ));
    let batch = f.enqueue(&[&path]);
    f.run_batch(&batch).await;
    let job = f.job(&batch);
    assert!(completed(&job), "{:?}", job.error_message);
    assert_eq!(job.attempts, 1);
    assert_eq!(count(&f, Op::UploadPart, Some(2)), 2);
    assert_eq!(f.object("stalled"), pattern(11 * MIB, 2));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_job_waiting_to_retry_shows_when_it_will() {
    let f = Fixture::new().await;
    f.server.inject(hoist_test_s3::Fault {
        op: hoist_test_s3::Op::PutObject,
        part_number: None,
        action: hoist_test_s3::FaultAction::SlowDown {
            retry_after: Some("2".into()),
        },
        times: 1,
    });
    let path = f.file("later.bin", 1000, 1);
    let batch = f.enqueue(&[&path]);
    let run = f.spawn_batch(&batch);
    let core = f.core.clone();
    let mut seen = None;
    f.wait_until("a retry time in the progress", || {
        seen = core.progress().jobs.iter().find_map(|j| j.retry_at);
        seen.is_some()
    })
    .await;
    let now_ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64;
    let due = seen.unwrap();
    assert!(
        due > now_ms && due <= now_ms + 5_000,
        "retry at {due}, now {now_ms}"
    );
    let summary = tokio::time::timeout(WAIT, run)
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    assert_eq!(summary.completed, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_engine_handle_owns_the_lock_and_a_second_engine_is_refused_naming_its_holder() {
    let f = Fixture::new().await;
    let engine = f
        .core
        .start_engine(hoist_core::RunUntil::Stopped, CancellationToken::new())
        .unwrap();
    let other = Core::open_with(
        f.dir.path().join("data").as_path(),
        Some(std::sync::Arc::new(MemoryCredentials::default())),
        test_config(),
    )
    .unwrap();
    // Refused at once, not after a first poll, and the message says who holds the queue.
    let Err(busy) = other.start_engine(hoist_core::RunUntil::Idle, CancellationToken::new()) else {
        panic!("a second engine started on the same data directory");
    };
    assert_eq!(busy.kind(), hoist_core::ErrorKind::EngineBusy);
    assert!(
        busy.message()
            .contains(&format!("pid {}", std::process::id())),
        "{}",
        busy.message()
    );
    // The handle's engine uploads, then stops when asked and gives the lock back.
    let path = f.file("via-handle.bin", 1000, 3);
    let batch = f.enqueue(&[&path]);
    f.wait_until("the running engine uploads", || completed(&f.job(&batch)))
        .await;
    engine.stop();
    let summary = tokio::time::timeout(WAIT, engine.join())
        .await
        .expect("the engine stops when asked")
        .unwrap();
    assert_eq!(summary.completed, 1);
    let again = other
        .start_engine(hoist_core::RunUntil::Idle, CancellationToken::new())
        .unwrap();
    tokio::time::timeout(WAIT, again.join())
        .await
        .unwrap()
        .unwrap();
}

/// Small uploads spend their time on round trips, not bytes: they run beside the concurrency
/// setting's slots (up to 8 per slot), while large files stay at the setting (3 by default).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn small_files_run_many_at_once_while_large_ones_keep_the_concurrency_setting() {
    let f = Fixture::new().await;
    fn running(f: &Fixture) -> i64 {
        f.db()
            .query_row(
                "SELECT COUNT(*) FROM jobs WHERE state = 'running'",
                [],
                |r| r.get::<_, i64>(0),
            )
            .unwrap()
    }
    // Every request is held until the test has counted what runs at once.
    let hold = |op| Fault {
        op,
        part_number: None,
        action: FaultAction::Stall(Duration::from_secs(600)),
        times: 100,
    };
    f.server.inject(hold(Op::PutObject));
    let small: Vec<std::path::PathBuf> =
        (0..10).map(|i| f.file(&format!("s{i}"), 1000, i)).collect();
    let small: Vec<&std::path::Path> = small.iter().map(|p| p.as_path()).collect();
    let batch = f.enqueue(&small);
    let run = f.spawn_batch(&batch);
    f.wait_until("all 10 small uploads running at once", || running(&f) == 10)
        .await;
    run.abort();
    let _ = run.await;

    let f = Fixture::new().await;
    f.server.inject(hold(Op::CreateMultipartUpload));
    let large: Vec<std::path::PathBuf> = (0..5)
        .map(|i| f.file(&format!("l{i}"), 6 * MIB, i))
        .collect();
    let large: Vec<&std::path::Path> = large.iter().map(|p| p.as_path()).collect();
    let batch = f.enqueue(&large);
    let run = f.spawn_batch(&batch);
    f.wait_until("3 large uploads started", || {
        f.server
            .requests()
            .iter()
            .filter(|r| r.op == Op::CreateMultipartUpload)
            .count()
            == 3
    })
    .await;
    assert_eq!(running(&f), 3, "the other large files wait for a slot");
    run.abort();
    let _ = run.await;
}
