//! A metered connection in the real window: with "Pause transfers on metered connections" on,
//! an upload running when NetworkManager (python3-dbusmock's, on the session bus the window takes
//! for its system bus) says the connection turned metered stops and shows as queued, the queue
//! header and the tray's status line say why, and it goes on by itself when the connection is
//! not metered.

use crate::common::*;
use crate::desktop::window::*;
use crate::desktop::{registered_tray_menu, tray_layout};
use crate::webdriver::wait_until;
use hoist_test_s3::TestS3;
use serde_json::json;
use std::path::Path;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_upload_a_metered_connection_stops_shows_queued_and_the_header_and_tray_say_why() {
    let test = "an_upload_a_metered_connection_stops_shows_queued_and_the_header_and_tray_say_why";
    if !keychain_available(test) || !e2e_available(test) {
        return;
    }
    let bus = std::env::var_os("DBUS_SESSION_BUS_ADDRESS").expect("the session's bus");
    let network_manager = NetworkManagerStandIn::start(2);
    let server = TestS3::start().await;
    server.create_bucket("bucket");
    let window = open_window_with(
        &server,
        "metered",
        &[("DBUS_SYSTEM_BUS_ADDRESS", Path::new(&bus))],
    )
    .await;
    let driver = &window.driver;
    for setting in [["pause-on-metered", "on"], ["limit", "1MiB"]] {
        let set = window.hoist.run(&[&["settings"], &setting[..]].concat());
        assert!(set.status.success());
    }
    // 12 MiB at 1 MiB/s: running when the connection turns metered.
    let file = window.hoist.data_dir.with_file_name("metered.bin");
    write_pattern(&file, 12 * MIB, 3);
    enqueue(&window.hoist, None, &[&file]);
    assert!(
        row_in_state(driver, "running", UPLOAD_WAIT).await,
        "the upload never started:\n{}",
        driver.page_text().await
    );
    network_manager.set_metered(1);

    let header = || async {
        driver
            .execute(
                "const s = document.querySelector('.status'); return s && !s.hidden ? s.textContent : '';",
                json!([]),
            )
            .await
            .as_str()
            .unwrap_or_default()
            .to_string()
    };
    assert!(
        wait_until(UI_WAIT, || async {
            header().await.starts_with("Paused on a metered connection")
        })
        .await,
        "the header does not say the connection holds the queue: {:?}",
        header().await
    );
    assert!(
        row_in_state(driver, "queued", UI_WAIT).await,
        "the stopped upload does not show as queued:\n{}",
        driver.page_text().await
    );
    let menu = registered_tray_menu().await;
    assert!(
        wait_until(UI_WAIT, || std::future::ready(
            tray_layout(&menu).contains("'Paused on a metered connection · 1 queued")
        ))
        .await,
        "the tray's status line does not say it: {}",
        tray_layout(&menu)
    );
    driver
        .screenshot(&screenshot_dir().join("queue-metered.png"))
        .await;
    assert!(server.object("bucket", "metered.bin").is_none());

    assert!(
        window
            .hoist
            .run(&["settings", "limit", "off"])
            .status
            .success()
    );
    network_manager.set_metered(2);
    assert!(
        row_in_state(driver, "completed", UPLOAD_WAIT).await,
        "the upload did not go on when the connection stopped being metered:\n{}",
        driver.page_text().await
    );
    assert_eq!(
        server.object("bucket", "metered.bin"),
        Some(std::fs::read(&file).unwrap())
    );
    assert!(
        wait_until(UI_WAIT, || async { header().await.is_empty() }).await,
        "the header still says {:?}",
        header().await
    );
}
