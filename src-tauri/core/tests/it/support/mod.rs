//! Shared set-up for the engine tests: a Core on a temp data dir whose single destination points
//! at an in-test S3 server. The credential store here is an in-memory map: these tests are
//! about the engine, the keychain has its own tests against a real Secret Service.

use hoist_core::model::DestinationId;
use hoist_core::model::{Job, JobState};
use hoist_core::{
    AccessKey, CancellationToken, Core, CredentialStore, EngineConfig, Event, NewDestination,
    PlanConfig, Result, RetryPolicy, RunSummary, RunUntil, S3Options, Secret,
};
use hoist_test_s3::{Fault, FaultAction, Op, TestS3};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

pub const MIB: usize = 1024 * 1024;
pub const BUCKET: &str = "bucket";
/// Long enough for a slow shared machine, short enough to notice a hang.
pub const WAIT: Duration = Duration::from_secs(120);

#[derive(Default)]
pub struct MemoryCredentials(Mutex<HashMap<String, AccessKey>>);

impl CredentialStore for MemoryCredentials {
    fn set(&self, destination: &DestinationId, key: &AccessKey) -> Result<()> {
        self.0
            .lock()
            .unwrap()
            .insert(destination.0.clone(), key.clone());
        Ok(())
    }
    fn get(&self, destination: &DestinationId) -> Result<AccessKey> {
        Ok(self
            .0
            .lock()
            .unwrap()
            .get(&destination.0)
            .cloned()
            .expect("test destination has a key"))
    }
    fn delete(&self, destination: &DestinationId) -> Result<()> {
        self.0.lock().unwrap().remove(&destination.0);
        Ok(())
    }
}

/// 5 MiB threshold and parts (S3's minimum), 2 parts in flight, fast retries, a 3 s answer
/// timeout, and ListParts pages of 2 parts so that paging is exercised by small uploads.
pub fn test_config() -> EngineConfig {
    EngineConfig {
        plan: PlanConfig {
            multipart_threshold: 5 * MIB as u64,
            part_size: 5 * MIB as u64,
        },
        parts_in_flight: 2,
        spans_in_flight: 2,
        retry: RetryPolicy {
            base: Duration::from_millis(20),
            cap: Duration::from_millis(500),
            max_retries: 4,
        },
        s3: S3Options {
            answer_timeout: Duration::from_secs(3),
            list_parts_page: Some(2),
            ..S3Options::default()
        },
    }
}

pub struct Fixture {
    pub server: TestS3,
    pub core: Core,
    pub dir: tempfile::TempDir,
}

impl Fixture {
    pub async fn new() -> Fixture {
        Fixture::with_config(test_config()).await
    }

    pub async fn with_config(config: EngineConfig) -> Fixture {
        let server = TestS3::start().await;
        server.create_bucket(BUCKET);
        let dir = tempfile::tempdir().unwrap();
        let core = Core::open_with(
            &dir.path().join("data"),
            Some(Arc::new(MemoryCredentials::default())),
            config,
        )
        .unwrap();
        core.add_destination(
            NewDestination {
                name: "test".into(),
                endpoint: Some(server.endpoint()),
                region: Some(hoist_test_s3::REGION.into()),
                bucket: BUCKET.into(),
                path_style: true,
                prefix: String::new(),
                ..Default::default()
            },
            Some(AccessKey {
                access_key_id: Secret::new(hoist_test_s3::ACCESS_KEY.into()),
                secret_access_key: Secret::new(hoist_test_s3::SECRET_KEY.into()),
            }),
        )
        .unwrap();
        Fixture { server, core, dir }
    }

    /// Writes a file of `len` bytes with a pattern that differs per offset and per `seed`.
    pub fn file(&self, name: &str, len: usize, seed: u8) -> PathBuf {
        let path = self.dir.path().join("files").join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, pattern(len, seed)).unwrap();
        path
    }

    pub fn enqueue(&self, paths: &[&Path]) -> String {
        let report = self
            .core
            .enqueue(hoist_core::EnqueueRequest {
                paths: paths.iter().map(|p| p.to_path_buf()).collect(),
                ..Default::default()
            })
            .unwrap();
        assert!(report.skipped.is_empty(), "{:?}", report.skipped);
        report.batch
    }

    pub async fn run_batch(&self, batch: &str) -> RunSummary {
        tokio::time::timeout(
            WAIT,
            self.core
                .run_queue(RunUntil::Batch(batch.into()), CancellationToken::new()),
        )
        .await
        .expect("the batch finishes in time")
        .unwrap()
    }

    /// An S3 client of the test's own, to act on the server behind the engine's back.
    pub fn sdk_client(&self) -> aws_sdk_s3::Client {
        use aws_sdk_s3::config::{BehaviorVersion, Credentials, Region};
        let config = aws_sdk_s3::Config::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new(hoist_test_s3::REGION))
            .endpoint_url(self.server.endpoint())
            .force_path_style(true)
            .credentials_provider(Credentials::new(
                hoist_test_s3::ACCESS_KEY,
                hoist_test_s3::SECRET_KEY,
                None,
                None,
                "test",
            ))
            .build();
        aws_sdk_s3::Client::from_conf(config)
    }

    /// Runs the batch in a task of its own, for tests that act while it runs.
    pub fn spawn_batch(&self, batch: &str) -> tokio::task::JoinHandle<Result<RunSummary>> {
        let core = self.core.clone();
        let batch = batch.to_string();
        tokio::spawn(async move {
            core.run_queue(RunUntil::Batch(batch), CancellationToken::new())
                .await
        })
    }

    pub fn job(&self, batch: &str) -> Job {
        let mut jobs = self.core.batch_jobs(batch).unwrap();
        assert_eq!(jobs.len(), 1);
        jobs.remove(0)
    }

    pub fn object(&self, key: &str) -> Vec<u8> {
        self.server
            .object(BUCKET, key)
            .unwrap_or_else(|| panic!("no object {key}"))
    }

    pub fn db(&self) -> rusqlite::Connection {
        rusqlite::Connection::open(self.dir.path().join("data/hoist.db")).unwrap()
    }

    pub fn committed_parts(&self, job: i64) -> i64 {
        self.db()
            .query_row("SELECT COUNT(*) FROM parts WHERE job_id = ?1", [job], |r| {
                r.get(0)
            })
            .unwrap()
    }

    /// Calls `check` every 20 ms until it holds; panics after [`WAIT`].
    pub async fn wait_until(&self, what: &str, mut check: impl FnMut() -> bool) {
        let deadline = tokio::time::Instant::now() + WAIT;
        while !check() {
            assert!(
                tokio::time::Instant::now() < deadline,
                "timed out waiting for {what}"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

/// Fails the test instead of hanging when `fut` has not finished after `secs` seconds.
pub async fn within<F: std::future::Future>(secs: u64, fut: F) -> F::Output {
    match tokio::time::timeout(Duration::from_secs(secs), fut).await {
        Ok(out) => out,
        Err(_) => panic!("timed out after {secs} s"),
    }
}

pub use hoist_test_s3::pattern;

pub fn completed(job: &Job) -> bool {
    job.state == JobState::Completed
}

/// Waits for the first event matching `want`.
pub async fn next_event(
    rx: &mut tokio::sync::broadcast::Receiver<Event>,
    want: impl Fn(&Event) -> bool,
) -> Event {
    tokio::time::timeout(WAIT, async {
        loop {
            match rx.recv().await {
                Ok(event) if want(&event) => return event,
                Ok(_) | Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {}
                Err(e) => panic!("event channel closed: {e}"),
            }
        }
    })
    .await
    .expect("the event arrives in time")
}

/// A `Core` with one folder destination, `nas`, at `dir/nas` (not created yet).
pub fn core_with_folder(dir: &Path) -> (Core, PathBuf) {
    let core = Core::open_with(
        &dir.join("data"),
        Some(Arc::new(MemoryCredentials::default())),
        test_config(),
    )
    .unwrap();
    let folder = dir.join("nas");
    core.add_destination(
        NewDestination {
            name: "nas".into(),
            folder: Some(folder.clone()),
            ..Default::default()
        },
        None,
    )
    .unwrap();
    (core, folder)
}

/// Runs `core`'s queue until `batch` is done, within [`WAIT`].
pub async fn run_core_batch(core: &Core, batch: &str) {
    tokio::time::timeout(
        WAIT,
        core.run_queue(RunUntil::Batch(batch.into()), CancellationToken::new()),
    )
    .await
    .expect("the batch finishes in time")
    .unwrap();
}

/// Starts a 4-part upload whose part 3 stalls, and waits until parts 1, 2 and 4 are committed.
pub async fn start_and_hold_at_part_three(
    f: &Fixture,
    name: &str,
) -> (
    String,
    tokio::task::JoinHandle<hoist_core::Result<hoist_core::RunSummary>>,
) {
    let path = f.file(name, 20 * MIB, 3);
    f.server.inject(Fault {
        op: Op::UploadPart,
        part_number: Some(3),
        action: FaultAction::Stall(Duration::from_secs(600)),
        times: 1,
    });
    let batch = f.enqueue(&[&path]);
    let run = f.spawn_batch(&batch);
    let id = f.job(&batch).id.0;
    f.wait_until("parts 1, 2 and 4 committed", || f.committed_parts(id) == 3)
        .await;
    (batch, run)
}
