//! `hoist watch ...` and `hoist run --watch`, through the real binary.

use crate::common::*;
use hoist_test_s3::Op;
use std::process::Stdio;

#[test]
fn watch_commands_add_list_pause_resume_and_remove_by_id_or_folder() {
    let dir = tempfile::tempdir().unwrap();
    let hoist = Hoist::new(dir.path());
    let folder = dir.path().join("Scans");
    std::fs::create_dir(&folder).unwrap();

    let missing = hoist.run(&["watch", "add", dir.path().join("nope").to_str().unwrap()]);
    assert!(!missing.status.success());
    assert!(String::from_utf8_lossy(&missing.stderr).contains("cannot watch"));
    let inside_data = hoist.run(&["watch", "add", dir.path().join("data").to_str().unwrap()]);
    assert!(String::from_utf8_lossy(&inside_data.stderr).contains("Hoist's own data"));

    let added = hoist.run(&[
        "watch",
        "add",
        folder.to_str().unwrap(),
        "--prefix",
        "scans",
        "--ignore",
        "*.raw",
        "--settle",
        "750ms",
        "--mirror-deletes",
    ]);
    assert!(
        added.status.success(),
        "{}",
        String::from_utf8_lossy(&added.stderr)
    );
    let watches = hoist.watches_json();
    assert_eq!(watches.len(), 1);
    let watch = &watches[0];
    assert_eq!(
        watch["folder"],
        folder.canonicalize().unwrap().to_str().unwrap()
    );
    assert_eq!(watch["prefix"], "scans/");
    assert_eq!(watch["settle_ms"], 750);
    assert_eq!(watch["mirror_deletes"], true);
    assert_eq!(watch["state"], "starting");
    let ignore: Vec<&str> = watch["ignore"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g.as_str().unwrap())
        .collect();
    assert!(
        ignore.contains(&".DS_Store") && ignore.contains(&"*.raw"),
        "{ignore:?}"
    );

    let twice = hoist.run(&[
        "watch",
        "add",
        folder.to_str().unwrap(),
        "--prefix",
        "scans",
    ]);
    assert!(String::from_utf8_lossy(&twice.stderr).contains("already watched"));

    assert!(
        hoist
            .run(&["watch", "pause", folder.to_str().unwrap()])
            .status
            .success()
    );
    assert_eq!(hoist.watches_json()[0]["state"], "paused");
    let id = watch["id"].to_string();
    assert!(hoist.run(&["watch", "resume", &id]).status.success());
    assert_eq!(hoist.watches_json()[0]["state"], "starting");
    let table = String::from_utf8_lossy(&hoist.run(&["watch", "list"]).stdout).into_owned();
    assert!(
        table.contains("Scans") && table.contains("mirror deletes"),
        "{table}"
    );

    let out = dir.path().join("out");
    let nas = hoist.run(&[
        "destination",
        "add",
        "nas",
        "--folder",
        out.to_str().unwrap(),
    ]);
    assert!(nas.status.success());
    let other = dir.path().join("Other");
    std::fs::create_dir(&other).unwrap();
    assert!(
        hoist
            .run(&[
                "watch",
                "add",
                other.to_str().unwrap(),
                "--destination",
                "nas"
            ])
            .status
            .success()
    );
    let in_use = hoist.run(&["destination", "rm", "nas"]);
    assert!(!in_use.status.success());
    assert!(
        String::from_utf8_lossy(&in_use.stderr).contains("hoist watch rm"),
        "{}",
        String::from_utf8_lossy(&in_use.stderr)
    );
    assert!(
        hoist
            .run(&["watch", "rm", other.to_str().unwrap()])
            .status
            .success()
    );
    assert!(hoist.run(&["destination", "rm", "nas"]).status.success());

    let unknown = hoist.run(&["watch", "rm", "42"]);
    assert!(String::from_utf8_lossy(&unknown.stderr).contains("no watch '42'"));
    assert!(
        hoist
            .run(&["watch", "rm", folder.to_str().unwrap()])
            .status
            .success()
    );
    assert!(hoist.watches_json().is_empty());
}

/// `hoist run --watch` killed with SIGKILL while it uploads a watched file: the next
/// `hoist run --watch` finishes that upload on the same upload id, queues nothing twice, and
/// stops cleanly on SIGTERM.
#[test]
fn run_watch_sigkilled_mid_upload_resumes_it_on_restart() {
    if !keychain_available("run_watch_sigkilled") {
        return;
    }
    let ServerFixture {
        runtime: _runtime,
        server,
        dir,
        hoist,
    } = Hoist::with_test_server("test");
    let folder = dir.path().join("exports");
    std::fs::create_dir(&folder).unwrap();
    let file = folder.join("export.bin");
    write_pattern(&file, 64 * MIB, 3);
    let added = hoist.run(&[
        "watch",
        "add",
        folder.to_str().unwrap(),
        "--settle",
        "500ms",
    ]);
    assert!(
        added.status.success(),
        "{}",
        String::from_utf8_lossy(&added.stderr)
    );

    let mut first = hoist
        .command()
        .args(["run", "--watch", "--limit", "16M"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    wait_until("two parts committed", || hoist.committed_parts() >= 2);
    first.kill().unwrap(); // SIGKILL
    first.wait().unwrap();
    assert!(hoist.committed_parts() < 8, "the kill must land mid-upload");

    let mut second = hoist
        .command()
        .args(["run", "--watch"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    wait_until("the watched upload completes", || {
        hoist
            .queue_json()
            .first()
            .is_some_and(|j| j["state"] == "completed")
    });
    rustix::process::kill_process(
        rustix::process::Pid::from_child(&second),
        rustix::process::Signal::TERM,
    )
    .unwrap();
    let status = wait_for_exit(&mut second);
    assert!(
        status.success(),
        "SIGTERM stops `hoist run --watch` cleanly: {status:?}"
    );

    let jobs = hoist.queue_json();
    assert_eq!(jobs.len(), 1, "the file was queued once: {jobs:?}");
    let object = server
        .object_path("bucket", "export.bin")
        .expect("the object exists");
    assert!(same_bytes(&object, &file));
    let creates = server
        .requests()
        .iter()
        .filter(|r| r.op == Op::CreateMultipartUpload)
        .count();
    assert_eq!(creates, 1, "one upload id only");
    let watch = &hoist.watches_json()[0];
    assert_eq!(
        (watch["uploaded"].as_u64(), watch["pending"].as_u64()),
        (Some(1), Some(0))
    );
}

fn wait_for_exit(child: &mut std::process::Child) -> std::process::ExitStatus {
    let mut status = None;
    wait_until("hoist exits", || {
        status = child.try_wait().unwrap();
        status.is_some()
    });
    status.unwrap()
}

/// `hoist run --watch` in a user namespace of its own whose inotify watch limit is `limit`
/// (`/proc/sys/user/max_inotify_watches` is per user namespace, so the machine's limit and other
/// tests are untouched). `None` where user namespaces are not allowed.
fn run_watch_with_inotify_limit(hoist: &Hoist, limit: u32) -> Option<std::process::Child> {
    let allowed = std::process::Command::new("unshare")
        .args(["--user", "--map-root-user", "true"])
        .status()
        .is_ok_and(|s| s.success());
    if !allowed {
        return None;
    }
    let inner = hoist.command();
    let mut cmd = std::process::Command::new("unshare");
    cmd.args(["--user", "--map-root-user", "sh", "-c"])
        .arg(format!(
            "echo {limit} > /proc/sys/user/max_inotify_watches && exec \"$@\""
        ))
        .arg("sh")
        .arg(inner.get_program())
        .args(inner.get_args())
        .args(["run", "--watch"]);
    for (key, value) in inner.get_envs() {
        match value {
            Some(value) => cmd.env(key, value),
            None => cmd.env_remove(key),
        };
    }
    Some(
        cmd.stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("unshare starts"),
    )
}

#[test]
fn the_kernel_watch_limit_reached_polls_that_watch_says_the_fix_and_keeps_the_others() {
    let dir = tempfile::tempdir().unwrap();
    let hoist = Hoist::new(dir.path());
    // 60 folders need 61 watches; the namespace allows 30. One folder needs one. Both start at
    // once: the small one used to fail too while the big one held watches it then gave back.
    let big = dir.path().join("big");
    for i in 0..60 {
        std::fs::create_dir_all(big.join(format!("sub{i}"))).unwrap();
    }
    let small = dir.path().join("small");
    std::fs::create_dir(&small).unwrap();
    for (folder, prefix) in [(&big, "big"), (&small, "small")] {
        let added = hoist.run(&[
            "watch",
            "add",
            folder.to_str().unwrap(),
            "--prefix",
            prefix,
            "--settle",
            "300ms",
        ]);
        assert!(
            added.status.success(),
            "{}",
            String::from_utf8_lossy(&added.stderr)
        );
    }
    let Some(mut engine) = run_watch_with_inotify_limit(&hoist, 30) else {
        eprintln!("skipped: user namespaces are not allowed here");
        return;
    };
    let state = |prefix: &str| {
        hoist
            .watches_json()
            .into_iter()
            .find(|w| w["prefix"] == format!("{prefix}/"))
            .unwrap()
    };
    let started = std::time::Instant::now();
    while !(state("big")["state"] == "polling" && state("small")["state"] == "watching") {
        if started.elapsed() > WAIT {
            let log = std::fs::read_dir(hoist.data_dir.join("logs"))
                .into_iter()
                .flatten()
                .flatten()
                .filter_map(|e| std::fs::read_to_string(e.path()).ok())
                .collect::<String>();
            let tail: Vec<&str> = log.lines().rev().take(30).collect();
            panic!(
                "timed out waiting for both watches started: big {} / small {}; the engine's log ends:\n{}",
                state("big"),
                state("small"),
                tail.into_iter().rev().collect::<Vec<_>>().join("\n")
            );
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let note = state("big")["note"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    assert!(
        note.contains("fs.inotify.max_user_watches"),
        "the note names the setting to raise: {note:?}"
    );
    // Both still upload: the big one by walking, the small one from events.
    std::fs::write(big.join("sub59/deep.txt"), b"found by polling").unwrap();
    std::fs::write(small.join("quick.txt"), b"found by inotify").unwrap();
    let local = hoist.local_dir();
    wait_until("both files uploaded", || {
        std::fs::read(local.join("big/sub59/deep.txt"))
            .ok()
            .as_deref()
            == Some(b"found by polling".as_slice())
            && std::fs::read(local.join("small/quick.txt")).ok().as_deref()
                == Some(b"found by inotify".as_slice())
    });
    rustix::process::kill_process(
        rustix::process::Pid::from_child(&engine),
        rustix::process::Signal::TERM,
    )
    .unwrap();
    wait_for_exit(&mut engine);
}
