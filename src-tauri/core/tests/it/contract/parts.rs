//! The contract's cases that resume depends on: a part sent twice (the second replaces the
//! first), a body whose digest is wrong (refused, nothing kept), a Complete that names a part
//! the server lacks (PartLost, which the engine answers by sending the part again, and the
//! upload is still whole), and a range or an empty body put as an object.

use super::*;

pub(super) async fn a_part_sent_twice_is_the_second(s: Subject) {
    let path = s.file("twice.bin", 10_000, 7);
    let key = s.key("twice.bin");
    let id = within(WAIT_SECS, s.backend.create_multipart(&key, None))
        .await
        .unwrap();
    let (first_body, first) = body(&path, 0, 4000).await;
    within(
        WAIT_SECS,
        s.backend.upload_part(&key, &id, 1, first_body, first),
    )
    .await
    .unwrap();
    let (second_body, second) = body(&path, 5000, 3000).await;
    let receipt = within(
        WAIT_SECS,
        s.backend.upload_part(&key, &id, 1, second_body, second),
    )
    .await
    .unwrap();
    assert_ne!(first, second);
    assert_eq!((receipt.part_number, receipt.size), (1, 3000));
    if let Some(listed) = within(WAIT_SECS, s.backend.list_parts(&key, &id))
        .await
        .unwrap()
    {
        let listed: Vec<(u32, u64, &str)> = listed
            .iter()
            .map(|p| (p.part_number, p.size, p.etag.as_str()))
            .collect();
        assert_eq!(listed, [(1, 3000, receipt.etag.as_str())]);
    }
    within(
        WAIT_SECS,
        s.backend.complete_multipart(&key, &id, &[receipt]),
    )
    .await
    .unwrap();
    let info = within(WAIT_SECS, s.backend.head_object(&key))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(info.size, 3000);
    if let Some(etag) = info.etag {
        assert_eq!(etag, multipart_etag(&[second.md5.unwrap()]));
    }
}

pub(super) async fn a_body_with_a_wrong_digest_is_refused_and_not_kept(s: Subject) {
    let path = s.file("wrong.bin", 3000, 9);
    let key = s.key("wrong.bin");
    let (put_body, good) = body(&path, 0, 3000).await;
    let mut wrong = good;
    if let Some(md5) = &mut wrong.md5 {
        md5[0] ^= 1;
    }
    let put = within(WAIT_SECS, s.backend.put_object(&key, put_body, wrong)).await;
    assert_eq!(put.unwrap_err().kind(), ErrorKind::ChecksumMismatch);
    assert_eq!(
        within(WAIT_SECS, s.backend.head_object(&key))
            .await
            .unwrap(),
        None
    );
    let id = within(WAIT_SECS, s.backend.create_multipart(&key, None))
        .await
        .unwrap();
    let (part_body, _) = body(&path, 0, 3000).await;
    let part = within(
        WAIT_SECS,
        s.backend.upload_part(&key, &id, 1, part_body, wrong),
    )
    .await;
    assert_eq!(part.unwrap_err().kind(), ErrorKind::ChecksumMismatch);
    if let Some(listed) = within(WAIT_SECS, s.backend.list_parts(&key, &id))
        .await
        .unwrap()
    {
        assert!(listed.is_empty(), "a refused part was kept: {listed:?}");
    }
    within(WAIT_SECS, s.backend.abort_multipart(&key, &id))
        .await
        .unwrap();
}

pub(super) async fn a_part_the_server_lacks_is_lost_and_the_upload_survives(s: Subject) {
    let len = 5 * MIB + 100;
    let path = s.file("lost.bin", len, 11);
    let key = s.key("lost.bin");
    let id = within(WAIT_SECS, s.backend.create_multipart(&key, None))
        .await
        .unwrap();
    let mut parts = Vec::new();
    for (number, offset, length) in [(1u32, 0u64, 5 * MIB as u64), (2, 5 * MIB as u64, 100)] {
        let (part_body, digest) = body(&path, offset, length).await;
        parts.push(
            within(
                WAIT_SECS,
                s.backend.upload_part(&key, &id, number, part_body, digest),
            )
            .await
            .unwrap(),
        );
    }
    let mut other_etag = parts.clone();
    other_etag[1].etag = "0123456789abcdef0123456789abcdef".into();
    let mut never_sent = parts.clone();
    never_sent.push(hoist_core::model::PartReceipt {
        part_number: 3,
        ..parts[1].clone()
    });
    for bad in [other_etag, never_sent] {
        let completed = within(WAIT_SECS, s.backend.complete_multipart(&key, &id, &bad)).await;
        assert_eq!(completed.unwrap_err().kind(), ErrorKind::PartLost);
    }
    // Nothing the server holds was lost: the right list still completes the upload.
    let done = within(WAIT_SECS, s.backend.complete_multipart(&key, &id, &parts))
        .await
        .unwrap();
    assert_eq!(done.size, len as u64);
}

pub(super) async fn a_range_and_an_empty_body_are_objects(s: Subject) {
    let path = s.file("range.bin", 1000, 2);
    let (range_body, digest) = body(&path, 100, 250).await;
    let progress = Arc::clone(&range_body.progress);
    within(
        WAIT_SECS,
        s.backend.put_object(&s.key("range"), range_body, digest),
    )
    .await
    .unwrap();
    assert_eq!(progress.load(std::sync::atomic::Ordering::Relaxed), 250);
    let info = within(WAIT_SECS, s.backend.head_object(&s.key("range")))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(info.size, 250);
    let md5 = within(WAIT_SECS, s.backend.object_md5(&s.key("range")))
        .await
        .unwrap()
        .or(info.etag.and_then(|e| hex::decode(e).ok()?.try_into().ok()));
    if let Some(md5) = md5 {
        assert_eq!(Some(md5), digest.md5);
    }
    let (empty_body, empty) = body(&path, 0, 0).await;
    within(
        WAIT_SECS,
        s.backend.put_object(&s.key("empty"), empty_body, empty),
    )
    .await
    .unwrap();
    let info = within(WAIT_SECS, s.backend.head_object(&s.key("empty")))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(info.size, 0);
}
