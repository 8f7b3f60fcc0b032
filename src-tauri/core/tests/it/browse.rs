//! Browsing through the core against the in-test S3 server: pages with a small page size (so
//! continuation tokens are followed), listing faults retried or failing with their kind, a batch
//! delete where the server refuses some keys, deleting a folder of more keys than one request
//! takes, share links fetched over HTTP, and a folder destination's refusal to share.

use crate::support::*;
use hoist_core::{ErrorKind, NewDestination, Place};
use hoist_test_s3::{Fault, FaultAction, Op};
use std::time::Duration;

fn place() -> Place {
    Place::default()
}

async fn put(f: &Fixture, keys: &[String]) {
    let client = f.sdk_client();
    for key in keys {
        let body = aws_sdk_s3::primitives::ByteStream::from(key.as_bytes().to_vec());
        client
            .put_object()
            .bucket(BUCKET)
            .key(key)
            .body(body)
            .send()
            .await
            .unwrap();
    }
}

fn list_requests(f: &Fixture) -> usize {
    f.server
        .requests()
        .iter()
        .filter(|r| r.op == Op::ListObjects)
        .count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn small_pages_follow_the_continuation_to_the_end() {
    let f = Fixture::new().await;
    let mut keys: Vec<String> = (0..7).map(|i| format!("photos/{i}.jpg")).collect();
    keys.extend([
        "photos/2024/a.jpg".to_string(),
        "photos/2025/b.jpg".to_string(),
    ]);
    put(&f, &keys).await;
    let before = list_requests(&f);
    let (mut folders, mut objects, mut page) = (Vec::new(), Vec::new(), None::<String>);
    loop {
        let listing = tokio::time::timeout(
            WAIT,
            f.core
                .list_objects(&place(), "photos/", false, page.as_deref(), 2),
        )
        .await
        .unwrap()
        .unwrap();
        assert!(listing.folders.len() + listing.objects.len() <= 2);
        folders.extend(listing.folders);
        objects.extend(listing.objects.into_iter().map(|o| o.key));
        match listing.next {
            Some(next) => page = Some(next),
            None => break,
        }
    }
    assert_eq!(folders, ["photos/2024/", "photos/2025/"]);
    assert_eq!(objects.len(), 7);
    assert_eq!(list_requests(&f) - before, 5, "9 entries in pages of 2");
    let err = f
        .core
        .list_objects(&place(), "photos", false, None, 10)
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidInput);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_busy_server_is_retried_and_access_denied_says_what_is_missing() {
    let f = Fixture::new().await;
    put(&f, &["a.txt".to_string()]).await;
    f.server.inject(Fault {
        op: Op::ListObjects,
        part_number: None,
        action: FaultAction::Error {
            code: "InternalError",
        },
        times: 2,
    });
    let listing = f
        .core
        .list_objects(&place(), "", false, None, 100)
        .await
        .unwrap();
    assert_eq!(
        listing.objects.len(),
        1,
        "listed after two retried failures"
    );
    f.server.inject(Fault {
        op: Op::ListObjects,
        part_number: None,
        action: FaultAction::Error {
            code: "AccessDenied",
        },
        times: 1,
    });
    let err = f
        .core
        .list_objects(&place(), "", false, None, 100)
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::AccessDenied);
    assert!(err.message().starts_with("listing"), "{}", err.message());
    assert!(err.message().contains("s3:ListBucket"), "{}", err.message());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_delete_request_the_server_fails_once_is_retried() {
    let f = Fixture::new().await;
    let keys: Vec<String> = (0..3).map(|i| format!("t/{i}")).collect();
    put(&f, &keys).await;
    f.server.inject(Fault {
        op: Op::DeleteObjects,
        part_number: None,
        action: FaultAction::Error {
            code: "InternalError",
        },
        times: 1,
    });
    let report = f.core.delete_objects(&place(), &keys).await.unwrap();
    assert_eq!((report.deleted, report.failed.len()), (3, 0));
    let sent = f
        .server
        .requests()
        .iter()
        .filter(|r| r.op == Op::DeleteObjects)
        .count();
    assert_eq!(sent, 2, "one failed DeleteObjects, then one that worked");
    assert!(f.server.keys(BUCKET).is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keys_the_server_refuses_are_reported_and_the_rest_deleted() {
    let f = Fixture::new().await;
    let keys: Vec<String> = (0..5).map(|i| format!("d/{i}")).collect();
    put(&f, &keys).await;
    f.server.set_undeletable("d/3");
    let report = f.core.delete_objects(&place(), &keys).await.unwrap();
    assert_eq!(report.deleted, 4);
    assert_eq!(report.failed.len(), 1);
    assert_eq!(report.failed[0].key, "d/3");
    assert_eq!(report.failed[0].error, hoist_core::ErrorKind::AccessDenied);
    assert_eq!(f.server.keys(BUCKET), ["d/3"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_folder_of_more_keys_than_one_request_takes_is_deleted_in_batches() {
    let f = Fixture::new().await;
    let keys: Vec<String> = (0..1203).map(|i| format!("old/{}/{i:04}", i % 7)).collect();
    put(&f, &keys).await;
    put(&f, &["old-but-kept".to_string(), "other/x".to_string()]).await;
    let dry = f
        .core
        .delete_folder(&place(), "old/", true, |_| {})
        .await
        .unwrap();
    assert_eq!(dry.deleted, 1203);
    assert_eq!(
        f.server.keys(BUCKET).len(),
        1205,
        "a dry run deletes nothing"
    );
    let mut seen = Vec::new();
    let report = f
        .core
        .delete_folder(&place(), "old/", false, |so_far| seen.push(so_far.deleted))
        .await
        .unwrap();
    assert_eq!(report.deleted, 1203);
    assert!(report.failed.is_empty());
    assert_eq!(seen, [1000, 1203], "progress after each batch");
    assert_eq!(report.requests, 4, "two listings and two DeleteObjects");
    assert_eq!(f.server.keys(BUCKET), ["old-but-kept", "other/x"]);
    let everything = f.core.delete_folder(&place(), "", false, |_| {}).await;
    assert_eq!(everything.unwrap_err().kind(), ErrorKind::InvalidInput);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_share_link_downloads_and_a_folder_destination_has_none() {
    let f = Fixture::new().await;
    put(&f, &["shared/report.pdf".to_string()]).await;
    let url = f
        .core
        .share_link(&place(), "shared/report.pdf", Duration::from_secs(3600))
        .await
        .unwrap();
    let body = reqwest::get(&url).await.unwrap();
    assert!(body.status().is_success());
    assert_eq!(body.bytes().await.unwrap().as_ref(), b"shared/report.pdf");
    let missing = f
        .core
        .share_link(&place(), "shared/none", Duration::from_secs(3600))
        .await;
    assert_eq!(missing.unwrap_err().kind(), ErrorKind::NotFound);
    let too_long = f
        .core
        .share_link(
            &place(),
            "shared/report.pdf",
            Duration::from_secs(8 * 86_400),
        )
        .await;
    assert_eq!(too_long.unwrap_err().kind(), ErrorKind::InvalidInput);

    let folder = f.dir.path().join("nas");
    f.core
        .add_destination(
            NewDestination {
                name: "nas".into(),
                folder: Some(folder.clone()),
                ..Default::default()
            },
            None,
        )
        .unwrap();
    std::fs::create_dir_all(&folder).unwrap();
    std::fs::write(folder.join("a.txt"), b"x").unwrap();
    let nas = Place {
        destination: Some("nas".into()),
        bucket: None,
    };
    let err = f
        .core
        .share_link(&nas, "a.txt", Duration::from_secs(60))
        .await
        .unwrap_err();
    assert!(
        err.message().contains("share links need an S3 destination"),
        "{}",
        err.message()
    );
    let details = f.core.object_details(&nas, "a.txt").await.unwrap();
    assert_eq!(
        (details.size, details.content_type.as_deref()),
        (1, Some("text/plain"))
    );
    assert_eq!(
        f.core
            .object_details(&nas, "b.txt")
            .await
            .unwrap_err()
            .kind(),
        ErrorKind::NotFound
    );
}
