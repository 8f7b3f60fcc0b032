//! Folder watching through the whole engine, on real inotify in temporary folders, into a
//! local-folder destination (the objects are files we can read back). Every wait has a
//! deadline; the sleeps here are the pace of a simulated writer, never a wait for Hoist.

use crate::support::*;
use hoist_core::model::{Job, JobState};
use hoist_core::{
    CancellationToken, Core, EngineHandle, NewDestination, RunUntil, Watch, WatchRequest,
    WatchState,
};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

struct Setup {
    _dir: tempfile::TempDir,
    root: PathBuf,
    core: Core,
}

impl Setup {
    fn new() -> Setup {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().to_path_buf();
        let core = Core::open_with(
            &root.join("data"),
            Some(Arc::new(MemoryCredentials::default())),
            test_config(),
        )
        .unwrap();
        for name in ["out", "other"] {
            core.add_destination(
                NewDestination {
                    name: name.into(),
                    folder: Some(root.join(name)),
                    ..Default::default()
                },
                None,
            )
            .unwrap();
        }
        Setup {
            _dir: dir,
            root,
            core,
        }
    }

    /// A new folder `name` watched into destination `out`, with `change` applied to the request.
    fn watch(&self, name: &str, change: impl FnOnce(&mut WatchRequest)) -> (PathBuf, Watch) {
        let folder = self.root.join(name);
        std::fs::create_dir_all(&folder).unwrap();
        let mut request = WatchRequest {
            folder: folder.clone(),
            destination: Some("out".into()),
            settle: Some(Duration::from_millis(500)),
            ..Default::default()
        };
        change(&mut request);
        let watch = self.core.add_watch(request).unwrap();
        (folder, watch)
    }

    fn start(&self) -> EngineHandle {
        self.core
            .start_engine(RunUntil::Watching, CancellationToken::new())
            .unwrap()
    }

    fn object(&self, key: &str) -> PathBuf {
        self.root.join("out").join(key)
    }

    fn jobs_for(&self, key: &str) -> Vec<Job> {
        let jobs = self.core.jobs().unwrap();
        jobs.into_iter().filter(|j| j.key == key).collect()
    }

    /// Waits until every job is completed and `key`'s object holds `content`.
    async fn uploaded(&self, key: &str, content: &[u8]) {
        until(&format!("{key} uploaded with its final content"), || {
            std::fs::read(self.object(key)).is_ok_and(|got| got == content)
                && self
                    .core
                    .jobs()
                    .unwrap()
                    .iter()
                    .all(|j| j.state == JobState::Completed)
        })
        .await;
    }
}

async fn stop(engine: EngineHandle) {
    engine.stop();
    tokio::time::timeout(WAIT, engine.join())
        .await
        .expect("the engine stops in time")
        .unwrap();
}

/// Polls `check` every 50 ms until it holds; fails after [`WAIT`].
async fn until(what: &str, mut check: impl FnMut() -> bool) {
    let deadline = Instant::now() + WAIT;
    while !check() {
        assert!(Instant::now() < deadline, "timed out waiting: {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_file_written_slowly_over_ten_seconds_is_uploaded_once_and_whole() {
    let setup = Setup::new();
    let (folder, _) = setup.watch("camera", |r| r.settle = None); // the default: 2 s
    let engine = setup.start();
    let path = folder.join("clip.mov");
    let mut expected = Vec::new();
    {
        use std::io::Write;
        let mut file = std::fs::File::create(&path).unwrap();
        for second in 0..10u8 {
            let chunk = pattern(64 * 1024, second);
            file.write_all(&chunk).unwrap();
            file.flush().unwrap();
            expected.extend_from_slice(&chunk);
            tokio::time::sleep(Duration::from_secs(1)).await;
            assert!(
                setup.jobs_for("clip.mov").is_empty(),
                "queued while still being written (after {} s)",
                second + 1
            );
        }
    }
    setup.uploaded("clip.mov", &expected).await;
    assert_eq!(setup.jobs_for("clip.mov").len(), 1);
    stop(engine).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_editor_save_by_rename_uploads_the_final_file_and_a_second_save_the_new_version() {
    let setup = Setup::new();
    let (folder, _) = setup.watch("docs", |_| {});
    let engine = setup.start();
    let save = |content: &[u8]| {
        let temp = folder.join(".notes.txt.goutputstream-X1Y2");
        std::fs::write(&temp, content).unwrap();
        std::fs::rename(&temp, folder.join("notes.txt")).unwrap();
    };
    save(b"first version");
    setup.uploaded("notes.txt", b"first version").await;
    save(b"second, longer version");
    setup.uploaded("notes.txt", b"second, longer version").await;
    let keys: Vec<String> = setup
        .core
        .jobs()
        .unwrap()
        .into_iter()
        .map(|j| j.key)
        .collect();
    assert_eq!(
        keys,
        ["notes.txt", "notes.txt"],
        "only the final file, once per save"
    );
    stop(engine).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_subfolder_is_uploaded_and_ignored_names_never_are() {
    let setup = Setup::new();
    let (folder, _) = setup.watch("scans", |r| r.ignore = vec!["*.raw".into()]);
    let engine = setup.start();
    let deep = folder.join("2026/december/week1");
    std::fs::create_dir_all(&deep).unwrap();
    for name in [
        ".DS_Store",
        "Thumbs.db",
        "scan.tmp",
        "big.iso.part",
        "~$draft.docx",
        "x.raw",
    ] {
        std::fs::write(deep.join(name), b"litter").unwrap();
    }
    std::fs::write(deep.join("page1.pdf"), b"page one").unwrap();
    std::fs::write(deep.join("page2.pdf"), b"page two").unwrap();
    setup
        .uploaded("2026/december/week1/page1.pdf", b"page one")
        .await;
    setup
        .uploaded("2026/december/week1/page2.pdf", b"page two")
        .await;
    let keys: Vec<String> = setup
        .core
        .jobs()
        .unwrap()
        .into_iter()
        .map(|j| j.key)
        .collect();
    assert_eq!(keys.len(), 2, "{keys:?}");
    let watch = &setup.core.watches().unwrap()[0];
    assert_eq!(
        (watch.state, watch.uploaded, watch.pending),
        (WatchState::Watching, 2, 0)
    );
    assert!(
        setup
            .core
            .jobs()
            .unwrap()
            .iter()
            .all(|j| j.watch == Some(watch.id))
    );
    stop(engine).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn changes_made_while_hoist_was_stopped_are_handled_at_the_next_start_and_nothing_else_is_sent()
 {
    let setup = Setup::new();
    let (folder, _) = setup.watch("sync", |r| r.mirror_deletes = true);
    for name in ["keep.txt", "change.txt", "delete.txt"] {
        std::fs::write(folder.join(name), name.as_bytes()).unwrap();
    }
    let engine = setup.start();
    setup.uploaded("delete.txt", b"delete.txt").await;
    setup.uploaded("keep.txt", b"keep.txt").await;
    setup.uploaded("change.txt", b"change.txt").await;
    stop(engine).await;

    std::fs::write(folder.join("change.txt"), b"changed while stopped").unwrap();
    std::fs::remove_file(folder.join("delete.txt")).unwrap();
    std::fs::write(folder.join("new.txt"), b"added while stopped").unwrap();
    let engine = setup.start();
    setup.uploaded("new.txt", b"added while stopped").await;
    setup.uploaded("change.txt", b"changed while stopped").await;
    until("the deleted file's object is deleted", || {
        !setup.object("delete.txt").exists()
    })
    .await;
    assert_eq!(
        setup.jobs_for("keep.txt").len(),
        1,
        "an unchanged file is not sent again"
    );
    assert_eq!(setup.jobs_for("change.txt").len(), 2);
    assert_eq!(setup.core.jobs().unwrap().len(), 5);
    stop(engine).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mirror_deletes_deletes_only_with_the_flag_on() {
    let setup = Setup::new();
    let (mirrored, _) = setup.watch("mirrored", |r| {
        r.mirror_deletes = true;
        r.prefix = Some("m".into());
    });
    let (kept, _) = setup.watch("kept", |r| r.prefix = Some("k".into()));
    for folder in [&mirrored, &kept] {
        std::fs::create_dir_all(folder.join("sub")).unwrap();
        std::fs::write(folder.join("sub/a.txt"), b"a").unwrap();
        std::fs::write(folder.join("b.txt"), b"b").unwrap();
    }
    let engine = setup.start();
    for key in ["m/sub/a.txt", "k/sub/a.txt"] {
        setup.uploaded(key, b"a").await;
    }
    for key in ["m/b.txt", "k/b.txt"] {
        setup.uploaded(key, b"b").await;
    }
    // A file moved out of the folder, and a whole folder deleted.
    let outside = setup.root.join("moved-out.txt");
    std::fs::rename(mirrored.join("b.txt"), &outside).unwrap();
    std::fs::remove_dir_all(mirrored.join("sub")).unwrap();
    std::fs::remove_file(kept.join("b.txt")).unwrap();
    std::fs::remove_dir_all(kept.join("sub")).unwrap();
    until("the mirrored watch deletes its objects", || {
        !setup.object("m/b.txt").exists() && !setup.object("m/sub/a.txt").exists()
    })
    .await;
    // The unmirrored watch has seen its deletions too by now (same engine, same events):
    // a file written after them and uploaded proves the watch got past them.
    std::fs::write(kept.join("after.txt"), b"after").unwrap();
    setup.uploaded("k/after.txt", b"after").await;
    assert!(setup.object("k/b.txt").exists() && setup.object("k/sub/a.txt").exists());
    stop(engine).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_watches_upload_to_two_destinations() {
    let setup = Setup::new();
    let (photos, _) = setup.watch("photos", |_| {});
    let (scans, _) = setup.watch("scans", |r| r.destination = Some("other".into()));
    let engine = setup.start();
    std::fs::write(photos.join("p.jpg"), b"photo").unwrap();
    std::fs::write(scans.join("s.pdf"), b"scan").unwrap();
    setup.uploaded("p.jpg", b"photo").await;
    until("the scan lands in the other destination", || {
        std::fs::read(setup.root.join("other/s.pdf")).is_ok_and(|b| b == b"scan")
    })
    .await;
    assert!(!setup.object("s.pdf").exists() && !setup.root.join("other/p.jpg").exists());
    stop(engine).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_polled_watch_finds_files_without_events_and_says_it_polls() {
    let setup = Setup::new();
    let (folder, watch) = setup.watch("nfs-like", |r| r.poll = true);
    let engine = setup.start();
    until("the watch says it polls", || {
        setup.core.find_watch(&watch.id.to_string()).unwrap().state == WatchState::Polling
    })
    .await;
    std::fs::write(folder.join("polled.txt"), b"found by a walk").unwrap();
    setup.uploaded("polled.txt", b"found by a walk").await;
    let note = setup.core.find_watch(&watch.id.to_string()).unwrap().note;
    assert!(note.is_some_and(|n| n.contains("polling")));
    stop(engine).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_paused_watch_queues_nothing_until_resumed_then_finds_what_came_meanwhile() {
    let setup = Setup::new();
    let (folder, watch) = setup.watch("inbox", |_| {});
    let engine = setup.start();
    std::fs::write(folder.join("one.txt"), b"1").unwrap();
    setup.uploaded("one.txt", b"1").await;
    setup.core.set_watch_paused(watch.id, true).unwrap();
    until("the watch is paused", || {
        setup.core.watches().unwrap()[0].state == WatchState::Paused
    })
    .await;
    std::fs::write(folder.join("two.txt"), b"2").unwrap();
    // Nothing may be queued for it: the settle time passes several times over.
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert!(setup.jobs_for("two.txt").is_empty());
    setup.core.set_watch_paused(watch.id, false).unwrap();
    setup.uploaded("two.txt", b"2").await;
    assert_eq!(setup.core.jobs().unwrap().len(), 2);
    stop(engine).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_burst_of_twenty_thousand_files_is_uploaded_completely_and_the_queue_keeps_the_newest() {
    let setup = Setup::new();
    let (folder, watch) = setup.watch("burst", |_| {});
    let engine = setup.start();
    until("the watch is watching", || {
        setup.core.watches().unwrap()[0].state == WatchState::Watching
    })
    .await;
    let writer = folder.clone();
    tokio::task::spawn_blocking(move || {
        for batch in 0..20 {
            let dir = writer.join(format!("b{batch:02}"));
            std::fs::create_dir(&dir).unwrap();
            for i in 0..1000 {
                std::fs::write(dir.join(format!("f{i:04}")), format!("{batch}/{i}")).unwrap();
            }
        }
    })
    .await
    .unwrap();
    until("all 20,000 files are uploaded", || {
        let watch = setup.core.find_watch(&watch.id.to_string()).unwrap();
        watch.uploaded == 20_000
    })
    .await;
    for (batch, i) in [(0, 0), (7, 513), (19, 999)] {
        let key = format!("b{batch:02}/f{i:04}");
        assert_eq!(
            std::fs::read(setup.object(&key)).unwrap(),
            format!("{batch}/{i}").as_bytes()
        );
    }
    // Each file once: the newest job is the 20,000th ever queued (job ids count up, and the
    // newest are the ones kept). The queue keeps the newest completed uploads only, the
    // watch's index the rest.
    let jobs = setup.core.jobs().unwrap();
    assert_eq!(jobs.iter().map(|j| j.id.0).max(), Some(20_000));
    assert!(
        (hoist_core::WATCHED_FINISHED_KEPT..=hoist_core::WATCHED_FINISHED_KEPT + 100)
            .contains(&jobs.len()),
        "{} jobs stayed in the queue",
        jobs.len()
    );
    let mut keys: Vec<&str> = jobs.iter().map(|j| j.key.as_str()).collect();
    keys.sort_unstable();
    keys.dedup();
    assert_eq!(keys.len(), jobs.len(), "a file was queued twice");
    stop(engine).await;
    // The next start prunes the rest down to the newest 1,000.
    let engine = setup.start();
    until("the queue holds the newest 1,000", || {
        setup.core.jobs().unwrap().len() == hoist_core::WATCHED_FINISHED_KEPT
    })
    .await;
    let watch = setup.core.find_watch(&watch.id.to_string()).unwrap();
    assert_eq!(watch.uploaded, 20_000, "pruned uploads still count");
    stop(engine).await;
}

#[test]
fn a_watch_that_would_upload_its_own_output_or_hoists_data_is_refused() {
    let setup = Setup::new();
    let refused = |folder: &Path, destination: &str| {
        setup
            .core
            .add_watch(WatchRequest {
                folder: folder.to_path_buf(),
                destination: Some(destination.into()),
                ..Default::default()
            })
            .unwrap_err()
            .to_string()
    };
    std::fs::create_dir_all(setup.root.join("out/inside")).unwrap();
    std::fs::write(setup.root.join("file.txt"), b"x").unwrap();
    let missing = refused(&setup.root.join("missing"), "out");
    assert!(
        missing.contains("missing") && missing.contains("No such file"),
        "{missing}"
    );
    assert!(refused(&setup.root.join("file.txt"), "out").contains("not a folder"));
    assert!(refused(&setup.root.join("data"), "out").contains("Hoist's own data"));
    assert!(refused(&setup.root.join("out/inside"), "out").contains("its own uploads"));
    assert!(refused(&setup.root, "other").contains("Hoist's own data"));
    let bad_glob = setup
        .core
        .add_watch(WatchRequest {
            folder: setup.root.join("out/inside"),
            destination: Some("other".into()),
            ignore: vec!["a[b".into()],
            ..Default::default()
        })
        .unwrap_err()
        .to_string();
    assert!(bad_glob.contains("'a[b'"), "{bad_glob}");
    assert!(setup.core.watches().unwrap().is_empty());
}

/// A file the first walk finds already unchanged for longer than the settle time is queued at
/// once: with a settle time four times what the test may wait, only that uploads it in time.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_file_found_older_than_the_settle_time_at_start_is_queued_at_once() {
    let setup = Setup::new();
    let (folder, _) = setup.watch("archive", |r| r.settle = Some(WAIT * 4));
    let old = folder.join("old.txt");
    std::fs::write(&old, b"written long ago").unwrap();
    let long_ago = std::time::SystemTime::now() - Duration::from_secs(24 * 3600);
    std::fs::File::options()
        .write(true)
        .open(&old)
        .unwrap()
        .set_modified(long_ago)
        .unwrap();
    let engine = setup.start();
    setup.uploaded("old.txt", b"written long ago").await;
    stop(engine).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_watch_edited_in_place_uploads_new_files_where_it_now_says() {
    let setup = Setup::new();
    let (folder, watch) = setup.watch("edited", |_| {});
    let engine = setup.start();
    std::fs::write(folder.join("before.txt"), b"1").unwrap();
    setup.uploaded("before.txt", b"1").await;
    let edited = setup
        .core
        .edit_watch(
            watch.id,
            hoist_core::WatchChanges {
                prefix: Some("inbox".into()),
                settle: Some(Duration::from_millis(300)),
                mirror_deletes: Some(true),
                ..Default::default()
            },
        )
        .unwrap();
    assert_eq!(
        (
            edited.prefix.as_str(),
            edited.settle_ms,
            edited.mirror_deletes,
            edited.id
        ),
        ("inbox/", 300, true, watch.id)
    );
    std::fs::write(folder.join("after.txt"), b"2").unwrap();
    setup.uploaded("inbox/after.txt", b"2").await;
    // What was uploaded stays, and is not sent again under the new prefix.
    assert!(setup.object("before.txt").exists());
    assert!(!setup.object("inbox/before.txt").exists());
    // The same rules as adding one: no settle time of nothing, no destination in the folder.
    let refused = |changes: hoist_core::WatchChanges| {
        setup
            .core
            .edit_watch(watch.id, changes)
            .unwrap_err()
            .to_string()
    };
    assert!(
        refused(hoist_core::WatchChanges {
            settle: Some(Duration::ZERO),
            ..Default::default()
        })
        .contains("settle time")
    );
    setup
        .core
        .add_destination(
            NewDestination {
                name: "inside".into(),
                folder: Some(folder.join("copies")),
                ..Default::default()
            },
            None,
        )
        .unwrap();
    assert!(
        refused(hoist_core::WatchChanges {
            destination: Some("inside".into()),
            ..Default::default()
        })
        .contains("its own uploads")
    );
    assert_eq!(
        setup.core.find_watch(&watch.id.to_string()).unwrap().prefix,
        "inbox/"
    );
    stop(engine).await;
}
