//! Watched folders in the real window (Xvfb, WebKitWebDriver), against the in-test S3 server:
//! a folder is added in the Watches view through the system picker (GTK's, answered over XTEST
//! by tests/lib/x_keys.py: Ctrl+L, the path, Return), a file written into it on disk is
//! uploaded, the view counts it, the queue row carries the watch's name, the notification and
//! the tray say so, and Pause reaches the database. And "Start Hoist when I log in": the
//! Settings checkbox writes and removes the desktop's autostart entry, and the command in that
//! entry starts Hoist hidden in the tray.

use crate::common::*;
use crate::desktop::window::*;
use crate::desktop::{answer_picker, tray_layout, tray_menu, x11_window};
use crate::webdriver::{Driver, wait_until};
use hoist_test_s3::TestS3;
use serde_json::json;

/// The text of `selector` inside the watch item of folder name `name`, or "" while absent.
async fn watch_text(driver: &Driver, name: &str, selector: &str) -> String {
    let text = driver
        .execute(
            "const item = [...document.querySelectorAll('.watch')]
               .find(w => w.querySelector('.watch-name').textContent === arguments[0]);
             return item ? item.querySelector(arguments[1]).textContent : '';",
            json!([name, selector]),
        )
        .await;
    text.as_str().unwrap_or_default().to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_folder_added_in_the_watches_view_uploads_a_file_written_into_it() {
    let test = "a_folder_added_in_the_watches_view_uploads_a_file_written_into_it";
    if !keychain_available(test) || !e2e_available(test) {
        return;
    }
    let server = TestS3::start().await;
    server.create_bucket("bucket");
    let files = tempfile::tempdir().unwrap();
    let scans = files.path().join("Scans");
    std::fs::create_dir(&scans).unwrap();
    let window = open_window_with(&server, "watch", &[("HOME", files.path())]).await;
    let driver = &window.driver;
    let tab = driver.find(".tab-watches", UI_WAIT).await;
    driver.click(&tab).await;
    let empty = wait_until(UI_WAIT, || async {
        driver
            .execute(
                "return document.querySelector('.watch-empty')?.textContent ?? '';",
                json!([]),
            )
            .await
            == "No folder is watched yet."
    })
    .await;
    assert!(
        empty,
        "the Watches view shows: {}",
        driver.page_text().await
    );
    fill(driver, ".watch-form", "prefix", "scans").await;
    fill(driver, ".watch-form", "settle", "0.5").await;

    let typed = format!("text:{}", scans.display());
    let mut picker = answer_picker("Folder to watch", &["ctrl+l", &typed, "Return"]);
    let add = driver.find(".add-watch", UI_WAIT).await;
    driver.click(&add).await;
    assert!(
        picker.wait().expect("x_keys.py ran").success(),
        "no picker titled 'Folder to watch' appeared"
    );
    let watching = wait_until(UI_WAIT, || async {
        watch_text(driver, "Scans", ".watch-state").await == "Watching"
    })
    .await;
    assert!(
        watching,
        "the Watches view shows: {}",
        driver.page_text().await
    );
    let listed = window.hoist.watches_json();
    assert_eq!(listed.len(), 1, "{listed:?}");
    assert_eq!(
        listed[0]["folder"],
        std::fs::canonicalize(&scans).unwrap().to_str().unwrap()
    );
    assert_eq!(listed[0]["prefix"], "scans/");
    assert_eq!(listed[0]["settle_ms"], 500);

    // A file lands in the folder, as a scanner would write it.
    std::fs::write(scans.join("page-1.pdf"), b"%PDF-1.7 scanned page").unwrap();
    let uploaded = wait_until(UPLOAD_WAIT, || {
        std::future::ready(
            server.object("bucket", "scans/page-1.pdf").as_deref()
                == Some(b"%PDF-1.7 scanned page".as_slice()),
        )
    })
    .await;
    assert!(uploaded, "the bucket holds {:?}", server.keys("bucket"));
    let counted = wait_until(UI_WAIT, || async {
        watch_text(driver, "Scans", ".watch-counts")
            .await
            .starts_with("1 uploaded · 0 pending · last activity")
    })
    .await;
    assert!(
        counted,
        "the watch counts: {:?}",
        watch_text(driver, "Scans", ".watch-counts").await
    );
    driver
        .screenshot(&screenshot_dir().join("watches.png"))
        .await;

    let notified = wait_until(UI_WAIT, || async {
        notifications().contains("1 file from Scans uploaded")
    })
    .await;
    assert!(
        notified,
        "no grouped watch notification; the daemon logged:\n{}",
        notifications()
    );
    if std::env::var_os("HOIST_TRAY_LOG").is_some() {
        let mut menu = None;
        let said = wait_until(UI_WAIT, || {
            menu = tray_menu();
            std::future::ready(
                menu.as_ref()
                    .is_some_and(|m| tray_layout(m).contains("watching 1 folder")),
            )
        })
        .await;
        assert!(said, "the tray says: {:?}", menu.as_ref().map(tray_layout));
    }

    let queue = driver.find(".tab-queue", UI_WAIT).await;
    driver.click(&queue).await;
    let tag = driver
        .find(".row[data-state=\"completed\"] .watch-tag", UI_WAIT)
        .await;
    assert_eq!(driver.text(&tag).await, "watched: Scans");

    // Pause from the view reaches the database (and so the engine and `hoist watch list`).
    driver.click(&tab).await;
    // Clicked in the page: the list is redrawn whenever the engine notes something, so a found
    // element can be stale by the time WebDriver clicks it.
    driver.find(".watch .pause", UI_WAIT).await;
    driver
        .execute(
            "document.querySelector('.watch .pause').click(); return true;",
            json!([]),
        )
        .await;
    let paused = wait_until(UI_WAIT, || {
        std::future::ready(window.hoist.watches_json()[0]["state"] == "paused")
    })
    .await;
    assert!(paused, "{:?}", window.hoist.watches_json());
    let shown = wait_until(UI_WAIT, || async {
        watch_text(driver, "Scans", ".watch-state").await == "Paused"
    })
    .await;
    assert!(shown, "the view did not show the pause");

    // A watch paused or removed with the CLI while the window is open reached the view only when
    // the user switched tabs: now every change to the table, from any process, is told to it.
    let id = window.hoist.watches_json()[0]["id"].to_string();
    let cli = |verb: &str| {
        let out = window.hoist.run(&["watch", verb, &id]);
        assert!(
            out.status.success(),
            "watch {verb}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        std::time::Instant::now()
    };
    cli("resume");
    let watching = wait_until(UI_WAIT, || async {
        watch_text(driver, "Scans", ".watch-state").await == "Watching"
    })
    .await;
    assert!(
        watching,
        "the view did not show the resume made with the CLI"
    );
    let paused_at = cli("pause");
    let shown = wait_until(UI_WAIT, || async {
        watch_text(driver, "Scans", ".watch-state").await == "Paused"
    })
    .await;
    assert!(shown, "a watch paused with the CLI still shows as watching");
    eprintln!(
        "FIGURE watch paused with the CLI shown in the view after {:?}",
        paused_at.elapsed()
    );
    let removed_at = cli("rm");
    let gone = wait_until(UI_WAIT, || async {
        driver
            .execute(
                "return document.querySelectorAll('.watch').length;",
                json!([]),
            )
            .await
            == json!(0)
    })
    .await;
    assert!(gone, "a watch removed with the CLI is still shown");
    eprintln!(
        "FIGURE watch removed with the CLI gone from the view after {:?}",
        removed_at.elapsed()
    );
}

/// The `Exec=` command of a desktop entry as the desktop reads it: the string escapes undone
/// (`\\` is `\`), then words split at unquoted blanks, `"…"` quoting with `\"`, `\$`, `` \` ``
/// and `\\` inside.
fn exec_words(entry: &str) -> Vec<String> {
    let line = entry
        .lines()
        .find_map(|l| l.strip_prefix("Exec="))
        .unwrap_or_else(|| panic!("no Exec= line in:\n{entry}"));
    let value = line.replace("\\\\", "\\");
    let (mut words, mut word, mut quoted, mut chars) =
        (Vec::new(), String::new(), false, value.chars());
    let mut started = false;
    while let Some(c) = chars.next() {
        match c {
            '"' => {
                quoted = !quoted;
                started = true;
            }
            '\\' if quoted => word.extend(chars.next()),
            ' ' if !quoted => {
                if started || !word.is_empty() {
                    words.push(std::mem::take(&mut word));
                }
                started = false;
            }
            c => word.push(c),
        }
    }
    if started || !word.is_empty() {
        words.push(word);
    }
    words.into_iter().map(|w| w.replace("%%", "%")).collect()
}

async fn save_settings(driver: &Driver) {
    driver
        .execute(
            "document.querySelector('.settings-form').requestSubmit(); return true;",
            json!([]),
        )
        .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn start_at_login_writes_the_login_entry_and_starts_hoist_in_the_tray() {
    let test = "start_at_login_writes_the_login_entry_and_starts_hoist_in_the_tray";
    if !keychain_available(test) || !e2e_available(test) {
        return;
    }
    let server = TestS3::start().await;
    server.create_bucket("bucket");
    // The autostart entry goes to $XDG_CONFIG_HOME/autostart: a home of the test's own.
    let home = tempfile::tempdir().unwrap();
    let entry = home.path().join(".config/autostart/hoist.desktop");
    // Hoist's data under a path with a space: the entry's command must quote it (it did not).
    let data = tempfile::Builder::new()
        .prefix("Hoist data ")
        .tempdir()
        .unwrap();
    let config = home.path().join(".config");
    let window = open_window_in(
        data,
        &server,
        "autostart",
        &[("HOME", home.path()), ("XDG_CONFIG_HOME", config.as_path())],
    )
    .await;
    let driver = &window.driver;
    let tab = driver.find(".tab-settings", UI_WAIT).await;
    driver.click(&tab).await;
    let checkbox = driver
        .find(".settings-form [name=\"autostart\"]", UI_WAIT)
        .await;
    let checked = || async {
        driver
            .execute(
                "return document.querySelector('.settings-form [name=\"autostart\"]').checked;",
                json!([]),
            )
            .await
            == true
    };
    assert!(!checked().await, "start at login is on in a new home");
    driver.click(&checkbox).await;
    save_settings(driver).await;
    let written = wait_until(UI_WAIT, || std::future::ready(entry.exists())).await;
    assert!(written, "no {}", entry.display());
    let words = exec_words(&std::fs::read_to_string(&entry).unwrap());
    let data_dir = window.hoist.data_dir.to_str().unwrap().to_string();
    assert_eq!(
        words[1..],
        ["--minimized", "--data-dir", &data_dir],
        "the entry starts {words:?}"
    );
    assert_eq!(
        std::fs::canonicalize(&words[0]).unwrap(),
        std::fs::canonicalize(env!("CARGO_BIN_EXE_hoist-window")).unwrap(),
        "the entry starts the window binary itself"
    );
    // Off removes it; on again writes it back.
    driver.click(&checkbox).await;
    save_settings(driver).await;
    let removed = wait_until(UI_WAIT, || std::future::ready(!entry.exists())).await;
    assert!(removed, "unchecking left {}", entry.display());
    driver.click(&checkbox).await;
    save_settings(driver).await;
    assert!(wait_until(UI_WAIT, || std::future::ready(entry.exists())).await);
    assert!(checked().await);

    // Log in: the desktop runs the entry's command. Hoist starts with its window hidden and its
    // tray icon up.
    let closed = window.close().await;
    let log_dir = closed.hoist.data_dir.join("logs");
    let mut login = std::process::Command::new(&words[0])
        .args(&words[1..])
        .env("HOME", home.path())
        .env("XDG_CONFIG_HOME", &config)
        .env_remove("HOIST_DATA_DIR")
        .stdout(std::process::Stdio::null())
        .spawn()
        .expect("the login command starts");
    let started = wait_until(UI_WAIT, || {
        let logs = std::fs::read_dir(&log_dir)
            .into_iter()
            .flatten()
            .flatten()
            .map(|e| std::fs::read_to_string(e.path()).unwrap_or_default())
            .collect::<String>();
        std::future::ready(logs.contains("started minimized to the tray"))
    })
    .await;
    let tray = if std::env::var_os("HOIST_TRAY_LOG").is_some() {
        wait_until(UI_WAIT, || std::future::ready(tray_menu().is_some())).await
    } else {
        true
    };
    let state = x11_window("state");
    let _ = login.kill();
    let _ = login.wait();
    assert!(started, "the login command did not start minimized");
    assert!(tray, "the login command put no icon in the tray");
    assert_ne!(
        state.as_deref(),
        Some("viewable"),
        "the window showed at login"
    );
}
