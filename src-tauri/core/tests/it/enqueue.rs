//! Adding files: what cannot be uploaded is reported with a reason that names the fix, and
//! everything else in the same call is queued anyway.

use crate::support::*;
use std::os::unix::ffi::OsStrExt;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unuploadable_entries_are_skipped_with_reasons_and_the_rest_is_queued() {
    let f = Fixture::new().await;
    let root = f.dir.path().join("files/tree");
    f.file("tree/ok.txt", 5, 1);
    // A symlink loop, a FIFO, a name that is not UTF-8, and a link to a file.
    std::os::unix::fs::symlink(&root, root.join("loop")).unwrap();
    let fifo = root.join("pipe");
    assert!(
        std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap()
            .success()
    );
    let bad_name = root.join(std::ffi::OsStr::from_bytes(b"caf\xe9.txt"));
    std::fs::write(&bad_name, b"x").unwrap();
    std::os::unix::fs::symlink(root.join("ok.txt"), root.join("link.txt")).unwrap();
    let long = f.file(&"n".repeat(200), 3, 2);

    let report = f
        .core
        .enqueue(hoist_core::EnqueueRequest {
            paths: vec![root.clone(), long, f.dir.path().join("nope")],
            prefix: Some("p/".repeat(420)),
            ..Default::default()
        })
        .unwrap();
    let reasons: Vec<(String, &str)> = report
        .skipped
        .iter()
        .map(|s| {
            (
                s.path.file_name().unwrap().to_string_lossy().into_owned(),
                s.reason.as_str(),
            )
        })
        .collect();
    let reason_for = |name: &str| {
        reasons
            .iter()
            .find(|(n, _)| n.as_str() == name)
            .map(|(_, r)| *r)
            .unwrap_or_else(|| panic!("{name} not skipped: {reasons:?}"))
    };
    assert!(reason_for("loop").contains("not followed"));
    assert!(reason_for("pipe").contains("not a regular file"));
    assert!(reason_for("caf\u{FFFD}.txt").contains("UTF-8"));
    assert!(reason_for(&"n".repeat(200)).contains("1024"));
    assert!(reason_for("nope").contains("cannot read"));
    assert!(reason_for("link.txt").contains("follow links"));
    // The regular file is queued under the folder's name; the link to it is not followed.
    let keys: Vec<String> = f
        .core
        .batch_jobs(&report.batch)
        .unwrap()
        .into_iter()
        .map(|j| j.key)
        .collect();
    let prefix = "p/".repeat(420);
    assert_eq!(keys, vec![format!("{prefix}tree/ok.txt")]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_link_inside_an_added_folder_uploaded_the_file_it_points_to() {
    let f = Fixture::new().await;
    let secret = f.file("outside/credentials", 10, 1);
    let album = f.dir.path().join("files/album");
    f.file("album/a.jpg", 5, 2);
    f.file("elsewhere/sub/b.jpg", 5, 3);
    std::os::unix::fs::symlink(&secret, album.join("x")).unwrap();
    std::os::unix::fs::symlink(f.dir.path().join("files/elsewhere"), album.join("more")).unwrap();
    std::os::unix::fs::symlink(&album, album.join("again")).unwrap();
    let keys = |follow_links: Option<bool>| {
        let report = f
            .core
            .enqueue(hoist_core::EnqueueRequest {
                paths: vec![album.clone()],
                follow_links,
                ..Default::default()
            })
            .unwrap();
        let keys: Vec<String> = f
            .core
            .batch_jobs(&report.batch)
            .unwrap()
            .into_iter()
            .map(|j| j.key)
            .collect();
        let skipped: Vec<String> = report
            .skipped
            .iter()
            .map(|s| s.path.file_name().unwrap().to_string_lossy().into_owned())
            .collect();
        (keys, skipped)
    };
    // By default no link is followed, and each is reported.
    let (queued, skipped) = keys(None);
    assert_eq!(queued, ["album/a.jpg"]);
    assert_eq!(skipped, ["again", "more", "x"]);
    // Following links: files and folders, but not the loop back into the album.
    let (queued, skipped) = keys(Some(true));
    assert_eq!(queued, ["album/a.jpg", "album/more/sub/b.jpg", "album/x"]);
    assert_eq!(skipped, ["again"]);
    // The setting is what the window uses.
    let mut preferences = f.core.preferences().unwrap();
    preferences.follow_links = true;
    f.core.set_preferences(&preferences).unwrap();
    assert_eq!(keys(None).0.len(), 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_several_destinations_the_destination_must_be_named() {
    let f = Fixture::new().await;
    f.core
        .add_destination(
            hoist_core::NewDestination {
                name: "second".into(),
                endpoint: Some(f.server.endpoint()),
                region: Some("us-east-1".into()),
                bucket: BUCKET.into(),
                path_style: true,
                prefix: String::new(),
                ..Default::default()
            },
            Some(hoist_core::AccessKey {
                access_key_id: hoist_core::Secret::new("a".into()),
                secret_access_key: hoist_core::Secret::new("b".into()),
            }),
        )
        .unwrap();
    let path = f.file("x", 1, 1);
    let err = f
        .core
        .enqueue(hoist_core::EnqueueRequest {
            paths: vec![path.clone()],
            ..Default::default()
        })
        .unwrap_err();
    assert!(
        err.message().contains("several destinations exist")
            && err.message().contains("choose one"),
        "{}",
        err.message()
    );
    let report = f
        .core
        .enqueue(hoist_core::EnqueueRequest {
            paths: vec![path],
            destination: Some("second".into()),
            ..Default::default()
        })
        .unwrap();
    assert_eq!(
        f.core.batch_jobs(&report.batch).unwrap()[0].destination_name,
        "second"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn prefix_without_slash_was_glued_to_the_file_name() {
    let f = Fixture::new().await;
    let file = f.file("IMG_001.jpg", 3, 1);
    let key_with = |prefix: Option<&str>| {
        let report = f
            .core
            .enqueue(hoist_core::EnqueueRequest {
                paths: vec![file.clone()],
                prefix: prefix.map(str::to_string),
                ..Default::default()
            })
            .unwrap();
        f.core.batch_jobs(&report.batch).unwrap()[0].key.clone()
    };
    assert_eq!(key_with(Some("photos")), "photos/IMG_001.jpg");
    assert_eq!(key_with(Some("photos/")), "photos/IMG_001.jpg");
    assert_eq!(key_with(Some("/photos")), "photos/IMG_001.jpg");
    assert_eq!(key_with(Some("")), "IMG_001.jpg");
    let queued_before = key_with(None);
    assert_eq!(
        queued_before, "IMG_001.jpg",
        "the test destination has no prefix"
    );

    // A destination's default prefix is a folder too; jobs already queued keep their keys.
    let destination = f.core.destinations().unwrap().remove(0).name;
    f.core
        .edit_destination(
            &destination,
            hoist_core::DestinationChanges {
                prefix: Some("scans".into()),
                ..Default::default()
            },
        )
        .unwrap();
    assert_eq!(key_with(None), "scans/IMG_001.jpg");
    let keys: Vec<String> = f.core.jobs().unwrap().into_iter().map(|j| j.key).collect();
    assert!(keys.contains(&queued_before), "{keys:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_edit_with_an_empty_endpoint_pointed_an_r2_destination_at_aws() {
    use hoist_core::presets::Provider;
    use hoist_core::{DestinationChanges, EndpointChange};
    let f = Fixture::new().await;
    let r2 = "https://abc123.r2.cloudflarestorage.com";
    f.core
        .add_destination(
            hoist_core::NewDestination {
                name: "cf".into(),
                endpoint: Some(r2.into()),
                region: Some("auto".into()),
                bucket: "photos".into(),
                provider: Some(Provider::R2),
                ..Default::default()
            },
            Some(hoist_core::AccessKey {
                access_key_id: hoist_core::Secret::new("a".into()),
                secret_access_key: hoist_core::Secret::new("b".into()),
            }),
        )
        .unwrap();
    let err = f
        .core
        .edit_destination(
            "cf",
            DestinationChanges {
                endpoint: Some(EndpointChange::Aws),
                ..Default::default()
            },
        )
        .unwrap_err();
    assert!(
        err.message().contains("r2 destination"),
        "{}",
        err.message()
    );
    let err = f
        .core
        .edit_destination(
            "cf",
            DestinationChanges {
                endpoint: Some(EndpointChange::Url(String::new())),
                ..Default::default()
            },
        )
        .unwrap_err();
    assert_eq!(err.kind(), hoist_core::ErrorKind::InvalidInput);
    // A rename alone keeps the endpoint.
    let renamed = f
        .core
        .edit_destination(
            "cf",
            DestinationChanges {
                rename: Some("cloudflare".into()),
                ..Default::default()
            },
        )
        .unwrap();
    assert_eq!(renamed.endpoint.as_deref(), Some(r2));
}
