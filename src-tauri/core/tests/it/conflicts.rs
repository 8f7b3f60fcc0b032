//! Destination options through the engine, against the in-test S3 server and a local folder:
//! key templates, object headers, `--if-exists` (skip identical / skip different / rename /
//! overwrite, single and multipart), a resumed upload that does not decide again, and
//! `--dry-run`, which sends nothing but HEADs.

use crate::support::*;
use hoist_core::model::{JobState, Outcome, Selection};
use hoist_core::options::IfExists;
use hoist_core::{EnqueueRequest, PlannedAction};
use hoist_test_s3::{Fault, FaultAction, Op};
use std::path::Path;
use std::time::Duration;

fn set_options(f: &Fixture, change: impl FnOnce(&mut hoist_core::options::UploadOptions)) {
    let mut options = f.core.destination("test").unwrap().options;
    change(&mut options);
    let changes = hoist_core::DestinationChanges {
        options: Some(options),
        ..Default::default()
    };
    f.core.edit_destination("test", changes).unwrap();
}

fn enqueue_with(f: &Fixture, path: &Path, if_exists: IfExists) -> String {
    f.core
        .enqueue(EnqueueRequest {
            paths: vec![path.to_path_buf()],
            if_exists: Some(if_exists),
            ..Default::default()
        })
        .unwrap()
        .batch
}

fn writes_to(f: &Fixture, key: &str) -> usize {
    f.server
        .requests()
        .iter()
        .filter(|r| r.key == key && matches!(r.op, Op::PutObject | Op::CreateMultipartUpload))
        .count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn templates_and_headers_reach_the_server() {
    let f = Fixture::new().await;
    set_options(&f, |o| {
        o.key_template = Some("{prefix}/{year}/{stem}-{uuid}.{ext}".into());
        o.cache_control = Some("max-age=3600".into());
        o.acl = Some("private".into());
        o.storage_class = Some("STANDARD_IA".into());
    });
    let small = f.file("note.txt", 100, 1);
    let big = f.file("movie.mp4", 11 * MIB, 2);
    let batch = f.enqueue(&[&small, &big]);
    let summary = f.run_batch(&batch).await;
    assert_eq!((summary.completed, summary.failed), (2, 0));
    let jobs = f.core.batch_jobs(&batch).unwrap();
    let year = chrono_year();
    for (job, stem, ext, content_type) in [
        (&jobs[0], "note", "txt", "text/plain"),
        (&jobs[1], "movie", "mp4", "video/mp4"),
    ] {
        let key = &job.key;
        assert!(key.starts_with(&format!("{year}/{stem}-")), "{key}");
        assert!(key.ends_with(&format!(".{ext}")), "{key}");
        let sent = f
            .server
            .requests()
            .into_iter()
            .find(|r| &r.key == key && matches!(r.op, Op::PutObject | Op::CreateMultipartUpload))
            .unwrap();
        assert_eq!(sent.header("content-type"), Some(content_type), "{key}");
        assert_eq!(sent.header("cache-control"), Some("max-age=3600"));
        assert_eq!(sent.header("x-amz-acl"), Some("private"));
        assert_eq!(sent.header("x-amz-storage-class"), Some("STANDARD_IA"));
        let head = f
            .sdk_client()
            .head_object()
            .bucket(BUCKET)
            .key(key)
            .send()
            .await
            .unwrap();
        assert_eq!(head.content_type(), Some(content_type));
    }
    // Content-Type detection off: no type from the name (the SDK's generic default at most).
    set_options(&f, |o| o.detect_content_type = false);
    let plain = f.file("plain.txt", 10, 3);
    f.run_batch(&f.enqueue(&[&plain])).await;
    let sent = f
        .server
        .requests()
        .into_iter()
        .find(|r| r.key.ends_with(".txt") && r.key.contains("plain") && r.op == Op::PutObject)
        .unwrap();
    assert_ne!(sent.header("content-type"), Some("text/plain"));
}

fn chrono_year() -> String {
    // The local year as the template renders it, without a date crate in the tests.
    let out = std::process::Command::new("date")
        .arg("+%Y")
        .output()
        .unwrap();
    String::from_utf8(out.stdout).unwrap().trim().to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn skip_sends_nothing_for_identical_or_different_objects() {
    let f = Fixture::new().await;
    let path = f.file("a.bin", 1000, 1);
    let first = f.enqueue(&[&path]);
    f.run_batch(&first).await;
    assert_eq!(writes_to(&f, "a.bin"), 1);
    assert_eq!(f.job(&first).outcome, Some(Outcome::Uploaded));

    let batch = enqueue_with(&f, &path, IfExists::Skip);
    let summary = f.run_batch(&batch).await;
    // Regression: skipped files counted as uploaded files and bytes in the run summary.
    assert_eq!(
        (summary.completed, summary.skipped, summary.bytes),
        (0, 1, 0),
        "{summary:?}"
    );
    let job = f.job(&batch);
    assert_eq!(job.state, JobState::Completed);
    assert_eq!(job.outcome, Some(Outcome::SkippedIdentical));
    assert_eq!(
        job.note.as_deref(),
        Some("skipped: an identical object exists")
    );
    assert_eq!(
        writes_to(&f, "a.bin"),
        1,
        "an identical file was sent again"
    );

    std::fs::write(&path, pattern(1000, 9)).unwrap();
    let batch = enqueue_with(&f, &path, IfExists::Skip);
    f.run_batch(&batch).await;
    assert_eq!(f.job(&batch).outcome, Some(Outcome::SkippedExisting));
    let note = f.job(&batch).note.unwrap();
    assert!(
        note.starts_with("skipped: a different object exists"),
        "{note}"
    );
    assert_eq!(writes_to(&f, "a.bin"), 1);
    assert_eq!(
        f.object("a.bin"),
        pattern(1000, 1),
        "skip replaced the object"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rename_finds_a_free_key_and_identical_copies_are_skipped() {
    let f = Fixture::new().await;
    let path = f.file("photo.jpg", 500, 1);
    f.run_batch(&f.enqueue(&[&path])).await;

    std::fs::write(&path, pattern(500, 2)).unwrap();
    let first = enqueue_with(&f, &path, IfExists::Rename);
    f.run_batch(&first).await;
    assert_eq!(f.job(&first).key, "photo-1.jpg");
    assert_eq!(f.job(&first).outcome, Some(Outcome::Renamed));
    assert_eq!(
        f.job(&first).note.as_deref(),
        Some("renamed to photo-1.jpg")
    );
    assert_eq!(f.object("photo-1.jpg"), pattern(500, 2));

    std::fs::write(&path, pattern(500, 3)).unwrap();
    let second = enqueue_with(&f, &path, IfExists::Rename);
    f.run_batch(&second).await;
    assert_eq!(f.job(&second).key, "photo-2.jpg");
    assert_eq!(f.object("photo.jpg"), pattern(500, 1));

    // The same bytes as photo-1.jpg: nothing new is written.
    std::fs::write(&path, pattern(500, 2)).unwrap();
    let third = enqueue_with(&f, &path, IfExists::Rename);
    f.run_batch(&third).await;
    assert_eq!(
        f.job(&third).note.as_deref(),
        Some("skipped: an identical object exists")
    );
    assert!(f.server.object(BUCKET, "photo-3.jpg").is_none());

    let overwrite = enqueue_with(&f, &path, IfExists::Overwrite);
    f.run_batch(&overwrite).await;
    assert_eq!(f.object("photo.jpg"), pattern(500, 2), "overwrite replaces");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_multipart_object_is_recognised_by_its_etag() {
    let f = Fixture::new().await;
    let path = f.file("big.bin", 11 * MIB, 4);
    f.run_batch(&f.enqueue(&[&path])).await;
    let creates = writes_to(&f, "big.bin");
    let batch = enqueue_with(&f, &path, IfExists::Skip);
    f.run_batch(&batch).await;
    assert_eq!(
        f.job(&batch).note.as_deref(),
        Some("skipped: an identical object exists")
    );
    assert_eq!(writes_to(&f, "big.bin"), creates);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_resumed_upload_does_not_decide_again() {
    let f = Fixture::new().await;
    let path = f.file("resumed.bin", 20 * MIB, 5);
    f.server.inject(Fault {
        op: Op::UploadPart,
        part_number: Some(3),
        action: FaultAction::Stall(Duration::from_secs(600)),
        times: 1,
    });
    let batch = enqueue_with(&f, &path, IfExists::Skip);
    let run = f.spawn_batch(&batch);
    let id = f.job(&batch).id;
    f.wait_until("three parts committed", || f.committed_parts(id.0) == 3)
        .await;
    f.core.pause(&Selection::Ids(vec![id])).unwrap();
    tokio::time::timeout(WAIT, run)
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    // Someone writes the key while the upload is paused: the upload, begun before, finishes.
    f.sdk_client()
        .put_object()
        .bucket(BUCKET)
        .key("resumed.bin")
        .body(b"other".to_vec().into())
        .send()
        .await
        .unwrap();
    f.core.resume(&Selection::Ids(vec![id])).unwrap();
    f.run_batch(&batch).await;
    assert_eq!(f.job(&batch).note, None);
    assert_eq!(f.object("resumed.bin"), pattern(20 * MIB, 5));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dry_run_says_what_would_happen_and_sends_only_heads() {
    let f = Fixture::new().await;
    let dir = f.dir.path().join("files/album");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("same.txt"), pattern(10, 1)).unwrap();
    std::fs::write(dir.join("changed.txt"), pattern(10, 2)).unwrap();
    f.run_batch(&f.enqueue(&[&dir])).await;
    std::fs::write(dir.join("changed.txt"), pattern(10, 3)).unwrap();
    std::fs::write(dir.join("new.txt"), pattern(10, 4)).unwrap();
    let before = f.server.requests().len();
    for (mode, changed) in [
        (
            IfExists::Rename,
            PlannedAction::Rename {
                key: "album/changed-1.txt".into(),
            },
        ),
        (IfExists::Overwrite, PlannedAction::Overwrite),
    ] {
        let preview = f
            .core
            .preview(EnqueueRequest {
                paths: vec![dir.clone()],
                if_exists: Some(mode),
                ..Default::default()
            })
            .await
            .unwrap();
        let actions: Vec<(&str, &PlannedAction)> = preview
            .files
            .iter()
            .map(|p| (p.key.as_str(), &p.action))
            .collect();
        let same = if mode == IfExists::Overwrite {
            PlannedAction::Overwrite
        } else {
            PlannedAction::Skip {
                outcome: Outcome::SkippedIdentical,
                reason: "an identical object exists".into(),
            }
        };
        assert_eq!(
            actions,
            vec![
                ("album/changed.txt", &changed),
                ("album/new.txt", &PlannedAction::Upload),
                ("album/same.txt", &same),
            ]
        );
    }
    let sent: Vec<Op> = f.server.requests()[before..].iter().map(|r| r.op).collect();
    assert!(sent.iter().all(|op| *op == Op::HeadObject), "{sent:?}");
    assert!(
        f.core
            .jobs()
            .unwrap()
            .iter()
            .all(|j| j.key != "album/new.txt")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_local_folder_compares_content_too() {
    let dir = tempfile::tempdir().unwrap();
    let core = hoist_core::Core::open_with(
        &dir.path().join("data"),
        Some(std::sync::Arc::new(MemoryCredentials::default())),
        test_config(),
    )
    .unwrap();
    let folder = dir.path().join("nas");
    core.add_destination(
        hoist_core::NewDestination {
            name: "nas".into(),
            folder: Some(folder.clone()),
            ..Default::default()
        },
        None,
    )
    .unwrap();
    let src = dir.path().join("doc.txt");
    let run = |mode: IfExists| {
        let core = core.clone();
        let src = src.clone();
        async move {
            let batch = core
                .enqueue(EnqueueRequest {
                    paths: vec![src],
                    if_exists: Some(mode),
                    ..Default::default()
                })
                .unwrap()
                .batch;
            tokio::time::timeout(
                WAIT,
                core.run_queue(
                    hoist_core::RunUntil::Batch(batch.clone()),
                    hoist_core::CancellationToken::new(),
                ),
            )
            .await
            .unwrap()
            .unwrap();
            core.batch_jobs(&batch).unwrap().remove(0)
        }
    };
    std::fs::write(&src, pattern(300, 1)).unwrap();
    run(IfExists::Overwrite).await;
    let same = run(IfExists::Skip).await;
    assert_eq!(
        same.note.as_deref(),
        Some("skipped: an identical object exists")
    );
    std::fs::write(&src, pattern(300, 2)).unwrap();
    let renamed = run(IfExists::Rename).await;
    assert_eq!(renamed.key, "doc-1.txt");
    assert_eq!(
        std::fs::read(folder.join("doc-1.txt")).unwrap(),
        pattern(300, 2)
    );
    assert_eq!(
        std::fs::read(folder.join("doc.txt")).unwrap(),
        pattern(300, 1)
    );
}
