//! Pause, resume, cancel and changes from outside: multipart state must survive, finished parts
//! must not be sent again, and no second upload may be created for a job.

use crate::support::*;
use hoist_core::model::{JobState, Selection};
use hoist_core::{CancellationToken, Core, RunUntil};
use hoist_test_s3::{Fault, FaultAction, Op};
use std::time::Duration;

fn part_sends(f: &Fixture) -> Vec<u32> {
    let mut parts: Vec<u32> = f
        .server
        .requests()
        .iter()
        .filter(|r| r.op == Op::UploadPart && r.status == 200)
        .filter_map(|r| r.part_number)
        .collect();
    parts.sort();
    parts
}

/// Pauses the batch's only job and waits until the run that held it has ended.
async fn pause_and_wait(
    f: &Fixture,
    batch: &str,
    run: tokio::task::JoinHandle<hoist_core::Result<hoist_core::RunSummary>>,
) -> hoist_core::model::JobId {
    let id = f.job(batch).id;
    assert_eq!(f.core.pause(&Selection::Ids(vec![id])).unwrap(), vec![id]);
    tokio::time::timeout(WAIT, run)
        .await
        .expect("the run ends once its batch is paused")
        .unwrap()
        .unwrap();
    id
}

fn upload_ids_created(f: &Fixture) -> usize {
    f.server
        .requests()
        .iter()
        .filter(|r| r.op == Op::CreateMultipartUpload)
        .count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pause_and_resume_send_only_the_missing_parts_on_the_same_upload() {
    let f = Fixture::new().await;
    let (batch, run) = start_and_hold_at_part_three(&f, "paused").await;
    let id = pause_and_wait(&f, &batch, run).await;
    assert_eq!(f.job(&batch).state, JobState::Paused);
    assert_eq!(
        f.server.pending_uploads(BUCKET).len(),
        1,
        "pause keeps the upload"
    );

    f.core.resume(&Selection::Ids(vec![id])).unwrap();
    f.run_batch(&batch).await;
    assert_eq!(f.job(&batch).state, JobState::Completed);
    assert_eq!(f.object("paused"), pattern(20 * MIB, 3));
    assert_eq!(
        part_sends(&f),
        vec![1, 2, 3, 4],
        "each part acknowledged exactly once"
    );
    assert_eq!(upload_ids_created(&f), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_process_resumes_from_the_database_alone_without_list_parts() {
    let f = Fixture::new().await;
    let (batch, run) = start_and_hold_at_part_three(&f, "restart").await;
    // Stop the engine as a quit would: running jobs go back to queued, parts stay.
    run.abort();
    let _ = run.await;
    f.server.set_list_parts_supported(false);
    // The next run recovers the rows left `running` and trusts its part rows alone.
    f.run_batch(&batch).await;
    assert_eq!(f.job(&batch).state, JobState::Completed);
    assert_eq!(f.object("restart"), pattern(20 * MIB, 3));
    assert_eq!(part_sends(&f), vec![1, 2, 3, 4]);
    assert_eq!(upload_ids_created(&f), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn parts_the_server_has_but_the_database_lost_are_adopted_across_list_pages() {
    let f = Fixture::new().await;
    let (batch, run) = start_and_hold_at_part_three(&f, "adopt").await;
    let id = pause_and_wait(&f, &batch, run).await;
    // As if the process died between the parts' answers and their rows' commits.
    f.db()
        .execute("DELETE FROM parts WHERE job_id = ?1", [id.0])
        .unwrap();
    assert_eq!(f.committed_parts(id.0), 0);
    f.core.resume(&Selection::Ids(vec![id])).unwrap();
    f.run_batch(&batch).await;
    assert_eq!(f.job(&batch).state, JobState::Completed);
    assert_eq!(f.object("adopt"), pattern(20 * MIB, 3));
    assert_eq!(
        part_sends(&f),
        vec![1, 2, 3, 4],
        "parts 1, 2 and 4 were adopted"
    );
    // Pages of two parts: the three parts the server held took two ListParts pages.
    let list_calls = f
        .server
        .requests()
        .iter()
        .filter(|r| r.op == Op::ListParts)
        .count();
    assert!(
        list_calls >= 2,
        "ListParts was not paged ({list_calls} calls)"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_file_changed_while_paused_is_uploaded_afresh_never_mixed() {
    let f = Fixture::new().await;
    let (batch, run) = start_and_hold_at_part_three(&f, "changed").await;
    let id = pause_and_wait(&f, &batch, run).await;
    let old_upload = f.server.pending_uploads(BUCKET);
    std::fs::write(f.dir.path().join("files/changed"), pattern(18 * MIB, 99)).unwrap();
    f.core.resume(&Selection::Ids(vec![id])).unwrap();
    f.run_batch(&batch).await;
    assert_eq!(f.job(&batch).state, JobState::Completed);
    assert_eq!(f.object("changed"), pattern(18 * MIB, 99));
    assert_eq!(old_upload.len(), 1);
    assert!(
        f.server.pending_uploads(BUCKET).is_empty(),
        "the stale upload was aborted"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancel_from_another_process_stops_the_job_and_aborts_its_upload() {
    let f = Fixture::new().await;
    let (batch, run) = start_and_hold_at_part_three(&f, "cancelled").await;
    let id = f.job(&batch).id;
    // Another process: its own Core on the same data directory, no engine.
    let other = Core::open_with(
        &f.dir.path().join("data"),
        Some(std::sync::Arc::new(MemoryCredentials::default())),
        test_config(),
    )
    .unwrap();
    assert!(
        other
            .run_queue(RunUntil::Idle, CancellationToken::new())
            .await
            .is_err_and(|e| e.kind() == hoist_core::ErrorKind::EngineBusy)
    );
    other.cancel(&Selection::Ids(vec![id])).unwrap();
    tokio::time::timeout(WAIT, run)
        .await
        .expect("the running engine notices the cancel")
        .unwrap()
        .unwrap();
    assert_eq!(f.job(&batch).state, JobState::Cancelled);
    f.wait_until("the upload is aborted", || {
        f.server.pending_uploads(BUCKET).is_empty()
    })
    .await;
    assert!(f.server.object(BUCKET, "cancelled").is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_more_files_than_the_concurrency_setting_run_at_once() {
    let f = Fixture::new().await;
    f.core.set_concurrency(2).unwrap();
    // Over 1 MiB: smaller uploads run beside the setting's slots (see engine.rs).
    let paths: Vec<_> = (0..5)
        .map(|i| f.file(&format!("c{i}"), 2 * MIB, i))
        .collect();
    // Slow answers keep each file running long enough to overlap with the others.
    f.server.inject(Fault {
        op: Op::PutObject,
        part_number: None,
        action: FaultAction::Stall(Duration::from_millis(300)),
        times: 5,
    });
    let batch = f.enqueue(&paths.iter().map(|p| p.as_path()).collect::<Vec<_>>());
    let mut events = f.core.subscribe();
    let core = f.core.clone();
    let b = batch.clone();
    let run = tokio::spawn(async move {
        core.run_queue(RunUntil::Batch(b), CancellationToken::new())
            .await
    });
    let mut running = 0i32;
    let mut most = 0;
    let mut finished = 0;
    while finished < 5 {
        match next_event(&mut events, |e| {
            matches!(e, hoist_core::Event::JobState { .. })
        })
        .await
        {
            hoist_core::Event::JobState {
                state: JobState::Running,
                ..
            } => running += 1,
            hoist_core::Event::JobState { state, .. } if state.is_terminal() => {
                running -= 1;
                finished += 1;
            }
            _ => {}
        }
        most = most.max(running);
    }
    tokio::time::timeout(WAIT, run)
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    assert_eq!(most, 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn files_added_by_another_process_are_picked_up_by_the_running_engine() {
    let f = Fixture::new().await;
    let stop = CancellationToken::new();
    let core = f.core.clone();
    let engine_stop = stop.clone();
    let engine = tokio::spawn(async move { core.run_queue(RunUntil::Stopped, engine_stop).await });
    // The CLI of another process: its own Core on the same data directory.
    let other = Core::open_with(
        &f.dir.path().join("data"),
        Some(std::sync::Arc::new(MemoryCredentials::default())),
        test_config(),
    )
    .unwrap();
    let path = f.file("late", 1000, 4);
    let report = other
        .enqueue(hoist_core::EnqueueRequest {
            paths: vec![path],
            ..Default::default()
        })
        .unwrap();
    f.wait_until("the other process's job completes", || {
        other.batch_jobs(&report.batch).unwrap()[0].state == JobState::Completed
    })
    .await;
    stop.cancel();
    tokio::time::timeout(WAIT, engine)
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    assert_eq!(f.object("late"), pattern(1000, 4));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_upload_completed_just_before_a_crash_is_not_uploaded_again() {
    use aws_sdk_s3::types::{CompletedMultipartUpload, CompletedPart};
    let f = Fixture::new().await;
    let path = f.file("done-before-crash", 12 * MIB, 6);
    f.server.inject(Fault {
        op: Op::CompleteMultipartUpload,
        part_number: None,
        action: FaultAction::Stall(Duration::from_secs(600)),
        times: 1,
    });
    let batch = f.enqueue(&[&path]);
    let run = f.spawn_batch(&batch);
    f.wait_until("Complete is on the wire", || {
        f.server
            .requests()
            .iter()
            .any(|r| r.op == Op::CompleteMultipartUpload)
    })
    .await;
    let id = pause_and_wait(&f, &batch, run).await;

    // Complete the upload from the parts the database recorded, as our own Complete would have.
    let (upload_id, parts): (String, Vec<(i32, String)>) = {
        let db = f.db();
        let upload_id = db
            .query_row(
                "SELECT upload_id FROM uploads WHERE job_id = ?1",
                [id.0],
                |r| r.get(0),
            )
            .unwrap();
        let mut stmt = db
            .prepare("SELECT part_number, etag FROM parts WHERE job_id = ?1 ORDER BY part_number")
            .unwrap();
        let parts = stmt
            .query_map([id.0], |r| Ok((r.get(0)?, r.get(1)?)))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        (upload_id, parts)
    };
    assert_eq!(parts.len(), 3);
    let completed = CompletedMultipartUpload::builder()
        .set_parts(Some(
            parts
                .into_iter()
                .map(|(n, etag)| CompletedPart::builder().part_number(n).e_tag(etag).build())
                .collect(),
        ))
        .build();
    f.sdk_client()
        .complete_multipart_upload()
        .bucket(BUCKET)
        .key("done-before-crash")
        .upload_id(upload_id)
        .multipart_upload(completed)
        .send()
        .await
        .unwrap();

    f.core.resume(&Selection::Ids(vec![id])).unwrap();
    f.run_batch(&batch).await;
    let job = f.job(&batch);
    assert_eq!(job.state, JobState::Completed, "{:?}", job.error_message);
    assert_eq!(upload_ids_created(&f), 1, "no second upload");
    assert_eq!(part_sends(&f), vec![1, 2, 3], "no part sent again");
    assert_eq!(f.object("done-before-crash"), pattern(12 * MIB, 6));
    let leftover: i64 = f
        .db()
        .query_row("SELECT COUNT(*) FROM uploads", [], |r| r.get(0))
        .unwrap();
    assert_eq!(leftover, 0, "the upload row went with the completed state");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_part_the_server_lost_failed_the_job_until_cancelled_and_retried() {
    let f = Fixture::new().await;
    let path = f.file("lost-part", 12 * MIB, 7);
    f.server.inject(Fault {
        op: Op::CompleteMultipartUpload,
        part_number: None,
        action: FaultAction::ForgetPart(2),
        times: 1,
    });
    let batch = f.enqueue(&[&path]);
    f.run_batch(&batch).await;
    let job = f.job(&batch);
    assert_eq!(job.state, JobState::Completed, "{:?}", job.error_message);
    assert_eq!(f.object("lost-part"), pattern(12 * MIB, 7));
    assert_eq!(
        part_sends(&f),
        vec![1, 2, 2, 3],
        "only the lost part is sent again"
    );
    assert_eq!(upload_ids_created(&f), 1, "the same upload was completed");
    let note = job.note.unwrap_or_default();
    assert!(note.contains("lost part 2"), "{note}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lost_part_without_list_parts_restarts_the_upload_cleanly() {
    let f = Fixture::new().await;
    f.server.set_list_parts_supported(false);
    let path = f.file("lost-part-no-list", 12 * MIB, 8);
    f.server.inject(Fault {
        op: Op::CompleteMultipartUpload,
        part_number: None,
        action: FaultAction::ForgetPart(1),
        times: 1,
    });
    let batch = f.enqueue(&[&path]);
    f.run_batch(&batch).await;
    let job = f.job(&batch);
    assert_eq!(job.state, JobState::Completed, "{:?}", job.error_message);
    assert_eq!(f.object("lost-part-no-list"), pattern(12 * MIB, 8));
    assert_eq!(
        upload_ids_created(&f),
        2,
        "a fresh upload replaced the broken one"
    );
    assert!(
        f.server.pending_uploads(BUCKET).is_empty(),
        "the broken upload was aborted"
    );
    assert!(job.note.unwrap_or_default().contains("started again"));
}
