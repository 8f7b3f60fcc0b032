//! Verified downloads against the in-test server's fault hooks, which flip one byte of an
//! answer and leave status and headers alone (what a faulty middlebox, NIC or disk cache does):
//! for every object shape (single part; multipart at Hoist's range size, at another part size,
//! with unequal parts; with per-part CRC32C) a corrupted answer is caught and fetched again, a
//! corruption that persists fails the job with the object named and no file under its name while
//! the other jobs finish, and a download resumed after its engine stopped still checks every
//! part. Regression tests for "multipart downloads accepted corrupted bytes".

use crate::support::*;
use base64::Engine;
use hoist_core::Place;
use hoist_core::model::JobState;
use hoist_test_s3::{Fault, FaultAction, Op};
use std::path::PathBuf;
use std::time::Duration;

fn target(f: &Fixture) -> PathBuf {
    f.dir.path().join("downloads")
}

async fn download(f: &Fixture, keys: &[&str]) -> String {
    let keys: Vec<String> = keys.iter().map(|s| s.to_string()).collect();
    let report = f
        .core
        .enqueue_download(&Place::default(), &keys, &target(f), None)
        .await
        .unwrap();
    assert!(report.refused.is_empty(), "{:?}", report.refused);
    report.batch
}

/// The partNumber of each GetObject, in order (`None` for a ranged or whole GET).
fn gets(f: &Fixture) -> Vec<Option<u32>> {
    f.server
        .requests()
        .iter()
        .filter(|r| r.op == Op::GetObject)
        .map(|r| r.part_number)
        .collect()
}

fn flip(part_number: Option<u32>, times: u32) -> Fault {
    Fault {
        op: Op::GetObject,
        part_number,
        action: FaultAction::FlipAnswerByte(12_345),
        times,
    }
}

async fn put_single(f: &Fixture, key: &str, bytes: &[u8]) {
    f.sdk_client()
        .put_object()
        .bucket(BUCKET)
        .key(key)
        .body(bytes.to_vec().into())
        .send()
        .await
        .unwrap();
}

/// Uploads `bytes` as a multipart object with parts of the given sizes (the last takes the
/// rest), with each part's CRC32C when `crc32c`.
async fn put_parts(f: &Fixture, key: &str, bytes: &[u8], sizes: &[usize], crc32c: bool) {
    let s3 = f.sdk_client();
    let id = s3
        .create_multipart_upload()
        .bucket(BUCKET)
        .key(key)
        .send()
        .await
        .unwrap()
        .upload_id
        .unwrap();
    let mut parts = Vec::new();
    let mut offset = 0;
    for (i, size) in sizes.iter().enumerate() {
        let end = if i + 1 == sizes.len() {
            bytes.len()
        } else {
            offset + size
        };
        let body = &bytes[offset..end];
        let number = i as i32 + 1;
        let crc = crc_fast::checksum(crc_fast::CrcAlgorithm::Crc32Iscsi, body) as u32;
        let crc = base64::engine::general_purpose::STANDARD.encode(crc.to_be_bytes());
        let out = s3
            .upload_part()
            .bucket(BUCKET)
            .key(key)
            .upload_id(&id)
            .part_number(number)
            .set_checksum_crc32_c(crc32c.then_some(crc))
            .body(body.to_vec().into())
            .send()
            .await
            .unwrap();
        parts.push(
            aws_sdk_s3::types::CompletedPart::builder()
                .part_number(number)
                .set_e_tag(out.e_tag)
                .build(),
        );
        offset = end;
    }
    s3.complete_multipart_upload()
        .bucket(BUCKET)
        .key(key)
        .upload_id(&id)
        .multipart_upload(
            aws_sdk_s3::types::CompletedMultipartUpload::builder()
                .set_parts(Some(parts))
                .build(),
        )
        .send()
        .await
        .unwrap();
}

fn landed(f: &Fixture, name: &str) -> Vec<u8> {
    std::fs::read(target(f).join(name)).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_corrupted_single_part_answer_is_fetched_again_instead_of_failing_the_job() {
    let f = Fixture::new().await;
    let bytes = pattern(3 * MIB, 1);
    put_single(&f, "one.bin", &bytes).await;
    f.server.inject(flip(None, 1));
    let batch = download(&f, &["one.bin"]).await;
    let summary = f.run_batch(&batch).await;
    assert_eq!((summary.completed, summary.failed), (1, 0));
    assert!(landed(&f, "one.bin") == bytes, "the file is the object");
    assert_eq!(
        gets(&f),
        [None, None],
        "fetched once more after the bad answer"
    );
    assert_eq!(f.job(&batch).verified.as_deref(), Some("md5"));
}

/// Each multipart shape: parts of Hoist's range size (5 MiB in the tests), of another size,
/// and unequal parts. A flipped byte in part 2 fails the ETag, so the object is fetched again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_corrupted_part_of_any_multipart_shape_is_caught_by_the_etag_and_fetched_again() {
    let shapes: [(&str, &[usize]); 3] = [
        ("range-size.bin", &[5 * MIB, 5 * MIB, MIB]),
        ("other-size.bin", &[6 * MIB, 5 * MIB]),
        ("unequal.bin", &[7 * MIB, 5 * MIB, 6 * MIB, 2 * MIB]),
    ];
    for (name, sizes) in shapes {
        let f = Fixture::new().await;
        let total: usize = sizes.iter().sum();
        let bytes = pattern(total, 2);
        put_parts(&f, name, &bytes, sizes, false).await;
        f.server.inject(flip(Some(2), 1));
        let batch = download(&f, &[name]).await;
        let summary = f.run_batch(&batch).await;
        assert_eq!((summary.completed, summary.failed), (1, 0), "{name}");
        assert!(landed(&f, name) == bytes, "{name}: the file is the object");
        let job = f.job(&batch);
        assert_eq!(job.verified.as_deref(), Some("multipart-etag"), "{name}");
        let parts: Vec<u32> = (1..=sizes.len() as u32).collect();
        let mut expected: Vec<Option<u32>> = parts.iter().map(|n| Some(*n)).collect();
        expected.extend(parts.iter().map(|n| Some(*n)));
        let mut got = gets(&f);
        got[..sizes.len()].sort();
        got[sizes.len()..].sort();
        assert_eq!(
            got, expected,
            "{name}: each part by number, then all again once"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_part_with_its_own_crc32c_is_fetched_again_alone_and_the_composite_checksum_checks_the_object()
 {
    let f = Fixture::new().await;
    let bytes = pattern(13 * MIB, 3);
    put_parts(&f, "crc.bin", &bytes, &[6 * MIB, 6 * MIB, MIB], true).await;
    f.server.inject(flip(Some(2), 1));
    let batch = download(&f, &["crc.bin"]).await;
    let summary = f.run_batch(&batch).await;
    assert_eq!((summary.completed, summary.failed), (1, 0));
    assert!(landed(&f, "crc.bin") == bytes);
    let mut got = gets(&f);
    got.sort();
    assert_eq!(
        got,
        [Some(1), Some(2), Some(2), Some(3)],
        "only part 2 again"
    );
    // The parts' CRC32Cs give the object's composite checksum (`<base64>-3`): that covers
    // every byte, so no MD5 is computed and the ETag is not what was checked.
    assert_eq!(f.job(&batch).verified.as_deref(), Some("crc32c"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn corruption_that_persists_fails_that_job_clearly_keeps_no_file_and_the_others_finish() {
    let f = Fixture::new().await;
    let bad = pattern(11 * MIB, 4);
    put_parts(&f, "bad.bin", &bad, &[5 * MIB, 5 * MIB, MIB], false).await;
    let good = pattern(MIB, 5);
    put_single(&f, "good.bin", &good).await;
    // Part 3 of bad.bin comes back damaged every time; good.bin is fetched whole, not by part.
    f.server.inject(flip(Some(3), 100));
    let batch = download(&f, &["bad.bin", "good.bin"]).await;
    let summary = f.run_batch(&batch).await;
    assert_eq!((summary.completed, summary.failed), (1, 1));
    assert!(landed(&f, "good.bin") == good);
    let mut names: Vec<String> = std::fs::read_dir(target(&f))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(names, ["good.bin"], "no bad.bin and no partial file of it");
    let jobs = f.core.jobs().unwrap();
    let failed = jobs.iter().find(|j| j.key == "bad.bin").unwrap();
    assert_eq!(failed.state, JobState::Failed);
    assert_eq!(
        failed.error_code,
        Some(hoist_core::ErrorKind::ChecksumMismatch)
    );
    let message = failed.error_message.as_deref().unwrap_or_default();
    assert!(
        message.contains("bad.bin") && message.contains("ETag") && message.contains("twice"),
        "{message}"
    );
    assert_eq!(failed.verified, None);
    assert_eq!(
        gets(&f).iter().filter(|p| **p == Some(3)).count(),
        2,
        "fetched whole twice, then given up: {:?}",
        gets(&f)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_corrupted_answer_after_a_resume_is_caught_and_only_missing_parts_were_fetched() {
    let f = Fixture::new().await;
    let bytes = pattern(16 * MIB, 6);
    put_parts(
        &f,
        "resumed.bin",
        &bytes,
        &[6 * MIB, 6 * MIB, 4 * MIB],
        false,
    )
    .await;
    f.server.inject(Fault {
        op: Op::GetObject,
        part_number: Some(3),
        action: FaultAction::Stall(Duration::from_secs(600)),
        times: 1,
    });
    let batch = download(&f, &["resumed.bin"]).await;
    let run = f.spawn_batch(&batch);
    let id = f.job(&batch).id.0;
    let db = f.db();
    f.wait_until("parts 1 and 2 recorded", || {
        db.query_row(
            "SELECT COUNT(*) FROM download_ranges WHERE job_id = ?1",
            [id],
            |r| r.get::<_, i64>(0),
        )
        .unwrap()
            == 2
    })
    .await;
    // Stop the engine as a quit would; its recorded parts stay.
    run.abort();
    let _ = run.await;
    f.server.inject(flip(Some(3), 1));
    let summary = f.run_batch(&batch).await;
    assert_eq!((summary.completed, summary.failed), (1, 0));
    assert!(landed(&f, "resumed.bin") == bytes);
    let after_stop: Vec<Option<u32>> = gets(&f)[3..].to_vec();
    assert_eq!(
        after_stop[0],
        Some(3),
        "the resumed run fetched only the missing part first: {:?}",
        gets(&f)
    );
    assert_eq!(
        after_stop.len(),
        4,
        "then, its ETag failing, the whole object once"
    );
    assert_eq!(f.job(&batch).verified.as_deref(), Some("multipart-etag"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_object_without_an_md5_etag_says_size_only() {
    let f = Fixture::new().await;
    let bytes = pattern(MIB, 7);
    put_single(&f, "plain.bin", &bytes).await;
    f.server.set_etag(BUCKET, "plain.bin", "kms-style-etag");
    let batch = download(&f, &["plain.bin"]).await;
    let summary = f.run_batch(&batch).await;
    assert_eq!((summary.completed, summary.failed), (1, 0));
    assert_eq!(f.job(&batch).verified.as_deref(), Some("size-only"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn copies_out_of_a_folder_destination_are_checked_by_md5_too() {
    let dir = tempfile::tempdir().unwrap();
    let (core, folder) = core_with_folder(dir.path());
    std::fs::create_dir_all(&folder).unwrap();
    // One range (5 MiB in the tests) and three.
    let small = pattern(MIB, 8);
    let big = pattern(12 * MIB, 9);
    std::fs::write(folder.join("small.bin"), &small).unwrap();
    std::fs::write(folder.join("big.bin"), &big).unwrap();
    let to = dir.path().join("downloads");
    let keys = vec!["small.bin".to_string(), "big.bin".to_string()];
    let report = core
        .enqueue_download(&Place::default(), &keys, &to, None)
        .await
        .unwrap();
    run_core_batch(&core, &report.batch).await;
    assert!(std::fs::read(to.join("small.bin")).unwrap() == small);
    assert!(std::fs::read(to.join("big.bin")).unwrap() == big);
    for job in core.batch_jobs(&report.batch).unwrap() {
        assert_eq!(job.state, JobState::Completed, "{job:?}");
        assert_eq!(job.verified.as_deref(), Some("md5"), "{}", job.key);
    }
}
