//! How the window looks: every view at the default 980×640 and at 1400×900, in the light and
//! the dark theme (GTK's `Adwaita:dark`, which WebKitGTK reports as `prefers-color-scheme:
//! dark`). The screenshots go to `target/e2e-screenshots/looks/` to be looked at; what would
//! look broken is checked: the page takes the theme, the queue's toolbar stays one row, no
//! view scrolls sideways, and the queue's rows are not cut short.

use crate::common::*;
use crate::desktop::window::*;
use crate::webdriver::{Driver, wait_until};
use hoist_test_s3::TestS3;
use serde_json::json;
use std::path::Path;

const VIEWS: [&str; 5] = ["queue", "browse", "watches", "destinations", "settings"];
const SIZES: [(u64, u64); 2] = [(980, 640), (1400, 900)];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_view_at_two_sizes_in_the_light_and_the_dark_theme() {
    let test = "every_view_at_two_sizes_in_the_light_and_the_dark_theme";
    if !keychain_available(test) || !e2e_available(test) {
        return;
    }
    let server = TestS3::start().await;
    server.create_bucket("bucket");
    let shots = screenshot_dir().join("looks");
    std::fs::create_dir_all(&shots).unwrap();
    for theme in ["light", "dark"] {
        let env: Vec<(&str, &Path)> = match theme {
            "dark" => vec![("GTK_THEME", Path::new("Adwaita:dark"))],
            _ => vec![],
        };
        let window = open_window_with(&server, &format!("looks-{theme}"), &env).await;
        let driver = &window.driver;
        driver.find("body", UI_WAIT).await;
        // A queue with something in it: two finished uploads with long names, one failed.
        let files = window.hoist.data_dir.with_file_name("files");
        let long = files.join("a holiday video with a name long enough to be cut short.mp4");
        let small = files.join("notes.txt");
        write_pattern(&long, 2 * MIB, 1);
        write_pattern(&small, 1000, 2);
        enqueue(&window.hoist, None, &[&long, &small]);
        assert!(
            wait_until(UPLOAD_WAIT, || async {
                driver
                    .find_all(".row[data-state=\"completed\"]")
                    .await
                    .len()
                    == 2
            })
            .await,
            "the uploads never completed:\n{}",
            driver.page_text().await
        );

        let background = luminance_of_page(driver).await;
        match theme {
            "dark" => assert!(
                background < 0.2,
                "the dark theme's page is light ({background})"
            ),
            _ => assert!(
                background > 0.8,
                "the light theme's page is dark ({background})"
            ),
        }
        for (width, height) in SIZES {
            driver.set_window_size(width, height).await;
            assert!(
                wait_until(UI_WAIT, || async {
                    driver
                        .execute("return window.innerWidth;", json!([]))
                        .await
                        .as_u64()
                        .is_some_and(|w| w.abs_diff(width) < 40)
                })
                .await,
                "the window did not take {width}×{height}"
            );
            for view in VIEWS {
                let tab = driver.find(&format!(".tab-{view}"), UI_WAIT).await;
                driver.click(&tab).await;
                driver
                    .find(&format!("#view-{view}:not([hidden])"), UI_WAIT)
                    .await;
                let sideways = driver
                    .execute(
                        "const e = document.scrollingElement; return e.scrollWidth - e.clientWidth;",
                        json!([]),
                    )
                    .await;
                assert_eq!(
                    sideways.as_i64(),
                    Some(0),
                    "the {view} view scrolls sideways at {width}×{height} ({theme})"
                );
                if view == "queue" {
                    check_queue_layout(driver, width).await;
                }
                driver
                    .screenshot(&shots.join(format!("{view}-{width}x{height}-{theme}.png")))
                    .await;
            }
        }
        window.close().await;
    }
}

/// The relative luminance (0 black, 1 white) of the page's background.
async fn luminance_of_page(driver: &Driver) -> f64 {
    let rgb = driver
        .execute(
            "const c = getComputedStyle(document.body).backgroundColor.match(/[0-9.]+/g).map(Number);
             const lin = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); };
             return 0.2126 * lin(c[0]) + 0.7152 * lin(c[1]) + 0.0722 * lin(c[2]);",
            json!([]),
        )
        .await;
    rgb.as_f64().expect("a luminance")
}

/// The toolbar is one row (its buttons share one top), and each row's name is given the width
/// it needs up to what the window has (a name is cut only when the window is narrow).
async fn check_queue_layout(driver: &Driver, width: u64) {
    let tops = driver
        .execute(
            "return [...document.querySelectorAll('.toolbar button')]
                 .filter((b) => b.offsetParent !== null)
                 .map((b) => Math.round(b.getBoundingClientRect().top));",
            json!([]),
        )
        .await;
    let tops: Vec<i64> = tops
        .as_array()
        .expect("a list")
        .iter()
        .filter_map(|t| t.as_i64())
        .collect();
    assert!(!tops.is_empty(), "no toolbar buttons");
    assert!(
        tops.iter().all(|t| *t == tops[0]),
        "the toolbar wraps at {width} px: button tops {tops:?}"
    );
    let names = driver
        .execute(
            "return [...document.querySelectorAll('.row .file')]
                 .map((n) => [n.scrollWidth, n.clientWidth]);",
            json!([]),
        )
        .await;
    let names = names.as_array().expect("a list");
    assert_eq!(names.len(), 2, "two rows");
    if width >= 1400 {
        for name in names {
            let (needed, given) = (name[0].as_i64().unwrap(), name[1].as_i64().unwrap());
            assert!(
                needed <= given,
                "a name is cut short at {width} px ({needed} px needed, {given} given)"
            );
        }
    }
}
