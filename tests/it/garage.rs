//! Against Garage, the independent real S3 server that `./scripts/test` starts on loopback:
//! a folder upload, and a SIGKILL mid-file followed by `hoist run`, checked through the S3 API.

use crate::common::*;
use aws_sdk_s3::config::{BehaviorVersion, Credentials, Region};
use std::process::Stdio;

pub(crate) struct Garage {
    pub endpoint: String,
    pub access_key: String,
    pub secret_key: String,
    pub bucket: String,
}

pub(crate) fn garage() -> Option<Garage> {
    let var = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
    match (
        var("HOIST_GARAGE_ENDPOINT"),
        var("HOIST_GARAGE_ACCESS_KEY"),
        var("HOIST_GARAGE_SECRET_KEY"),
        var("HOIST_GARAGE_BUCKET"),
    ) {
        (Some(endpoint), Some(access_key), Some(secret_key), Some(bucket)) => Some(Garage {
            endpoint,
            access_key,
            secret_key,
            bucket,
        }),
        _ => {
            assert!(
                std::env::var("HOIST_REQUIRE_GARAGE").as_deref() != Ok("1"),
                "HOIST_REQUIRE_GARAGE=1 but no HOIST_GARAGE_* variables"
            );
            eprintln!("SKIPPED: Garage is not running; ./scripts/test starts it");
            None
        }
    }
}

pub(crate) fn client(g: &Garage) -> aws_sdk_s3::Client {
    let config = aws_sdk_s3::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .endpoint_url(&g.endpoint)
        .force_path_style(true)
        .credentials_provider(Credentials::new(
            &g.access_key,
            &g.secret_key,
            None,
            None,
            "test",
        ))
        .build();
    aws_sdk_s3::Client::from_conf(config)
}

async fn download(client: &aws_sdk_s3::Client, bucket: &str, key: &str, to: &std::path::Path) {
    let object = client
        .get_object()
        .bucket(bucket)
        .key(key)
        .send()
        .await
        .unwrap();
    let bytes = object.body.collect().await.unwrap().into_bytes();
    std::fs::write(to, bytes).unwrap();
}

#[test]
fn folders_and_a_killed_upload_arrive_intact_on_garage() {
    let Some(g) = garage() else { return };
    if !keychain_available("garage") {
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
    let run_id = format!("run-{}", std::process::id());

    // A folder with a small file and a 3-part one.
    let folder = dir.path().join(&run_id);
    write_pattern(&folder.join("small.txt"), 100, 1);
    write_pattern(&folder.join("nested/multi.bin"), 20 * MIB, 2);
    let out = hoist.run(&["upload", folder.to_str().unwrap()]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let got = dir.path().join("got.bin");
    runtime.block_on(download(
        &s3,
        &g.bucket,
        &format!("{run_id}/nested/multi.bin"),
        &got,
    ));
    assert!(same_bytes(&got, &folder.join("nested/multi.bin")));

    // SIGKILL in the middle of a 160 MiB file, then `hoist run`.
    let big = dir.path().join("big.bin");
    write_pattern(&big, 160 * MIB, 3);
    let key = format!("{run_id}-big/big.bin");
    let mut upload = hoist
        .command()
        .args(["upload", "--prefix", &format!("{run_id}-big")])
        .arg(&big)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    wait_until("some parts committed", || hoist.committed_parts() >= 3);
    upload.kill().unwrap();
    upload.wait().unwrap();
    assert!(
        hoist.committed_parts() < 20,
        "the kill must land mid-upload"
    );
    let out = hoist.run(&["run"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    runtime.block_on(download(&s3, &g.bucket, &key, &got));
    assert!(same_bytes(&got, &big), "the object differs from the file");
    let pending = runtime
        .block_on(
            s3.list_multipart_uploads()
                .bucket(&g.bucket)
                .prefix(&key)
                .send(),
        )
        .unwrap();
    assert!(
        pending.uploads().is_empty(),
        "an upload was left behind: {:?}",
        pending.uploads()
    );

    // Garage lists incomplete uploads: cleanup works against it and finds none left by Hoist.
    let out = hoist.run(&[
        "cleanup",
        "--destination",
        "garage",
        "--older-than",
        "0",
        "--dry-run",
    ]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("0 in use"), "{stdout}");
}

#[test]
fn options_dry_run_and_conflicts_on_garage() {
    let Some(g) = garage() else { return };
    if !keychain_available("garage options") {
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
    let run_id = format!("opts-{}", std::process::id());
    let edit = hoist.run(&[
        "destination",
        "edit",
        "garage",
        "--prefix",
        &format!("{run_id}/"),
        "--key-template",
        "{prefix}/{stem}.{ext}",
        "--cache-control",
        "max-age=600",
        "--if-exists",
        "skip",
    ]);
    assert!(
        edit.status.success(),
        "{}",
        String::from_utf8_lossy(&edit.stderr)
    );
    let page = dir.path().join("index.html");
    let big = dir.path().join("big.bin");
    write_pattern(&page, 2000, 1);
    write_pattern(&big, 12 * MIB, 2);
    let (page_s, big_s) = (page.to_str().unwrap(), big.to_str().unwrap());

    let dry = hoist.run(&["upload", "--dry-run", page_s, big_s]);
    let dry_out = String::from_utf8_lossy(&dry.stdout).into_owned();
    assert!(dry.status.success(), "{dry_out}");
    assert_eq!(dry_out.matches("\nupload ").count(), 2, "{dry_out}");
    let out = hoist.run(&["upload", page_s, big_s]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let head = runtime
        .block_on(
            s3.head_object()
                .bucket(&g.bucket)
                .key(format!("{run_id}/index.html"))
                .send(),
        )
        .unwrap();
    assert_eq!(head.content_type(), Some("text/html"));
    assert_eq!(head.cache_control(), Some("max-age=600"));

    // Again: both are identical (the 12 MiB one by its multipart ETag), so nothing is sent.
    let dry = hoist.run(&["upload", "--dry-run", page_s, big_s]);
    let dry_out = String::from_utf8_lossy(&dry.stdout).into_owned();
    assert_eq!(
        dry_out.matches("skip (an identical object exists)").count(),
        2,
        "{dry_out}"
    );
    let again = hoist.run(&["upload", page_s, big_s]);
    let again_out = String::from_utf8_lossy(&again.stdout).into_owned();
    assert!(again.status.success(), "{again_out}");
    assert!(
        again_out.contains("0 of 2 file(s) uploaded") && again_out.contains("2 skipped"),
        "{again_out}"
    );

    // A changed page with `--if-exists rename` goes next to the original.
    write_pattern(&page, 2000, 3);
    let renamed = hoist.run(&["upload", "--if-exists", "rename", page_s]);
    assert!(
        renamed.status.success(),
        "{}",
        String::from_utf8_lossy(&renamed.stderr)
    );
    let got = dir.path().join("got.html");
    runtime.block_on(download(
        &s3,
        &g.bucket,
        &format!("{run_id}/index-1.html"),
        &got,
    ));
    assert!(same_bytes(&got, &page));
}

#[test]
fn destination_test_reports_what_garage_supports_and_a_wrong_region() {
    let Some(g) = garage() else { return };
    if !keychain_available("garage destination test") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let hoist = Hoist::new(dir.path());
    hoist.add_destination(
        "garage",
        &g.endpoint,
        &g.bucket,
        &g.access_key,
        &g.secret_key,
    );
    let out = hoist.run(&["destination", "test", "garage", "--json"]);
    let report: serde_json::Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|_| panic!("{}", String::from_utf8_lossy(&out.stderr)));
    assert!(out.status.success(), "{report:#}");
    let caps = &report["capabilities"];
    for supported in [
        "multipart",
        "list_parts",
        "list_multipart_uploads",
        "content_md5",
        "presign",
    ] {
        assert_eq!(
            caps[supported], true,
            "Garage supports {supported}: {report:#}"
        );
    }
    let listed = hoist.run(&["destination", "list"]);
    assert!(
        String::from_utf8_lossy(&listed.stdout).contains("tested: multipart"),
        "{}",
        String::from_utf8_lossy(&listed.stdout)
    );

    // Garage signs for its configured region only; another one fails at the credentials step.
    let edit = hoist.run(&["destination", "edit", "garage", "--region", "eu-west-3"]);
    assert!(edit.status.success());
    let out = hoist.run(&["destination", "test", "garage"]);
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(!out.status.success(), "{text}");
    assert!(
        text.contains("FAIL  credentials and bucket")
            && text.contains("set the destination's region to us-east-1"),
        "{text}"
    );
}
