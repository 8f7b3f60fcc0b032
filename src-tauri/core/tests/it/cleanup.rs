//! `Core::cleanup` against the in-test S3 server and a local folder: orphaned uploads are
//! aborted, the ones a job still needs are kept, and so are young ones (other tools' uploads).

use crate::support::*;
use hoist_core::model::{JobState, Selection};
use hoist_test_s3::{Fault, FaultAction, Op};
use std::time::Duration;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn orphans_are_aborted_and_uploads_a_job_needs_are_kept() {
    let f = Fixture::new().await;
    // A paused job with a multipart upload in progress (part 2 stalls, 1 and 3 commit).
    let path = f.file("needed", 12 * MIB, 1);
    f.server.inject(Fault {
        op: Op::UploadPart,
        part_number: Some(2),
        action: FaultAction::Stall(Duration::from_secs(600)),
        times: 1,
    });
    let batch = f.enqueue(&[&path]);
    let run = f.spawn_batch(&batch);
    let id = f.job(&batch).id;
    f.wait_until("two parts committed", || f.committed_parts(id.0) == 2)
        .await;
    f.core.pause(&Selection::Ids(vec![id])).unwrap();
    tokio::time::timeout(WAIT, run)
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    // An upload some other client started and abandoned.
    let orphan = f
        .sdk_client()
        .create_multipart_upload()
        .bucket(BUCKET)
        .key("orphan.bin")
        .send()
        .await
        .unwrap();
    assert_eq!(f.server.pending_uploads(BUCKET).len(), 2);

    // Younger than a day: kept, as an upload in progress elsewhere would be.
    let day = Duration::from_secs(86_400);
    let report = &f.core.cleanup(None, day, false).await.unwrap()[0];
    assert_eq!(report.too_recent.len(), 1);
    assert_eq!(report.in_use.len(), 1);
    assert!(report.aborted.is_empty());

    let report = &f
        .core
        .cleanup(Some("test"), Duration::ZERO, true)
        .await
        .unwrap()[0];
    assert_eq!(report.aborted.len(), 1, "dry run lists the orphan");
    assert_eq!(report.aborted[0].upload_id, orphan.upload_id().unwrap());
    assert_eq!(
        f.server.pending_uploads(BUCKET).len(),
        2,
        "a dry run aborts nothing"
    );

    let report = &f
        .core
        .cleanup(Some("test"), Duration::ZERO, false)
        .await
        .unwrap()[0];
    assert_eq!((report.aborted.len(), report.in_use.len()), (1, 1));
    let left = f.server.pending_uploads(BUCKET);
    assert_eq!(left.len(), 1);
    assert_eq!(left[0].0, "needed");

    // The kept upload still resumes and completes.
    f.core.resume(&Selection::Ids(vec![id])).unwrap();
    f.run_batch(&batch).await;
    assert_eq!(f.job(&batch).state, JobState::Completed);
    assert_eq!(f.object("needed"), pattern(12 * MIB, 1));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_local_folder_orphan_is_removed_from_staging() {
    let f = Fixture::new().await;
    let nas = f.dir.path().join("nas");
    f.core
        .add_destination(
            hoist_core::NewDestination {
                name: "nas".into(),
                folder: Some(nas.clone()),
                ..Default::default()
            },
            None,
        )
        .unwrap();
    let backend = hoist_core::backend::local::LocalBackend::new(nas.clone()).unwrap();
    use hoist_core::backend::Backend;
    let upload_id = backend
        .create_multipart("left/behind.bin", None)
        .await
        .unwrap();
    let report = &f
        .core
        .cleanup(Some("nas"), Duration::ZERO, false)
        .await
        .unwrap()[0];
    assert!(report.listed);
    assert_eq!(report.aborted.len(), 1);
    assert_eq!(report.aborted[0].key, "left/behind.bin");
    assert!(!nas.join(".hoist-staging").join(&upload_id).exists());
}
