//! A 256 MiB multipart upload streamed from files (ignored by default as it is heavy for a
//! shared 2-core machine: `cargo test -p hoist-test-s3 --test large -- --ignored`).

use crate::common::*;

use std::io::Write as _;
use std::time::Instant;

use aws_sdk_s3::primitives::ByteStream;

#[tokio::test]
#[ignore = "heavy: 256 MiB through the server"]
async fn large_multipart_from_files() {
    let s3 = server().await;
    let client = client(&s3);
    let dir = tempfile::tempdir().unwrap();
    let block = data(MIB, 7);
    let mut parts = Vec::new();
    for n in 1..=4u8 {
        let path = dir.path().join(format!("part{n}"));
        let mut file = std::io::BufWriter::new(std::fs::File::create(&path).unwrap());
        for _ in 0..64 {
            file.write_all(&block).unwrap();
        }
        file.write_all(&[n]).unwrap();
        file.flush().unwrap();
        parts.push(path);
    }
    let started = Instant::now();
    let id = create_upload(&client, "large.bin").await;
    let mut etags = Vec::new();
    for (n, path) in (1..).zip(&parts) {
        let body = within("open", ByteStream::from_path(path)).await.unwrap();
        let send = client
            .upload_part()
            .bucket(BUCKET)
            .key("large.bin")
            .upload_id(&id)
            .part_number(n)
            .body(body)
            .send();
        etags.push((
            n,
            within("part", send)
                .await
                .unwrap()
                .e_tag()
                .unwrap()
                .to_owned(),
        ));
    }
    let listed: Vec<(i32, &str)> = etags.iter().map(|(n, e)| (*n, e.as_str())).collect();
    within(
        "complete",
        send_complete(&client, "large.bin", &id, &listed),
    )
    .await
    .unwrap();
    eprintln!("256 MiB multipart upload in {:?}", started.elapsed());
    let stored = s3.object_path(BUCKET, "large.bin").unwrap();
    assert_eq!(
        std::fs::metadata(stored).unwrap().len(),
        4 * (64 * MIB as u64 + 1)
    );
}
