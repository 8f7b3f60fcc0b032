//! An S3 server on loopback for Hoist's tests.
//!
//! [`TestS3`] speaks the real S3 wire protocol with SigV4 verification (through `s3s`, with one
//! key pair: [`ACCESS_KEY`] / [`SECRET_KEY`], region [`REGION`]), keeps objects and parts as
//! files in a fresh temp directory, implements multipart uploads with AWS's exact rules
//! (ETags, ordering, 5 MiB minimum part size, NoSuchUpload, ListParts pagination), and lets a
//! test inject faults ([`Fault`]), read the log of every request ([`RequestRecord`]), and stop
//! and restart the listener on the same port. Path-style addressing only
//! (`force_path_style(true)` in aws-sdk-s3).
//!
//! ```no_run
//! # async fn demo() {
//! use hoist_test_s3::{Fault, FaultAction, Op, TestS3};
//! let s3 = TestS3::start().await;
//! s3.create_bucket("bucket");
//! s3.inject(Fault { op: Op::UploadPart, part_number: Some(2), action: FaultAction::InternalError, times: 1 });
//! // ... point aws-sdk-s3 at s3.endpoint() ...
//! # }
//! ```

mod faults;
mod files;
mod parts;
mod server;
mod service;
mod storage;
mod tls;
mod wrapper;

pub use faults::{Fault, FaultAction, Op, RequestRecord};
pub use tls::TlsFront;

/// The test bytes every Hoist test uploads: `len` bytes of a xorshift stream started from `seed`.
/// Deterministic, and without a period a test could meet (two parts of one file differ, so
/// their ETags do), cheap enough for files of tens of MiB in a debug build.
pub fn pattern(len: usize, seed: u8) -> Vec<u8> {
    let mut state = 0x9E37_79B9_7F4A_7C15u64 ^ u64::from(seed).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    let mut bytes = Vec::with_capacity(len + 8);
    while bytes.len() < len {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        bytes.extend_from_slice(&state.to_le_bytes());
    }
    bytes.truncate(len);
    bytes
}

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

/// The only access key the server accepts.
pub const ACCESS_KEY: &str = "hoist-test-access";
/// The secret key paired with [`ACCESS_KEY`].
pub const SECRET_KEY: &str = "hoist-test-secret-key-0123456789";
/// The region to sign for.
pub const REGION: &str = "us-east-1";

/// An S3 server listening on 127.0.0.1. Shuts down (and deletes its files) when dropped.
pub struct TestS3 {
    server: server::Server,
    shared: Arc<server::Shared>,
}

impl TestS3 {
    /// Starts on 127.0.0.1 with an OS-chosen port, storage in a fresh temp dir.
    ///
    /// # Panics
    /// If the temp dir, the runtime thread or the socket cannot be created.
    pub async fn start() -> TestS3 {
        match Self::start_on_port(0).await {
            Ok(s3) => s3,
            Err(e) => panic!("hoist-test-s3: cannot start: {e}"),
        }
    }

    /// Starts on 127.0.0.1:`port` (0: OS-chosen), storage in a fresh temp dir.
    ///
    /// # Errors
    /// If the temp dir, the runtime thread or the socket cannot be created (port in use...).
    pub async fn start_on_port(port: u16) -> std::io::Result<TestS3> {
        let shared = Arc::new(server::Shared {
            storage: storage::Storage::new()?,
            faults: faults::FaultBook::default(),
            list_parts_supported: AtomicBool::new(true),
            reject_content_md5: AtomicBool::new(false),
            undeletable: Default::default(),
        });
        let mut builder = s3s::service::S3ServiceBuilder::new(service::Backend {
            shared: Arc::clone(&shared),
        });
        builder.set_auth(s3s::auth::SimpleAuth::from_single(ACCESS_KEY, SECRET_KEY));
        let server = server::Server::start(Arc::clone(&shared), builder.build(), port).await?;
        Ok(TestS3 { server, shared })
    }

    /// "http://127.0.0.1:PORT"
    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port())
    }

    pub fn port(&self) -> u16 {
        self.server.port()
    }

    /// Creates a bucket (no-op if it exists).
    pub fn create_bucket(&self, name: &str) {
        self.shared.storage.create_bucket(name);
    }

    /// Whole bytes of an object, None if absent (small objects in tests).
    pub fn object(&self, bucket: &str, key: &str) -> Option<Vec<u8>> {
        std::fs::read(self.object_path(bucket, key)?).ok()
    }

    /// On-disk path of an object's bytes, for comparing large objects without loading them.
    /// The file stays valid until the object is overwritten or deleted.
    pub fn object_path(&self, bucket: &str, key: &str) -> Option<PathBuf> {
        self.shared.storage.object_path(bucket, key)
    }

    /// Keys of objects in a bucket, sorted.
    pub fn keys(&self, bucket: &str) -> Vec<String> {
        self.shared.storage.keys(bucket)
    }

    /// (key, upload_id) of multipart uploads not completed or aborted, by key then age.
    pub fn pending_uploads(&self, bucket: &str) -> Vec<(String, String)> {
        self.shared
            .storage
            .uploads(bucket, "")
            .unwrap_or_default()
            .into_iter()
            .map(|u| (u.key, u.upload_id))
            .collect()
    }

    /// Queue a fault; it fires on the next `times` requests matching `op` (and part_number if Some).
    pub fn inject(&self, fault: Fault) {
        self.shared.faults.inject(fault);
    }

    /// Forgets the faults not fired yet.
    pub fn clear_faults(&self) {
        self.shared.faults.clear();
    }

    /// Every request seen so far, in arrival order.
    pub fn requests(&self) -> Vec<RequestRecord> {
        self.shared.faults.records()
    }

    /// When true, every request carrying a Content-MD5 header gets 400 InvalidArgument, as
    /// from a server that does not accept the header.
    pub fn set_reject_content_md5(&self, reject: bool) {
        self.shared
            .reject_content_md5
            .store(reject, Ordering::SeqCst);
    }

    /// Stores these keys as small objects (each holding its key's bytes) without a request
    /// each: for listings of many keys.
    pub fn seed(&self, bucket: &str, keys: &[String]) {
        if let Err(e) = self.shared.storage.seed(bucket, keys) {
            panic!("hoist-test-s3: cannot seed {bucket}: {e}");
        }
    }

    /// DeleteObjects reports `key` as not deleted (AccessDenied), as for a key a policy
    /// protects; the rest of the batch is deleted.
    pub fn set_undeletable(&self, key: &str) {
        self.shared
            .undeletable
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(key.to_owned());
    }

    /// Gives an object another ETag (as SSE-KMS objects have, which is no MD5 of the bytes).
    pub fn set_etag(&self, bucket: &str, key: &str, etag: &str) {
        self.shared.storage.set_etag(bucket, key, etag);
    }

    /// When false, ListParts answers 501 NotImplemented (servers without ListParts).
    pub fn set_list_parts_supported(&self, supported: bool) {
        self.shared
            .list_parts_supported
            .store(supported, Ordering::SeqCst);
    }

    /// Stops listening (new connections are refused) and drops open connections; data is kept.
    pub async fn stop(&self) {
        self.server.stop().await;
    }

    /// Listens again on the same port.
    ///
    /// # Panics
    /// If the port cannot be bound again (another process took it).
    pub async fn restart(&self) {
        if let Err(e) = self.server.restart().await {
            panic!(
                "hoist-test-s3: cannot listen again on port {}: {e}",
                self.port()
            );
        }
    }
}

impl std::fmt::Debug for TestS3 {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TestS3")
            .field("endpoint", &self.endpoint())
            .finish_non_exhaustive()
    }
}
