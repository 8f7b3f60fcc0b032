//! The promise Hoist is built on: `hoist upload` killed with SIGKILL in the middle of a large
//! file, then `hoist run`, gives the exact object, on the same upload id, with at most the parts
//! that were in flight sent again.

use crate::common::*;
use hoist_test_s3::Op;
use std::collections::BTreeMap;
use std::process::Stdio;

const SIZE: usize = 256 * MIB;
const PARTS: u32 = 32; // 8 MiB default parts
const PARTS_IN_FLIGHT: usize = 4;

#[test]
fn sigkill_mid_upload_then_run_completes_without_resending_finished_parts() {
    if !keychain_available("sigkill_mid_upload") {
        return;
    }
    let ServerFixture {
        runtime: _runtime,
        server,
        dir,
        hoist,
    } = Hoist::with_test_server("test");
    let file = dir.path().join("big.bin");
    write_pattern(&file, SIZE, 1);

    let mut upload = hoist
        .command()
        .args(["upload"])
        .arg(&file)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    wait_until("a few parts committed", || hoist.committed_parts() >= 4);
    upload.kill().unwrap(); // SIGKILL
    upload.wait().unwrap();
    let committed = hoist.committed_parts();
    assert!(
        committed < PARTS as i64,
        "the kill must land mid-upload ({committed} parts done)"
    );
    assert_eq!(
        hoist.queue_json()[0]["state"],
        "running",
        "a crash leaves the row running"
    );

    let run = hoist.run(&["run"]);
    assert!(
        run.status.success(),
        "hoist run failed: {}",
        String::from_utf8_lossy(&run.stderr)
    );
    let job = &hoist.queue_json()[0];
    assert_eq!(job["state"], "completed");
    assert_eq!(job["bytes_done"], SIZE as u64);

    let object = server
        .object_path("bucket", "big.bin")
        .expect("the object exists");
    assert!(
        same_bytes(&object, &file),
        "the object differs from the file"
    );
    let requests = server.requests();
    assert_eq!(
        requests
            .iter()
            .filter(|r| r.op == Op::CreateMultipartUpload)
            .count(),
        1,
        "one upload id only"
    );
    assert!(server.pending_uploads("bucket").is_empty());
    let mut sends: BTreeMap<u32, usize> = BTreeMap::new();
    for r in requests.iter().filter(|r| r.op == Op::UploadPart) {
        *sends.entry(r.part_number.unwrap()).or_default() += 1;
    }
    assert_eq!(sends.len(), PARTS as usize, "every part was sent");
    let resent: Vec<_> = sends.iter().filter(|(_, n)| **n > 1).collect();
    assert!(
        resent.len() <= PARTS_IN_FLIGHT,
        "more than the in-flight parts were sent again: {resent:?}"
    );
    assert!(
        resent.iter().all(|(_, n)| **n == 2),
        "a part was sent three times: {resent:?}"
    );
}

/// The same promise for downloads: `hoist get` of a 256 MiB object killed with SIGKILL half-way,
/// then `hoist run`, gives the exact bytes under the file's name, which held nothing before; at
/// most the ranges in flight were fetched twice, and every later request asked for the ETag
/// seen first.
#[test]
fn sigkill_mid_download_then_run_fetches_only_the_missing_ranges() {
    if !keychain_available("sigkill_mid_download") {
        return;
    }
    let ServerFixture {
        runtime: _runtime,
        server,
        dir,
        hoist,
    } = Hoist::with_test_server("test");
    let source = dir.path().join("source.bin");
    write_pattern(&source, SIZE, 2);
    let up = hoist.run(&["upload", source.to_str().unwrap()]);
    assert!(
        up.status.success(),
        "{}",
        String::from_utf8_lossy(&up.stderr)
    );
    let to = dir.path().join("down");
    let target = to.join("source.bin");
    let before = server.requests().len();

    let mut get = hoist
        .command()
        .args(["get", "source.bin", "--to"])
        .arg(&to)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let ranges_done = || {
        let db = rusqlite::Connection::open(hoist.data_dir.join("hoist.db")).unwrap();
        db.query_row("SELECT COUNT(*) FROM download_ranges", [], |r| {
            r.get::<_, i64>(0)
        })
        .unwrap_or(0)
    };
    wait_until("a few ranges on disk", || ranges_done() >= 4);
    get.kill().unwrap(); // SIGKILL
    get.wait().unwrap();
    let done = ranges_done();
    assert!(
        done < PARTS as i64,
        "the kill must land mid-download ({done} ranges done)"
    );
    assert!(!target.exists(), "a half file stands under the real name");
    assert!(
        to.join(".source.bin.hoist-part").exists(),
        "the partial file is kept"
    );

    let run = hoist.run(&["run"]);
    assert!(
        run.status.success(),
        "hoist run failed: {}",
        String::from_utf8_lossy(&run.stderr)
    );
    assert!(same_bytes(&target, &source), "the downloaded file differs");
    assert!(!to.join(".source.bin.hoist-part").exists());
    let gets: Vec<_> = server.requests()[before..]
        .iter()
        .filter(|r| r.op == Op::GetObject)
        .cloned()
        .collect();
    let mut fetches: BTreeMap<String, usize> = BTreeMap::new();
    // A multipart object is fetched by its parts' numbers.
    for r in &gets {
        let span = match r.part_number {
            Some(n) => format!("part {n}"),
            None => r.header("range").unwrap_or("").to_string(),
        };
        *fetches.entry(span).or_default() += 1;
        assert!(r.header("if-match").is_some(), "a GET without If-Match");
    }
    assert_eq!(fetches.len(), PARTS as usize, "every range was fetched");
    let again: Vec<_> = fetches.iter().filter(|(_, n)| **n > 1).collect();
    assert!(
        again.len() <= hoist_core::EngineConfig::default().spans_in_flight,
        "more than the ranges in flight were fetched again: {again:?}"
    );
}
