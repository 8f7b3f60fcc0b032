//! aws-sdk-s3 against the test server: objects, listings, auth, lifecycle and the binary.

use crate::common::*;

use std::time::Duration;

use aws_sdk_s3::primitives::ByteStream;
use hoist_test_s3::{Op, SECRET_KEY};

#[tokio::test]
async fn put_head_get_list_delete() {
    let s3 = server().await;
    let client = client(&s3);
    let body = data(1000, 1);
    let etag = put(&client, "dir/a.txt", &body).await;
    assert_eq!(etag, quoted(&md5_hex(&body)));
    put(&client, "dir/b.txt", b"bee").await;
    put(&client, "top.txt", b"").await;

    let head = within(
        "head",
        client.head_object().bucket(BUCKET).key("dir/a.txt").send(),
    )
    .await
    .unwrap();
    assert_eq!(head.content_length(), Some(1000));
    assert_eq!(head.e_tag(), Some(etag.as_str()));

    let got = within(
        "get",
        client.get_object().bucket(BUCKET).key("dir/a.txt").send(),
    )
    .await
    .unwrap();
    assert_eq!(got.e_tag(), Some(etag.as_str()));
    let bytes = within("read", got.body.collect())
        .await
        .unwrap()
        .into_bytes();
    assert_eq!(bytes.as_ref(), body.as_slice());

    let ranged = within(
        "range",
        client
            .get_object()
            .bucket(BUCKET)
            .key("dir/a.txt")
            .range("bytes=10-19")
            .send(),
    )
    .await
    .unwrap();
    assert_eq!(ranged.content_range(), Some("bytes 10-19/1000"));
    let bytes = within("read", ranged.body.collect())
        .await
        .unwrap()
        .into_bytes();
    assert_eq!(bytes.as_ref(), &body[10..20]);

    assert_eq!(s3.keys(BUCKET), ["dir/a.txt", "dir/b.txt", "top.txt"]);
    assert_eq!(
        s3.object(BUCKET, "dir/b.txt").as_deref(),
        Some(b"bee".as_slice())
    );
    assert_eq!(
        s3.object(BUCKET, "top.txt").as_deref(),
        Some(b"".as_slice())
    );

    let listed = within(
        "list",
        client
            .list_objects_v2()
            .bucket(BUCKET)
            .prefix("dir/")
            .send(),
    )
    .await
    .unwrap();
    let keys: Vec<_> = listed.contents().iter().filter_map(|o| o.key()).collect();
    assert_eq!(keys, ["dir/a.txt", "dir/b.txt"]);
    assert_eq!(listed.contents()[0].size(), Some(1000));

    let delimited = within(
        "list",
        client
            .list_objects_v2()
            .bucket(BUCKET)
            .delimiter("/")
            .send(),
    )
    .await
    .unwrap();
    let prefixes: Vec<_> = delimited
        .common_prefixes()
        .iter()
        .filter_map(|p| p.prefix())
        .collect();
    assert_eq!(prefixes, ["dir/"]);
    assert_eq!(delimited.contents().len(), 1);

    within(
        "delete",
        client
            .delete_object()
            .bucket(BUCKET)
            .key("dir/a.txt")
            .send(),
    )
    .await
    .unwrap();
    assert_eq!(s3.object(BUCKET, "dir/a.txt"), None);
    let missing = failure(
        within(
            "head",
            client.head_object().bucket(BUCKET).key("dir/a.txt").send(),
        )
        .await,
    );
    assert_eq!(missing.status, Some(404));
    let missing = failure(
        within(
            "get",
            client.get_object().bucket(BUCKET).key("dir/a.txt").send(),
        )
        .await,
    );
    assert_eq!(missing.code.as_deref(), Some("NoSuchKey"));
}

#[tokio::test]
async fn list_objects_paginates() {
    let s3 = server().await;
    let client = client(&s3);
    for i in 0..5 {
        put(&client, &format!("k{i}"), b"x").await;
    }
    let mut keys = Vec::new();
    let mut token = None;
    let mut pages = 0;
    loop {
        let out = within(
            "list",
            client
                .list_objects_v2()
                .bucket(BUCKET)
                .max_keys(2)
                .set_continuation_token(token)
                .send(),
        )
        .await
        .unwrap();
        pages += 1;
        keys.extend(
            out.contents()
                .iter()
                .filter_map(|o| o.key().map(str::to_owned)),
        );
        if out.is_truncated() != Some(true) {
            break;
        }
        token = out.next_continuation_token().map(str::to_owned);
    }
    assert_eq!(pages, 3);
    assert_eq!(keys, ["k0", "k1", "k2", "k3", "k4"]);
}

#[tokio::test]
async fn file_bodies_stream_to_disk() {
    let s3 = server().await;
    let client = client(&s3);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("src.bin");
    let body = data(12 * MIB + 7, 4);
    std::fs::write(&path, &body).unwrap();
    let stream = within("open", ByteStream::from_path(&path)).await.unwrap();
    let out = within(
        "put",
        client
            .put_object()
            .bucket(BUCKET)
            .key("file.bin")
            .body(stream)
            .send(),
    )
    .await
    .unwrap();
    assert_eq!(out.e_tag(), Some(quoted(&md5_hex(&body)).as_str()));
    let stored = std::fs::read(s3.object_path(BUCKET, "file.bin").unwrap()).unwrap();
    assert!(stored == body);
    let put = s3
        .requests()
        .into_iter()
        .find(|r| r.op == Op::PutObject)
        .unwrap();
    assert_eq!(
        (put.status, put.body_bytes, put.key.as_str()),
        (200, body.len() as u64, "file.bin")
    );
}

#[tokio::test]
async fn wrong_secret_is_rejected() {
    let s3 = server().await;
    let bad = client_with(&s3.endpoint(), "not-the-secret", Duration::from_secs(30));
    let f = failure(
        within(
            "put",
            bad.put_object()
                .bucket(BUCKET)
                .key("k")
                .body(ByteStream::from_static(b"x"))
                .send(),
        )
        .await,
    );
    assert_eq!(
        (f.status, f.code.as_deref()),
        (Some(403), Some("SignatureDoesNotMatch")),
        "{f:?}"
    );
    assert!(s3.keys(BUCKET).is_empty());
    let f = failure(within("list", bad.list_objects_v2().bucket(BUCKET).send()).await);
    assert_eq!(
        (f.status, f.code.as_deref()),
        (Some(403), Some("SignatureDoesNotMatch"))
    );
    assert_ne!(SECRET_KEY, "not-the-secret");
}

#[tokio::test]
async fn stop_refuses_connections_and_restart_keeps_data() {
    let s3 = server().await;
    let client = client(&s3);
    put(&client, "kept", b"data").await;
    let port = s3.port();
    within("stop", s3.stop()).await;
    let refused = std::net::TcpStream::connect(("127.0.0.1", port));
    assert_eq!(
        refused.unwrap_err().kind(),
        std::io::ErrorKind::ConnectionRefused
    );
    let f = failure(within("get", client.get_object().bucket(BUCKET).key("kept").send()).await);
    assert!(f.no_answer(), "{f:?}");

    within("restart", s3.restart()).await;
    assert_eq!(s3.port(), port);
    let got = within("get", client.get_object().bucket(BUCKET).key("kept").send())
        .await
        .unwrap();
    let bytes = within("read", got.body.collect())
        .await
        .unwrap()
        .into_bytes();
    assert_eq!(bytes.as_ref(), b"data");
}

#[tokio::test]
async fn binary_prints_endpoint_and_serves() {
    use std::io::BufRead as _;
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_hoist-test-s3"))
        .args(["--bucket", "one", "--bucket", "two"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let line = within(
        "endpoint line",
        tokio::task::spawn_blocking(move || {
            let mut line = String::new();
            std::io::BufReader::new(stdout)
                .read_line(&mut line)
                .map(|_| line)
        }),
    )
    .await
    .unwrap()
    .unwrap();
    let endpoint = line
        .trim()
        .strip_prefix("endpoint=")
        .expect("endpoint= line")
        .to_owned();
    assert!(endpoint.starts_with("http://127.0.0.1:"), "{endpoint}");
    let client = client_with(&endpoint, SECRET_KEY, Duration::from_secs(30));
    let result = within("list buckets", client.list_buckets().send()).await;
    let term = std::process::Command::new("kill")
        .arg(child.id().to_string())
        .status();
    assert!(term.unwrap().success());
    let status = within("exit", tokio::task::spawn_blocking(move || child.wait()))
        .await
        .unwrap();
    assert!(status.unwrap().success(), "SIGTERM ends the server cleanly");
    let names: Vec<_> = result
        .unwrap()
        .buckets()
        .iter()
        .filter_map(|b| b.name().map(str::to_owned))
        .collect();
    assert_eq!(names, ["one", "two"]);
}

/// The server has its own runtime: it answers while the test's thread is blocked.
#[test]
fn serves_while_the_test_thread_blocks() {
    use std::io::{Read as _, Write as _};
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let s3 = rt.block_on(server());
    let mut conn = std::net::TcpStream::connect(("127.0.0.1", s3.port())).unwrap();
    conn.set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    let request = format!(
        "GET /{BUCKET} HTTP/1.1\r\nHost: 127.0.0.1:{}\r\nConnection: close\r\n\r\n",
        s3.port()
    );
    conn.write_all(request.as_bytes()).unwrap();
    let mut answer = String::new();
    conn.read_to_string(&mut answer).unwrap();
    assert!(
        answer.starts_with("HTTP/1.1 403"),
        "anonymous requests are refused: {answer}"
    );
    assert!(answer.contains("<Code>AccessDenied</Code>"), "{answer}");
    drop(s3);
}

#[test]
fn test_s3_is_send_and_sync() {
    fn check<T: Send + Sync + 'static>() {}
    check::<hoist_test_s3::TestS3>();
}
