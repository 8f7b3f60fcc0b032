//! Helpers for black-box tests of the `hoist` binary: a data directory, the binary's path, and
//! the keychain check. These tests store real secrets in the session's Secret Service, so they
//! run inside `tests/lib/session.sh` (which `./scripts/test` uses); outside one they say so and
//! skip, unless HOIST_REQUIRE_KEYCHAIN=1 makes that a failure.

mod network_manager;
pub use network_manager::NetworkManagerStandIn;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::Duration;

pub const MIB: usize = 1024 * 1024;
pub const WAIT: Duration = Duration::from_secs(300);

pub fn keychain_available(test: &str) -> bool {
    if std::env::var_os("DBUS_SESSION_BUS_ADDRESS").is_some() {
        return true;
    }
    assert!(
        std::env::var("HOIST_REQUIRE_KEYCHAIN").as_deref() != Ok("1"),
        "{test}: no D-Bus session, but HOIST_REQUIRE_KEYCHAIN=1"
    );
    eprintln!("SKIPPED {test}: needs a Secret Service session; run it through ./scripts/test");
    false
}

pub struct Hoist {
    pub data_dir: PathBuf,
}

/// The usual CLI test's setting: the in-test S3 server with a bucket `bucket`, a scratch folder,
/// and a Hoist (data under the folder) whose one destination points at the server. Fields drop
/// in order: Hoist's files, then the server, then the runtime that serves it.
pub struct ServerFixture {
    pub hoist: Hoist,
    pub dir: tempfile::TempDir,
    pub server: hoist_test_s3::TestS3,
    pub runtime: tokio::runtime::Runtime,
}

impl Hoist {
    /// See [`ServerFixture`]; `destination` is the destination's name.
    pub fn with_test_server(destination: &str) -> ServerFixture {
        let runtime = tokio::runtime::Runtime::new().unwrap();
        let server = runtime.block_on(hoist_test_s3::TestS3::start());
        server.create_bucket("bucket");
        let dir = tempfile::tempdir().unwrap();
        let hoist = Hoist::new(dir.path());
        hoist.add_destination(
            destination,
            &server.endpoint(),
            "bucket",
            hoist_test_s3::ACCESS_KEY,
            hoist_test_s3::SECRET_KEY,
        );
        ServerFixture {
            hoist,
            dir,
            server,
            runtime,
        }
    }

    pub fn new(root: &Path) -> Hoist {
        Hoist {
            data_dir: root.join("data"),
        }
    }

    pub fn command(&self) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_hoist"));
        cmd.arg("--data-dir").arg(&self.data_dir);
        cmd.env("HOIST_LOCAL_DIR", self.local_dir());
        cmd.env_remove("AWS_ACCESS_KEY_ID")
            .env_remove("AWS_SECRET_ACCESS_KEY");
        cmd
    }

    /// The built-in local destination's folder for this test.
    pub fn local_dir(&self) -> PathBuf {
        self.data_dir.with_file_name("Hoist")
    }

    /// Runs `hoist ARGS` to the end and returns its output.
    pub fn run(&self, args: &[&str]) -> Output {
        self.command().args(args).output().expect("hoist starts")
    }

    pub fn add_destination(
        &self,
        name: &str,
        endpoint: &str,
        bucket: &str,
        key_id: &str,
        secret: &str,
    ) {
        let out = self
            .command()
            .args([
                "destination",
                "add",
                name,
                "--endpoint",
                endpoint,
                "--bucket",
                bucket,
                "--path-style",
            ])
            .env("AWS_ACCESS_KEY_ID", key_id)
            .env("AWS_SECRET_ACCESS_KEY", secret)
            .output()
            .expect("hoist starts");
        assert!(
            out.status.success(),
            "destination add failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(!stdout.contains(secret), "the secret was printed");
    }

    pub fn queue_json(&self) -> Vec<serde_json::Value> {
        let out = self.run(&["queue", "--json"]);
        assert!(out.status.success());
        serde_json::from_slice(&out.stdout).expect("queue --json is JSON")
    }

    /// `hoist watch list --json`.
    pub fn watches_json(&self) -> Vec<serde_json::Value> {
        let out = self.run(&["watch", "list", "--json"]);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice(&out.stdout).expect("watch list --json is JSON")
    }

    pub fn committed_parts(&self) -> i64 {
        let db = rusqlite::Connection::open(self.data_dir.join("hoist.db")).unwrap();
        db.query_row("SELECT COUNT(*) FROM parts", [], |r| r.get(0))
            .unwrap_or(0)
    }
}

pub fn write_pattern(path: &Path, len: usize, seed: u8) {
    use std::io::Write;
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    let mut file = std::io::BufWriter::new(std::fs::File::create(path).unwrap());
    let block: Vec<u8> = (0..MIB)
        .map(|i| (i as u8).wrapping_mul(7).wrapping_add(seed))
        .collect();
    let mut left = len;
    let mut n = 0u8;
    while left > 0 {
        let take = left.min(MIB);
        // Vary each MiB so that misplaced parts cannot compare equal.
        let chunk: Vec<u8> = block[..take].iter().map(|b| b ^ n).collect();
        file.write_all(&chunk).unwrap();
        left -= take;
        n = n.wrapping_add(1);
    }
    file.flush().unwrap();
}

/// Compares two files chunk by chunk without loading them whole.
pub fn same_bytes(a: &Path, b: &Path) -> bool {
    use std::io::Read;
    let (mut fa, mut fb) = (
        std::fs::File::open(a).unwrap(),
        std::fs::File::open(b).unwrap(),
    );
    let (mut ba, mut bb) = (vec![0u8; MIB], vec![0u8; MIB]);
    loop {
        let na = read_full(&mut fa, &mut ba);
        let nb = read_full(&mut fb, &mut bb);
        if na != nb || ba[..na] != bb[..nb] {
            return false;
        }
        if na == 0 {
            return true;
        }
    }
    fn read_full(f: &mut std::fs::File, buf: &mut [u8]) -> usize {
        let mut n = 0;
        while n < buf.len() {
            match f.read(&mut buf[n..]).unwrap() {
                0 => break,
                k => n += k,
            }
        }
        n
    }
}

/// Polls `check` every 20 ms until it holds; panics after [`WAIT`].
pub fn wait_until(what: &str, mut check: impl FnMut() -> bool) {
    let deadline = std::time::Instant::now() + WAIT;
    while !check() {
        assert!(
            std::time::Instant::now() < deadline,
            "timed out waiting for {what}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Runs `cmd` to the end, killing it and failing the test if it takes longer than `limit`.
pub fn output_within(mut cmd: Command, limit: Duration) -> Output {
    let mut child = cmd
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("hoist starts");
    let deadline = std::time::Instant::now() + limit;
    while child.try_wait().expect("wait for hoist").is_none() {
        if std::time::Instant::now() > deadline {
            let _ = child.kill();
            panic!("hoist did not finish within {limit:?}: {cmd:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    child.wait_with_output().expect("hoist output")
}
