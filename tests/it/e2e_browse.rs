//! The Browse view in the real window (Xvfb, WebKitWebDriver), against the in-test S3 server:
//! open a folder, narrow it with the filter, delete an object after the confirmation, copy a
//! share link and read it from the X clipboard (then download with it), and drop a file on the
//! window over XDND so that it uploads into the folder shown and appears there. Then, with
//! 100,000 keys in one folder, the time to the first row and the frame times of a scroll are
//! measured in the page and written to target/e2e-screenshots/browse-figures.txt. And Download:
//! an object and a folder, each into the folder chosen in the system picker (GTK's, answered
//! over XTEST by tests/lib/x_keys.py), found on disk, then "Show in folder" reaching the file
//! manager on the session bus (tests/lib/file_manager.py).

use crate::common::*;
use crate::desktop::answer_picker;
use crate::desktop::window::*;
use crate::webdriver::{Driver, wait_until};
use hoist_test_s3::TestS3;
use serde_json::json;
use std::path::Path;

/// The names the Browse view shows, top to bottom (rows are positioned, not in DOM order).
async fn names(driver: &Driver) -> Vec<String> {
    let names = driver
        .execute(
            "return [...document.querySelectorAll('.object-row')]
               .sort((a, b) => a.getBoundingClientRect().top - b.getBoundingClientRect().top)
               .map(r => r.querySelector('.object-name').textContent);",
            json!([]),
        )
        .await;
    serde_json::from_value(names).unwrap_or_default()
}

async fn open_folder(driver: &Driver, key: &str) {
    let row = format!(".object-row[data-key=\"{key}\"]");
    driver.find(&row, UI_WAIT).await;
    driver
        .execute(
            "document.querySelector(arguments[0]).dispatchEvent(new MouseEvent('dblclick', { bubbles: true }));",
            json!([row]),
        )
        .await;
}

async fn click_row(driver: &Driver, key: &str) {
    let row = driver
        .find(&format!(".object-row[data-key=\"{key}\"]"), UI_WAIT)
        .await;
    driver.click(&row).await;
}

fn clipboard() -> String {
    std::process::Command::new("xclip")
        .args(["-o", "-selection", "clipboard"])
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
        .unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn browse_filter_delete_share_and_drop_into_a_folder() {
    let test = "browse_filter_delete_share_and_drop_into_a_folder";
    if !keychain_available(test) || !e2e_available(test) {
        return;
    }
    let server = TestS3::start().await;
    server.create_bucket("bucket");
    let keys = [
        "photos/a.jpg",
        "photos/b.jpg",
        "photos/sub/c.jpg",
        "top.txt",
    ];
    server.seed("bucket", &keys.map(String::from));
    let many: Vec<String> = (0..100_000).map(|i| format!("many/{i:06}.bin")).collect();
    server.seed("bucket", &many);
    let window = open_window(&server, "browse").await;
    let driver = &window.driver;
    let tab = driver.find(".tab-browse", UI_WAIT).await;
    driver.click(&tab).await;

    open_folder(driver, "photos/").await;
    let opened = wait_until(UI_WAIT, || async {
        names(driver).await == ["sub/", "a.jpg", "b.jpg"]
    })
    .await;
    assert!(opened, "photos/ shows {:?}", names(driver).await);

    let filter = driver.find(".browse-filter", UI_WAIT).await;
    driver.type_into(&filter, "b.").await;
    let narrowed = wait_until(UI_WAIT, || async { names(driver).await == ["b.jpg"] }).await;
    assert!(narrowed, "the filter shows {:?}", names(driver).await);
    driver
        .execute(
            "const f = document.querySelector('.browse-filter'); f.value = ''; f.dispatchEvent(new Event('input'));",
            json!([]),
        )
        .await;

    click_row(driver, "photos/a.jpg").await;
    let delete = driver.find(".delete-selected", UI_WAIT).await;
    driver.click(&delete).await;
    let question = driver
        .find(".confirm-delete:not([hidden]) .confirm-question", UI_WAIT)
        .await;
    assert!(
        driver
            .text(&question)
            .await
            .starts_with("Delete 1 object ("),
        "{}",
        driver.text(&question).await
    );
    assert!(
        server.object("bucket", "photos/a.jpg").is_some(),
        "deleted before the answer"
    );
    let yes = driver.find(".confirm-yes", UI_WAIT).await;
    driver.click(&yes).await;
    let deleted = wait_until(UI_WAIT, || async {
        server.object("bucket", "photos/a.jpg").is_none()
            && names(driver).await == ["sub/", "b.jpg"]
    })
    .await;
    assert!(deleted, "a.jpg is still there: {:?}", names(driver).await);

    click_row(driver, "photos/b.jpg").await;
    let copy = driver.find(".copy-link", UI_WAIT).await;
    driver.click(&copy).await;
    let copied = wait_until(UI_WAIT, || async {
        let text = clipboard();
        text.contains("/bucket/photos/b.jpg") && text.contains("X-Amz-Expires=86400")
    })
    .await;
    assert!(copied, "the clipboard holds {:?}", clipboard());
    let got = reqwest::get(clipboard().trim()).await.unwrap();
    assert!(got.status().is_success(), "{}", got.status());
    assert_eq!(got.bytes().await.unwrap().as_ref(), b"photos/b.jpg");

    let file = window.hoist.data_dir.with_file_name("drop.txt");
    std::fs::write(&file, b"dropped").unwrap();
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/lib/xdnd_drop.py");
    let dropped = std::process::Command::new("/usr/bin/python3")
        .arg(script)
        .arg("Hoist")
        .arg(&file)
        .output()
        .expect("python3 runs");
    assert!(dropped.status.success(), "the drop: {dropped:?}");
    let arrived = wait_until(UPLOAD_WAIT, || async {
        server.object("bucket", "photos/drop.txt").as_deref() == Some(b"dropped".as_slice())
    })
    .await;
    assert!(arrived, "the dropped file did not reach photos/");
    let shown = wait_until(UI_WAIT, || async {
        names(driver).await.contains(&"drop.txt".to_string())
    })
    .await;
    assert!(
        shown,
        "the listing did not refresh: {:?}",
        names(driver).await
    );
    driver
        .screenshot(&screenshot_dir().join("browse.png"))
        .await;

    measure_a_folder_of_100000_keys(driver).await;
}

/// Time to the first row of `many/` (100,000 keys) and the frame times of scrolling through
/// it, measured in the page with performance.now() and requestAnimationFrame.
async fn measure_a_folder_of_100000_keys(driver: &Driver) {
    let crumb = driver.find(".crumb:not(.current)", UI_WAIT).await;
    driver.click(&crumb).await;
    driver
        .find(".object-row[data-key=\"many/\"]", UI_WAIT)
        .await;
    let first_row = driver
        .execute(
            "return new Promise((resolve) => {
               const list = document.querySelector('.objects');
               const t0 = performance.now();
               const seen = () => list.querySelector('.object-row[data-key^=\"many/0\"]');
               const observer = new MutationObserver(() => {
                 if (seen()) { observer.disconnect(); resolve(performance.now() - t0); }
               });
               observer.observe(list, { childList: true, subtree: true });
               document.querySelector('.object-row[data-key=\"many/\"]')
                 .dispatchEvent(new MouseEvent('dblclick', { bubbles: true }));
               setTimeout(() => resolve(-1), 20000);
             });",
            json!([]),
        )
        .await
        .as_f64()
        .unwrap_or(-1.0);
    assert!(first_row >= 0.0, "no row of many/ within 20 s");
    eprintln!("browse: first row of many/ after {first_row:.0} ms");
    // The pace this X server gives animation frames to an idle page, for comparison.
    let idle = driver
        .execute(
            "return new Promise((resolve) => {
               const times = []; let last = performance.now();
               const step = (now) => {
                 times.push(now - last); last = now;
                 if (times.length < 31) requestAnimationFrame(step);
                 else resolve(times.slice(1).sort((a, b) => a - b)[15]);
               };
               requestAnimationFrame(step);
             });",
            json!([]),
        )
        .await
        .as_f64()
        .unwrap_or(-1.0);
    // Scroll at 20 rows a frame for up to 600 frames or 8 s; each step's own cost (the scroll
    // handler and the layout it forces) is timed too, since a window the X server does not
    // show may get animation frames at a slower pace. The view loads pages of 1,000 as it
    // nears the end of what it has.
    let scrolled = driver
        .execute(
            "return new Promise((resolve) => {
               const list = document.querySelector('.objects');
               const frames = [], work = [];
               const start = performance.now();
               let last = start;
               const step = (now) => {
                 frames.push(now - last); last = now;
                 const t = performance.now();
                 list.scrollTop += 720;
                 list.dispatchEvent(new Event('scroll'));
                 void list.querySelector('.object-row').offsetHeight;
                 work.push(performance.now() - t);
                 if (frames.length < 600 && now - start < 8000) requestAnimationFrame(step);
                 else resolve({ frames: frames.slice(1), work });
               };
               requestAnimationFrame(step);
             });",
            json!([]),
        )
        .await;
    // The ceiling: a plain scrolling box of the list's size with 28 fixed rows and no code.
    let plain = driver
        .execute(
            "return new Promise((resolve) => {
               const list = document.querySelector('.objects');
               const box = document.createElement('div');
               const r = list.getBoundingClientRect();
               box.style.cssText = `position:fixed;left:${r.left}px;top:${r.top}px;width:${r.width}px;height:${r.height}px;overflow-y:auto;background:#fff;z-index:50`;
               const tall = document.createElement('div');
               tall.style.height = '3600000px';
               for (let i = 0; i < 28; i++) {
                 const row = document.createElement('div');
                 row.textContent = 'many/' + String(i).padStart(6, '0') + '.bin   12 B   1/1/26, 12:00';
                 row.style.cssText = `position:absolute;top:${i * 36}px;height:36px;left:0;right:0`;
                 tall.append(row);
               }
               box.append(tall);
               document.body.append(box);
               const times = []; let last = performance.now();
               const step = (now) => {
                 times.push(now - last); last = now;
                 box.scrollTop += 720;
                 if (times.length < 61) requestAnimationFrame(step);
                 else { box.remove(); resolve(times.slice(1).sort((a, b) => a - b)[30]); }
               };
               requestAnimationFrame(step);
             });",
            json!([]),
        )
        .await
        .as_f64()
        .unwrap_or(-1.0);
    let frames = scrolled["frames"].clone();
    let mut work: Vec<f64> = serde_json::from_value(scrolled["work"].clone()).unwrap_or_default();
    work.sort_by(|a, b| a.total_cmp(b));
    let mut frames: Vec<f64> = serde_json::from_value(frames).unwrap_or_default();
    assert!(frames.len() > 30, "the scroll did not run: {frames:?}");
    let rows = driver.find_all(".object-row").await.len();
    assert!(
        rows < 80,
        "{rows} rows in the DOM: the list is not virtualized"
    );
    let loaded: u64 = driver
        .execute(
            "return document.querySelector('.objects-spacer').offsetHeight / 36;",
            json!([]),
        )
        .await
        .as_f64()
        .unwrap_or(0.0) as u64;
    frames.sort_by(|a, b| a.total_cmp(b));
    let at = |q: f64| frames[((frames.len() - 1) as f64 * q) as usize];
    let work_at = |q: f64| work[((work.len() - 1) as f64 * q) as usize];
    let figures = format!(
        "Browse, 100,000 keys in one folder (real window, Xvfb): first row {first_row:.0} ms; \
         scroll of {} frames (rows loaded by then: {loaded}): frame interval median {:.1} ms, \
         p95 {:.1} ms, max {:.1} ms; work per scroll step median {:.2} ms, p95 {:.2} ms, \
         max {:.2} ms; {rows} rows in the DOM; an idle page's frame interval: {idle:.1} ms; a plain scrolling box's (no code, \
         static rows): {plain:.1} ms\n",
        frames.len(),
        at(0.5),
        at(0.95),
        frames[frames.len() - 1],
        work_at(0.5),
        work_at(0.95),
        work[work.len() - 1],
    );
    eprint!("{figures}");
    std::fs::write(screenshot_dir().join("browse-figures.txt"), figures).unwrap();
    assert!(
        loaded >= 2000,
        "scrolling loaded no more pages ({loaded} rows)"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn download_from_browse_lands_in_downloads_and_shows_in_the_file_manager() {
    let test = "download_from_browse_lands_in_downloads_and_shows_in_the_file_manager";
    if !keychain_available(test) || !e2e_available(test) {
        return;
    }
    let server = TestS3::start().await;
    server.create_bucket("bucket");
    server.seed(
        "bucket",
        &["photos/a.jpg", "photos/sub/b.jpg"].map(String::from),
    );
    let home = tempfile::tempdir().unwrap();
    let downloads = home.path().join("Downloads");
    std::fs::create_dir_all(&downloads).unwrap();
    let config = home.path().join("config");
    std::fs::create_dir_all(&config).unwrap();
    std::fs::write(
        config.join("user-dirs.dirs"),
        format!("XDG_DOWNLOAD_DIR=\"{}\"\n", downloads.display()),
    )
    .unwrap();
    let window = open_window_with(&server, "download", &[("XDG_CONFIG_HOME", &config)]).await;
    let driver = &window.driver;
    let tab = driver.find(".tab-browse", UI_WAIT).await;
    driver.click(&tab).await;
    open_folder(driver, "photos/").await;
    let opened = wait_until(UI_WAIT, || async {
        names(driver).await == ["sub/", "a.jpg"]
    })
    .await;
    assert!(opened, "photos/ shows {:?}", names(driver).await);

    click_row(driver, "photos/a.jpg").await;
    // The GTK folder chooser starts in the Downloads folder (XDG_DOWNLOAD_DIR from the app's
    // user-dirs.dirs), which is what Return chooses.
    let mut picker = answer_picker("Download a.jpg to", &["Return"]);
    let download = driver.find(".download-selected", UI_WAIT).await;
    driver.click(&download).await;
    let answered = picker.wait().expect("x_keys.py ran");
    assert!(
        answered.success(),
        "no picker titled 'Download a.jpg to' appeared"
    );
    let target = downloads.join("a.jpg");
    let landed = wait_until(UPLOAD_WAIT, || async {
        std::fs::read(&target).ok().as_deref() == Some(b"photos/a.jpg".as_slice())
    })
    .await;
    assert!(landed, "{} did not appear", target.display());
    let names_on_disk: Vec<_> = std::fs::read_dir(&downloads)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(
        names_on_disk,
        ["a.jpg"],
        "no partial file is left beside it"
    );

    // A folder: everything under it, into the folder chosen last time.
    click_row(driver, "photos/sub/").await;
    let mut picker = answer_picker("Download sub to", &["Return"]);
    driver.click(&download).await;
    assert!(picker.wait().unwrap().success(), "no picker for the folder");
    let nested = downloads.join("sub/b.jpg");
    let landed = wait_until(UPLOAD_WAIT, || async {
        std::fs::read(&nested).ok().as_deref() == Some(b"photos/sub/b.jpg".as_slice())
    })
    .await;
    assert!(landed, "{} did not appear", nested.display());

    let queue = driver.find(".tab-queue", UI_WAIT).await;
    driver.click(&queue).await;
    let both = wait_until(UI_WAIT, || async {
        driver
            .find_all(".row[data-direction=\"download\"][data-state=\"completed\"]")
            .await
            .len()
            == 2
    })
    .await;
    assert!(both, "the queue shows: {}", driver.page_text().await);
    let show = driver
        .find(
            ".row[data-direction=\"download\"][data-state=\"completed\"] .action-show",
            UI_WAIT,
        )
        .await;
    driver.click(&show).await;
    let log = std::env::var("HOIST_FILE_MANAGER_LOG").expect("tests/lib/session.sh --display");
    let shown = wait_until(UI_WAIT, || async {
        let calls = std::fs::read_to_string(&log).unwrap_or_default();
        calls.contains("ShowItems") && calls.contains(&format!("file://{}", downloads.display()))
    })
    .await;
    assert!(
        shown,
        "the file manager was not asked to show the download: {:?}",
        std::fs::read_to_string(&log)
    );
    driver
        .screenshot(&screenshot_dir().join("downloads.png"))
        .await;

    // The job's details say how the download was verified.
    let details = driver
        .find(
            // Shown once the row knows how the download was verified; the hidden one is there
            // before and cannot be clicked.
            ".row[data-direction=\"download\"][data-state=\"completed\"] .show-detail:not([hidden])",
            UI_WAIT,
        )
        .await;
    driver.click(&details).await;
    let said = wait_until(UI_WAIT, || async {
        let text = driver.page_text().await;
        text.contains("Verified") && text.contains("MD5 of the bytes")
    })
    .await;
    assert!(said, "the details say: {}", driver.page_text().await);
    driver
        .screenshot(&screenshot_dir().join("download-verified.png"))
        .await;
}
