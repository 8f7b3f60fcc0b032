//! Destinations from the command line: importing AWS CLI profiles (keys to the keychain, never
//! printed), uploading to a bucket the profile does not name (`--bucket`), and `profile edit`.

mod common;

use common::*;
use hoist_test_s3::TestS3;
use std::process::Output;

fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

#[test]
fn imported_aws_profiles_upload_with_bucket_and_edit() {
    if !keychain_available("imported_aws_profiles_upload_with_bucket_and_edit") {
        return;
    }
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let server = runtime.block_on(TestS3::start());
    server.create_bucket("first");
    server.create_bucket("second");
    let dir = tempfile::tempdir().unwrap();
    let hoist = Hoist::new(dir.path());
    let aws = dir.path().join("aws");
    std::fs::create_dir_all(&aws).unwrap();
    std::fs::write(
        aws.join("credentials"),
        format!(
            "[test]\naws_access_key_id = {}\naws_secret_access_key = {}\n",
            hoist_test_s3::ACCESS_KEY,
            hoist_test_s3::SECRET_KEY
        ),
    )
    .unwrap();
    std::fs::write(
        aws.join("config"),
        format!(
            "[profile test]\nregion = {}\ns3 =\n  addressing_style = path\n  endpoint_url = {}\n\n\
             [profile corp]\nsso_session = corp\n",
            hoist_test_s3::REGION,
            server.endpoint()
        ),
    )
    .unwrap();
    let run = |args: &[&str]| {
        hoist
            .command()
            .args(args)
            .env("AWS_SHARED_CREDENTIALS_FILE", aws.join("credentials"))
            .env("AWS_CONFIG_FILE", aws.join("config"))
            .env_remove("AWS_PROFILE")
            .output()
            .unwrap()
    };

    let dry = run(&["profile", "import-aws", "--all", "--dry-run"]);
    assert!(dry.status.success(), "{}", text(&dry));
    assert!(
        text(&dry).contains("would import AWS profile 'test' as 'aws-test'"),
        "{}",
        text(&dry)
    );
    assert!(
        text(&dry).contains("skipped AWS profile 'corp': it signs in with SSO"),
        "{}",
        text(&dry)
    );
    let listed = run(&["profile", "list", "--json"]);
    assert!(!String::from_utf8_lossy(&listed.stdout).contains("aws-test"));

    let import = run(&["profile", "import-aws", "--all"]);
    assert!(import.status.success(), "{}", text(&import));
    assert!(
        !text(&import).contains(hoist_test_s3::SECRET_KEY),
        "the secret was printed"
    );
    assert!(
        !text(&import).contains(hoist_test_s3::ACCESS_KEY),
        "the whole key id was printed"
    );
    let again = run(&["profile", "import-aws", "--aws-profile", "test"]);
    assert!(!again.status.success());
    assert!(text(&again).contains("already exists"), "{}", text(&again));

    let file = dir.path().join("photo.jpg");
    write_pattern(&file, 2000, 1);
    let no_bucket = run(&["upload", file.to_str().unwrap()]);
    assert!(!no_bucket.status.success());
    assert!(
        text(&no_bucket).contains("names no bucket: pass --bucket B")
            && text(&no_bucket).contains("hoist profile edit aws-test --bucket B"),
        "{}",
        text(&no_bucket)
    );
    let up = run(&["upload", "--bucket", "first", file.to_str().unwrap()]);
    assert!(up.status.success(), "{}", text(&up));
    assert_eq!(
        server.object("first", "photo.jpg").map(|b| b.len()),
        Some(2000)
    );

    let edit = run(&[
        "profile",
        "edit",
        "aws-test",
        "--bucket",
        "second",
        "--prefix",
        "in/",
        "--cache-control",
        "max-age=60",
        "--if-exists",
        "skip",
    ]);
    assert!(edit.status.success(), "{}", text(&edit));
    let profiles: serde_json::Value =
        serde_json::from_slice(&run(&["profile", "list", "--json"]).stdout).unwrap();
    let edited = profiles
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "aws-test")
        .unwrap();
    assert_eq!(edited["bucket"], "second");
    assert_eq!(edited["path_style"], true);
    assert_eq!(edited["options"]["cache_control"], "max-age=60");
    assert_eq!(edited["options"]["if_exists"], "skip");
    let up = run(&["upload", file.to_str().unwrap()]);
    assert!(up.status.success(), "{}", text(&up));
    assert_eq!(
        server.object("second", "in/photo.jpg").map(|b| b.len()),
        Some(2000)
    );

    for (args, says) in [
        (
            vec!["--acl", "public"],
            "--acl 'public' is not a canned ACL",
        ),
        (vec!["--rename", "local"], "'local' already exists"),
        (vec!["--endpoint", "ftp://x"], "--endpoint must be an http"),
        (
            vec!["--folder", "/tmp"],
            "--folder applies to folder destinations only",
        ),
    ] {
        let mut full = vec!["profile", "edit", "aws-test"];
        full.extend(args);
        let out = run(&full);
        assert!(!out.status.success(), "{full:?} was accepted");
        assert!(text(&out).contains(says), "{full:?}: {}", text(&out));
    }
    let db = std::fs::read(hoist.data_dir.join("hoist.db")).unwrap();
    let secret = hoist_test_s3::SECRET_KEY.as_bytes();
    assert!(
        !db.windows(secret.len()).any(|w| w == secret),
        "the secret reached SQLite"
    );
}
