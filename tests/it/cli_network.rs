//! What NetworkManager says, heard by a `hoist upload` on the test session's bus (which the
//! child takes for its system bus):
//! - back online: an upload that found its endpoint gone waits without failing, and goes on when
//!   NetworkManager says the network changed (`StateChanged`), without waiting for the probe's
//!   timer;
//! - metered: with `pause-on-metered` on, transfers wait while the connection is metered, and go
//!   on by themselves when it is not.

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

#[test]
fn a_metered_connection_holds_transfers_back_and_they_go_on_when_it_is_not() {
    if !keychain_available(
        "a_metered_connection_holds_transfers_back_and_they_go_on_when_it_is_not",
    ) {
        return;
    }
    let Some(bus) = std::env::var_os("DBUS_SESSION_BUS_ADDRESS") else {
        panic!("the session's bus is needed (run through tests/lib/session.sh)");
    };
    let network_manager = NetworkManagerStandIn::start(1);
    let ServerFixture {
        runtime: _runtime,
        server,
        dir,
        hoist,
    } = Hoist::with_test_server("test");
    assert!(
        hoist
            .run(&["settings", "pause-on-metered", "on"])
            .status
            .success()
    );
    // Eight parts of 8 MiB, four in flight, at 8 MiB/s: the first four finish after about 4 s,
    // the next four 4 s later, which leaves time to stop it in the middle.
    let file = dir.path().join("metered.bin");
    write_pattern(&file, 64 * MIB, 9);
    let upload = hoist
        .command()
        .args(["upload", "--limit", "8MiB", file.to_str().unwrap()])
        .env("DBUS_SYSTEM_BUS_ADDRESS", &bus)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("hoist starts");

    // Metered from the start: nothing is sent.
    wait_until("the upload is held back", || {
        logs(&hoist).contains("the connection is metered: transfers wait")
    });
    let states = |hoist: &Hoist| -> Vec<String> {
        hoist
            .queue_json()
            .iter()
            .map(|j| j["state"].as_str().unwrap_or_default().to_string())
            .collect()
    };
    assert_eq!(states(&hoist), ["queued"]);
    assert!(server.requests().iter().all(|r| r.key != "metered.bin"));

    // Not metered: it starts. Metered again in the middle: it stops and goes back to the queue.
    network_manager.set_metered(2);
    wait_until("a part is committed", || hoist.committed_parts() >= 1);
    network_manager.set_metered(3);
    wait_until("the running upload is given back to the queue", || {
        logs(&hoist).contains("stopping a transfer: the connection is metered")
            && states(&hoist) == ["queued"]
    });
    let finished = committed_part_numbers(&hoist);
    assert!(
        !finished.is_empty() && finished.len() < 8,
        "{finished:?} of 8 parts"
    );

    // Another network: it finishes by itself, in the same multipart upload.
    network_manager.set_metered(4);
    let out = output_within_child(upload);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        server.object("bucket", "metered.bin"),
        Some(std::fs::read(&file).unwrap())
    );
    let creates = server
        .requests()
        .iter()
        .filter(|r| r.key == "metered.bin" && r.op == hoist_test_s3::Op::CreateMultipartUpload)
        .count();
    assert_eq!(creates, 1, "one multipart upload, resumed");
    for number in finished {
        let sent = server
            .requests()
            .iter()
            .filter(|r| r.op == hoist_test_s3::Op::UploadPart && r.part_number == Some(number))
            .count();
        assert_eq!(
            sent, 1,
            "part {number} was finished before the hold and sent again"
        );
    }
}

/// The part numbers the database holds receipts for.
fn committed_part_numbers(hoist: &Hoist) -> Vec<u32> {
    let db = rusqlite::Connection::open(hoist.data_dir.join("hoist.db")).unwrap();
    let mut query = db.prepare("SELECT part_number FROM parts").unwrap();
    query
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
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
