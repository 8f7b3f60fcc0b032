//! The connection test against the in-test S3 server (and a folder): a healthy server's capabilities are
//! found and remembered; a server that rejects Content-MD5 stops getting it; and each way a
//! destination can be wrong (DNS, nothing listening, TLS, unknown key, bad secret, missing
//! bucket, wrong region, clock skew) fails at its step with a message naming the fix.

use crate::support::*;
use hoist_core::connection::{ConnectionReport, StepOutcome};
use hoist_core::{AccessKey, NewDestination, Secret};
use hoist_test_s3::{Fault, FaultAction, Op};

fn add(f: &Fixture, name: &str, endpoint: &str, bucket: &str, key_id: &str, secret: &str) {
    f.core
        .add_destination(
            NewDestination {
                name: name.into(),
                endpoint: Some(endpoint.into()),
                region: Some(hoist_test_s3::REGION.into()),
                bucket: bucket.into(),
                path_style: true,
                ..Default::default()
            },
            Some(AccessKey {
                access_key_id: Secret::new(key_id.into()),
                secret_access_key: Secret::new(secret.into()),
            }),
        )
        .unwrap();
}

async fn test(f: &Fixture, name: &str) -> ConnectionReport {
    tokio::time::timeout(WAIT, f.core.test_destination(name))
        .await
        .expect("the test ends in time")
        .unwrap()
}

/// The step that failed and blocked the destination, with its detail.
fn blocking_failure(report: &ConnectionReport) -> (String, String, Option<String>) {
    let step = report
        .steps
        .iter()
        .find(|s| s.blocking && s.outcome == StepOutcome::Failed)
        .unwrap_or_else(|| panic!("no blocking failure in {:#?}", report.steps));
    (step.name.clone(), step.detail.clone(), step.error.clone())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_healthy_server_passes_and_its_capabilities_are_remembered() {
    let f = Fixture::new().await;
    let report = test(&f, "test").await;
    assert!(report.usable(), "{:#?}", report.steps);
    let caps = report.capabilities.clone().unwrap();
    assert!(
        caps.multipart
            && caps.list_parts
            && caps.content_md5
            && caps.checksum_headers
            && caps.presign,
        "{caps:?}"
    );
    assert!(caps.tested_at > 0);
    assert_eq!(f.core.destination("test").unwrap().capabilities, Some(caps));
    assert!(
        f.server
            .keys(BUCKET)
            .iter()
            .all(|k| !k.starts_with(".hoist-test")),
        "scratch objects left: {:?}",
        f.server.keys(BUCKET)
    );
    assert!(f.server.pending_uploads(BUCKET).is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rejected_content_md5_is_not_sent_again() {
    let f = Fixture::new().await;
    f.server.set_reject_content_md5(true);
    let report = test(&f, "test").await;
    assert!(report.usable(), "{:#?}", report.steps);
    let caps = report.capabilities.unwrap();
    assert!(!caps.content_md5 && caps.multipart, "{caps:?}");
    let small = f.file("small.bin", 1000, 1);
    let big = f.file("big.bin", 11 * MIB, 2);
    let before = f.server.requests().len();
    let summary = f.run_batch(&f.enqueue(&[&small, &big])).await;
    assert_eq!((summary.completed, summary.failed), (2, 0));
    assert_eq!(f.object("big.bin"), pattern(11 * MIB, 2));
    let sent_md5 = f.server.requests()[before..]
        .iter()
        .filter(|r| r.header("content-md5").is_some())
        .count();
    assert_eq!(
        sent_md5, 0,
        "Content-MD5 was sent to a server that rejects it"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_keys_and_bucket_name_their_fix() {
    let f = Fixture::new().await;
    let endpoint = f.server.endpoint();
    add(
        &f,
        "bad-secret",
        &endpoint,
        BUCKET,
        hoist_test_s3::ACCESS_KEY,
        "not-the-secret",
    );
    add(
        &f,
        "unknown-key",
        &endpoint,
        BUCKET,
        "AKIAUNKNOWN",
        "whatever",
    );
    add(
        &f,
        "no-bucket",
        &endpoint,
        "no-such-bucket",
        hoist_test_s3::ACCESS_KEY,
        hoist_test_s3::SECRET_KEY,
    );
    for (name, kind, says) in [
        ("bad-secret", "bad_credentials", "secret key does not match"),
        (
            "unknown-key",
            "bad_credentials",
            "access key id is not known",
        ),
        (
            "no-bucket",
            "no_such_bucket",
            "point the destination at an existing one",
        ),
    ] {
        let report = test(&f, name).await;
        let (step, detail, error) = blocking_failure(&report);
        assert_eq!(step, "credentials and bucket", "{name}");
        assert_eq!(error.as_deref(), Some(kind), "{name}: {detail}");
        assert!(detail.contains(says), "{name}: {detail}");
        if kind == "bad_credentials" {
            assert!(
                detail.contains("give the destination the right access key pair"),
                "{detail}"
            );
        }
        assert_eq!(f.core.destination(name).unwrap().capabilities, None);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn clock_skew_and_wrong_region_name_their_fix() {
    let f = Fixture::new().await;
    for (code, kind, says) in [
        ("RequestTimeTooSkewed", "clock_skew", "NTP"),
        (
            "AuthorizationHeaderMalformed",
            "wrong_region",
            "set the destination's region to",
        ),
    ] {
        f.server.inject(Fault {
            op: Op::ListObjects,
            part_number: None,
            action: FaultAction::Error { code },
            times: 1,
        });
        let report = test(&f, "test").await;
        let (step, detail, error) = blocking_failure(&report);
        assert_eq!(step, "credentials and bucket");
        assert_eq!(error.as_deref(), Some(kind), "{detail}");
        assert!(detail.contains(says), "{code}: {detail}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dns_connection_and_tls_failures_name_their_fix() {
    let f = Fixture::new().await;
    let closed = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let tls_to_plain = format!("https://127.0.0.1:{}", f.server.port());
    let secret = hoist_test_s3::SECRET_KEY;
    add(
        &f,
        "dns",
        "http://hoist-probe.invalid:9000",
        BUCKET,
        "a",
        secret,
    );
    add(
        &f,
        "closed",
        &format!("http://127.0.0.1:{closed}"),
        BUCKET,
        "a",
        secret,
    );
    add(&f, "tls", &tls_to_plain, BUCKET, "a", secret);
    for (name, step_name, says) in [
        ("dns", "DNS", "cannot resolve 'hoist-probe.invalid'"),
        ("closed", "connection", "nothing answers"),
        (
            "tls",
            "TLS",
            "make the destination's endpoint an http:// URL",
        ),
    ] {
        let report = test(&f, name).await;
        let (step, detail, error) = blocking_failure(&report);
        assert_eq!(step, step_name, "{name}: {detail}");
        assert_eq!(error.as_deref(), Some("unreachable"));
        assert!(detail.contains(says), "{name}: {detail}");
        assert!(detail.contains("the destination's endpoint"), "{detail}");
        let last = report.steps.last().unwrap();
        assert_eq!(
            last.outcome,
            StepOutcome::Skipped,
            "{name}: later steps run"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_folder_destination_is_tested_for_writing() {
    let f = Fixture::new().await;
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
    let report = test(&f, "nas").await;
    assert!(report.usable(), "{:#?}", report.steps);
    let names: Vec<&str> = report.steps.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "folder",
            "free space",
            "read the folder",
            "write and read back",
            "multipart upload",
            "ListParts",
            "list incomplete uploads",
            "clean-up"
        ]
    );
    assert!(
        report.steps.iter().all(|s| s.outcome == StepOutcome::Ok),
        "{:#?}",
        report.steps
    );
    // The same backend as uploads wrote and deleted the scratch objects: nothing is left but
    // the (empty) staging folder, and a folder keeps no server capabilities.
    let left: Vec<_> = std::fs::read_dir(&folder)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .filter(|name| name != ".hoist-staging")
        .collect();
    assert!(left.is_empty(), "{left:?}");
    assert_eq!(report.capabilities, None);
}
