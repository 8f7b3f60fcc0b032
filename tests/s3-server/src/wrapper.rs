//! The hyper service in front of s3s: request log, fault injection, connection drops.
//!
//! Each request is classified and logged before s3s sees it; if a queued fault matches, the
//! wrapper acts instead of (or around) s3s: error answers after reading the body, a cut after
//! N body bytes, a stall, a 200 carrying an error body, or dropping the answer of a request
//! that was processed. Dropping a connection cancels its per-connection token, which makes the
//! connection task drop the socket without writing anything.

use crate::faults::{FaultAction, Logged};
use crate::server::Shared;

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::task::{Context, Poll};

use bytes::Bytes;
use http::{Request, Response, StatusCode};
use http_body::{Frame, SizeHint};
use http_body_util::BodyExt as _;
use hyper::body::Incoming;
use s3s::service::S3Service;
use s3s::{Body, S3Error, S3ErrorCode};
use tokio_util::sync::CancellationToken;

/// The error a handler returns when its connection must be dropped without an answer.
#[derive(Debug)]
pub(crate) struct Dropped;

impl std::fmt::Display for Dropped {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("connection dropped on purpose")
    }
}

impl std::error::Error for Dropped {}

/// Per-connection hyper service.
#[derive(Clone)]
pub(crate) struct Handler {
    pub s3: S3Service,
    pub shared: Arc<Shared>,
    /// Cancelled to drop this handler's connection.
    pub kill: CancellationToken,
}

impl hyper::service::Service<Request<Incoming>> for Handler {
    type Response = Response<Body>;
    type Error = Dropped;
    type Future = Pin<Box<dyn Future<Output = Result<Response<Body>, Dropped>> + Send>>;

    fn call(&self, req: Request<Incoming>) -> Self::Future {
        let handler = self.clone();
        Box::pin(async move { handler.handle(req).await })
    }
}

impl Handler {
    async fn handle(self, req: Request<Incoming>) -> Result<Response<Body>, Dropped> {
        let info = crate::faults::classify(req.method(), req.uri());
        let logged = self.shared.faults.log(&info, req.headers());
        let rejects_md5 = self.shared.reject_content_md5.load(Ordering::SeqCst)
            && req.headers().contains_key("content-md5");
        let action = if rejects_md5 {
            Some(FaultAction::Error {
                code: "InvalidArgument",
            })
        } else {
            self.shared.faults.take(&info)
        };
        let (parts, incoming) = req.into_parts();
        let counter = Arc::clone(&logged.body_bytes);
        let Some(action) = action else {
            return self
                .pass(Request::from_parts(parts, incoming), &logged)
                .await;
        };
        tracing::debug!(?info, ?action, "fault fires");
        match action {
            FaultAction::SlowDown { retry_after } => {
                read_body(incoming, &counter, u64::MAX).await;
                let mut resp =
                    error_response(S3ErrorCode::SlowDown, "Please reduce your request rate.");
                if let Some(value) = retry_after.and_then(|v| http::HeaderValue::from_str(&v).ok())
                {
                    resp.headers_mut().insert(http::header::RETRY_AFTER, value);
                }
                Ok(self.answer(resp, &logged))
            }
            FaultAction::InternalError => {
                read_body(incoming, &counter, u64::MAX).await;
                let resp = error_response(
                    S3ErrorCode::InternalError,
                    "We encountered an internal error. Please try again.",
                );
                Ok(self.answer(resp, &logged))
            }
            FaultAction::AccessDenied => {
                read_body(incoming, &counter, u64::MAX).await;
                Ok(self.answer(
                    error_response(S3ErrorCode::AccessDenied, "Access Denied"),
                    &logged,
                ))
            }
            FaultAction::CompleteOkWithErrorBody => {
                read_body(incoming, &counter, u64::MAX).await;
                let mut resp = error_response(
                    S3ErrorCode::InternalError,
                    "We encountered an internal error. Please try again.",
                );
                *resp.status_mut() = StatusCode::OK;
                Ok(self.answer(resp, &logged))
            }
            FaultAction::CutBodyAfter(n) => {
                read_body(incoming, &counter, n).await;
                Err(self.drop_connection())
            }
            FaultAction::CutAnswerAfter(n) => {
                let (head, whole) = self
                    .answered(Request::from_parts(parts, incoming), &logged)
                    .await?;
                let cut = whole.slice(..(n as usize).min(whole.len()));
                // Content-Length still names the whole body: hyper closes the connection when
                // the shorter body ends, as a server dying mid-answer would.
                Ok(Response::from_parts(head, Body::from(cut)))
            }
            FaultAction::FlipAnswerByte(at) => {
                let (head, whole) = self
                    .answered(Request::from_parts(parts, incoming), &logged)
                    .await?;
                let mut bytes = whole.to_vec();
                if let Some(last) = bytes.len().checked_sub(1) {
                    bytes[usize::try_from(at).unwrap_or(last).min(last)] ^= 0x01;
                }
                Ok(Response::from_parts(head, Body::from(Bytes::from(bytes))))
            }
            FaultAction::Stall(duration) => {
                read_body(incoming, &counter, u64::MAX).await;
                tokio::time::sleep(duration).await;
                Err(self.drop_connection())
            }
            FaultAction::CompleteThenDropAnswer => {
                let answered = self
                    .pass(Request::from_parts(parts, incoming), &logged)
                    .await;
                drop(answered);
                self.shared.faults.set_status(&logged, 0);
                Err(self.drop_connection())
            }
            FaultAction::Error { code } => {
                read_body(incoming, &counter, u64::MAX).await;
                let code =
                    S3ErrorCode::from_bytes(code.as_bytes()).unwrap_or(S3ErrorCode::InternalError);
                Ok(self.answer(error_response(code, "Injected by the test."), &logged))
            }
            FaultAction::ForgetPart(number) => {
                if let Some(upload_id) = &info.upload_id {
                    self.shared
                        .storage
                        .forget_part(&info.bucket, upload_id, number);
                }
                self.pass(Request::from_parts(parts, incoming), &logged)
                    .await
            }
            FaultAction::ForgetUpload => {
                if let Some(upload_id) = &info.upload_id {
                    self.shared.storage.forget_upload(&info.bucket, upload_id);
                }
                self.pass(Request::from_parts(parts, incoming), &logged)
                    .await
            }
        }
    }

    /// Hands the request to s3s, counting body bytes as s3s reads them.
    async fn pass(
        &self,
        req: Request<Incoming>,
        logged: &Logged,
    ) -> Result<Response<Body>, Dropped> {
        let counter = Arc::clone(&logged.body_bytes);
        let req = req.map(|incoming| {
            Body::http_body_unsync(Counting {
                inner: incoming,
                counter,
            })
        });
        match self.s3.call(req).await {
            Ok(resp) => Ok(self.answer(resp, logged)),
            Err(e) => {
                tracing::debug!(error = %Into::<s3s::StdError>::into(e), "s3s dropped the request");
                Err(self.drop_connection())
            }
        }
    }

    fn answer(&self, resp: Response<Body>, logged: &Logged) -> Response<Body> {
        self.shared
            .faults
            .set_status(logged, resp.status().as_u16());
        resp
    }

    /// Processes the request and collects its whole answer, for faults that alter it.
    async fn answered(
        &self,
        req: Request<Incoming>,
        logged: &Logged,
    ) -> Result<(http::response::Parts, Bytes), Dropped> {
        let (head, body) = self.pass(req, logged).await?.into_parts();
        match body.collect().await {
            Ok(collected) => Ok((head, collected.to_bytes())),
            Err(_) => Err(self.drop_connection()),
        }
    }

    fn drop_connection(&self) -> Dropped {
        self.kill.cancel();
        Dropped
    }
}

/// An S3 XML error answer.
fn error_response(code: S3ErrorCode, message: &'static str) -> Response<Body> {
    let mut err = S3Error::with_message(code, message);
    err.set_request_id(format!("{:016X}", rand::random::<u64>()));
    err.to_http_response().unwrap_or_else(|_| {
        let mut resp = Response::new(Body::empty());
        *resp.status_mut() = StatusCode::INTERNAL_SERVER_ERROR;
        resp
    })
}

/// Reads up to `limit` body bytes (all of them with `u64::MAX`), counting what it takes.
async fn read_body(mut body: Incoming, counter: &AtomicU64, limit: u64) {
    let mut seen = 0u64;
    while seen < limit {
        let Some(Ok(frame)) = body.frame().await else {
            break;
        };
        if let Some(data) = frame.data_ref() {
            let n = (data.len() as u64).min(limit - seen);
            seen += n;
            counter.fetch_add(n, Ordering::SeqCst);
        }
    }
}

/// A request body that counts the data bytes read through it.
struct Counting {
    inner: Incoming,
    counter: Arc<AtomicU64>,
}

impl http_body::Body for Counting {
    type Data = Bytes;
    type Error = hyper::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, hyper::Error>>> {
        let polled = Pin::new(&mut self.inner).poll_frame(cx);
        if let Poll::Ready(Some(Ok(frame))) = &polled
            && let Some(data) = frame.data_ref()
        {
            self.counter.fetch_add(data.len() as u64, Ordering::SeqCst);
        }
        polled
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}
