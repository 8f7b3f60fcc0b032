//! The contract's upload cases: put then head, multipart in any order, abort, unknown
//! uploads, incomplete-upload listing; and a ranged fetch written at its offset.

use super::*;

pub(super) async fn put_then_head(s: Subject) {
    assert_eq!(
        within(WAIT_SECS, s.backend.head_object(&s.key("a.bin")))
            .await
            .unwrap(),
        None
    );
    let path = s.file("a.bin", 70_000, 1);
    s.put("a.bin", &path).await.unwrap();
    let info = within(WAIT_SECS, s.backend.head_object(&s.key("a.bin")))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(info.size, 70_000);
    let md5 = hex::encode(Md5::digest(std::fs::read(&path).unwrap()));
    if let Some(etag) = info.etag {
        assert_eq!(etag, md5, "a single PUT's ETag is the MD5 of its bytes");
    }
    // A second PUT replaces the object.
    let smaller = s.file("b.bin", 10, 2);
    s.put("a.bin", &smaller).await.unwrap();
    let info = within(WAIT_SECS, s.backend.head_object(&s.key("a.bin")))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(info.size, 10);
}

pub(super) async fn multipart_parts_in_any_order(s: Subject) {
    let len = 2 * 5 * MIB + 1;
    let path = s.file("big.bin", len, 3);
    let key = s.key("big.bin");
    let id = within(WAIT_SECS, s.backend.create_multipart(&key, None))
        .await
        .unwrap();
    let ranges = [
        (3u32, 10 * MIB as u64, 1u64),
        (1, 0, 5 * MIB as u64),
        (2, 5 * MIB as u64, 5 * MIB as u64),
    ];
    let mut receipts = Vec::new();
    let mut md5s = std::collections::BTreeMap::new();
    for (number, offset, length) in ranges {
        let (body, digest) = body(&path, offset, length).await;
        md5s.insert(number, digest.md5.unwrap());
        let receipt = within(
            WAIT_SECS,
            s.backend.upload_part(&key, &id, number, body, digest),
        )
        .await
        .unwrap();
        assert_eq!((receipt.part_number, receipt.size), (number, length));
        receipts.push(receipt);
    }
    if let Some(listed) = within(WAIT_SECS, s.backend.list_parts(&key, &id))
        .await
        .unwrap()
    {
        let numbers: Vec<(u32, u64)> = listed.iter().map(|p| (p.part_number, p.size)).collect();
        assert_eq!(numbers, [(1, 5 * MIB as u64), (2, 5 * MIB as u64), (3, 1)]);
    }
    receipts.sort_by_key(|r| r.part_number);
    let done = within(
        WAIT_SECS,
        s.backend.complete_multipart(&key, &id, &receipts),
    )
    .await
    .unwrap();
    assert_eq!(done.size, len as u64);
    let info = within(WAIT_SECS, s.backend.head_object(&key))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(info.size, len as u64);
    let expected = multipart_etag(&md5s.values().copied().collect::<Vec<_>>());
    if let Some(etag) = info.etag.or(done.etag) {
        assert_eq!(etag, expected);
    }
    let md5 = within(WAIT_SECS, s.backend.object_md5(&key)).await.unwrap();
    if let Some(md5) = md5 {
        assert_eq!(
            md5,
            <[u8; 16]>::from(Md5::digest(std::fs::read(&path).unwrap()))
        );
    }
}

pub(super) async fn abort_is_idempotent_and_ends_the_upload(s: Subject) {
    let path = s.file("p.bin", 1000, 4);
    let key = s.key("aborted.bin");
    let id = within(WAIT_SECS, s.backend.create_multipart(&key, None))
        .await
        .unwrap();
    let (part, digest) = body(&path, 0, 1000).await;
    let receipt = within(WAIT_SECS, s.backend.upload_part(&key, &id, 1, part, digest))
        .await
        .unwrap();
    within(WAIT_SECS, s.backend.abort_multipart(&key, &id))
        .await
        .unwrap();
    within(WAIT_SECS, s.backend.abort_multipart(&key, &id))
        .await
        .unwrap();
    let completed = within(
        WAIT_SECS,
        s.backend.complete_multipart(&key, &id, &[receipt]),
    )
    .await;
    assert_eq!(completed.unwrap_err().kind(), ErrorKind::NoSuchUpload);
    assert_eq!(
        within(WAIT_SECS, s.backend.head_object(&key))
            .await
            .unwrap(),
        None
    );
}

pub(super) async fn an_unknown_upload_id_is_no_such_upload(s: Subject) {
    let path = s.file("p.bin", 100, 5);
    let key = s.key("never.bin");
    let unknown = hex::encode(rand::random::<[u8; 16]>());
    let (part, digest) = body(&path, 0, 100).await;
    let sent = within(
        WAIT_SECS,
        s.backend.upload_part(&key, &unknown, 1, part, digest),
    )
    .await;
    assert_eq!(sent.unwrap_err().kind(), ErrorKind::NoSuchUpload);
    // Aborting what does not exist is fine: a cancelled job may abort twice.
    within(WAIT_SECS, s.backend.abort_multipart(&key, &unknown))
        .await
        .unwrap();
}

pub(super) async fn incomplete_uploads_are_listed_under_their_prefix(s: Subject) {
    let key = s.key("pending.bin");
    let id = within(WAIT_SECS, s.backend.create_multipart(&key, None))
        .await
        .unwrap();
    let listed = within(WAIT_SECS, s.backend.list_multipart_uploads(&s.prefix))
        .await
        .unwrap();
    if let Some(uploads) = listed {
        let mine: Vec<_> = uploads.iter().filter(|u| u.upload_id == id).collect();
        assert_eq!(mine.len(), 1, "{uploads:?}");
        assert_eq!(mine[0].key, key);
        let elsewhere = within(WAIT_SECS, s.backend.list_multipart_uploads("elsewhere/"))
            .await
            .unwrap();
        assert!(
            !elsewhere
                .unwrap_or_default()
                .iter()
                .any(|u| u.upload_id == id)
        );
    }
    within(WAIT_SECS, s.backend.abort_multipart(&key, &id))
        .await
        .unwrap();
    let after = within(WAIT_SECS, s.backend.list_multipart_uploads(&s.prefix))
        .await
        .unwrap();
    assert!(!after.unwrap_or_default().iter().any(|u| u.upload_id == id));
}

pub(super) async fn a_range_is_written_at_its_offset_and_a_missing_object_is_not_found(s: Subject) {
    let path = s.file("src.bin", 100_000, 12);
    s.put("dl/src.bin", &path).await.unwrap();
    let source = std::fs::read(&path).unwrap();
    let target = s.files.path().join("target.part");
    std::fs::write(&target, vec![0u8; source.len()]).unwrap();
    let progress = Arc::new(AtomicU64::new(0));
    fn request<'a>(
        into: &'a Path,
        size: usize,
        progress: &Arc<AtomicU64>,
        span: Span,
        if_match: Option<&'a str>,
    ) -> FetchRequest<'a> {
        FetchRequest {
            into,
            span,
            object_size: size as u64,
            if_match,
            progress: progress.clone(),
            md5: true,
            crc: Some(ChecksumAlgorithm::Crc32c),
        }
    }
    let request = |span, if_match| request(&target, source.len(), &progress, span, if_match);
    let etag = within(WAIT_SECS, s.backend.head_object(&s.key("dl/src.bin")))
        .await
        .unwrap()
        .unwrap()
        .etag;
    for (offset, length) in [(40_000u64, 60_000u64), (0, 40_000)] {
        let receipt = within(
            WAIT_SECS,
            s.backend.fetch(
                &s.key("dl/src.bin"),
                &request(Span::Range { offset, length }, etag.as_deref()),
            ),
        )
        .await
        .unwrap();
        let bytes = &source[offset as usize..(offset + length) as usize];
        assert_eq!((receipt.offset, receipt.length), (offset, length));
        assert_eq!(
            receipt.md5,
            Some(<[u8; 16]>::from(Md5::digest(bytes))),
            "MD5 computed as the bytes came"
        );
        assert_eq!(
            receipt.crc.map(|c| c.value),
            Some(crc_fast::checksum(
                crc_fast::CrcAlgorithm::Crc32Iscsi,
                bytes
            ))
        );
        assert_eq!(progress.load(std::sync::atomic::Ordering::Relaxed), length);
    }
    assert_eq!(std::fs::read(&target).unwrap(), source);
    let ten = Span::Range {
        offset: 0,
        length: 10,
    };
    let missing = within(
        WAIT_SECS,
        s.backend.fetch(&s.key("dl/none"), &request(ten, None)),
    )
    .await;
    assert_eq!(missing.unwrap_err().kind(), ErrorKind::NotFound);
    // A backend that keeps ETags refuses a range of another version of the object.
    if etag.is_some() {
        let stale = "0123456789abcdef0123456789abcdef";
        let changed = within(
            WAIT_SECS,
            s.backend
                .fetch(&s.key("dl/src.bin"), &request(ten, Some(stale))),
        )
        .await;
        assert_eq!(changed.unwrap_err().kind(), ErrorKind::ObjectChanged);
    }
}
