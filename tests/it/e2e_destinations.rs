//! The Destinations view in the real window: Import from AWS CLI reads the AWS CLI's files the
//! window was started with, shows each profile with what it becomes (and never its secret),
//! imports one with the bucket typed in, and the imported destination's keys work (its
//! connection test passes against the in-test server).

use crate::common::*;
use crate::desktop::window::*;
use crate::webdriver::wait_until;
use hoist_test_s3::TestS3;
use std::path::Path;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_aws_cli_profile_imported_in_the_window_uploads_with_its_keys() {
    let test = "an_aws_cli_profile_imported_in_the_window_uploads_with_its_keys";
    if !keychain_available(test) || !e2e_available(test) {
        return;
    }
    let server = TestS3::start().await;
    server.create_bucket("bucket");
    server.create_bucket("imported");
    let aws = tempfile::tempdir().unwrap();
    let credentials = aws.path().join("credentials");
    let config = aws.path().join("config");
    std::fs::write(
        &credentials,
        format!(
            "[tests]\naws_access_key_id = {}\naws_secret_access_key = {}\n\n\
             [temporary]\naws_access_key_id = ASIAEXAMPLE\naws_secret_access_key = x\naws_session_token = t\n",
            hoist_test_s3::ACCESS_KEY,
            hoist_test_s3::SECRET_KEY
        ),
    )
    .unwrap();
    std::fs::write(
        &config,
        format!(
            "[profile tests]\nregion = {}\ns3 =\n  endpoint_url = {}\n  addressing_style = path\n",
            hoist_test_s3::REGION,
            server.endpoint()
        ),
    )
    .unwrap();
    let window = open_window_with(
        &server,
        "aws_import",
        &[
            ("AWS_SHARED_CREDENTIALS_FILE", credentials.as_path()),
            ("AWS_CONFIG_FILE", config.as_path()),
        ],
    )
    .await;
    let driver = &window.driver;
    let tab = driver.find(".tab-destinations", UI_WAIT).await;
    driver.click(&tab).await;
    let open = driver.find(".open-import", UI_WAIT).await;
    driver.click(&open).await;
    let row = ".aws-profile[data-profile=\"tests\"]";
    driver.find(row, UI_WAIT).await;
    let temporary = driver
        .find(
            ".aws-profile[data-profile=\"temporary\"] .profile-unusable",
            UI_WAIT,
        )
        .await;
    assert!(
        driver.text(&temporary).await.contains("session token"),
        "the temporary profile does not say why it cannot be imported"
    );
    let key_id = hoist_test_s3::ACCESS_KEY;
    let tail = &key_id[key_id.len() - 4..];
    driver
        .screenshot(&screenshot_dir().join("destinations-import-list.png"))
        .await;
    let facts = driver
        .execute(
            "return document.querySelector(arguments[0]).textContent;",
            serde_json::json!([format!("{row} .profile-facts")]),
        )
        .await;
    let facts = facts.as_str().unwrap_or_default();
    assert!(
        facts.starts_with(&format!("key …{tail} · ")),
        "the profile's facts say {facts:?}"
    );
    fill(driver, row, "bucket", "imported").await;
    let import = driver.find(&format!("{row} .import"), UI_WAIT).await;
    driver.click(&import).await;
    let test_button = driver
        .find(".destination[data-name=\"aws-tests\"] .test", UI_WAIT)
        .await;
    driver
        .screenshot(&screenshot_dir().join("destinations-import.png"))
        .await;
    let page = driver.page_text().await;
    assert!(
        page.contains("Imported AWS profile tests as aws-tests (bucket imported)"),
        "{page}"
    );
    assert!(
        !page.contains(hoist_test_s3::SECRET_KEY),
        "the secret is on the page"
    );
    assert!(!page.contains(key_id), "the whole key id is on the page");

    // The keys went to the keychain: the connection test passes, and an upload lands.
    driver.click(&test_button).await;
    assert!(
        wait_until(UI_WAIT, || async {
            driver.page_text().await.contains("aws-tests: works")
        })
        .await,
        "the imported destination's connection test did not pass:\n{}",
        driver.page_text().await
    );
    let file = aws.path().join("through-import.txt");
    write_pattern(&file, 5000, 7);
    enqueue(&window.hoist, Some("aws-tests"), &[Path::new(&file)]);
    assert!(
        wait_until(UPLOAD_WAIT, || async {
            server.object("imported", "through-import.txt").is_some()
        })
        .await,
        "the upload through the imported destination never landed"
    );
}
