//! Uploads to a server that checks CRC32C (issue 19): once the connection test found that the
//! server refuses a wrong `x-amz-checksum-crc32c`, every PUT and part carries one instead of
//! Content-MD5 (no MD5 is computed), the multipart upload is created with the algorithm,
//! Complete lists each part's CRC32C, and the object's composite checksum is the one the
//! parts give, also for an upload paused and resumed from the database.

use crate::support::*;
use hoist_core::backend::fetch::{Checksum, ChecksumAlgorithm, ObjectChecksum};
use hoist_core::model::{JobState, Selection};
use hoist_test_s3::{Fault, FaultAction, Op};

async fn tested(f: &Fixture) {
    let report = tokio::time::timeout(WAIT, f.core.test_destination("test"))
        .await
        .expect("the connection test ends in time")
        .unwrap();
    let caps = report.capabilities.clone().unwrap();
    assert!(
        caps.checksum_headers && caps.crc32c_checked,
        "{:#?}",
        report.steps
    );
}

/// The composite checksum S3 keeps for `bytes` uploaded in parts of `part_size`.
fn composite(bytes: &[u8], part_size: usize) -> String {
    let crcs: Vec<Checksum> = bytes
        .chunks(part_size)
        .map(|c| Checksum::of(ChecksumAlgorithm::Crc32c, c))
        .collect();
    ObjectChecksum::of_parts(&crcs).unwrap().header_value()
}

async fn stored_checksum(f: &Fixture, key: &str) -> Option<String> {
    let head = f
        .sdk_client()
        .head_object()
        .bucket(BUCKET)
        .key(key)
        .checksum_mode(aws_sdk_s3::types::ChecksumMode::Enabled)
        .send()
        .await
        .unwrap();
    head.checksum_crc32_c().map(str::to_string)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_that_checks_crc32c_gets_it_with_every_body_and_no_content_md5() {
    let f = Fixture::new().await;
    tested(&f).await;
    let small = f.file("small.bin", 1000, 1);
    let big = f.file("big.bin", 11 * MIB, 2);
    let before = f.server.requests().len();
    let summary = f.run_batch(&f.enqueue(&[&small, &big])).await;
    assert_eq!((summary.completed, summary.failed), (2, 0));
    let bytes = pattern(11 * MIB, 2);
    assert_eq!(f.object("big.bin"), bytes);
    let requests = f.server.requests()[before..].to_vec();
    let bodies: Vec<_> = requests
        .iter()
        .filter(|r| matches!(r.op, Op::PutObject | Op::UploadPart) && r.status == 200)
        .collect();
    assert_eq!(
        bodies.len(),
        1 + 3,
        "one PUT and three parts: {requests:#?}"
    );
    for r in &bodies {
        assert!(r.header("x-amz-checksum-crc32c").is_some(), "{r:?}");
        assert!(r.header("content-md5").is_none(), "{r:?}");
    }
    let create = requests
        .iter()
        .find(|r| r.op == Op::CreateMultipartUpload)
        .unwrap();
    assert_eq!(create.header("x-amz-checksum-algorithm"), Some("CRC32C"));
    // The parts the engine sent (test_config's part size) give the object's composite checksum.
    let part_size = (bodies[1].body_bytes) as usize;
    assert_eq!(
        stored_checksum(&f, "big.bin").await.as_deref(),
        Some(composite(&bytes, part_size).as_str())
    );
    assert_eq!(
        stored_checksum(&f, "small.bin").await.as_deref(),
        Some(
            Checksum::of(ChecksumAlgorithm::Crc32c, &pattern(1000, 1))
                .header_value()
                .as_str()
        )
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_part_refused_for_its_digest_is_sent_again_and_the_upload_completes() {
    let f = Fixture::new().await;
    tested(&f).await;
    f.server.inject(Fault {
        op: Op::UploadPart,
        part_number: Some(2),
        action: FaultAction::Error {
            code: "InvalidDigest",
        },
        times: 1,
    });
    let big = f.file("refused.bin", 11 * MIB, 4);
    let batch = f.enqueue(&[&big]);
    let summary = f.run_batch(&batch).await;
    assert_eq!((summary.completed, summary.failed), (1, 0));
    assert_eq!(f.object("refused.bin"), pattern(11 * MIB, 4));
    let sends_of_two = f
        .server
        .requests()
        .iter()
        .filter(|r| r.op == Op::UploadPart && r.part_number == Some(2))
        .count();
    assert_eq!(sends_of_two, 2, "part 2 once refused, once stored");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_paused_crc32c_upload_resumes_from_the_database_with_its_checksums() {
    let f = Fixture::new().await;
    tested(&f).await;
    let before = f.server.requests().len();
    let (batch, run) = start_and_hold_at_part_three(&f, "resumed.bin").await;
    let id = f.job(&batch).id;
    let checksums: i64 = f
        .db()
        .query_row(
            "SELECT COUNT(*) FROM parts WHERE job_id = ?1 AND checksum LIKE 'crc32c:%' AND md5 = ''",
            [id.0],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(checksums, 3, "each committed part keeps its CRC32C, no MD5");
    f.core.pause(&Selection::Ids(vec![id])).unwrap();
    tokio::time::timeout(WAIT, run)
        .await
        .expect("the run ends once its batch is paused")
        .unwrap()
        .unwrap();
    assert_eq!(f.job(&batch).state, JobState::Paused);
    f.core.resume(&Selection::Ids(vec![id])).unwrap();
    let summary = f.run_batch(&batch).await;
    assert_eq!((summary.completed, summary.failed), (1, 0));
    let bytes = pattern(20 * MIB, 3);
    assert_eq!(f.object("resumed.bin"), bytes);
    let requests = f.server.requests()[before..].to_vec();
    let creates = requests
        .iter()
        .filter(|r| r.op == Op::CreateMultipartUpload)
        .count();
    assert_eq!(creates, 1, "one upload for the job, resumed");
    let part_size = requests
        .iter()
        .find(|r| r.op == Op::UploadPart && r.part_number == Some(1) && r.status == 200)
        .unwrap()
        .body_bytes as usize;
    assert_eq!(
        stored_checksum(&f, "resumed.bin").await.as_deref(),
        Some(composite(&bytes, part_size).as_str()),
        "Complete listed every part's CRC32C, the resumed one too"
    );
}
