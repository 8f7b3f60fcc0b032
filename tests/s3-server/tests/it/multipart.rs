//! aws-sdk-s3 multipart uploads against the test server: AWS's rules and answers.

use crate::common::*;

use aws_sdk_s3::primitives::ByteStream;

#[tokio::test]
async fn multipart_upload_with_the_sdk() {
    let s3 = server().await;
    let client = client(&s3);
    let p1 = data(5 * MIB, 1);
    let p2 = data(1, 2);
    let id = create_upload(&client, "big.bin").await;
    let id2 = create_upload(&client, "big.bin").await;
    assert_ne!(id, id2, "every CreateMultipartUpload gets a new upload id");
    assert_eq!(s3.pending_uploads(BUCKET).len(), 2);

    let e1 = upload_part(&client, "big.bin", &id, 1, &p1).await;
    let e2 = upload_part(&client, "big.bin", &id, 2, &p2).await;
    assert_eq!(e1, quoted(&md5_hex(&p1)));
    assert_eq!(e2, quoted(&md5_hex(&p2)));

    let parts = within(
        "list_parts",
        client
            .list_parts()
            .bucket(BUCKET)
            .key("big.bin")
            .upload_id(&id)
            .send(),
    )
    .await
    .unwrap();
    let listed: Vec<_> = parts
        .parts()
        .iter()
        .map(|p| {
            (
                p.part_number().unwrap(),
                p.e_tag().unwrap().to_owned(),
                p.size().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        listed,
        [(1, e1.clone(), 5 * 1024 * 1024), (2, e2.clone(), 1)]
    );
    assert_eq!(parts.is_truncated(), Some(false));

    let done = within(
        "complete",
        send_complete(&client, "big.bin", &id, &[(1, &e1), (2, &e2)]),
    )
    .await
    .unwrap();
    let etag = multipart_etag(&[&p1, &p2]);
    assert_eq!(done.e_tag(), Some(etag.as_str()));
    assert_eq!(
        s3.pending_uploads(BUCKET),
        [("big.bin".to_owned(), id2.clone())]
    );

    let head = within(
        "head",
        client.head_object().bucket(BUCKET).key("big.bin").send(),
    )
    .await
    .unwrap();
    assert_eq!(head.content_length(), Some(5 * 1024 * 1024 + 1));
    assert_eq!(head.e_tag(), Some(etag.as_str()));
    let got = within(
        "get",
        client.get_object().bucket(BUCKET).key("big.bin").send(),
    )
    .await
    .unwrap();
    let bytes = within("read", got.body.collect())
        .await
        .unwrap()
        .into_bytes();
    assert_eq!(bytes.len(), p1.len() + 1);
    assert!(bytes[..p1.len()] == p1[..] && bytes[p1.len()..] == p2[..]);
    let on_disk = std::fs::metadata(s3.object_path(BUCKET, "big.bin").unwrap()).unwrap();
    assert_eq!(on_disk.len(), 5 * 1024 * 1024 + 1);

    let gone = failure(
        within(
            "again",
            send_complete(&client, "big.bin", &id, &[(1, &e1), (2, &e2)]),
        )
        .await,
    );
    assert_eq!(
        (gone.status, gone.code.as_deref()),
        (Some(404), Some("NoSuchUpload"))
    );

    let uploads = within(
        "list uploads",
        client
            .list_multipart_uploads()
            .bucket(BUCKET)
            .prefix("big")
            .send(),
    )
    .await
    .unwrap();
    let ids: Vec<_> = uploads
        .uploads()
        .iter()
        .filter_map(|u| u.upload_id())
        .collect();
    assert_eq!(ids, [id2.as_str()]);
    within(
        "abort",
        client
            .abort_multipart_upload()
            .bucket(BUCKET)
            .key("big.bin")
            .upload_id(&id2)
            .send(),
    )
    .await
    .unwrap();
    assert!(s3.pending_uploads(BUCKET).is_empty());
    let gone = failure(
        within(
            "abort again",
            client
                .abort_multipart_upload()
                .bucket(BUCKET)
                .key("big.bin")
                .upload_id(&id2)
                .send(),
        )
        .await,
    );
    assert_eq!(
        (gone.status, gone.code.as_deref()),
        (Some(404), Some("NoSuchUpload"))
    );
}

#[tokio::test]
async fn list_parts_paginates_and_reupload_replaces() {
    let s3 = server().await;
    let client = client(&s3);
    let id = create_upload(&client, "k").await;
    for n in [3, 1, 5, 2, 4] {
        upload_part(&client, "k", &id, n, &data(10, 0)).await;
    }
    let replaced = upload_part(&client, "k", &id, 2, b"new bytes").await;
    assert_eq!(replaced, quoted(&md5_hex(b"new bytes")));

    let mut seen = Vec::new();
    let mut marker = None;
    loop {
        let out = within(
            "list_parts",
            client
                .list_parts()
                .bucket(BUCKET)
                .key("k")
                .upload_id(&id)
                .max_parts(2)
                .set_part_number_marker(marker.clone())
                .send(),
        )
        .await
        .unwrap();
        assert!(out.parts().len() <= 2);
        seen.extend(
            out.parts()
                .iter()
                .map(|p| (p.part_number().unwrap(), p.size().unwrap())),
        );
        if out.is_truncated() != Some(true) {
            break;
        }
        marker = out.next_part_number_marker().map(str::to_owned);
    }
    assert_eq!(seen, [(1, 10), (2, 9), (3, 10), (4, 10), (5, 10)]);
}

#[tokio::test]
async fn complete_enforces_s3_rules() {
    let s3 = server().await;
    let client = client(&s3);
    let id = create_upload(&client, "k").await;
    let small = upload_part(&client, "k", &id, 1, b"small").await;
    let last = upload_part(&client, "k", &id, 2, b"last").await;

    let f = failure(
        within(
            "complete",
            send_complete(&client, "k", &id, &[(1, &small), (2, &last)]),
        )
        .await,
    );
    assert_eq!(
        (f.status, f.code.as_deref()),
        (Some(400), Some("EntityTooSmall"))
    );
    let f = failure(
        within(
            "complete",
            send_complete(&client, "k", &id, &[(1, "\"0123\""), (2, &last)]),
        )
        .await,
    );
    assert_eq!(
        (f.status, f.code.as_deref()),
        (Some(400), Some("InvalidPart"))
    );
    let f = failure(
        within(
            "complete",
            send_complete(&client, "k", &id, &[(1, &small), (3, &last)]),
        )
        .await,
    );
    assert_eq!(f.code.as_deref(), Some("InvalidPart"));
    let f = failure(
        within(
            "complete",
            send_complete(&client, "k", &id, &[(2, &last), (1, &small)]),
        )
        .await,
    );
    assert_eq!(
        (f.status, f.code.as_deref()),
        (Some(400), Some("InvalidPartOrder"))
    );
    let f = failure(
        within(
            "complete",
            send_complete(&client, "k", "no-such-id", &[(1, &small)]),
        )
        .await,
    );
    assert_eq!(
        (f.status, f.code.as_deref()),
        (Some(404), Some("NoSuchUpload"))
    );
    assert_eq!(
        s3.pending_uploads(BUCKET).len(),
        1,
        "failed completions keep the upload"
    );

    // A single part may be small; parts not listed are discarded.
    let done = within("complete", send_complete(&client, "k", &id, &[(2, &last)]))
        .await
        .unwrap();
    assert_eq!(done.e_tag(), Some(multipart_etag(&[b"last"]).as_str()));
    assert_eq!(s3.object(BUCKET, "k").as_deref(), Some(b"last".as_slice()));
    assert!(s3.pending_uploads(BUCKET).is_empty());
}

#[tokio::test]
async fn unknown_upload_ids_and_buckets() {
    let s3 = server().await;
    let client = client(&s3);
    let f = failure(within("part", send_part(&client, "k", "nope", 1, &data(MIB, 3))).await);
    assert_eq!(
        (f.status, f.code.as_deref()),
        (Some(404), Some("NoSuchUpload"))
    );
    let f = failure(
        within(
            "list",
            client
                .list_parts()
                .bucket(BUCKET)
                .key("k")
                .upload_id("nope")
                .send(),
        )
        .await,
    );
    assert_eq!(
        (f.status, f.code.as_deref()),
        (Some(404), Some("NoSuchUpload"))
    );
    let f = failure(
        within(
            "abort",
            client
                .abort_multipart_upload()
                .bucket(BUCKET)
                .key("k")
                .upload_id("nope")
                .send(),
        )
        .await,
    );
    assert_eq!(
        (f.status, f.code.as_deref()),
        (Some(404), Some("NoSuchUpload"))
    );
    let id = create_upload(&client, "k").await;
    let f = failure(
        within(
            "other key",
            client
                .list_parts()
                .bucket(BUCKET)
                .key("other")
                .upload_id(&id)
                .send(),
        )
        .await,
    );
    assert_eq!(f.code.as_deref(), Some("NoSuchUpload"));

    let f = failure(
        within(
            "put",
            client
                .put_object()
                .bucket("missing")
                .key("k")
                .body(ByteStream::from_static(b"x"))
                .send(),
        )
        .await,
    );
    assert_eq!(
        (f.status, f.code.as_deref()),
        (Some(404), Some("NoSuchBucket"))
    );
    let f = failure(
        within(
            "create",
            client
                .create_multipart_upload()
                .bucket("missing")
                .key("k")
                .send(),
        )
        .await,
    );
    assert_eq!(f.code.as_deref(), Some("NoSuchBucket"));
    let f = failure(within("head bucket", client.head_bucket().bucket("missing").send()).await);
    assert_eq!(f.status, Some(404));
    within("head bucket", client.head_bucket().bucket(BUCKET).send())
        .await
        .unwrap();
    within(
        "create bucket",
        client.create_bucket().bucket("second").send(),
    )
    .await
    .unwrap();
    let buckets = within("list buckets", client.list_buckets().send())
        .await
        .unwrap();
    let names: Vec<_> = buckets.buckets().iter().filter_map(|b| b.name()).collect();
    assert_eq!(names, [BUCKET, "second"]);
}

#[tokio::test]
async fn integrity_values_are_verified() {
    let s3 = server().await;
    let client = client(&s3);
    let id = create_upload(&client, "k").await;
    let body = data(1000, 9);

    let wrong_md5 = client
        .upload_part()
        .bucket(BUCKET)
        .key("k")
        .upload_id(&id)
        .part_number(1)
        .content_md5(content_md5(b"other"))
        .body(ByteStream::from(body.clone()))
        .send();
    let f = failure(within("part", wrong_md5).await);
    assert_eq!(
        (f.status, f.code.as_deref()),
        (Some(400), Some("BadDigest"))
    );

    let crc = |d: &[u8]| b64(&crc32c::crc32c(d).to_be_bytes());
    let wrong_crc = client
        .upload_part()
        .bucket(BUCKET)
        .key("k")
        .upload_id(&id)
        .part_number(1)
        .checksum_crc32_c(crc(b"other"))
        .body(ByteStream::from(body.clone()))
        .send();
    let f = failure(within("part", wrong_crc).await);
    assert_eq!(
        (f.status, f.code.as_deref()),
        (Some(400), Some("BadDigest"))
    );
    assert!(
        within(
            "parts",
            client
                .list_parts()
                .bucket(BUCKET)
                .key("k")
                .upload_id(&id)
                .send()
        )
        .await
        .unwrap()
        .parts()
        .is_empty()
    );

    let good = client
        .upload_part()
        .bucket(BUCKET)
        .key("k")
        .upload_id(&id)
        .part_number(1)
        .content_md5(content_md5(&body))
        .checksum_crc32_c(crc(&body))
        .body(ByteStream::from(body.clone()))
        .send();
    let out = within("part", good).await.unwrap();
    assert_eq!(out.checksum_crc32_c(), Some(crc(&body).as_str()));

    let f = failure(
        within(
            "put",
            client
                .put_object()
                .bucket(BUCKET)
                .key("p")
                .content_md5(content_md5(b"other"))
                .body(ByteStream::from(body.clone()))
                .send(),
        )
        .await,
    );
    assert_eq!(
        (f.status, f.code.as_deref()),
        (Some(400), Some("BadDigest"))
    );
    assert_eq!(s3.object(BUCKET, "p"), None);
}

#[tokio::test]
async fn list_parts_can_be_switched_off() {
    let s3 = server().await;
    let client = client(&s3);
    let id = create_upload(&client, "k").await;
    s3.set_list_parts_supported(false);
    let f = failure(
        within(
            "list",
            client
                .list_parts()
                .bucket(BUCKET)
                .key("k")
                .upload_id(&id)
                .send(),
        )
        .await,
    );
    assert_eq!(
        (f.status, f.code.as_deref()),
        (Some(501), Some("NotImplemented"))
    );
    s3.set_list_parts_supported(true);
    within(
        "list",
        client
            .list_parts()
            .bucket(BUCKET)
            .key("k")
            .upload_id(&id)
            .send(),
    )
    .await
    .unwrap();
}

#[tokio::test]
async fn concurrent_parts() {
    let s3 = server().await;
    let client = client(&s3);
    let id = create_upload(&client, "par").await;
    let bodies: Vec<Vec<u8>> = (1..=4u8).map(|n| data(5 * MIB, n)).collect();
    let sends = (1..)
        .zip(&bodies)
        .map(|(n, b)| upload_part(&client, "par", &id, n, b));
    let etags = within("parts", futures_util::future::join_all(sends)).await;
    let listed: Vec<(i32, &str)> = (1..).zip(etags.iter().map(String::as_str)).collect();
    let done = within("complete", send_complete(&client, "par", &id, &listed))
        .await
        .unwrap();
    let refs: Vec<&[u8]> = bodies.iter().map(Vec::as_slice).collect();
    assert_eq!(done.e_tag(), Some(multipart_etag(&refs).as_str()));
}
