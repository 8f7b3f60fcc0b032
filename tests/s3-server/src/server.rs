//! The listener and its connections, on a runtime of their own.
//!
//! The server runs on a dedicated thread with its own tokio runtime, so it keeps answering
//! whatever the test's runtime does (a current-thread test blocked on a child process, for
//! one). Each listening period has a cancellation token: stopping closes the listener and
//! aborts every open connection task (their sockets close); restarting binds the same port
//! again with SO_REUSEADDR.

use crate::faults::FaultBook;
use crate::storage::Storage;
use crate::wrapper::Handler;

use std::io;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::Duration;

use hyper_util::rt::TokioIo;
use s3s::service::S3Service;
use tokio::net::{TcpListener, TcpSocket, TcpStream};
use tokio::sync::oneshot;
use tokio::task::{JoinHandle, JoinSet};
use tokio_util::sync::CancellationToken;

/// State shared by the S3 backend, the fault wrapper and the test handle.
pub(crate) struct Shared {
    pub storage: Storage,
    pub faults: FaultBook,
    pub list_parts_supported: AtomicBool,
    /// Requests carrying Content-MD5 get 400 InvalidArgument (servers that reject it).
    pub reject_content_md5: AtomicBool,
    /// Keys a DeleteObjects batch reports as AccessDenied (each key's own error).
    pub undeletable: std::sync::Mutex<std::collections::HashSet<String>>,
}

/// The runtime thread; dropping it shuts the runtime down (every task is dropped).
struct RuntimeThread {
    handle: tokio::runtime::Handle,
    shutdown: Option<oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl RuntimeThread {
    fn spawn() -> io::Result<Self> {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("hoist-test-s3")
            .enable_all()
            .build()?;
        let handle = rt.handle().clone();
        let (shutdown, stopped) = oneshot::channel::<()>();
        let thread = std::thread::Builder::new()
            .name("hoist-test-s3-rt".to_owned())
            .spawn(move || {
                rt.block_on(async {
                    let _ = stopped.await;
                });
                rt.shutdown_timeout(Duration::from_secs(5));
            })?;
        Ok(Self {
            handle,
            shutdown: Some(shutdown),
            thread: Some(thread),
        })
    }
}

impl Drop for RuntimeThread {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// One listening period.
struct Listening {
    cancel: CancellationToken,
    task: JoinHandle<()>,
}

/// A running server: runtime, listener and the s3s service.
pub(crate) struct Server {
    s3: S3Service,
    shared: Arc<Shared>,
    port: u16,
    listening: tokio::sync::Mutex<Option<Listening>>,
    runtime: RuntimeThread,
}

impl Server {
    pub async fn start(shared: Arc<Shared>, s3: S3Service, port: u16) -> io::Result<Server> {
        let runtime = RuntimeThread::spawn()?;
        let (listening, port) =
            listen(&runtime.handle, port, s3.clone(), Arc::clone(&shared)).await?;
        Ok(Server {
            s3,
            shared,
            port,
            listening: tokio::sync::Mutex::new(Some(listening)),
            runtime,
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// Closes the listener and drops every open connection; returns once they are closed.
    pub async fn stop(&self) {
        let mut listening = self.listening.lock().await;
        if let Some(l) = listening.take() {
            l.cancel.cancel();
            let _ = l.task.await;
        }
    }

    /// Listens again on the same port (no-op while listening).
    pub async fn restart(&self) -> io::Result<()> {
        let mut listening = self.listening.lock().await;
        if listening.is_none() {
            let (l, _) = listen(
                &self.runtime.handle,
                self.port,
                self.s3.clone(),
                Arc::clone(&self.shared),
            )
            .await?;
            *listening = Some(l);
        }
        Ok(())
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(l) = self.listening.get_mut().take() {
            l.cancel.cancel();
        }
        // `runtime` drops next and shuts everything down.
    }
}

/// Binds 127.0.0.1:`port` inside the server runtime and starts accepting.
async fn listen(
    handle: &tokio::runtime::Handle,
    port: u16,
    s3: S3Service,
    shared: Arc<Shared>,
) -> io::Result<(Listening, u16)> {
    let cancel = CancellationToken::new();
    let (bound_tx, bound_rx) = oneshot::channel();
    let token = cancel.clone();
    let task = handle.spawn(async move {
        let listener = match bind(port) {
            Ok(l) => l,
            Err(e) => {
                let _ = bound_tx.send(Err(e));
                return;
            }
        };
        let _ = bound_tx.send(listener.local_addr().map(|a| a.port()));
        accept_loop(listener, s3, shared, token).await;
    });
    let port = bound_rx
        .await
        .map_err(|_| io::Error::other("server runtime is gone"))??;
    Ok((Listening { cancel, task }, port))
}

fn bind(port: u16) -> io::Result<TcpListener> {
    let socket = TcpSocket::new_v4()?;
    socket.set_reuseaddr(true)?;
    socket.bind(SocketAddr::from((Ipv4Addr::LOCALHOST, port)))?;
    socket.listen(1024)
}

async fn accept_loop(
    listener: TcpListener,
    s3: S3Service,
    shared: Arc<Shared>,
    cancel: CancellationToken,
) {
    let mut conns = JoinSet::new();
    loop {
        tokio::select! {
            () = cancel.cancelled() => break,
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => {
                    conns.spawn(serve(stream, s3.clone(), Arc::clone(&shared)));
                }
                Err(e) => {
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(10)).await;
                }
            },
            Some(_) = conns.join_next(), if !conns.is_empty() => {}
        }
    }
    drop(listener);
    conns.shutdown().await;
}

async fn serve(stream: TcpStream, s3: S3Service, shared: Arc<Shared>) {
    let _ = stream.set_nodelay(true);
    let kill = CancellationToken::new();
    let handler = Handler {
        s3,
        shared,
        kill: kill.clone(),
    };
    let conn =
        hyper::server::conn::http1::Builder::new().serve_connection(TokioIo::new(stream), handler);
    tokio::select! {
        result = conn => {
            if let Err(e) = result {
                tracing::debug!(error = %e, "connection ended");
            }
        }
        () = kill.cancelled() => {}
    }
}
