//! Each fault action, seen through aws-sdk-s3 with SDK retries disabled.

use crate::common::*;

use std::time::{Duration, Instant};

use aws_sdk_s3::primitives::ByteStream;
use hoist_test_s3::{Fault, FaultAction, Op, SECRET_KEY};

fn fault(op: Op, part_number: Option<u32>, action: FaultAction, times: u32) -> Fault {
    Fault {
        op,
        part_number,
        action,
        times,
    }
}

#[tokio::test]
async fn slow_down_with_retry_after() {
    let s3 = server().await;
    let client = client(&s3);
    s3.inject(fault(
        Op::PutObject,
        None,
        FaultAction::SlowDown {
            retry_after: Some("7".into()),
        },
        1,
    ));
    s3.inject(fault(
        Op::PutObject,
        None,
        FaultAction::SlowDown { retry_after: None },
        1,
    ));
    let send = || {
        client
            .put_object()
            .bucket(BUCKET)
            .key("k")
            .body(ByteStream::from(data(3000, 1)))
            .send()
    };
    let err = within("put", send()).await.unwrap_err();
    let retry_after = err
        .raw_response()
        .and_then(|r| r.headers().get("retry-after").map(str::to_owned));
    assert_eq!(retry_after.as_deref(), Some("7"));
    let f = failure::<(), _>(Err(err));
    assert_eq!((f.status, f.code.as_deref()), (Some(503), Some("SlowDown")));

    let err = within("put", send()).await.unwrap_err();
    assert!(
        err.raw_response()
            .unwrap()
            .headers()
            .get("retry-after")
            .is_none()
    );
    assert_eq!(failure::<(), _>(Err(err)).code.as_deref(), Some("SlowDown"));

    within("put", send()).await.unwrap();
    let statuses: Vec<_> = s3
        .requests()
        .iter()
        .map(|r| (r.op, r.status, r.body_bytes))
        .collect();
    assert_eq!(
        statuses,
        [
            (Op::PutObject, 503, 3000),
            (Op::PutObject, 503, 3000),
            (Op::PutObject, 200, 3000)
        ]
    );
    assert_eq!(s3.keys(BUCKET), ["k"]);
}

#[tokio::test]
async fn internal_error_on_one_part_number() {
    let s3 = server().await;
    let client = client(&s3);
    let id = create_upload(&client, "k").await;
    s3.inject(fault(
        Op::UploadPart,
        Some(2),
        FaultAction::InternalError,
        2,
    ));
    upload_part(&client, "k", &id, 1, b"one").await;
    for _ in 0..2 {
        let f = failure(within("part 2", send_part(&client, "k", &id, 2, b"two")).await);
        assert_eq!(
            (f.status, f.code.as_deref()),
            (Some(500), Some("InternalError"))
        );
    }
    upload_part(&client, "k", &id, 2, b"two").await;
    let parts: Vec<_> = s3
        .requests()
        .into_iter()
        .filter(|r| r.op == Op::UploadPart)
        .map(|r| (r.part_number, r.status, r.upload_id))
        .collect();
    let id = Some(id);
    assert_eq!(
        parts,
        [
            (Some(1), 200, id.clone()),
            (Some(2), 500, id.clone()),
            (Some(2), 500, id.clone()),
            (Some(2), 200, id)
        ]
    );
}

#[tokio::test]
async fn cut_body_after_some_bytes() {
    let s3 = server().await;
    let client = client(&s3);
    let id = create_upload(&client, "k").await;
    let body = data(5 * MIB, 5);
    s3.inject(fault(
        Op::UploadPart,
        None,
        FaultAction::CutBodyAfter(100_000),
        1,
    ));
    let f = failure(within("cut part", send_part(&client, "k", &id, 1, &body)).await);
    assert!(f.no_answer(), "{f:?}");
    let cut = s3
        .requests()
        .into_iter()
        .find(|r| r.op == Op::UploadPart)
        .unwrap();
    assert_eq!(
        (cut.status, cut.body_bytes, cut.part_number),
        (0, 100_000, Some(1))
    );
    let parts = within(
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
    assert!(parts.parts().is_empty(), "a cut part is not stored");

    let etag = upload_part(&client, "k", &id, 1, &body).await;
    assert_eq!(etag, quoted(&md5_hex(&body)));
}

#[tokio::test]
async fn stall_then_drop() {
    let s3 = server().await;
    let client = client(&s3);
    s3.inject(fault(
        Op::PutObject,
        None,
        FaultAction::Stall(Duration::from_millis(300)),
        1,
    ));
    let started = Instant::now();
    let f = failure(
        within(
            "stalled put",
            client
                .put_object()
                .bucket(BUCKET)
                .key("k")
                .body(ByteStream::from(data(2000, 2)))
                .send(),
        )
        .await,
    );
    assert!(f.no_answer(), "{f:?}");
    assert!(started.elapsed() >= Duration::from_millis(300));
    let stalled = &s3.requests()[0];
    assert_eq!(
        (stalled.op, stalled.status, stalled.body_bytes),
        (Op::PutObject, 0, 2000)
    );
    assert!(
        s3.keys(BUCKET).is_empty(),
        "a stalled request is not processed"
    );
}

#[tokio::test]
async fn long_stall_meets_client_timeout_and_server_drops_promptly() {
    let s3 = server().await;
    let client = client_with(&s3.endpoint(), SECRET_KEY, Duration::from_millis(500));
    s3.inject(fault(
        Op::HeadObject,
        None,
        FaultAction::Stall(Duration::from_secs(3600)),
        1,
    ));
    let f = failure(
        within(
            "stalled head",
            client.head_object().bucket(BUCKET).key("k").send(),
        )
        .await,
    );
    assert_eq!(f.kind, "timeout", "{f:?}");
    let head = within("head", client.head_object().bucket(BUCKET).key("k").send()).await;
    assert_eq!(
        failure(head).status,
        Some(404),
        "the next request is answered"
    );
    let started = Instant::now();
    drop(s3);
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "drop does not wait for the stall"
    );
}

#[tokio::test]
async fn complete_ok_with_error_body_does_not_complete() {
    let s3 = server().await;
    let client = client(&s3);
    let id = create_upload(&client, "k").await;
    let etag = upload_part(&client, "k", &id, 1, b"only part").await;
    s3.inject(fault(
        Op::CompleteMultipartUpload,
        None,
        FaultAction::CompleteOkWithErrorBody,
        1,
    ));
    let answer = within("complete", send_complete(&client, "k", &id, &[(1, &etag)])).await;
    // aws-sdk-s3 turns a 200 carrying <Error> into a service error for this operation.
    let f = failure(answer);
    assert_eq!(
        (f.status, f.code.as_deref()),
        (Some(200), Some("InternalError")),
        "{f:?}"
    );
    assert_eq!(s3.object(BUCKET, "k"), None);
    assert_eq!(s3.pending_uploads(BUCKET), [("k".to_owned(), id.clone())]);
    assert_eq!(
        s3.requests().last().map(|r| (r.op, r.status)),
        Some((Op::CompleteMultipartUpload, 200))
    );

    let done = within("complete", send_complete(&client, "k", &id, &[(1, &etag)]))
        .await
        .unwrap();
    assert_eq!(done.e_tag(), Some(multipart_etag(&[b"only part"]).as_str()));
}

#[tokio::test]
async fn complete_then_drop_answer_completes() {
    let s3 = server().await;
    let client = client(&s3);
    let id = create_upload(&client, "k").await;
    let p1 = data(5 * MIB, 1);
    let e1 = upload_part(&client, "k", &id, 1, &p1).await;
    let e2 = upload_part(&client, "k", &id, 2, b"tail").await;
    s3.inject(fault(
        Op::CompleteMultipartUpload,
        None,
        FaultAction::CompleteThenDropAnswer,
        1,
    ));
    let f = failure(
        within(
            "complete",
            send_complete(&client, "k", &id, &[(1, &e1), (2, &e2)]),
        )
        .await,
    );
    assert!(f.no_answer(), "{f:?}");
    assert_eq!(
        s3.requests().last().map(|r| (r.op, r.status)),
        Some((Op::CompleteMultipartUpload, 0))
    );
    assert!(s3.pending_uploads(BUCKET).is_empty());

    let head = within("head", client.head_object().bucket(BUCKET).key("k").send())
        .await
        .unwrap();
    assert_eq!(head.e_tag(), Some(multipart_etag(&[&p1, b"tail"]).as_str()));
    assert_eq!(head.content_length(), Some(5 * 1024 * 1024 + 4));
    let again = failure(
        within(
            "complete again",
            send_complete(&client, "k", &id, &[(1, &e1), (2, &e2)]),
        )
        .await,
    );
    assert_eq!(
        (again.status, again.code.as_deref()),
        (Some(404), Some("NoSuchUpload"))
    );
}

#[tokio::test]
async fn forget_upload_gives_no_such_upload() {
    let s3 = server().await;
    let client = client(&s3);
    let id = create_upload(&client, "k").await;
    let other = create_upload(&client, "other").await;
    upload_part(&client, "k", &id, 1, b"one").await;
    s3.inject(fault(Op::UploadPart, Some(2), FaultAction::ForgetUpload, 1));
    let f = failure(within("part 2", send_part(&client, "k", &id, 2, &data(MIB, 2))).await);
    assert_eq!(
        (f.status, f.code.as_deref()),
        (Some(404), Some("NoSuchUpload"))
    );
    let forgotten = s3
        .requests()
        .into_iter()
        .rfind(|r| r.op == Op::UploadPart)
        .unwrap();
    assert_eq!((forgotten.status, forgotten.body_bytes), (404, MIB as u64));

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
    assert_eq!(f.code.as_deref(), Some("NoSuchUpload"));
    let f = failure(within("part 1", send_part(&client, "k", &id, 1, b"one")).await);
    assert_eq!(f.code.as_deref(), Some("NoSuchUpload"));
    assert_eq!(s3.pending_uploads(BUCKET), [("other".to_owned(), other)]);
}

#[tokio::test]
async fn access_denied() {
    let s3 = server().await;
    let client = client(&s3);
    put(&client, "k", b"secret").await;
    s3.inject(fault(Op::GetObject, None, FaultAction::AccessDenied, 1));
    s3.inject(fault(Op::ListObjects, None, FaultAction::AccessDenied, 1));
    let f = failure(within("get", client.get_object().bucket(BUCKET).key("k").send()).await);
    assert_eq!(
        (f.status, f.code.as_deref()),
        (Some(403), Some("AccessDenied"))
    );
    let f = failure(within("list", client.list_objects_v2().bucket(BUCKET).send()).await);
    assert_eq!(
        (f.status, f.code.as_deref()),
        (Some(403), Some("AccessDenied"))
    );
    within("get", client.get_object().bucket(BUCKET).key("k").send())
        .await
        .unwrap();
}

#[tokio::test]
async fn requests_are_logged_in_order() {
    let s3 = server().await;
    let client = client(&s3);
    let id = create_upload(&client, "dir/k").await;
    upload_part(&client, "dir/k", &id, 1, b"abc").await;
    within(
        "list",
        client
            .list_parts()
            .bucket(BUCKET)
            .key("dir/k")
            .upload_id(&id)
            .send(),
    )
    .await
    .unwrap();
    within(
        "abort",
        client
            .abort_multipart_upload()
            .bucket(BUCKET)
            .key("dir/k")
            .upload_id(&id)
            .send(),
    )
    .await
    .unwrap();
    let log: Vec<_> = s3
        .requests()
        .into_iter()
        .map(|r| {
            (
                r.op,
                r.key,
                r.part_number,
                r.upload_id.is_some(),
                r.status,
                r.body_bytes,
            )
        })
        .collect();
    let k = || "dir/k".to_owned();
    assert_eq!(
        log,
        [
            (Op::CreateMultipartUpload, k(), None, false, 200, 0),
            (Op::UploadPart, k(), Some(1), true, 200, 3),
            (Op::ListParts, k(), None, true, 200, 0),
            (Op::AbortMultipartUpload, k(), None, true, 204, 0),
        ]
    );
}
