//! Request bodies: a byte range of a local file, streamed by aws-sdk-s3 (`ByteStream::read_from`,
//! which reopens the file for every attempt), wrapped per attempt in a [`CountingBody`].
//!
//! The wrapper counts bytes into the job's progress counter as the HTTP stack polls them
//! (restarting at each attempt's first poll), forwards `size_hint` and `is_end_stream` so the
//! request keeps its Content-Length, turns a file that ends early into an error the classifier
//! recognises ([`BodyEndedEarly`]), and tells the request's [`BodyWatch`] when the connection
//! asked for the body (it was established) and when the last byte was handed over (the
//! server's answer clock starts).

use crate::backend::PartBody;
use crate::error::{Error, ErrorKind, Result, file_error};
use crate::throttle::Throttle;
use aws_sdk_s3::primitives::{ByteStream, Length, SdkBody};
use bytes::Bytes;
use http_body::{Frame, SizeHint};
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::task::{Context, Poll};
use tokio::sync::Notify;

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// How much of the file each read of a body takes. Every read is a hop to tokio's blocking
/// pool; at the SDK's 64 KiB those hops (context switches) were the largest CPU cost of an
/// upload after its digest (perf, issue 19). Memory: one such buffer per body in flight.
const BODY_READ: usize = 512 * 1024;

/// Builds the retryable, counted body of one request, paced by `throttle` when a bandwidth
/// limit is set.
pub(super) async fn counted(
    part: &PartBody,
    throttle: Option<Arc<Throttle>>,
) -> Result<(ByteStream, Arc<BodyWatch>)> {
    let stream = match &part.bytes {
        // Read already, with its digest: sent from memory (cloned per attempt, no copy).
        Some(bytes) => ByteStream::from(bytes.clone()),
        None => ByteStream::read_from()
            .path(&part.path)
            .offset(part.offset)
            .length(Length::Exact(part.length))
            .buffer_size(
                BODY_READ
                    .min(usize::try_from(part.length).unwrap_or(BODY_READ))
                    .max(4096),
            )
            .build()
            .await
            .map_err(|e| body_build_error(part, e))?,
    };
    let watch = Arc::new(BodyWatch {
        progress: Arc::clone(&part.progress),
        polled: AtomicBool::new(false),
        sent: Notify::new(),
    });
    if part.length == 0 {
        // An empty body may never be polled: the answer clock starts now.
        watch.sent.notify_one();
    }
    let for_attempts = Arc::clone(&watch);
    let length = part.length;
    let stream = stream.map(move |inner| {
        SdkBody::from_body_1_x(CountingBody {
            inner,
            watch: Arc::clone(&for_attempts),
            remaining: length,
            started: false,
            throttle: throttle.clone(),
            unpaid: Bytes::new(),
            paid: None,
            pause: None,
        })
    });
    Ok((stream, watch))
}

/// Maps a failure to open the byte range: I/O errors name the file, a range past the end
/// means the file shrank since the part was planned.
fn body_build_error(part: &PartBody, e: aws_sdk_s3::primitives::ByteStreamError) -> Error {
    use std::error::Error as _;
    match e.source().and_then(|s| s.downcast_ref::<std::io::Error>()) {
        Some(io) => file_error(&part.path, std::io::Error::new(io.kind(), e)),
        None => Error::new(
            ErrorKind::FileChanged,
            format!(
                "{} became shorter while it was being uploaded",
                part.path.display()
            ),
        )
        .with_source(e),
    }
}

/// What the counting bodies of one request share with the code awaiting its answer.
pub(super) struct BodyWatch {
    progress: Arc<AtomicU64>,
    /// Some attempt's body was polled: the connection was established.
    polled: AtomicBool,
    /// Notified when the whole body was handed to the HTTP stack.
    sent: Notify,
}

impl BodyWatch {
    /// Whether the HTTP stack asked for the body, i.e. the connection was established.
    pub(super) fn was_polled(&self) -> bool {
        self.polled.load(Ordering::SeqCst)
    }

    /// Completes once the whole body was handed to the HTTP stack.
    pub(super) async fn wait_sent(&self) {
        self.sent.notified().await;
    }
}

/// The body stopped before the length the request announced.
#[derive(Debug)]
pub(super) struct BodyEndedEarly {
    pub(super) missing: u64,
}

impl std::fmt::Display for BodyEndedEarly {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "the body ended {} bytes early", self.missing)
    }
}

impl std::error::Error for BodyEndedEarly {}

pin_project_lite::pin_project! {
    /// One attempt's body: counts bytes into `progress` as the HTTP stack polls them. The
    /// count restarts at the attempt's first poll (not at creation: the SDK may create bodies
    /// for attempts it never sends). Under a bandwidth limit, each chunk read from the file is
    /// handed over in throttle-sized slices, each after its reserved wait.
    struct CountingBody {
        #[pin]
        inner: SdkBody,
        watch: Arc<BodyWatch>,
        remaining: u64,
        started: bool,
        throttle: Option<Arc<Throttle>>,
        // Read from the file, not yet reserved.
        unpaid: Bytes,
        // Reserved, to hand over when `pause` ends.
        paid: Option<Bytes>,
        pause: Option<Pin<Box<tokio::time::Sleep>>>,
    }
}

impl CountingBody {
    /// Counts `data` as sent and wraps it in a frame.
    fn hand_over(watch: &BodyWatch, remaining: &mut u64, data: Bytes) -> Frame<Bytes> {
        let n = data.len() as u64;
        watch.progress.fetch_add(n, Ordering::SeqCst);
        let was = *remaining;
        *remaining = was.saturating_sub(n);
        if was > 0 && *remaining == 0 {
            watch.sent.notify_one();
        }
        Frame::data(data)
    }
}

impl http_body::Body for CountingBody {
    type Data = Bytes;
    type Error = BoxError;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
        let mut this = self.project();
        if !*this.started {
            *this.started = true;
            this.watch.progress.store(0, Ordering::SeqCst);
            this.watch.polled.store(true, Ordering::SeqCst);
        }
        loop {
            if let Some(pause) = this.pause.as_mut() {
                std::task::ready!(pause.as_mut().poll(cx));
                *this.pause = None;
            }
            if let Some(data) = this.paid.take() {
                let frame = CountingBody::hand_over(this.watch, this.remaining, data);
                return Poll::Ready(Some(Ok(frame)));
            }
            if let (false, Some(throttle)) = (this.unpaid.is_empty(), this.throttle.as_ref()) {
                let n = throttle.slice().min(this.unpaid.len());
                let slice = this.unpaid.split_to(n);
                let wait = throttle.reserve(n);
                if wait.is_zero() {
                    let frame = CountingBody::hand_over(this.watch, this.remaining, slice);
                    return Poll::Ready(Some(Ok(frame)));
                }
                *this.paid = Some(slice);
                *this.pause = Some(Box::pin(tokio::time::sleep(wait)));
                continue;
            }
            return match this.inner.as_mut().poll_frame(cx) {
                Poll::Ready(Some(Ok(frame))) => match frame.into_data() {
                    Ok(data) if this.throttle.as_ref().is_some_and(|t| t.limit().is_some()) => {
                        *this.unpaid = data;
                        continue;
                    }
                    Ok(data) => Poll::Ready(Some(Ok(CountingBody::hand_over(
                        this.watch,
                        this.remaining,
                        data,
                    )))),
                    Err(frame) => Poll::Ready(Some(Ok(frame))),
                },
                Poll::Ready(None) if *this.remaining > 0 => {
                    Poll::Ready(Some(Err(Box::new(BodyEndedEarly {
                        missing: *this.remaining,
                    }))))
                }
                other => other,
            };
        }
    }

    fn is_end_stream(&self) -> bool {
        self.unpaid.is_empty() && self.paid.is_none() && http_body::Body::is_end_stream(&self.inner)
    }

    fn size_hint(&self) -> SizeHint {
        http_body::Body::size_hint(&self.inner)
    }
}
