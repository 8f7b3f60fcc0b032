//! The keychain against a real Secret Service (gnome-keyring in a private D-Bus session):
//!
//! ```sh
//! tests/lib/session.sh -- cargo test -p hoist-core --test it keychain
//! ```
//!
//! Without a D-Bus session (`DBUS_SESSION_BUS_ADDRESS` unset) the tests that need one say so
//! on stderr and pass, unless `HOIST_REQUIRE_KEYCHAIN=1`, which CI sets. The test that no
//! keychain is reported plainly needs no session: it runs this binary again pointed at a bus
//! that does not exist.

use hoist_core::credentials::{AccessKey, CredentialStore, Keychain, Secret};
use hoist_core::error::ErrorKind;
use hoist_core::model::DestinationId;
use std::process::Command;

/// The Secret Service of this session, or `None` (test skipped) when there is no session.
fn keychain() -> Option<Keychain> {
    let required = std::env::var("HOIST_REQUIRE_KEYCHAIN").is_ok_and(|v| v == "1");
    if std::env::var_os("DBUS_SESSION_BUS_ADDRESS").is_none() && !required {
        eprintln!("SKIPPED: no D-Bus session; run through tests/lib/session.sh");
        return None;
    }
    Some(Keychain::new().expect("a Secret Service in this session"))
}

/// A destination id no earlier run left behind.
fn fresh_id(name: &str) -> DestinationId {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    DestinationId(format!("test-{name}-{}-{nanos}", std::process::id()))
}

fn key(id: &str, secret: &str) -> AccessKey {
    AccessKey {
        access_key_id: Secret::new(id.into()),
        secret_access_key: Secret::new(secret.into()),
    }
}

/// What the Secret Service itself holds for a destination (through libsecret's CLI).
fn secret_tool_lookup(destination: &DestinationId) -> Option<String> {
    let out = Command::new("timeout")
        .args([
            "10",
            "secret-tool",
            "lookup",
            "service",
            "hoist",
            "username",
            &destination.0,
        ])
        .output()
        .expect("secret-tool is installed");
    out.status
        .success()
        .then(|| String::from_utf8(out.stdout).unwrap())
}

fn round_trip(kc: &Keychain, destination: &DestinationId) {
    kc.set(destination, &key("AKID1", "secret-one")).unwrap();
    assert_eq!(kc.get(destination).unwrap(), key("AKID1", "secret-one"));

    kc.set(destination, &key("AKID2", "secret-two")).unwrap();
    assert_eq!(
        kc.get(destination).unwrap(),
        key("AKID2", "secret-two"),
        "overwrite replaces"
    );

    kc.delete(destination).unwrap();
    let err = kc.get(destination).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Keychain);
    assert!(
        err.message().contains("no credentials are stored"),
        "{}",
        err.message()
    );
    assert!(err.message().contains(&destination.0), "{}", err.message());
    kc.delete(destination).unwrap();
}

#[test]
fn set_get_overwrite_delete_from_plain_code() {
    let Some(kc) = keychain() else { return };
    round_trip(&kc, &fresh_id("plain"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn works_inside_a_multi_thread_runtime() {
    let Some(kc) = keychain() else { return };
    // On a worker thread (block_in_place) and on a blocking-pool thread.
    let kc = std::sync::Arc::new(kc);
    let (on_worker, on_blocking) = (std::sync::Arc::clone(&kc), kc);
    let worker = tokio::spawn(async move { round_trip(&on_worker, &fresh_id("worker")) });
    let blocking =
        tokio::task::spawn_blocking(move || round_trip(&on_blocking, &fresh_id("blocking")));
    let both = async { (worker.await, blocking.await) };
    let (worker, blocking) = tokio::time::timeout(std::time::Duration::from_secs(30), both)
        .await
        .unwrap();
    worker.unwrap();
    blocking.unwrap();
}

#[tokio::test(flavor = "current_thread")]
async fn works_inside_a_current_thread_runtime() {
    let Some(kc) = keychain() else { return };
    // Called on the runtime's only thread, as a sync trait method would be.
    round_trip(&kc, &fresh_id("current"));
}

#[test]
fn the_entry_is_one_json_value_under_service_hoist() {
    let Some(kc) = keychain() else { return };
    let destination = fresh_id("format");
    kc.set(&destination, &key("AKIDFORMAT", "secret-format"))
        .unwrap();
    let stored = secret_tool_lookup(&destination).expect("the Secret Service holds the entry");
    let value: serde_json::Value = serde_json::from_str(&stored).unwrap();
    assert_eq!(value["access_key_id"], "AKIDFORMAT");
    assert_eq!(value["secret_access_key"], "secret-format");
    kc.delete(&destination).unwrap();
    assert_eq!(
        secret_tool_lookup(&destination),
        None,
        "deleted from the Secret Service"
    );
}

#[test]
fn debug_output_never_contains_the_secret() {
    let printed = format!("{:?}", key("AKIDDEBUG", "the-secret-value"));
    assert!(!printed.contains("the-secret-value"), "{printed}");
    assert!(!printed.contains("AKIDDEBUG"), "{printed}");
    if let Some(kc) = keychain() {
        let destination = fresh_id("debug");
        kc.set(&destination, &key("AKIDDEBUG", "the-secret-value"))
            .unwrap();
        let got = kc.get(&destination).unwrap();
        assert!(!format!("{got:?} {kc:?}").contains("the-secret-value"));
        kc.delete(&destination).unwrap();
    }
}

#[test]
fn no_keychain_is_reported_plainly() {
    let exe = std::env::current_exe().unwrap();
    let out = Command::new("timeout")
        .arg("30")
        .arg(exe)
        .args([
            "--exact",
            "keychain::child_without_a_session_bus",
            "--ignored",
            "--nocapture",
        ])
        .env(
            "DBUS_SESSION_BUS_ADDRESS",
            "unix:path=/nonexistent/hoist-test-bus",
        )
        .env("HOIST_KEYCHAIN_CHILD", "1")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.contains("1 passed"),
        "the child test did not run: {stdout}"
    );
}

#[test]
#[ignore = "run by no_keychain_is_reported_plainly, with a bus address that does not exist"]
fn child_without_a_session_bus() {
    assert_eq!(std::env::var("HOIST_KEYCHAIN_CHILD").as_deref(), Ok("1"));
    let err = Keychain::new().unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Keychain);
    assert!(
        err.message().starts_with("no OS keychain is reachable"),
        "{}",
        err.message()
    );
    assert!(
        err.message().contains("Secret Service"),
        "{}",
        err.message()
    );
}
