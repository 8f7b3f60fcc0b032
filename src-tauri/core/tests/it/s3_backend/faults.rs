//! Every way an S3 request can fail, injected by the in-test server, and the ErrorKind each
//! becomes: throttling, server errors, cut bodies and answers, errors inside a 200, forgotten
//! uploads, wrong digests and credentials, a stopped, unknown or silent server, a stalled body.

use super::*;

#[tokio::test]
async fn slow_down_is_throttled_with_retry_after() {
    within(30, async {
        let f = fixture().await;
        let path = f.file("p", 1000, 4);
        let id = f.backend.create_multipart("k", None).await.unwrap();
        f.s3.inject(Fault {
            op: Op::UploadPart,
            part_number: Some(1),
            action: FaultAction::SlowDown {
                retry_after: Some("2".into()),
            },
            times: 1,
        });
        let err = f.part(&id, 1, &path, 1000).await.unwrap_err();
        assert_kind(&err, ErrorKind::Throttled);
        assert_eq!(err.retry_after(), Some(Duration::from_secs(2)));
        assert!(err.is_retryable());
        // The fault fired once; the same request now succeeds.
        f.part(&id, 1, &path, 1000).await.unwrap();
        // Retry-After as an HTTP date (regression: it was ignored).
        let at = std::time::SystemTime::now() + Duration::from_secs(30);
        f.s3.inject(Fault {
            op: Op::UploadPart,
            part_number: Some(2),
            action: FaultAction::SlowDown {
                retry_after: Some(httpdate::fmt_http_date(at)),
            },
            times: 1,
        });
        let err = f.part(&id, 2, &path, 1000).await.unwrap_err();
        let wait = err.retry_after().expect("the HTTP date is honoured");
        assert!(
            wait > Duration::from_secs(25) && wait <= Duration::from_secs(30),
            "{wait:?}"
        );
    })
    .await;
}

#[tokio::test]
async fn server_faults_map_to_their_kinds() {
    within(30, async {
        let f = fixture().await;
        let path = f.file("p", 1000, 5);
        let cases = [
            (FaultAction::InternalError, ErrorKind::ServerBusy, true),
            (
                FaultAction::SlowDown { retry_after: None },
                ErrorKind::Throttled,
                true,
            ),
            (FaultAction::AccessDenied, ErrorKind::AccessDenied, false),
        ];
        for (action, kind, retryable) in cases {
            f.s3.inject(fault(Op::PutObject, action.clone()));
            let err = f.put("k", &path, 1000).await.unwrap_err();
            assert_kind(&err, kind);
            assert_eq!(err.is_retryable(), retryable, "{action:?}");
            assert!(
                std::error::Error::source(&err).is_some(),
                "the SDK error stays attached"
            );
        }
        f.s3.inject(fault(Op::CreateMultipartUpload, FaultAction::AccessDenied));
        let err = f.backend.create_multipart("k", None).await.unwrap_err();
        assert_kind(&err, ErrorKind::AccessDenied);
    })
    .await;
}

#[tokio::test]
async fn a_cut_body_is_interrupted_and_progress_restarts_on_the_next_attempt() {
    within(30, async {
        let f = fixture().await;
        let len = 2 * MIB;
        let path = f.file("p", len, 6);
        let d = digest(&path, 0, len).await;
        f.s3.inject(fault(Op::PutObject, FaultAction::CutBodyAfter(64 * 1024)));
        let b = body(&path, 0, len);
        let progress = Arc::clone(&b.progress);
        let err = f.backend.put_object("k", b.clone(), d).await.unwrap_err();
        assert_kind(&err, ErrorKind::Interrupted);
        assert!(f.s3.object(BUCKET, "k").is_none());
        f.backend.put_object("k", b, d).await.unwrap();
        assert_eq!(
            progress.load(Ordering::SeqCst),
            len,
            "the second attempt counted from 0"
        );
    })
    .await;
}

#[tokio::test]
async fn a_dropped_answer_is_interrupted_even_after_the_server_completed() {
    within(30, async {
        let f = fixture().await;
        let path = f.file("p", 1000, 7);
        let id = f.backend.create_multipart("k", None).await.unwrap();
        let part = f.part(&id, 1, &path, 1000).await.unwrap();
        f.s3.inject(fault(
            Op::CompleteMultipartUpload,
            FaultAction::CompleteThenDropAnswer,
        ));
        let err = f
            .backend
            .complete_multipart("k", &id, &[part])
            .await
            .unwrap_err();
        assert_kind(&err, ErrorKind::Interrupted);
        // The caller must look before retrying: the object is there.
        assert_eq!(
            f.backend.head_object("k").await.unwrap().map(|i| i.size),
            Some(1000)
        );
    })
    .await;
}

#[tokio::test]
async fn complete_answered_200_with_an_error_body_is_an_error() {
    within(30, async {
        let f = fixture().await;
        let path = f.file("p", 1000, 8);
        let id = f.backend.create_multipart("k", None).await.unwrap();
        let part = f.part(&id, 1, &path, 1000).await.unwrap();
        f.s3.inject(fault(
            Op::CompleteMultipartUpload,
            FaultAction::CompleteOkWithErrorBody,
        ));
        let err = f
            .backend
            .complete_multipart("k", &id, std::slice::from_ref(&part))
            .await
            .unwrap_err();
        assert_kind(&err, ErrorKind::ServerBusy);
        assert!(
            f.s3.object(BUCKET, "k").is_none(),
            "the upload was not completed"
        );
        f.backend
            .complete_multipart("k", &id, &[part])
            .await
            .unwrap();
        assert!(f.s3.object(BUCKET, "k").is_some());
    })
    .await;
}

#[tokio::test]
async fn a_forgotten_upload_is_no_such_upload() {
    within(30, async {
        let f = fixture().await;
        let path = f.file("p", 1000, 9);
        let id = f.backend.create_multipart("k", None).await.unwrap();
        f.s3.inject(fault(Op::UploadPart, FaultAction::ForgetUpload));
        let err = f.part(&id, 1, &path, 1000).await.unwrap_err();
        assert_kind(&err, ErrorKind::NoSuchUpload);
        assert!(!err.is_retryable());
        let err = f.backend.list_parts("k", &id).await.unwrap_err();
        assert_kind(&err, ErrorKind::NoSuchUpload);
    })
    .await;
}

#[tokio::test]
async fn wrong_credentials_and_a_missing_bucket_fail_fast_with_the_fix() {
    within(30, async {
        let f = fixture().await;
        let path = f.file("p", 100, 12);
        let d = digest(&path, 0, 100).await;
        let endpoint = f.s3.endpoint();

        let wrong_secret = access_key(hoist_test_s3::ACCESS_KEY, "not-the-secret");
        let b = S3Backend::new(&destination(&endpoint, BUCKET), &wrong_secret).unwrap();
        let err = b.put_object("k", body(&path, 0, 100), d).await.unwrap_err();
        assert_kind(&err, ErrorKind::BadCredentials);
        assert!(err.message().contains("secret key"), "{}", err.message());

        let wrong_id = access_key("unknown-key-id", hoist_test_s3::SECRET_KEY);
        let b = S3Backend::new(&destination(&endpoint, BUCKET), &wrong_id).unwrap();
        let err = b.create_multipart("k", None).await.unwrap_err();
        assert_kind(&err, ErrorKind::BadCredentials);

        let b = S3Backend::new(&destination(&endpoint, "no-such-bucket"), &good_key()).unwrap();
        let err = b.put_object("k", body(&path, 0, 100), d).await.unwrap_err();
        assert_kind(&err, ErrorKind::NoSuchBucket);
        assert!(
            err.message().contains("'no-such-bucket'"),
            "{}",
            err.message()
        );
        assert!(err.message().contains(&endpoint), "{}", err.message());
    })
    .await;
}

#[tokio::test]
async fn a_stopped_server_is_unreachable_until_it_is_back() {
    within(30, async {
        let f = fixture().await;
        let path = f.file("p", 100, 13);
        f.put("k", &path, 100).await.unwrap();
        f.s3.stop().await;
        // A request may still leave on the pooled connection the server just closed: that
        // one broke mid-way (Interrupted). A new connection is refused (Unreachable).
        let mut err = f.put("k", &path, 100).await.unwrap_err();
        if err.kind() == ErrorKind::Interrupted {
            err = f.put("k", &path, 100).await.unwrap_err();
        }
        assert_kind(&err, ErrorKind::Unreachable);
        assert!(err.kind().is_offline());
        let err = f.backend.head_object("k").await.unwrap_err();
        assert_kind(&err, ErrorKind::Unreachable);
        f.s3.restart().await;
        assert!(f.backend.head_object("k").await.unwrap().is_some());
    })
    .await;
}

#[tokio::test]
async fn an_unresolvable_host_is_unreachable() {
    within(30, async {
        let b = S3Backend::new(
            &destination("http://no-such-host.invalid:9000", BUCKET),
            &good_key(),
        )
        .unwrap();
        let err = b.create_multipart("k", None).await.unwrap_err();
        assert_kind(&err, ErrorKind::Unreachable);
    })
    .await;
}

#[tokio::test]
async fn a_server_that_never_answers_times_out_as_interrupted() {
    within(30, async {
        let answer_timeout = Duration::from_millis(500);
        let f = fixture_with(S3Options {
            answer_timeout,
            ..S3Options::default()
        })
        .await;
        let path = f.file("p", 1000, 14);
        f.s3.inject(fault(
            Op::PutObject,
            FaultAction::Stall(Duration::from_secs(20)),
        ));
        let started = tokio::time::Instant::now();
        let err = f.put("k", &path, 1000).await.unwrap_err();
        assert_kind(&err, ErrorKind::Interrupted);
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "waited for the stall to end"
        );
    })
    .await;
}

#[tokio::test]
async fn a_body_the_server_stops_reading_is_a_stalled_upload() {
    within(30, async {
        // A listener that accepts and never reads: the socket buffers fill, the body stops.
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let endpoint = format!("http://{}", listener.local_addr().unwrap());
        let holder = tokio::spawn(async move {
            let mut held = Vec::new();
            while let Ok((socket, _)) = listener.accept().await {
                held.push(socket);
            }
        });
        let options = S3Options {
            stall_grace: Duration::from_secs(1),
            ..S3Options::default()
        };
        let b =
            S3Backend::with_options(&destination(&endpoint, BUCKET), &good_key(), options).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("big");
        let len = 64 * MIB;
        std::fs::File::create(&path).unwrap().set_len(len).unwrap();
        let d = digest(&path, 0, len).await;
        let err = b.put_object("k", body(&path, 0, len), d).await.unwrap_err();
        assert_kind(&err, ErrorKind::Interrupted);
        assert!(err.message().contains("stalled"), "{}", err.message());
        holder.abort();
    })
    .await;
}
