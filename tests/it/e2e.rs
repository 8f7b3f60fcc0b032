//! End to end: the real `hoist` window under Xvfb, driven through tauri-driver and WebKitWebDriver,
//! uploading to the in-test S3 server, with notifications caught by the session's mock
//! notification daemon. Screenshots of the views go to `target/e2e-screenshots/`.
//!
//! Needs what `tests/lib/session.sh --display` provides (D-Bus session, keyring, Xvfb, mock
//! notification daemon) and tauri-driver on PATH; without them each test says so and skips,
//! unless HOIST_REQUIRE_E2E=1 (set by ./scripts/test) makes that a failure.

use crate::common::*;
use crate::desktop::window::*;
use crate::desktop::{
    registered_tray_menu, tray_click, tray_layout, x11_window, x11_window_titled,
};
use crate::webdriver::{Driver, wait_until};
use hoist_test_s3::TestS3;
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn files_added_in_the_window_upload_and_notify() {
    if !keychain_available("files_added_in_the_window_upload_and_notify")
        || !e2e_available("files_added_in_the_window_upload_and_notify")
    {
        return;
    }
    let server = TestS3::start().await;
    server.create_bucket("bucket");
    let window = open_window(&server, "files_added").await;
    let driver = &window.driver;
    // The queue view is up once the app has loaded its (empty) list.
    driver.find("body", UI_WAIT).await;
    let files_dir = window.hoist.data_dir.with_file_name("files");
    let big = files_dir.join("big.bin");
    let small = files_dir.join("small.txt");
    write_pattern(&big, 12 * MIB, 3);
    write_pattern(&small, 1000, 4);
    enqueue(&window.hoist, None, &[&big, &small]);

    let rows_done = wait_until(UPLOAD_WAIT, || async {
        let text = driver.page_text().await;
        text.contains("big.bin")
            && text.contains("small.txt")
            && driver
                .find_all(".row[data-state=\"completed\"]")
                .await
                .len()
                == 2
    })
    .await;
    driver
        .screenshot(&screenshot_dir().join("queue-completed.png"))
        .await;
    assert!(
        rows_done,
        "the window never showed both files completed:\n{}",
        driver.page_text().await
    );
    assert_eq!(
        server.object("bucket", "small.txt").map(|b| b.len()),
        Some(1000)
    );
    assert_eq!(
        server.object("bucket", "big.bin").map(|b| b.len()),
        Some(12 * MIB)
    );

    page_cannot_queue_a_path(driver, &window.hoist).await;

    let notified = wait_until(UI_WAIT, || async {
        notifications().contains("Uploaded 2 files")
    })
    .await;
    assert!(
        notified,
        "no 'batch finished' notification; the daemon logged:\n{}",
        notifications()
    );
}

/// A script in the page could queue `~/.ssh` to any bucket: no command may take a path from
/// the web view, and only the permissions the UI uses are granted (no `core:default`).
async fn page_cannot_queue_a_path(driver: &Driver, hoist: &Hoist) {
    for (command, args) in [
        (
            "add_paths",
            serde_json::json!({ "paths": ["/etc/passwd"], "destination": null }),
        ),
        (
            "plugin:path|resolve_directory",
            serde_json::json!({ "directory": 11 }),
        ),
        (
            "plugin:window|title",
            serde_json::json!({ "label": "main" }),
        ),
    ] {
        let answer = driver
            .execute(
                "return window.__TAURI_INTERNALS__.invoke(arguments[0], arguments[1]).then(\
                 () => 'accepted', (e) => 'refused: ' + JSON.stringify(e));",
                serde_json::json!([command, args]),
            )
            .await;
        let answer = answer.as_str().unwrap_or_default().to_string();
        assert!(answer.starts_with("refused"), "{command} was {answer}");
    }
    let queued: Vec<String> = hoist
        .queue_json()
        .iter()
        .map(|j| j["path"].as_str().unwrap_or_default().to_string())
        .collect();
    assert!(!queued.iter().any(|p| p == "/etc/passwd"), "{queued:?}");
}

/// Whether the page is shown (WebKit reports `hidden` while the window is hidden).
async fn page_visible(driver: &Driver) -> bool {
    driver
        .execute("return document.visibilityState;", serde_json::json!([]))
        .await
        == "visible"
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn closing_hides_to_the_tray_and_a_second_launch_shows_the_window() {
    let test = "closing_hides_to_the_tray_and_a_second_launch_shows_the_window";
    if !keychain_available(test) || !e2e_available(test) {
        return;
    }
    let server = TestS3::start().await;
    server.create_bucket("bucket");
    let window = open_window(&server, "second_launch").await;
    let driver = &window.driver;
    driver.find("body", UI_WAIT).await;
    assert!(
        wait_until(UI_WAIT, || page_visible(driver)).await,
        "the window is not shown at start"
    );
    // The title bar's close button (WM_DELETE_WINDOW): with close-to-tray on, the default, the
    // window hides and the app goes on. Sent again while the window still shows: on a loaded
    // machine the first one can arrive before GTK handles the protocol (seen in full runs).
    assert!(
        wait_until(UI_WAIT, || {
            assert!(x11_window("close").is_some(), "the window is gone");
            std::future::ready(x11_window("state").as_deref() == Some("hidden"))
        })
        .await,
        "closing did not hide the window: {:?}",
        x11_window("list")
    );
    assert!(
        driver.window_handles().await == 1,
        "the app quit instead of hiding"
    );
    // A second `hoist FILE` (a file manager's "Open with Hoist", with a path relative to where
    // it runs) hands over to the running one, which shows its window again and queues the file,
    // and exits. The second launch's arguments used to be dropped.
    let handed = window.hoist.data_dir.with_file_name("handed over.txt");
    std::fs::write(&handed, b"opened with hoist").unwrap();
    let mut second = std::process::Command::new(env!("CARGO_BIN_EXE_hoist"))
        .arg("handed over.txt")
        .current_dir(handed.parent().unwrap())
        .env("HOIST_DATA_DIR", &window.hoist.data_dir)
        .spawn()
        .expect("the second launch starts");
    let mut status = None;
    let exited = wait_until(UI_WAIT, || {
        status = second.try_wait().expect("wait on the second launch");
        std::future::ready(status.is_some())
    })
    .await;
    if !exited {
        let _ = second.kill();
    }
    assert!(exited, "the second launch did not exit");
    let second = status.unwrap();
    assert!(second.success(), "the second launch failed: {second}");
    // The first window is shown again, and is the only one.
    assert!(
        wait_until(UI_WAIT, || std::future::ready(
            x11_window("state").as_deref() == Some("viewable")
        ))
        .await,
        "the second launch did not show the window"
    );
    let handles = driver.window_handles().await;
    assert_eq!(handles, 1, "a second window was opened");
    let uploaded = wait_until(UI_WAIT, || {
        std::future::ready(
            window
                .hoist
                .queue_json()
                .iter()
                .any(|job| job["key"] == "handed over.txt" && job["state"] == "completed"),
        )
    })
    .await;
    assert!(
        uploaded,
        "the handed-over file was not queued: {:?}",
        window.hoist.queue_json()
    );
    assert_eq!(
        server.object("bucket", "handed over.txt").as_deref(),
        Some(&b"opened with hoist"[..])
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pause_and_resume_from_the_window_and_add_a_destination_through_the_form() {
    let test = "pause_and_resume_from_the_window_and_add_a_destination_through_the_form";
    if !keychain_available(test) || !e2e_available(test) {
        return;
    }
    let server = TestS3::start().await;
    server.create_bucket("bucket");
    server.create_bucket("second");
    let window = open_window(&server, "pause_resume").await;
    let driver = &window.driver;
    let shots = screenshot_dir();
    // Slow enough to pause mid-file: 6 MiB at 512 KiB/s.
    let limit = window.hoist.run(&["settings", "limit", "512KiB"]);
    assert!(limit.status.success());
    let big = window
        .hoist
        .data_dir
        .with_file_name("files")
        .join("slow.bin");
    write_pattern(&big, 6 * MIB, 7);
    enqueue(&window.hoist, None, &[&big]);

    driver
        .find(
            ".row[data-state=\"running\"] [data-action=\"pause\"]",
            UPLOAD_WAIT,
        )
        .await;
    // A progress tick has reached the row (its speed shows) before the picture is taken.
    let ticked = wait_until(UI_WAIT, || async {
        driver
            .execute(
                "const s = document.querySelector('.row[data-state=\"running\"] .speed'); \
                 return s !== null && s.textContent !== '';",
                serde_json::json!([]),
            )
            .await
            == true
    })
    .await;
    assert!(ticked, "no progress reached the window");
    driver.screenshot(&shots.join("queue-uploading.png")).await;
    let pause = driver
        .find(
            ".row[data-state=\"running\"] [data-action=\"pause\"]",
            UI_WAIT,
        )
        .await;
    driver.click(&pause).await;
    assert!(
        row_in_state(driver, "paused", UI_WAIT).await,
        "the row never showed paused:\n{}",
        driver.page_text().await
    );
    let queue = window.hoist.queue_json();
    assert_eq!(queue[0]["state"], "paused");
    assert!(
        server.object("bucket", "slow.bin").is_none(),
        "finished while paused"
    );

    let lifted = window.hoist.run(&["settings", "limit", "off"]);
    assert!(lifted.status.success());
    let resume = driver
        .find(
            ".row[data-state=\"paused\"] [data-action=\"resume\"]",
            UI_WAIT,
        )
        .await;
    driver.click(&resume).await;
    assert!(
        row_in_state(driver, "completed", UPLOAD_WAIT).await,
        "the resumed upload never completed:\n{}",
        driver.page_text().await
    );
    let uploaded = server
        .object("bucket", "slow.bin")
        .expect("the object exists");
    assert_eq!(uploaded.len(), 6 * MIB);
    driver.screenshot(&shots.join("queue.png")).await;

    // A second destination through the form, then its connection test.
    let tab = driver.find(".tab-destinations", UI_WAIT).await;
    driver.click(&tab).await;
    let form = ".destination-form";
    fill(driver, form, "name", "second").await;
    fill(driver, form, "provider", "generic").await;
    fill(driver, form, "endpoint", &server.endpoint()).await;
    fill(driver, form, "region", hoist_test_s3::REGION).await;
    fill(driver, form, "bucket", "second").await;
    fill(driver, form, "access_key_id", hoist_test_s3::ACCESS_KEY).await;
    fill(driver, form, "secret_access_key", hoist_test_s3::SECRET_KEY).await;
    let save = driver.find(".destination-form button.save", UI_WAIT).await;
    driver.click(&save).await;
    let test_button = driver
        .find(".destination[data-name=\"second\"] .test", UI_WAIT)
        .await;
    let destinations: serde_json::Value =
        serde_json::from_slice(&window.hoist.run(&["destination", "list", "--json"]).stdout)
            .unwrap();
    let added = destinations
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "second")
        .expect("the form added the destination");
    assert_eq!(added["bucket"], "second");
    assert_eq!(added["provider"], "generic");
    driver.click(&test_button).await;
    assert!(
        wait_until(UI_WAIT, || async {
            driver.page_text().await.contains("second: works")
        })
        .await,
        "the connection test did not pass:\n{}",
        driver.page_text().await
    );
    assert!(
        !driver.page_text().await.contains(hoist_test_s3::SECRET_KEY),
        "the secret is on the page"
    );
    driver.screenshot(&shots.join("destinations.png")).await;
    an_r2_destination_keeps_its_endpoint_when_renamed(driver, &window.hoist).await;
    let settings = driver.find(".tab-settings", UI_WAIT).await;
    driver.click(&settings).await;
    driver
        .find(".settings-form [name=\"concurrency\"]", UI_WAIT)
        .await;
    assert!(
        wait_until(UI_WAIT, || async {
            driver
                .execute(
                    "return document.querySelector('.settings-form [name=\"concurrency\"]').value;",
                    serde_json::json!([]),
                )
                .await
                == "3"
        })
        .await
    );
    driver.screenshot(&shots.join("settings.png")).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_upload_is_shown_and_notified_with_its_reason() {
    let test = "a_failed_upload_is_shown_and_notified_with_its_reason";
    if !keychain_available(test) || !e2e_available(test) {
        return;
    }
    let server = TestS3::start().await;
    server.create_bucket("bucket");
    let window = open_window(&server, "failure").await;
    let driver = &window.driver;
    window.hoist.add_destination(
        "broken",
        &server.endpoint(),
        "no-such-bucket",
        hoist_test_s3::ACCESS_KEY,
        hoist_test_s3::SECRET_KEY,
    );
    let file = window
        .hoist
        .data_dir
        .with_file_name("files")
        .join("lost.txt");
    write_pattern(&file, 100, 5);
    enqueue(&window.hoist, Some("broken"), &[&file]);
    let failed = row_in_state(driver, "failed", UPLOAD_WAIT).await;
    assert!(
        failed,
        "the row never showed failed:\n{}",
        driver.page_text().await
    );
    let text = driver.page_text().await;
    assert!(
        text.contains("no-such-bucket"),
        "the reason is not shown:\n{text}"
    );
    the_whole_message_can_be_read_and_copied(driver, &window.hoist).await;
    let notified = wait_until(UI_WAIT, || async {
        let log = notifications();
        log.contains("Upload failed") && log.contains("lost.txt: ")
    })
    .await;
    assert!(
        notified,
        "no failure notification; the daemon logged:\n{}",
        notifications()
    );
}

/// A failed upload's message was cut with an ellipsis: the Details pane shows all of it, and
/// Copy puts it on the X clipboard.
async fn the_whole_message_can_be_read_and_copied(driver: &Driver, hoist: &Hoist) {
    let message = hoist.queue_json()[0]["error"]
        .as_str()
        .expect("the failed job has a message")
        .to_string();
    let details = driver
        .find(".row[data-state=\"failed\"] .show-detail", UI_WAIT)
        .await;
    driver.click(&details).await;
    let pane = driver
        .find(".job-detail:not([hidden]) .job-detail-message", UI_WAIT)
        .await;
    assert_eq!(driver.text(&pane).await, message);
    driver
        .screenshot(&screenshot_dir().join("job-detail.png"))
        .await;
    let copy = driver.find(".job-detail .copy-message", UI_WAIT).await;
    driver.click(&copy).await;
    let copied = wait_until(UI_WAIT, || async {
        let out = std::process::Command::new("xclip")
            .args(["-o", "-selection", "clipboard"])
            .output();
        out.is_ok_and(|o| String::from_utf8_lossy(&o.stdout) == message)
    })
    .await;
    assert!(copied, "the clipboard does not hold the message");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_tray_menu_shows_the_status_and_pauses_and_resumes_everything() {
    let test = "the_tray_menu_shows_the_status_and_pauses_and_resumes_everything";
    if !keychain_available(test)
        || !e2e_available(test)
        || std::env::var_os("HOIST_TRAY_LOG").is_none()
    {
        return;
    }
    let server = TestS3::start().await;
    server.create_bucket("bucket");
    let window = open_window(&server, "tray").await;
    let driver = &window.driver;
    assert!(
        window
            .hoist
            .run(&["settings", "limit", "256KiB"])
            .status
            .success()
    );
    let file = window
        .hoist
        .data_dir
        .with_file_name("files")
        .join("tray.bin");
    write_pattern(&file, 8 * MIB, 9);
    enqueue(&window.hoist, None, &[&file]);

    let menu = registered_tray_menu().await;
    let layout = tray_layout(&menu);
    for label in ["Show Hoist", "Pause all", "Resume all", "Quit Hoist"] {
        assert!(
            layout.contains(&format!("'{label}'")),
            "no {label}: {layout}"
        );
    }
    assert!(
        wait_until(UI_WAIT, || std::future::ready(
            tray_layout(&menu).contains("'1 uploading")
        ))
        .await,
        "the status line never said what runs: {}",
        tray_layout(&menu)
    );

    tray_click(&menu, "Pause all");
    assert!(
        row_in_state(driver, "paused", UI_WAIT).await,
        "Pause all from the tray did not pause the upload"
    );
    assert!(
        wait_until(UI_WAIT, || std::future::ready(
            tray_layout(&menu).contains("'1 paused'")
        ))
        .await,
        "the status line did not follow: {}",
        tray_layout(&menu)
    );
    assert!(
        window
            .hoist
            .run(&["settings", "limit", "off"])
            .status
            .success()
    );
    tray_click(&menu, "Resume all");
    assert!(
        row_in_state(driver, "completed", UPLOAD_WAIT).await,
        "Resume all from the tray did not finish the upload"
    );
    assert_eq!(
        server.object("bucket", "tray.bin").map(|b| b.len()),
        Some(8 * MIB)
    );
}

/// Renaming an R2 destination in the window pointed it at AWS: the preset hides the endpoint
/// field, and its empty value was sent as "no endpoint".
async fn an_r2_destination_keeps_its_endpoint_when_renamed(driver: &Driver, hoist: &Hoist) {
    let form = ".destination-form";
    fill(driver, form, "name", "cf").await;
    fill(driver, form, "provider", "r2").await;
    fill(driver, form, "account_id", "0123abcd").await;
    fill(driver, form, "bucket", "photos").await;
    fill(driver, form, "access_key_id", "r2-key-id").await;
    fill(driver, form, "secret_access_key", "r2-secret").await;
    let save = driver.find(".destination-form button.save", UI_WAIT).await;
    driver.click(&save).await;
    let edit = driver
        .find(".destination[data-name=\"cf\"] .edit", UI_WAIT)
        .await;
    driver.click(&edit).await;
    let name = driver
        .find(".destination-form [name=\"name\"]", UI_WAIT)
        .await;
    driver
        .execute(
            "const n = document.querySelector('.destination-form [name=\"name\"]'); \
             n.scrollIntoView(); n.value = ''; return true;",
            serde_json::json!([]),
        )
        .await;
    driver.type_into(&name, "cloudflare").await;
    driver.click(&save).await;
    driver
        .find(".destination[data-name=\"cloudflare\"]", UI_WAIT)
        .await;
    let destinations: serde_json::Value =
        serde_json::from_slice(&hoist.run(&["destination", "list", "--json"]).stdout).unwrap();
    let renamed = destinations
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "cloudflare")
        .expect("the rename was saved");
    assert_eq!(
        renamed["endpoint"], "https://0123abcd.r2.cloudflarestorage.com",
        "{renamed}"
    );
    assert_eq!(renamed["provider"], "r2");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_damaged_queue_database_is_shown_in_a_dialog_not_only_on_stderr() {
    let test = "a_damaged_queue_database_is_shown_in_a_dialog_not_only_on_stderr";
    if !e2e_available(test) {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    std::fs::create_dir_all(&data).unwrap();
    std::fs::write(data.join("hoist.db"), b"no database here ".repeat(200)).unwrap();
    let mut window = std::process::Command::new(env!("CARGO_BIN_EXE_hoist-window"))
        .arg("--data-dir")
        .arg(&data)
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("hoist-window starts");
    const TITLE: &str = "Hoist cannot open its queue";
    let shown = wait_until(UI_WAIT, || {
        std::future::ready(x11_window_titled("state", TITLE).as_deref() == Some("viewable"))
    })
    .await;
    if !shown {
        let _ = window.kill();
    }
    assert!(shown, "no dialog titled '{TITLE}'");
    x11_window_titled("close", TITLE);
    let out = tokio::task::spawn_blocking(move || window.wait_with_output())
        .await
        .unwrap()
        .unwrap();
    assert!(!out.status.success());
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(
        said.contains("left it untouched") && said.contains("hint: Quit Hoist, then rename"),
        "{said}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_window_opens_at_the_size_and_on_the_view_it_was_left_with() {
    let test = "the_window_opens_at_the_size_and_on_the_view_it_was_left_with";
    if !keychain_available(test) || !e2e_available(test) {
        return;
    }
    let server = TestS3::start().await;
    server.create_bucket("bucket");
    // Its own config folder, where the window's state is kept: other tests keep the default.
    let config = tempfile::tempdir().unwrap();
    let env = [("XDG_CONFIG_HOME", config.path())];
    let window = open_window_with(&server, "window_state", &env).await;
    let driver = &window.driver;
    let watches = driver.find(".tab-watches", UI_WAIT).await;
    driver.click(&watches).await;
    driver.set_window_size(1180, 720).await;
    let wanted = driver.window_size().await;
    assert!(wanted.0 > 1000, "the window was not resized: {wanted:?}");
    // Closed with its title bar's button (to the tray), as a person leaves it; the session then
    // ends the app without a clean exit.
    assert!(
        wait_until(UI_WAIT, || {
            x11_window("close");
            std::future::ready(x11_window("state").as_deref() == Some("hidden"))
        })
        .await,
        "the window did not go to the tray"
    );
    let closed = window.close().await;
    let window = closed.reopen("window_state_again", &env).await;
    let driver = &window.driver;
    driver.find(".tab-watches", UI_WAIT).await;
    let size = driver.window_size().await;
    assert!(
        size.0.abs_diff(wanted.0) <= 2 && size.1.abs_diff(wanted.1) <= 40,
        "the window opened at {size:?}, was left at {wanted:?}"
    );
    let selected = wait_until(UI_WAIT, || async {
        driver
            .execute(
                "return document.querySelector('.tab[aria-selected=\"true\"]')?.dataset.tab ?? '';",
                json!([]),
            )
            .await
            == json!("watches")
    })
    .await;
    assert!(selected, "the window did not open on Watches");
}
