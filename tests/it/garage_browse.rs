//! `hoist ls`, `rm`, `share` and `stat` against Garage with 2,500 keys in nested folders: a
//! folder level, a recursive listing in byte order, a recursive delete batched by 1,000, and a
//! share link fetched with a plain HTTP client, then refused once it expired.

use crate::common::*;
use crate::garage::{client, garage};
use std::time::Duration;

fn json(out: &std::process::Output) -> serde_json::Value {
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("--json prints JSON")
}

fn keys_of(listing: &serde_json::Value) -> Vec<String> {
    listing["objects"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["key"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn ls_rm_share_and_stat_on_garage_with_2500_keys() {
    let Some(g) = garage() else { return };
    if !keychain_available("garage browse") {
        return;
    }
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let s3 = client(&g);
    let dir = tempfile::tempdir().unwrap();
    let hoist = Hoist::new(dir.path());
    hoist.add_destination(
        "garage",
        &g.endpoint,
        &g.bucket,
        &g.access_key,
        &g.secret_key,
    );
    let top = format!("browse-{}/", std::process::id());
    let mut keys: Vec<String> = (0..2500)
        .map(|i| format!("{top}d{}/s{}/k{i:04}.txt", i % 10, (i / 10) % 5))
        .collect();
    runtime.block_on(async {
        let mut tasks = tokio::task::JoinSet::new();
        for chunk in keys.chunks(100) {
            let (s3, bucket, chunk) = (s3.clone(), g.bucket.clone(), chunk.to_vec());
            tasks.spawn(async move {
                for key in chunk {
                    let body = aws_sdk_s3::primitives::ByteStream::from(key.clone().into_bytes());
                    s3.put_object()
                        .bucket(&bucket)
                        .key(&key)
                        .body(body)
                        .send()
                        .await
                        .unwrap();
                }
            });
        }
        while let Some(done) = tasks.join_next().await {
            done.unwrap();
        }
    });
    keys.sort();

    let level = json(&hoist.run(&["ls", "--destination", "garage", &top, "--json"]));
    let prefixes: Vec<String> = (0..10).map(|i| format!("{top}d{i}/")).collect();
    assert_eq!(listing_prefixes(&level), prefixes);
    assert!(keys_of(&level).is_empty());

    let all = json(&hoist.run(&["ls", "--recursive", "--json", &top]));
    assert_eq!(
        keys_of(&all),
        keys,
        "every key once, in byte order, over 3 pages"
    );
    assert!(
        all["objects"][0]["last_modified"]
            .as_str()
            .unwrap()
            .ends_with('Z')
    );

    let text = hoist.run(&["ls", &format!("{top}d3")]);
    let shown = String::from_utf8_lossy(&text.stdout);
    assert_eq!(
        shown.lines().filter(|l| l.contains("DIR")).count(),
        5,
        "{shown}"
    );

    let key = &keys[0];
    let stat = json(&hoist.run(&["stat", key, "--json"]));
    assert_eq!(stat["size"], key.len());
    assert!(
        stat["etag"].as_str().is_some_and(|e| e.len() == 32),
        "{stat}"
    );

    let shared = hoist.run(&["share", key, "--expires", "3s"]);
    assert!(
        shared.status.success(),
        "{}",
        String::from_utf8_lossy(&shared.stderr)
    );
    let url = String::from_utf8_lossy(&shared.stdout).trim().to_string();
    let (status, body) = runtime.block_on(async {
        let got = reqwest::get(&url).await.unwrap();
        (got.status(), got.bytes().await.unwrap())
    });
    assert!(status.is_success(), "{status}");
    assert_eq!(body.as_ref(), key.as_bytes());
    // A presigned URL is refused once its lifetime has passed (polled, bounded).
    wait_until("the share link to expire", || {
        let status = runtime.block_on(async { reqwest::get(&url).await.unwrap().status() });
        if !status.is_success() {
            // AWS answers 403, Garage 400: either way the link no longer works.
            assert!(
                status.is_client_error(),
                "an expired link answered {status}"
            );
            return true;
        }
        std::thread::sleep(Duration::from_millis(250));
        false
    });

    let folder_without_flag = hoist.run(&["rm", &format!("{top}d0/")]);
    assert!(!folder_without_flag.status.success());
    assert!(String::from_utf8_lossy(&folder_without_flag.stderr).contains("--recursive"));
    let dry = hoist.run(&["rm", "--recursive", "--dry-run", &format!("{top}d0/")]);
    assert!(String::from_utf8_lossy(&dry.stdout).contains("would delete 250 objects"));
    let removed = hoist.run(&["rm", "--recursive", &format!("{top}d0/")]);
    assert!(
        removed.status.success(),
        "{}",
        String::from_utf8_lossy(&removed.stderr)
    );
    assert!(String::from_utf8_lossy(&removed.stdout).contains("deleted 250 objects"));
    let left = json(&hoist.run(&["ls", "--recursive", "--json", &top]));
    assert_eq!(keys_of(&left).len(), 2250);
    assert!(
        keys_of(&left)
            .iter()
            .all(|k| !k.starts_with(&format!("{top}d0/")))
    );

    let everything = hoist.run(&["rm", "--recursive", &top]);
    assert!(String::from_utf8_lossy(&everything.stdout).contains("deleted 2250 objects"));
    let empty = json(&hoist.run(&["ls", "--recursive", "--json", &top]));
    assert!(keys_of(&empty).is_empty());
}

fn listing_prefixes(listing: &serde_json::Value) -> Vec<String> {
    listing["prefixes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p.as_str().unwrap().to_string())
        .collect()
}
