//! The CLI contract, black-box: destinations, enqueue with --detach, queue --json, pause/resume
//! through the database, run, and the errors that name what to fix.

use crate::common::*;
use hoist_test_s3::TestS3;

fn stderr(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn stdout(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn the_cli_contract_end_to_end() {
    if !keychain_available("the_cli_contract_end_to_end") {
        return;
    }
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let server = runtime.block_on(TestS3::start());
    server.create_bucket("bucket");
    let dir = tempfile::tempdir().unwrap();
    let hoist = Hoist::new(dir.path());
    let folder = dir.path().join("album");
    write_pattern(&folder.join("a.bin"), 1000, 1);
    write_pattern(&folder.join("sub/b.bin"), 9 * MIB, 2);

    // Nothing configured: uploads go to the built-in local folder, listed by `destination list`.
    let first = dir.path().join("first.txt");
    write_pattern(&first, 100, 9);
    let out = hoist.run(&["upload", first.to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(same_bytes(&hoist.local_dir().join("first.txt"), &first));
    let destinations: serde_json::Value =
        serde_json::from_slice(&hoist.run(&["destination", "list", "--json"]).stdout).unwrap();
    assert_eq!(destinations[0]["name"], "local");
    assert_eq!(destinations[0]["builtin"], true);

    // Once the user adds a destination, it is the default.
    hoist.add_destination(
        "test",
        &server.endpoint(),
        "bucket",
        hoist_test_s3::ACCESS_KEY,
        hoist_test_s3::SECRET_KEY,
    );
    let destinations: serde_json::Value =
        serde_json::from_slice(&hoist.run(&["destination", "list", "--json"]).stdout).unwrap();
    assert_eq!(destinations[1]["name"], "test");
    assert_eq!(destinations[1]["bucket"], "bucket");
    let db = std::fs::read(hoist.data_dir.join("hoist.db")).unwrap();
    let secret = hoist_test_s3::SECRET_KEY.as_bytes();
    assert!(
        !db.windows(secret.len()).any(|w| w == secret),
        "the secret reached SQLite"
    );

    // A missing path is reported and makes the exit code non-zero; the rest is queued.
    let missing = dir.path().join("missing.bin");
    let out = hoist.run(&[
        "upload",
        "--detach",
        folder.to_str().unwrap(),
        missing.to_str().unwrap(),
    ]);
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains("skipped") && stderr(&out).contains("missing.bin"),
        "{}",
        stderr(&out)
    );
    let queue: Vec<_> = hoist
        .queue_json()
        .into_iter()
        .filter(|j| j["destination"] == "test")
        .collect();
    let keys: Vec<&str> = queue.iter().map(|j| j["key"].as_str().unwrap()).collect();
    assert_eq!(keys, ["album/a.bin", "album/sub/b.bin"]);
    assert!(
        queue
            .iter()
            .all(|j| j["state"] == "queued" && j["destination"] == "test")
    );

    // Paused jobs are left alone by `run`, which then has nothing to do.
    assert!(hoist.run(&["pause", "--all"]).status.success());
    let out = hoist.run(&["run"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        hoist
            .queue_json()
            .iter()
            .filter(|j| j["destination"] == "test")
            .all(|j| j["state"] == "paused")
    );
    assert!(server.keys("bucket").is_empty());

    assert!(hoist.run(&["resume", "--all"]).status.success());
    let out = hoist.run(&["run"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stdout(&out).contains("2 uploaded, 0 skipped, 0 failed"),
        "{}",
        stdout(&out)
    );
    assert!(hoist.queue_json().iter().all(|j| j["state"] == "completed"));
    assert!(same_bytes(
        &server.object_path("bucket", "album/sub/b.bin").unwrap(),
        &folder.join("sub/b.bin")
    ));

    // Errors name what to fix.
    let out = hoist.run(&["pause", "999"]);
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains("no job with id 999"),
        "{}",
        stderr(&out)
    );
    let out = hoist.run(&["settings", "concurrency", "0"]);
    assert!(!out.status.success());
    let out = hoist.run(&["settings", "concurrency", "5"]);
    assert!(stdout(&out).contains("concurrency = 5"));
    // The download limit is its own setting: setting it leaves the upload limit alone.
    let out = hoist.run(&["settings", "download-limit", "2MiB"]);
    assert!(
        stdout(&out).contains("download-limit = 2.0 MiB/s"),
        "{}",
        stdout(&out)
    );
    assert!(stdout(&out).contains("\nlimit = off"), "{}", stdout(&out));
    let out = hoist.run(&["settings", "download-limit", "off"]);
    assert!(
        stdout(&out).contains("download-limit = off"),
        "{}",
        stdout(&out)
    );
    let out = hoist.run(&["destination", "rm", "nope"]);
    assert!(
        stderr(&out).contains("no destination named 'nope'"),
        "{}",
        stderr(&out)
    );

    // A failing upload exits non-zero and says why, per file.
    let denied = dir.path().join("denied.bin");
    write_pattern(&denied, 10, 3);
    server.inject(hoist_test_s3::Fault {
        op: hoist_test_s3::Op::PutObject,
        part_number: None,
        action: hoist_test_s3::FaultAction::AccessDenied,
        times: 1,
    });
    let out = hoist.run(&["upload", denied.to_str().unwrap()]);
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains("failed:") && stderr(&out).contains("denied.bin"),
        "{}",
        stderr(&out)
    );

    // The log says which file failed and why, and holds no secret.
    let logs: String = std::fs::read_dir(hoist.data_dir.join("logs"))
        .expect("logs are written under the chosen data directory")
        .map(|e| std::fs::read_to_string(e.unwrap().path()).unwrap())
        .collect();
    assert!(
        logs.contains("upload failed") && logs.contains("denied.bin"),
        "{logs}"
    );
    assert!(logs.contains("access_denied"), "{logs}");
    assert!(
        !logs.contains(hoist_test_s3::SECRET_KEY),
        "a secret reached the log"
    );
}

#[test]
fn presets_fill_in_the_provider_and_folders_are_destinations() {
    if !keychain_available("presets_fill_in_the_provider") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let hoist = Hoist::new(dir.path());
    let out = hoist
        .command()
        .args([
            "destination",
            "add",
            "cf",
            "--provider",
            "r2",
            "--account-id",
            "abc123",
        ])
        .args(["--bucket", "photos"])
        .env("AWS_ACCESS_KEY_ID", "id")
        .env("AWS_SECRET_ACCESS_KEY", "secret-value")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let out = hoist.run(&[
        "destination",
        "add",
        "cf2",
        "--provider",
        "r2",
        "--bucket",
        "b",
    ]);
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains("hint: pass --account-id ACCOUNT-ID"),
        "{}",
        stderr(&out)
    );
    let out = hoist.run(&[
        "destination",
        "add",
        "x",
        "--provider",
        "nope",
        "--bucket",
        "b",
    ]);
    assert!(
        stderr(&out).contains("unknown provider 'nope'"),
        "{}",
        stderr(&out)
    );

    let nas = dir.path().join("nas");
    let out = hoist.run(&[
        "destination",
        "add",
        "nas",
        "--folder",
        nas.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let destinations: serde_json::Value =
        serde_json::from_slice(&hoist.run(&["destination", "list", "--json"]).stdout).unwrap();
    let by_name = |name: &str| {
        destinations
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["name"] == name)
            .unwrap()
            .clone()
    };
    let cf = by_name("cf");
    assert_eq!(cf["endpoint"], "https://abc123.r2.cloudflarestorage.com");
    assert_eq!(
        (cf["region"].as_str(), cf["path_style"].as_bool()),
        (Some("auto"), Some(true))
    );
    assert_eq!(by_name("nas")["kind"], "local");

    let file = dir.path().join("doc.txt");
    write_pattern(&file, 3000, 5);
    let out = hoist.run(&[
        "upload",
        "--destination",
        "nas",
        "--prefix",
        "in/",
        file.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(same_bytes(&nas.join("in/doc.txt"), &file));
}

#[test]
fn pausing_a_completed_job_by_id_exited_zero() {
    let dir = tempfile::tempdir().unwrap();
    let hoist = Hoist::new(dir.path());
    let file = dir.path().join("done.txt");
    write_pattern(&file, 10, 1);
    let out = hoist.run(&["upload", file.to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));
    let id = hoist.queue_json()[0]["id"].to_string();

    for (verb, allowed) in [
        ("pause", "queued or running"),
        ("resume", "paused"),
        ("cancel", "queued, running, paused or failed"),
        ("retry", "failed or cancelled"),
    ] {
        let out = hoist.run(&[verb, &id]);
        assert!(!out.status.success(), "{verb} {id} exited 0");
        let message = stderr(&out);
        assert!(
            message.contains(&format!("job {id} is completed")) && message.contains(allowed),
            "{verb}: {message}"
        );
    }
    // --all with nothing to do is not an error.
    let out = hoist.run(&["pause", "--all"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stdout(&out).contains("no job was paused"),
        "{}",
        stdout(&out)
    );
}

#[test]
fn data_logs_and_copies_were_readable_by_other_users() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let hoist = Hoist::new(dir.path());
    let small = dir.path().join("small.txt");
    let big = dir.path().join("big.bin");
    write_pattern(&small, 100, 1);
    write_pattern(&big, 9 * MIB, 2);
    std::fs::set_permissions(&small, std::fs::Permissions::from_mode(0o640)).unwrap();
    std::fs::set_permissions(&big, std::fs::Permissions::from_mode(0o604)).unwrap();
    let album = dir.path().join("album");
    write_pattern(&album.join("in/deep.txt"), 10, 3);
    let out = hoist.run(&[
        "upload",
        small.to_str().unwrap(),
        big.to_str().unwrap(),
        album.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", stderr(&out));

    let mode = |path: &std::path::Path| {
        std::fs::metadata(path)
            .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
            .permissions()
            .mode()
            & 0o777
    };
    assert_eq!(mode(&hoist.data_dir), 0o700, "data directory");
    let mut private = vec![
        hoist.data_dir.join("hoist.db"),
        hoist.data_dir.join("engine.lock"),
    ];
    for extra in ["hoist.db-wal", "hoist.db-shm"] {
        let path = hoist.data_dir.join(extra);
        if path.exists() {
            private.push(path);
        }
    }
    let logs: Vec<_> = std::fs::read_dir(hoist.data_dir.join("logs"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert!(!logs.is_empty(), "a log was written");
    private.extend(logs);
    for path in &private {
        assert_eq!(mode(path), 0o600, "{}", path.display());
    }
    assert_eq!(mode(&hoist.data_dir.join("logs")), 0o700);
    // Copies in a folder destination keep no more permission than their source.
    assert_eq!(mode(&hoist.local_dir().join("small.txt")), 0o640);
    assert_eq!(mode(&hoist.local_dir().join("big.bin")), 0o604);
    // Folders made for objects stay browsable (the process's umask is 077).
    assert_eq!(mode(&hoist.local_dir().join("album")), 0o755);
    assert_eq!(mode(&hoist.local_dir().join("album/in")), 0o755);
}

/// Scripts written before "profile" was renamed "destination" keep working: the old command and
/// flag are hidden aliases, and a folder destination added the old way uploads the new way.
#[test]
fn scripts_using_the_old_profile_command_still_work() {
    let dir = tempfile::tempdir().unwrap();
    let hoist = Hoist::new(dir.path());
    let folder = dir.path().join("nas");
    let added = hoist.run(&[
        "profile",
        "add",
        "nas",
        "--folder",
        folder.to_str().unwrap(),
    ]);
    assert!(added.status.success(), "{}", stderr(&added));
    let listed = hoist.run(&["destination", "list", "--json"]);
    let list: serde_json::Value = serde_json::from_slice(&listed.stdout).unwrap();
    assert!(
        list.as_array()
            .unwrap()
            .iter()
            .any(|d| d["name"] == "nas" && d["kind"] == "local"),
        "{list}"
    );
    let file = dir.path().join("a.txt");
    std::fs::write(&file, b"hello").unwrap();
    let up = hoist.run(&["upload", "--profile", "nas", file.to_str().unwrap()]);
    assert!(up.status.success(), "{}", stderr(&up));
    assert_eq!(std::fs::read(folder.join("a.txt")).unwrap(), b"hello");
    let help = hoist.run(&["--help"]);
    assert!(!stdout(&help).contains("profile"), "{}", stdout(&help));
}

/// Browsing the built-in folder destination: `ls` shows folders first and hides Hoist's
/// staging folder, `stat` reads a file, `rm` deletes and tidies empty folders, and `share`
/// says that links need an S3 destination.
#[test]
fn ls_stat_rm_and_share_on_the_folder_destination() {
    let dir = tempfile::tempdir().unwrap();
    let hoist = Hoist::new(dir.path());
    let src = dir.path().join("src");
    std::fs::create_dir_all(src.join("pics")).unwrap();
    std::fs::write(src.join("pics/a.jpg"), b"aaaa").unwrap();
    std::fs::write(src.join("notes.txt"), b"n").unwrap();
    let up = hoist.run(&["upload", src.to_str().unwrap()]);
    assert!(up.status.success(), "{}", stderr(&up));
    std::fs::create_dir_all(hoist.local_dir().join(".hoist-staging")).unwrap();

    let out = hoist.run(&["ls", "--json"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let top: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(top["prefixes"], serde_json::json!(["src/"]));
    let inner: serde_json::Value =
        serde_json::from_slice(&hoist.run(&["ls", "src", "--json"]).stdout).unwrap();
    assert_eq!(inner["prefixes"], serde_json::json!(["src/pics/"]));
    assert_eq!(inner["objects"][0]["key"], "src/notes.txt");
    assert_eq!(inner["objects"][0]["size"], 1);
    let text = stdout(&hoist.run(&["ls", "-r"]));
    assert!(
        text.contains("src/pics/a.jpg") && !text.contains(".hoist-staging"),
        "{text}"
    );

    let stat = stdout(&hoist.run(&["stat", "src/pics/a.jpg"]));
    assert!(
        stat.contains("image/jpeg") && stat.contains("4 bytes"),
        "{stat}"
    );
    let missing = hoist.run(&["stat", "src/none"]);
    assert!(!missing.status.success());
    assert!(
        stderr(&missing).contains("no object 'src/none'"),
        "{}",
        stderr(&missing)
    );

    let share = hoist.run(&["share", "src/notes.txt"]);
    assert!(!share.status.success());
    assert!(
        stderr(&share).contains("share links need an S3 destination"),
        "{}",
        stderr(&share)
    );
    let escape = hoist.run(&["rm", "../outside"]);
    assert!(
        !escape.status.success(),
        "a key outside the folder was accepted"
    );

    let rm = hoist.run(&["rm", "src/pics/a.jpg"]);
    assert!(rm.status.success(), "{}", stderr(&rm));
    assert!(
        stdout(&rm).contains("deleted 1 object ("),
        "{}",
        stdout(&rm)
    );
    assert!(
        !hoist.local_dir().join("src/pics").exists(),
        "the emptied folder is gone"
    );
    assert!(hoist.local_dir().join("src/notes.txt").exists());
}

/// `hoist get` from the folder destination: a folder downloads keeping its name and paths, a
/// key that cannot be a file is refused by name while the rest download, the queue shows the
/// jobs' direction, a second get of the same file skips it as identical (whatever the rule),
/// and `--if-exists rename` keeps both when the local file differs.
#[test]
fn get_downloads_a_folder_and_refuses_keys_that_cannot_be_files() {
    let dir = tempfile::tempdir().unwrap();
    let hoist = Hoist::new(dir.path());
    let stored = hoist.local_dir().join("pics");
    std::fs::create_dir_all(stored.join("2024")).unwrap();
    std::fs::write(stored.join("a.jpg"), b"aaaa").unwrap();
    std::fs::write(stored.join("2024/b.jpg"), b"bb").unwrap();
    std::fs::write(stored.join("CON"), b"device").unwrap();
    let to = dir.path().join("down");
    let out = hoist.run(&["get", "pics/", "--to", to.to_str().unwrap()]);
    assert!(
        !out.status.success(),
        "a refused key makes the exit non-zero"
    );
    assert!(
        stderr(&out).contains("skipped pics/CON: cannot be saved as a file"),
        "{}",
        stderr(&out)
    );
    assert!(
        stdout(&out).contains("2 of 2 file(s) downloaded"),
        "{}",
        stdout(&out)
    );
    assert_eq!(std::fs::read(to.join("pics/a.jpg")).unwrap(), b"aaaa");
    assert_eq!(std::fs::read(to.join("pics/2024/b.jpg")).unwrap(), b"bb");
    let queue = hoist.queue_json();
    assert!(
        queue.iter().all(|j| j["direction"] == "download"),
        "{queue:?}"
    );

    // The folder's MD5 of its object finds an identical local file, whatever the rule.
    let rename = |hoist: &Hoist| {
        hoist.run(&[
            "get",
            "pics/a.jpg",
            "--to",
            to.join("pics").to_str().unwrap(),
            "--if-exists",
            "rename",
        ])
    };
    let same = rename(&hoist);
    assert!(same.status.success(), "{}", stderr(&same));
    assert!(
        !to.join("pics/a (1).jpg").exists(),
        "an identical file was kept twice"
    );
    let last = hoist.queue_json().last().cloned().unwrap();
    assert_eq!(last["outcome"], "skipped_identical", "{last:?}");
    std::fs::write(to.join("pics/a.jpg"), b"mine").unwrap();
    let again = rename(&hoist);
    assert!(again.status.success(), "{}", stderr(&again));
    assert_eq!(std::fs::read(to.join("pics/a (1).jpg")).unwrap(), b"aaaa");
    assert_eq!(std::fs::read(to.join("pics/a.jpg")).unwrap(), b"mine");
    let last = hoist.queue_json().last().cloned().unwrap();
    assert_eq!(
        last["verified"], "md5",
        "a folder's copy is checked too: {last:?}"
    );
    let missing = hoist.run(&["get", "pics/none.jpg", "--to", to.to_str().unwrap()]);
    assert!(!missing.status.success());
    assert!(
        stderr(&missing).contains("no object 'pics/none.jpg'"),
        "{}",
        stderr(&missing)
    );
}

#[test]
fn a_damaged_queue_database_said_only_file_is_not_a_database() {
    let dir = tempfile::tempdir().unwrap();
    let hoist = Hoist::new(dir.path());
    std::fs::create_dir_all(&hoist.data_dir).unwrap();
    let db = hoist.data_dir.join("hoist.db");
    let junk = b"not a database, and longer than SQLite's header ".repeat(100);
    std::fs::write(&db, &junk).unwrap();
    let out = hoist.run(&["queue"]);
    assert!(!out.status.success());
    let said = stderr(&out);
    assert!(said.contains(&db.display().to_string()), "{said}");
    assert!(said.contains("left it untouched"), "{said}");
    assert!(said.contains("hint: `mv "), "{said}");
    assert!(said.contains("hoist.db.damaged"), "{said}");
    assert_eq!(
        std::fs::read(&db).unwrap(),
        junk,
        "the damaged file was changed"
    );
}

#[test]
fn completions_and_the_manual_page_come_from_the_commands_and_touch_no_data() {
    let dir = tempfile::tempdir().unwrap();
    let hoist = Hoist::new(dir.path());
    for (shell, mark) in [
        ("bash", "complete -F _hoist"),
        ("zsh", "#compdef hoist"),
        ("fish", "complete -c hoist"),
    ] {
        let out = hoist.run(&["completions", shell]);
        assert!(out.status.success(), "{shell}: {}", stderr(&out));
        let script = stdout(&out);
        assert!(script.contains(mark), "{shell}: {script}");
        // Every command is offered, the newest too.
        for command in ["upload", "watch", "destination", "completions"] {
            assert!(script.contains(command), "{shell} lacks {command}");
        }
    }
    let out = hoist.run(&["man"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let page = stdout(&out);
    assert!(
        page.starts_with(".ie") || page.contains(".TH hoist"),
        "{page}"
    );
    assert!(
        page.contains("EXIT STATUS") && page.contains("upload"),
        "{page}"
    );
    assert!(
        !hoist.data_dir.exists(),
        "completions or man made the data directory"
    );
    let wrong = hoist.run(&["completions", "tcsh"]);
    assert_eq!(wrong.status.code(), Some(2), "{}", stderr(&wrong));
}

#[test]
fn settings_follow_links_on_panicked_in_clap() {
    let dir = tempfile::tempdir().unwrap();
    let hoist = Hoist::new(dir.path());
    for (word, shown) in [("on", "follow-links = on"), ("off", "follow-links = off")] {
        let out = hoist.run(&["settings", "follow-links", word]);
        assert!(out.status.success(), "{word}: {}", stderr(&out));
        assert!(stdout(&hoist.run(&["settings"])).contains(shown), "{word}");
    }
    let wrong = hoist.run(&["settings", "follow-links", "maybe"]);
    assert_eq!(wrong.status.code(), Some(2));
    assert!(
        stderr(&wrong).contains("neither on nor off"),
        "{}",
        stderr(&wrong)
    );
}

#[test]
fn json_is_printed_by_every_command_that_prints_data_and_errors_are_json_too() {
    let dir = tempfile::tempdir().unwrap();
    let hoist = Hoist::new(dir.path());
    let json = |args: &[&str]| -> (Option<i32>, serde_json::Value) {
        let out = hoist.run(args);
        let text = stdout(&out);
        let value = serde_json::from_str(text.trim())
            .unwrap_or_else(|e| panic!("{args:?} printed no JSON ({e}): {text}"));
        (out.status.code(), value)
    };
    let file = dir.path().join("f.txt");
    std::fs::write(&file, b"twelve bytes").unwrap();
    let (code, uploaded) = json(&["upload", "--json", file.to_str().unwrap()]);
    assert_eq!(code, Some(0));
    assert_eq!(
        (
            &uploaded["direction"],
            &uploaded["transferred"],
            &uploaded["bytes"]
        ),
        (
            &serde_json::json!("upload"),
            &serde_json::json!(1),
            &serde_json::json!(12)
        )
    );
    let (code, detached) = json(&["upload", "--json", "--detach", file.to_str().unwrap()]);
    assert_eq!(
        (code, detached["jobs"].as_array().map(Vec::len)),
        (Some(0), Some(1))
    );
    let (code, ran) = json(&["run", "--json"]);
    assert_eq!(
        (code, &ran["transferred"]),
        (Some(0), &serde_json::json!(1))
    );
    let (_, settings) = json(&["settings", "--json"]);
    assert_eq!(settings["concurrency"], 3);
    let (_, changed) = json(&["settings", "concurrency", "5", "--json"]);
    assert_eq!(changed["concurrency"], 5);
    let (code, cleaned) = json(&["cleanup", "--json", "--dry-run"]);
    assert_eq!(
        (code, cleaned[0]["destination"].as_str()),
        (Some(0), Some("local"))
    );
    let (_, got) = json(&[
        "get",
        "--json",
        "--to",
        dir.path().join("back").to_str().unwrap(),
        "f.txt",
    ]);
    assert_eq!(
        (&got["direction"], &got["transferred"]),
        (&serde_json::json!("download"), &serde_json::json!(1))
    );
    for args in [
        &["queue", "--json"][..],
        &["destination", "list", "--json"],
        &["watch", "list", "--json"],
    ] {
        assert!(json(args).1.is_array(), "{args:?}");
    }
    // An error is JSON on stderr, with the exit status it has without --json.
    let out = hoist.run(&["destination", "test", "nope", "--json"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stdout(&out).is_empty(), "{}", stdout(&out));
    let error: serde_json::Value = serde_json::from_str(stderr(&out).trim()).expect("a JSON error");
    assert_eq!(error["error"]["code"], "not_found");
    assert!(error["error"]["message"].as_str().unwrap().contains("nope"));
    let out = hoist.run(&["upload", "--json", "/no/such/file"]);
    assert_eq!(out.status.code(), Some(1));
    let report: serde_json::Value = serde_json::from_str(stdout(&out).trim()).unwrap();
    assert!(
        report["skipped"][0]["reason"]
            .as_str()
            .unwrap()
            .contains("cannot read")
    );
}
