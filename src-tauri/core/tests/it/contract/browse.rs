//! The contract's browsing cases: folder-style and recursive listings in pages, details,
//! deletes one by one and in batches, share links.

use super::*;

pub(super) async fn listing_shows_folders_and_objects_in_pages(s: Subject) {
    let small = s.file("s", 3, 6);
    for name in [
        "b.txt",
        "a.txt",
        "photos/1.jpg",
        "photos/2024/2.jpg",
        "z/deep/x",
    ] {
        s.put(name, &small).await.unwrap();
    }
    let top = s.list(&s.prefix, false, None, 1000).await.unwrap();
    assert_eq!(top.folders, [s.key("photos/"), s.key("z/")]);
    let keys: Vec<&str> = top.objects.iter().map(|o| o.key.as_str()).collect();
    assert_eq!(keys, [s.key("a.txt"), s.key("b.txt")]);
    assert!(top.objects.iter().all(|o| o.size == 3));
    assert!(
        top.objects
            .iter()
            .all(|o| o.modified.is_some_and(|t| t > 1_700_000_000))
    );
    assert_eq!(top.next, None);

    let photos = s.list(&s.key("photos/"), false, None, 1000).await.unwrap();
    assert_eq!(photos.folders, [s.key("photos/2024/")]);
    assert_eq!(photos.objects.len(), 1);
    assert_eq!(photos.objects[0].key, s.key("photos/1.jpg"));

    // One entry per page: every entry exactly once, then no next page.
    let mut seen = Vec::new();
    let mut page = None;
    for _ in 0..10 {
        let listing = s.list(&s.prefix, false, page.as_deref(), 1).await.unwrap();
        seen.extend(listing.folders);
        seen.extend(listing.objects.into_iter().map(|o| o.key));
        page = listing.next;
        if page.is_none() {
            break;
        }
    }
    seen.sort();
    let expected = [
        s.key("a.txt"),
        s.key("b.txt"),
        s.key("photos/"),
        s.key("z/"),
    ];
    assert_eq!(seen, expected);
    assert_eq!(page, None, "the pages end");

    let missing = s.list(&s.key("nothing/"), false, None, 1000).await.unwrap();
    assert!(missing.folders.is_empty() && missing.objects.is_empty());
}

pub(super) async fn delete_removes_and_a_missing_object_is_fine(s: Subject) {
    let small = s.file("s", 3, 7);
    s.put("dir/only.txt", &small).await.unwrap();
    s.put("kept.txt", &small).await.unwrap();
    within(WAIT_SECS, s.backend.delete_object(&s.key("dir/only.txt")))
        .await
        .unwrap();
    within(WAIT_SECS, s.backend.delete_object(&s.key("dir/only.txt")))
        .await
        .unwrap();
    assert_eq!(
        within(WAIT_SECS, s.backend.head_object(&s.key("dir/only.txt")))
            .await
            .unwrap(),
        None
    );
    let listing = s.list(&s.prefix, false, None, 1000).await.unwrap();
    assert!(
        listing.folders.is_empty(),
        "an emptied folder is gone: {listing:?}"
    );
    let keys: Vec<&str> = listing.objects.iter().map(|o| o.key.as_str()).collect();
    assert_eq!(keys, [s.key("kept.txt")]);
}

pub(super) async fn a_share_link_serves_the_bytes(s: Subject) {
    let path = s.file("shared.bin", 5000, 8);
    s.put("shared.bin", &path).await.unwrap();
    let url = within(
        WAIT_SECS,
        s.backend
            .share_url(&s.key("shared.bin"), Duration::from_secs(120)),
    )
    .await
    .unwrap();
    let Some(url) = url else {
        return; // a folder has no links to share
    };
    let got = within(WAIT_SECS, reqwest::get(&url)).await.unwrap();
    assert!(got.status().is_success(), "{}", got.status());
    assert_eq!(
        got.bytes().await.unwrap().as_ref(),
        std::fs::read(&path).unwrap()
    );
    let key = s.key("shared.bin");
    let too_long = s
        .backend
        .share_url(&key, Duration::from_secs(8 * 24 * 3600));
    assert_eq!(
        within(WAIT_SECS, too_long).await.unwrap_err().kind(),
        ErrorKind::InvalidInput
    );
}

pub(super) async fn a_recursive_listing_gives_every_key_in_byte_order_in_pages(s: Subject) {
    let small = s.file("s", 1, 9);
    // '-' (0x2D) sorts before '/' (0x2F): "a-b" comes before everything in folder "a/".
    let names = ["a/x", "a-b", "a/b/c", "b", "a/b/d", "a0", "ä/1"];
    for name in names {
        s.put(name, &small).await.unwrap();
    }
    let mut expected: Vec<String> = names.iter().map(|n| s.key(n)).collect();
    expected.sort();
    for limit in [1, 2, 3, 1000] {
        let (keys, pages) = s.list_all(&s.prefix, true, limit).await;
        assert_eq!(keys, expected, "limit {limit}");
        assert_eq!(
            pages,
            expected.len().div_ceil(limit as usize).max(1),
            "limit {limit}"
        );
    }
    let (under_a, _) = s.list_all(&s.key("a/"), true, 2).await;
    assert_eq!(under_a, [s.key("a/b/c"), s.key("a/b/d"), s.key("a/x")]);
}

pub(super) async fn details_name_size_type_and_time(s: Subject) {
    let path = s.file("page.html", 1234, 10);
    s.put("site/page.html", &path).await.unwrap();
    let details = within(WAIT_SECS, s.backend.stat(&s.key("site/page.html")))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(details.key, s.key("site/page.html"));
    assert_eq!(details.size, 1234);
    assert!(details.modified.is_some_and(|t| t > 1_700_000_000));
    if let Some(content_type) = &details.content_type {
        assert!(content_type.starts_with("text/html"), "{content_type}");
    }
    assert_eq!(
        within(WAIT_SECS, s.backend.stat(&s.key("site/none")))
            .await
            .unwrap(),
        None
    );
    assert_eq!(
        within(WAIT_SECS, s.backend.stat(&s.key("site")))
            .await
            .unwrap(),
        None
    );
}

pub(super) async fn a_batch_delete_removes_every_key_and_misses_are_fine(s: Subject) {
    let small = s.file("s", 2, 11);
    let mut keys = Vec::new();
    for i in 0..25 {
        let name = format!("batch/{}/{i:03}", i % 3);
        s.put(&name, &small).await.unwrap();
        keys.push(s.key(&name));
    }
    keys.push(s.key("batch/never-there"));
    let failed = within(WAIT_SECS, s.backend.delete_objects(&keys))
        .await
        .unwrap();
    assert!(failed.is_empty(), "{failed:?}");
    let (left, _) = s.list_all(&s.prefix, true, 1000).await;
    assert!(left.is_empty(), "{left:?}");
    assert!(
        within(WAIT_SECS, s.backend.delete_objects(&[]))
            .await
            .unwrap()
            .is_empty()
    );
}
