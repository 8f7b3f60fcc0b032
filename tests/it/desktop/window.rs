//! The window under test: one at a time, on a fresh data directory with one S3 destination,
//! and the helpers the end-to-end tests share (waits, form filling, queueing from the CLI).

use crate::common::*;
use crate::desktop::x11_window;
use crate::webdriver::{Driver, wait_until};
use hoist_test_s3::TestS3;
use std::path::{Path, PathBuf};
use std::time::Duration;

pub const UI_WAIT: Duration = Duration::from_secs(20);
pub const UPLOAD_WAIT: Duration = Duration::from_secs(120);

pub fn e2e_available(test: &str) -> bool {
    let has_driver = std::process::Command::new("tauri-driver")
        .arg("--help")
        .output()
        .is_ok();
    let has = |var: &str| std::env::var_os(var).is_some();
    let ready =
        has_driver && has("DISPLAY") && has("HOIST_NOTIFY_LOG") && has("DBUS_SESSION_BUS_ADDRESS");
    if !ready {
        assert!(
            std::env::var("HOIST_REQUIRE_E2E").as_deref() != Ok("1"),
            "{test}: needs tauri-driver, Xvfb and the mock notification daemon, but HOIST_REQUIRE_E2E=1"
        );
        eprintln!("SKIPPED {test}: run it through ./scripts/test (tests/lib/session.sh --display)");
    }
    ready
}

pub fn screenshot_dir() -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/e2e-screenshots");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

pub fn notifications() -> String {
    std::fs::read_to_string(std::env::var_os("HOIST_NOTIFY_LOG").unwrap()).unwrap_or_default()
}

/// One window at a time: Hoist is a single-instance app per desktop session, so a second
/// window started by a concurrent test would hand over to the first and exit.
pub static ONE_WINDOW: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// A data directory with one S3 destination on `server`, and the window on it.
pub struct Window {
    pub driver: Driver,
    _turn: tokio::sync::MutexGuard<'static, ()>,
    pub hoist: Hoist,
    _dir: tempfile::TempDir,
}

pub async fn open_window(server: &TestS3, test: &str) -> Window {
    open_window_with(server, test, &[]).await
}

/// Like [`open_window`], with more environment for the app (e.g. `XDG_CONFIG_HOME`).
pub async fn open_window_with(server: &TestS3, test: &str, env: &[(&str, &Path)]) -> Window {
    open_window_in(tempfile::tempdir().unwrap(), server, test, env).await
}

/// As [`open_window_with`], with Hoist's data under `dir` (a test may want a path with a space).
pub async fn open_window_in(
    dir: tempfile::TempDir,
    server: &TestS3,
    test: &str,
    env: &[(&str, &Path)],
) -> Window {
    let turn = ONE_WINDOW.lock().await;
    // The previous test's app may still be closing: its window would answer for ours.
    assert!(
        wait_until(UI_WAIT, || std::future::ready(
            x11_window("state").is_none()
        ))
        .await,
        "a window of an earlier test is still open"
    );
    let hoist = Hoist::new(dir.path());
    hoist.add_destination(
        "e2e",
        &server.endpoint(),
        "bucket",
        hoist_test_s3::ACCESS_KEY,
        hoist_test_s3::SECRET_KEY,
    );
    launch(turn, hoist, dir, test, env).await
}

async fn launch(
    turn: tokio::sync::MutexGuard<'static, ()>,
    hoist: Hoist,
    dir: tempfile::TempDir,
    test: &str,
    env: &[(&str, &Path)],
) -> Window {
    let log = screenshot_dir().join(format!("{test}.log"));
    let local = hoist.local_dir();
    let driver = Driver::start(
        Path::new(env!("CARGO_BIN_EXE_hoist")),
        &[
            ("HOIST_DATA_DIR", hoist.data_dir.as_path()),
            ("HOIST_LOCAL_DIR", local.as_path()),
        ]
        .into_iter()
        .chain(env.iter().copied())
        .collect::<Vec<_>>(),
        &log,
    )
    .await;
    Window {
        driver,
        _turn: turn,
        hoist,
        _dir: dir,
    }
}

/// A window's app ended, with the test's turn and data directory kept (for a test that starts
/// `hoist` itself next).
pub struct Closed {
    pub _turn: tokio::sync::MutexGuard<'static, ()>,
    pub hoist: Hoist,
    pub _dir: tempfile::TempDir,
}

impl Closed {
    /// Starts the app again on the same data (a restart, as a user quitting and opening it).
    pub async fn reopen(self, test: &str, env: &[(&str, &Path)]) -> Window {
        launch(self._turn, self.hoist, self._dir, test, env).await
    }
}

impl Window {
    /// Ends the WebDriver session, which closes the app, and waits for its window to go.
    pub async fn close(self) -> Closed {
        let Window {
            driver,
            _turn,
            hoist,
            _dir,
        } = self;
        drop(driver);
        assert!(
            wait_until(UI_WAIT, || std::future::ready(
                x11_window("state").is_none()
            ))
            .await,
            "the app's window is still there after its session ended"
        );
        Closed { _turn, hoist, _dir }
    }
}

/// Whether some row of the queue shows `state` within `limit`.
pub async fn row_in_state(driver: &Driver, state: &str, limit: Duration) -> bool {
    let selector = format!(".row[data-state=\"{state}\"]");
    wait_until(limit, || async {
        !driver.find_all(&selector).await.is_empty()
    })
    .await
}

/// Queues files with `hoist upload --detach` in another process; the window's engine picks
/// them up through the database. (The page cannot queue a path: no command takes one, and the
/// system picker cannot be driven over WebDriver.)
pub fn enqueue(hoist: &Hoist, destination: Option<&str>, paths: &[&Path]) {
    let mut args = vec!["upload", "--detach"];
    if let Some(destination) = destination {
        args.extend(["--destination", destination]);
    }
    let paths: Vec<&str> = paths.iter().map(|p| p.to_str().unwrap()).collect();
    args.extend(&paths);
    let out = hoist.run(&args);
    assert!(
        out.status.success(),
        "hoist upload --detach failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Sets a form field by its name the way a person would (type, then the change event).
pub async fn fill(driver: &Driver, form: &str, name: &str, value: &str) {
    let field = driver
        .find(&format!("{form} [name=\"{name}\"]"), UI_WAIT)
        .await;
    let is_select = driver
        .execute(
            "return document.querySelector(arguments[0]).tagName === 'SELECT';",
            serde_json::json!([format!("{form} [name=\"{name}\"]")]),
        )
        .await;
    if is_select == true {
        driver
            .execute(
                "const s = document.querySelector(arguments[0]); s.value = arguments[1]; \
                 s.dispatchEvent(new Event('change')); return true;",
                serde_json::json!([format!("{form} [name=\"{name}\"]"), value]),
            )
            .await;
    } else {
        driver.type_into(&field, value).await;
    }
}
