//! Destinations from the command line: importing AWS CLI profiles (keys to the keychain, never
//! printed), uploading to a bucket the destination does not name (`--bucket`), and `destination edit`.

use crate::common::*;
use hoist_test_s3::TestS3;
use std::process::Output;
use std::time::Duration;

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

    let dry = run(&["destination", "import-aws", "--all", "--dry-run"]);
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
    let listed = run(&["destination", "list", "--json"]);
    assert!(!String::from_utf8_lossy(&listed.stdout).contains("aws-test"));

    let import = run(&["destination", "import-aws", "--all"]);
    assert!(import.status.success(), "{}", text(&import));
    assert!(
        !text(&import).contains(hoist_test_s3::SECRET_KEY),
        "the secret was printed"
    );
    assert!(
        !text(&import).contains(hoist_test_s3::ACCESS_KEY),
        "the whole key id was printed"
    );
    let again = run(&["destination", "import-aws", "--aws-profile", "test"]);
    assert!(!again.status.success());
    assert!(text(&again).contains("already exists"), "{}", text(&again));

    let file = dir.path().join("photo.jpg");
    write_pattern(&file, 2000, 1);
    let no_bucket = run(&["upload", file.to_str().unwrap()]);
    assert!(!no_bucket.status.success());
    assert!(
        text(&no_bucket).contains("names no bucket")
            && text(&no_bucket)
                .contains("hint: pass --bucket B, or set one with `hoist destination edit aws-test --bucket B`"),
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
        "destination",
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
    let destinations: serde_json::Value =
        serde_json::from_slice(&run(&["destination", "list", "--json"]).stdout).unwrap();
    let edited = destinations
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
            "the ACL 'public' is not a canned ACL",
        ),
        (vec!["--rename", "local"], "'local' already exists"),
        (
            vec!["--endpoint", "ftp://x"],
            "it must start with http:// or https://",
        ),
        (
            vec!["--folder", "/tmp"],
            "only folder destinations have a folder",
        ),
    ] {
        let mut full = vec!["destination", "edit", "aws-test"];
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

#[test]
fn import_aws_without_a_default_profile_failed() {
    let dir = tempfile::tempdir().unwrap();
    let hoist = Hoist::new(dir.path());
    let credentials = dir.path().join("credentials");
    std::fs::write(
        &credentials,
        "[work]\naws_access_key_id = AKIAEXAMPLE0001\naws_secret_access_key = s1\n\
         [home]\naws_access_key_id = AKIAEXAMPLE0002\naws_secret_access_key = s2\n",
    )
    .unwrap();
    let config = dir.path().join("config");
    std::fs::write(&config, "[profile corp] ; SSO only\nsso_session = corp\n").unwrap();
    let out = hoist
        .command()
        .args(["destination", "import-aws", "--dry-run"])
        .env("AWS_SHARED_CREDENTIALS_FILE", &credentials)
        .env("AWS_CONFIG_FILE", &config)
        .env_remove("AWS_PROFILE")
        .output()
        .unwrap();
    let said = text(&out);
    assert!(out.status.success(), "{said}");
    assert!(
        said.contains("importing every profile with keys (home, work)"),
        "{said}"
    );
    assert!(
        said.contains("would import AWS profile 'home' as 'aws-home'"),
        "{said}"
    );
    assert!(
        said.contains("would import AWS profile 'work' as 'aws-work'"),
        "{said}"
    );
    assert!(said.contains("skipped AWS profile 'corp'"), "{said}");
    assert!(
        !said.contains("AKIAEXAMPLE0001"),
        "the whole key id was printed"
    );
}

/// Everything hoist wrote for a command: stdout, stderr and the log files.
fn everything_written(hoist: &Hoist, out: &Output) -> String {
    let mut all = text(out);
    if let Ok(logs) = std::fs::read_dir(hoist.data_dir.join("logs")) {
        for log in logs.flatten() {
            all.push_str(&std::fs::read_to_string(log.path()).unwrap_or_default());
        }
    }
    all
}

#[test]
fn a_private_ca_was_not_trusted_by_destination_test_and_the_offline_gate() {
    if !keychain_available("a_private_ca_was_not_trusted_by_destination_test_and_the_offline_gate")
    {
        return;
    }
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let server = runtime.block_on(TestS3::start());
    server.create_bucket("bucket");
    let front = runtime.block_on(hoist_test_s3::TlsFront::start(server.port()));
    // A second CA that did not issue the front's certificate: the "not trusted" case does not
    // depend on what the machine's own bundle holds.
    let stranger = runtime.block_on(hoist_test_s3::TlsFront::start(server.port()));
    let dir = tempfile::tempdir().unwrap();
    let hoist = Hoist::new(dir.path());
    let (ca, other_ca) = (dir.path().join("ca.pem"), dir.path().join("other.pem"));
    std::fs::write(&ca, front.ca_pem()).unwrap();
    std::fs::write(&other_ca, stranger.ca_pem()).unwrap();
    hoist.add_destination(
        "corp",
        &front.endpoint(),
        "bucket",
        hoist_test_s3::ACCESS_KEY,
        hoist_test_s3::SECRET_KEY,
    );
    let with_bundle = |bundle: &std::path::Path, args: &[&str]| {
        let mut cmd = hoist.command();
        cmd.args(args)
            .env("SSL_CERT_FILE", bundle)
            .env_remove("SSL_CERT_DIR");
        output_within(cmd, Duration::from_secs(120))
    };

    // Trusted through the platform's mechanism: every client of hoist accepts it.
    let tested = with_bundle(&ca, &["destination", "test", "corp", "--json"]);
    assert!(tested.status.success(), "{}", text(&tested));
    let report: serde_json::Value = serde_json::from_slice(&tested.stdout).unwrap();
    let tls = report["steps"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == "TLS")
        .expect("a TLS step");
    assert_eq!(tls["outcome"], "ok", "{tls}");
    let file = dir.path().join("over-tls.bin");
    write_pattern(&file, 300_000, 4);
    let up = with_bundle(&ca, &["upload", file.to_str().unwrap()]);
    assert!(up.status.success(), "{}", text(&up));
    assert_eq!(
        server.object("bucket", "over-tls.bin").unwrap(),
        std::fs::read(&file).unwrap()
    );

    // Not trusted: said plainly, and the upload fails instead of waiting for the network.
    let tested = with_bundle(&other_ca, &["destination", "test", "corp"]);
    assert!(!tested.status.success());
    assert!(
        text(&tested).contains("is not trusted"),
        "{}",
        text(&tested)
    );
    let again = dir.path().join("refused.bin");
    write_pattern(&again, 1000, 5);
    let up = with_bundle(&other_ca, &["upload", again.to_str().unwrap()]);
    assert!(!up.status.success(), "{}", text(&up));
    assert!(text(&up).contains("not trusted"), "{}", text(&up));
    assert!(server.object("bucket", "refused.bin").is_none());
}

#[test]
fn a_failing_presigned_get_printed_the_whole_access_key_id() {
    if !keychain_available("a_failing_presigned_get_printed_the_whole_access_key_id") {
        return;
    }
    let ServerFixture {
        runtime: _runtime,
        server,
        dir: _dir,
        hoist,
    } = Hoist::with_test_server("leaky");
    // The presigned GET's connection is dropped: reqwest's error would name the whole URL.
    server.inject(hoist_test_s3::Fault {
        op: hoist_test_s3::Op::GetObject,
        part_number: None,
        action: hoist_test_s3::FaultAction::CutBodyAfter(0),
        times: 100,
    });
    for args in [
        &["destination", "test", "leaky"][..],
        &["-v", "destination", "test", "leaky", "--json"][..],
    ] {
        let out = output_within(
            {
                let mut cmd = hoist.command();
                cmd.args(args);
                cmd
            },
            Duration::from_secs(120),
        );
        let all = everything_written(&hoist, &out);
        assert!(all.contains("share link"), "the share link step ran: {all}");
        assert!(
            !all.contains(hoist_test_s3::ACCESS_KEY),
            "the access key id was written in full: {all}"
        );
        assert!(
            !all.contains("X-Amz-Signature"),
            "a presigned URL was written: {all}"
        );
    }
}
