//! Back online: a `hoist upload` that found its endpoint gone waits without failing, and goes on
//! when NetworkManager says the network changed (its `StateChanged` signal, here sent on the
//! test session's bus, which the child takes for its system bus), without waiting for the
//! probe's timer.

use crate::common::*;

fn logs(hoist: &Hoist) -> String {
    std::fs::read_dir(hoist.data_dir.join("logs"))
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| std::fs::read_to_string(e.path()).unwrap_or_default())
        .collect()
}

#[test]
fn a_network_change_reported_by_network_manager_probes_at_once() {
    if !keychain_available("a_network_change_reported_by_network_manager_probes_at_once") {
        return;
    }
    let Some(bus) = std::env::var_os("DBUS_SESSION_BUS_ADDRESS") else {
        panic!("the session's bus is needed (run through tests/lib/session.sh)");
    };
    let ServerFixture {
        runtime,
        server,
        dir,
        hoist,
    } = Hoist::with_test_server("test");
    let file = dir.path().join("offline.bin");
    write_pattern(&file, 3 * MIB, 4);
    runtime.block_on(server.stop());
    let upload = hoist
        .command()
        .args(["upload", file.to_str().unwrap()])
        .env("DBUS_SYSTEM_BUS_ADDRESS", &bus)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("hoist starts");
    wait_until("the upload waits for the network", || {
        let said = logs(&hoist);
        said.contains("waiting for the network") && said.contains("listening for NetworkManager")
    });
    runtime.block_on(server.restart());
    let sent = std::process::Command::new("dbus-send")
        .args([
            "--session",
            "--type=signal",
            "/org/freedesktop/NetworkManager",
            "org.freedesktop.NetworkManager.StateChanged",
            "uint32:70",
        ])
        .status()
        .expect("dbus-send runs");
    assert!(sent.success());
    let out = output_within_child(upload);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let said = logs(&hoist);
    assert!(
        said.contains("NetworkManager reports a network change"),
        "{said}"
    );
    assert!(
        said.contains("the network changed: probing at once"),
        "{said}"
    );
    assert_eq!(
        server.object("bucket", "offline.bin"),
        Some(std::fs::read(&file).unwrap())
    );
}

/// Waits (at most a minute) for `child` to end and returns its output.
fn output_within_child(child: std::process::Child) -> std::process::Output {
    let (done, wait) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = done.send(child.wait_with_output());
    });
    wait.recv_timeout(std::time::Duration::from_secs(60))
        .expect("the upload finishes within a minute")
        .expect("hoist ran")
}
