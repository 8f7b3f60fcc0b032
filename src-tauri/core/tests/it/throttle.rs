//! The bandwidth limits through the whole engine: several files and parts at once share one
//! limit, over real HTTP to the in-test server and into a local folder, a change applies to
//! uploads already running, and downloads have a limit of their own. Only lower bounds on time are asserted (a slow machine can only make
//! them hold more easily); the figures themselves come from tests/bench/limit.sh.

use crate::support::*;
use hoist_core::model::{Direction, JobState};
use hoist_core::{CancellationToken, Core, EnqueueRequest, NewDestination, Place, RunUntil};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// What the throttle lets through at once after an idle spell (engine::throttle::BURST), plus
/// scheduling slack.
const BURST_SLACK: Duration = Duration::from_millis(400);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn files_and_parts_in_flight_share_one_limit() {
    let f = Fixture::new().await;
    let rate = 2 * MIB as u64;
    f.core
        .set_bandwidth_limit(Direction::Upload, Some(rate))
        .unwrap();
    // One multipart file (two 5 MiB parts in flight) and two single PUTs, all at once.
    let big = f.file("big.bin", 11 * MIB, 1);
    let a = f.file("a.bin", 512 * 1024, 2);
    let b = f.file("b.bin", 512 * 1024, 3);
    let batch = f.enqueue(&[&big, &a, &b]);
    let started = Instant::now();
    let summary = f.run_batch(&batch).await;
    let elapsed = started.elapsed();
    assert_eq!((summary.completed, summary.failed), (3, 0));
    assert_eq!(f.object("big.bin"), pattern(11 * MIB, 1));
    let total = (12 * MIB) as f64;
    let floor = Duration::from_secs_f64(total / rate as f64) - BURST_SLACK;
    assert!(
        elapsed >= floor,
        "12 MiB at 2 MiB/s took {elapsed:?}, less than {floor:?}: the limit was not applied"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn raising_the_limit_speeds_up_uploads_already_running() {
    let f = Fixture::new().await;
    f.core
        .set_bandwidth_limit(Direction::Upload, Some(64 * 1024))
        .unwrap();
    let big = f.file("big.bin", 4 * MIB, 4);
    let batch = f.enqueue(&[&big]);
    let run = f.spawn_batch(&batch);
    let core = f.core.clone();
    // Once bytes flow under the low limit (4 MiB would take a minute), lift it.
    f.wait_until("bytes to flow", || {
        core.progress().jobs.iter().any(|j| j.bytes_done > 0)
    })
    .await;
    let lifted = Instant::now();
    f.core.set_bandwidth_limit(Direction::Upload, None).unwrap();
    let summary = tokio::time::timeout(WAIT, run)
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    assert_eq!((summary.completed, summary.failed), (1, 0));
    // At 64 KiB/s the rest would need about 60 s; without the limit it takes well under that.
    assert!(
        lifted.elapsed() < Duration::from_secs(30),
        "lifting the limit did not reach the running upload ({:?})",
        lifted.elapsed()
    );
    assert_eq!(f.object("big.bin"), pattern(4 * MIB, 4));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_limit_set_by_another_process_reaches_the_running_engine() {
    let f = Fixture::new().await;
    let file = f.file("f.bin", 3 * MIB, 5);
    let batch = f.enqueue(&[&file]);
    // Another Core on the same data directory (another `hoist` process) sets the limit.
    let other = Core::open(&f.dir.path().join("data")).unwrap();
    other
        .set_bandwidth_limit(Direction::Upload, Some(MIB as u64))
        .unwrap();
    let started = Instant::now();
    let summary = f.run_batch(&batch).await;
    assert_eq!((summary.completed, summary.failed), (1, 0));
    let floor = Duration::from_secs(3) - BURST_SLACK;
    assert!(started.elapsed() >= floor, "{:?}", started.elapsed());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn copies_into_a_local_folder_are_limited_too() {
    let dir = tempfile::tempdir().unwrap();
    let core = Core::open_with(
        &dir.path().join("data"),
        Some(Arc::new(MemoryCredentials::default())),
        test_config(),
    )
    .unwrap();
    let folder = dir.path().join("nas");
    core.add_destination(
        NewDestination {
            name: "nas".into(),
            folder: Some(folder.clone()),
            ..Default::default()
        },
        None,
    )
    .unwrap();
    core.set_bandwidth_limit(Direction::Upload, Some(MIB as u64))
        .unwrap();
    let src = dir.path().join("two.bin");
    std::fs::write(&src, pattern(2 * MIB, 6)).unwrap();
    let report = core
        .enqueue(EnqueueRequest {
            paths: vec![src],
            ..Default::default()
        })
        .unwrap();
    let started = Instant::now();
    tokio::time::timeout(
        WAIT,
        core.run_queue(
            RunUntil::Batch(report.batch.clone()),
            CancellationToken::new(),
        ),
    )
    .await
    .unwrap()
    .unwrap();
    let jobs = core.batch_jobs(&report.batch).unwrap();
    assert_eq!(jobs[0].state, JobState::Completed);
    assert_eq!(
        std::fs::read(folder.join("two.bin")).unwrap(),
        pattern(2 * MIB, 6)
    );
    let floor = Duration::from_secs(2) - BURST_SLACK;
    assert!(started.elapsed() >= floor, "{:?}", started.elapsed());
}

#[test]
fn limits_too_low_to_keep_connections_alive_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let core = Core::open(&dir.path().join("data")).unwrap();
    let err = core
        .set_bandwidth_limit(Direction::Upload, Some(100))
        .unwrap_err();
    assert!(err.message().contains("too low"), "{}", err.message());
    assert_eq!(core.bandwidth_limit(Direction::Upload).unwrap(), None);
}

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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_download_limit_paces_downloads_and_leaves_uploads_alone() {
    let f = Fixture::new().await;
    let bytes = pattern(3 * MIB, 7);
    put(&f, "down.bin", bytes.clone()).await;
    // Under the download limit, an upload of 2 MiB still goes at full speed: at 64 KiB/s (what
    // a shared limit would leave it) it would take 32 s.
    f.core
        .set_bandwidth_limit(Direction::Download, Some(64 * 1024))
        .unwrap();
    let up = f.file("up.bin", 2 * MIB, 8);
    let batch = f.enqueue(&[&up]);
    let started = Instant::now();
    let summary = f.run_batch(&batch).await;
    assert_eq!((summary.completed, summary.failed), (1, 0));
    assert!(
        started.elapsed() < Duration::from_secs(16),
        "the upload was held to the download limit ({:?})",
        started.elapsed()
    );
    f.core
        .set_bandwidth_limit(Direction::Download, Some(MIB as u64))
        .unwrap();
    let to = f.dir.path().join("downloads");
    let report = f
        .core
        .enqueue_download(&Place::default(), &["down.bin".to_string()], &to, None)
        .await
        .unwrap();
    let started = Instant::now();
    let summary = f.run_batch(&report.batch).await;
    assert_eq!((summary.completed, summary.failed), (1, 0));
    assert_eq!(std::fs::read(to.join("down.bin")).unwrap(), bytes);
    let floor = Duration::from_secs(3) - BURST_SLACK;
    assert!(
        started.elapsed() >= floor,
        "3 MiB at 1 MiB/s took {:?}: the download limit was not applied",
        started.elapsed()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn copies_out_of_a_local_folder_follow_the_download_limit() {
    let dir = tempfile::tempdir().unwrap();
    let core = Core::open_with(
        &dir.path().join("data"),
        Some(Arc::new(MemoryCredentials::default())),
        test_config(),
    )
    .unwrap();
    let folder = dir.path().join("nas");
    std::fs::create_dir_all(&folder).unwrap();
    std::fs::write(folder.join("two.bin"), pattern(2 * MIB, 9)).unwrap();
    core.add_destination(
        NewDestination {
            name: "nas".into(),
            folder: Some(folder.clone()),
            ..Default::default()
        },
        None,
    )
    .unwrap();
    core.set_bandwidth_limit(Direction::Download, Some(MIB as u64))
        .unwrap();
    let to = dir.path().join("downloads");
    let report = core
        .enqueue_download(&Place::default(), &["two.bin".to_string()], &to, None)
        .await
        .unwrap();
    let started = Instant::now();
    tokio::time::timeout(
        WAIT,
        core.run_queue(
            RunUntil::Batch(report.batch.clone()),
            CancellationToken::new(),
        ),
    )
    .await
    .unwrap()
    .unwrap();
    let jobs = core.batch_jobs(&report.batch).unwrap();
    assert_eq!(jobs[0].state, JobState::Completed, "{:?}", jobs[0].note);
    assert_eq!(
        std::fs::read(to.join("two.bin")).unwrap(),
        pattern(2 * MIB, 9)
    );
    let floor = Duration::from_secs(2) - BURST_SLACK;
    assert!(started.elapsed() >= floor, "{:?}", started.elapsed());
}
