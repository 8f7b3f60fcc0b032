//! `hoist get` through a proxy in front of Garage that flips one byte of GET answers (status
//! and headers intact), for each object shape put by another client: a single-part object, and
//! multipart objects with parts of Hoist's range size (8 MiB), of another size, and of unequal
//! sizes. One bad answer is caught and the object fetched again, so the file is whole; bad
//! answers that keep coming fail the job naming the object, and nothing is left under its name.
//! Regression test for "downloads accept corrupted bytes".

use crate::common::*;
use crate::garage::{client, garage};
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const MIB: usize = 1024 * 1024;

/// tests/lib/count_proxy.py in front of Garage, damaging `flips` GET answers (-1: all) for
/// paths containing `matching`.
struct FlipProxy {
    child: Child,
    port: u16,
    counts: PathBuf,
}

impl FlipProxy {
    fn start(upstream: &str, dir: &Path, matching: &str, flips: i64) -> FlipProxy {
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/lib/count_proxy.py");
        let counts = dir.join(format!("counts-{}.json", rand_suffix()));
        let upstream = upstream.trim_start_matches("http://").trim_end_matches('/');
        let mut child = Command::new("python3")
            .arg(script)
            .arg(upstream)
            .arg(&counts)
            .arg(matching)
            .arg(flips.to_string())
            .stdout(Stdio::piped())
            .spawn()
            .expect("python3 runs the proxy");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let port = line
            .trim()
            .strip_prefix("port=")
            .and_then(|p| p.parse().ok())
            .unwrap_or_else(|| panic!("the proxy said {line:?}"));
        FlipProxy {
            child,
            port,
            counts,
        }
    }

    fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Stops the proxy and returns how many answers it damaged.
    fn stop(mut self) -> u64 {
        let _ = Command::new("kill")
            .arg(self.child.id().to_string())
            .status();
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if let Ok(text) = std::fs::read_to_string(&self.counts)
                && let Ok(counts) = serde_json::from_str::<serde_json::Value>(&text)
            {
                let _ = self.child.wait();
                return counts["FLIPPED"].as_u64().unwrap_or(0);
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!("the proxy wrote no counts");
    }
}

impl Drop for FlipProxy {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn rand_suffix() -> u128 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos()
}

async fn put_parts(
    s3: &aws_sdk_s3::Client,
    bucket: &str,
    key: &str,
    bytes: &[u8],
    sizes: &[usize],
) {
    let id = s3
        .create_multipart_upload()
        .bucket(bucket)
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
        let number = i as i32 + 1;
        let out = s3
            .upload_part()
            .bucket(bucket)
            .key(key)
            .upload_id(&id)
            .part_number(number)
            .body(bytes[offset..end].to_vec().into())
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
        .bucket(bucket)
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

/// The `verified` of the job that downloaded `key`, from `hoist queue --json`.
fn verified(hoist: &Hoist, key: &str) -> Option<String> {
    let queue = hoist.run(&["queue", "--json"]);
    let jobs: serde_json::Value = serde_json::from_slice(&queue.stdout).unwrap();
    jobs.as_array()
        .unwrap()
        .iter()
        .rev()
        .find(|j| j["key"] == key && j["direction"] == "download")
        .and_then(|j| j["verified"].as_str().map(str::to_string))
}

#[test]
fn corrupted_answers_from_garage_are_fetched_again_and_persistent_ones_fail_clearly() {
    let Some(g) = garage() else { return };
    if !keychain_available("garage checks") {
        return;
    }
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let s3 = client(&g);
    let dir = tempfile::tempdir().unwrap();
    let hoist = Hoist::new(dir.path());
    let top = format!("checks-{}", std::process::id());
    let shapes: [(&str, usize, &[usize], &str); 4] = [
        // The SDK's single PUT carries a CRC32, which Garage keeps: that covers every byte,
        // so it is the check (no MD5 is computed).
        ("single.bin", 3_000_000, &[], "crc32"),
        (
            "range-size.bin",
            26 * MIB,
            &[8 * MIB, 8 * MIB, 8 * MIB],
            "multipart-etag",
        ),
        ("other-size.bin", 20 * MIB, &[16 * MIB], "multipart-etag"),
        (
            "unequal.bin",
            20 * MIB,
            &[7 * MIB, 5 * MIB, 6 * MIB],
            "multipart-etag",
        ),
    ];
    let mut expected = Vec::new();
    runtime.block_on(async {
        for (i, (name, len, sizes, _)) in shapes.iter().enumerate() {
            let key = format!("{top}/{name}");
            let bytes = hoist_test_s3::pattern(*len, i as u8);
            if sizes.is_empty() {
                s3.put_object()
                    .bucket(&g.bucket)
                    .key(&key)
                    .body(bytes.clone().into())
                    .send()
                    .await
                    .unwrap();
            } else {
                let mut all = sizes.to_vec();
                all.push(0);
                put_parts(&s3, &g.bucket, &key, &bytes, &all).await;
            }
            expected.push(bytes);
        }
    });

    for (i, (name, _, _, how)) in shapes.iter().enumerate() {
        let key = format!("{top}/{name}");
        let proxy = FlipProxy::start(&g.endpoint, dir.path(), &key, 1);
        let destination = format!("flip{i}");
        hoist.add_destination(
            &destination,
            &proxy.endpoint(),
            &g.bucket,
            &g.access_key,
            &g.secret_key,
        );
        let to = dir.path().join(format!("to{i}"));
        let got = hoist.run(&[
            "get",
            "--destination",
            &destination,
            &key,
            "--to",
            to.to_str().unwrap(),
        ]);
        assert!(
            got.status.success(),
            "{name}: {}",
            String::from_utf8_lossy(&got.stderr)
        );
        assert_eq!(proxy.stop(), 1, "{name}: one answer was damaged");
        let file = std::fs::read(to.join(name)).unwrap();
        assert!(file == expected[i], "{name}: the file is the object");
        let verified = verified(&hoist, &key).unwrap_or_default();
        eprintln!("{name}: verified {verified}");
        assert!(verified.starts_with(how), "{name}: verified {verified}");
    }

    // Every answer damaged: the job fails naming the object, and nothing takes its name.
    let key = format!("{top}/range-size.bin");
    let proxy = FlipProxy::start(&g.endpoint, dir.path(), &key, -1);
    hoist.add_destination(
        "always",
        &proxy.endpoint(),
        &g.bucket,
        &g.access_key,
        &g.secret_key,
    );
    let to = dir.path().join("always");
    let got = hoist.run(&[
        "get",
        "--destination",
        "always",
        &key,
        "--to",
        to.to_str().unwrap(),
    ]);
    assert!(
        !got.status.success(),
        "a download that never matched succeeded"
    );
    let stderr = String::from_utf8_lossy(&got.stderr);
    assert!(
        stderr.contains(&key) && stderr.contains("did not match"),
        "{stderr}"
    );
    let left: Vec<_> = std::fs::read_dir(&to)
        .map(|d| d.flatten().map(|e| e.file_name()).collect())
        .unwrap_or_default();
    assert!(left.is_empty(), "nothing is left in the folder: {left:?}");
    assert!(proxy.stop() >= 6, "every part was damaged twice");
}

/// Issue 19: a destination whose connection test found Garage checking CRC32C uploads with
/// it (no MD5 computed), Garage keeps the objects' CRC32C (a composite one for the multipart
/// object), and a download checks the bytes against it, again without MD5: one damaged answer
/// is caught by the composite checksum (Garage gives no per-part checksums) and the object
/// fetched again.
#[test]
fn uploads_checked_by_crc32c_are_downloaded_and_checked_by_it() {
    let Some(g) = garage() else { return };
    if !keychain_available("garage crc32c") {
        return;
    }
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let s3 = client(&g);
    let dir = tempfile::tempdir().unwrap();
    let hoist = Hoist::new(dir.path());
    let top = format!("crc-{}", std::process::id());
    hoist.add_destination("g", &g.endpoint, &g.bucket, &g.access_key, &g.secret_key);
    let tested = hoist.run(&["destination", "test", "g"]);
    let report = String::from_utf8_lossy(&tested.stdout);
    assert!(tested.status.success(), "{report}");
    assert!(
        report.contains("x-amz-checksum-crc32c") && report.contains("a wrong one is refused"),
        "{report}"
    );
    let src = dir.path().join("src");
    std::fs::create_dir_all(&src).unwrap();
    let files = [
        ("big.bin", hoist_test_s3::pattern(26 * MIB, 7)),
        ("small.bin", hoist_test_s3::pattern(300_000, 8)),
    ];
    for (name, bytes) in &files {
        std::fs::write(src.join(name), bytes).unwrap();
    }
    let up = hoist.run(&[
        "upload",
        "--destination",
        "g",
        "--prefix",
        &format!("{top}/"),
        src.join("big.bin").to_str().unwrap(),
        src.join("small.bin").to_str().unwrap(),
    ]);
    assert!(
        up.status.success(),
        "{}",
        String::from_utf8_lossy(&up.stderr)
    );
    for (name, _) in &files {
        let head = runtime
            .block_on(
                s3.head_object()
                    .bucket(&g.bucket)
                    .key(format!("{top}/{name}"))
                    .checksum_mode(aws_sdk_s3::types::ChecksumMode::Enabled)
                    .send(),
            )
            .unwrap();
        let kept = head.checksum_crc32_c().unwrap_or_default().to_string();
        let multipart = head.e_tag().unwrap_or_default().contains('-');
        assert!(!kept.is_empty(), "{name}: Garage keeps a CRC32C");
        assert_eq!(kept.contains('-'), multipart, "{name}: {kept}");
    }
    for (i, (name, bytes)) in files.iter().enumerate() {
        let key = format!("{top}/{name}");
        let proxy = FlipProxy::start(&g.endpoint, dir.path(), &key, 1);
        let destination = format!("crcflip{i}");
        hoist.add_destination(
            &destination,
            &proxy.endpoint(),
            &g.bucket,
            &g.access_key,
            &g.secret_key,
        );
        let to = dir.path().join(format!("crcto{i}"));
        let got = hoist.run(&[
            "get",
            "--destination",
            &destination,
            &key,
            "--to",
            to.to_str().unwrap(),
        ]);
        assert!(
            got.status.success(),
            "{name}: {}",
            String::from_utf8_lossy(&got.stderr)
        );
        assert_eq!(proxy.stop(), 1, "{name}: one answer was damaged");
        assert!(
            std::fs::read(to.join(name)).unwrap() == *bytes,
            "{name}: the file is the object"
        );
        assert_eq!(verified(&hoist, &key).as_deref(), Some("crc32c"), "{name}");
    }
}
