//! The `hoist` binary itself: it is the command line only (the window is `hoist-window`, which
//! it starts when given no command), so no command pays for loading GTK and WebKit.

/// The shared libraries `ldd` lists for `binary`.
fn linked_libraries(binary: &str) -> String {
    let out = std::process::Command::new("ldd")
        .arg(binary)
        .output()
        .expect("ldd (libc-bin) runs");
    assert!(out.status.success(), "ldd {binary} failed");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn the_cli_loaded_gtk_and_webkit() {
    let cli = linked_libraries(env!("CARGO_BIN_EXE_hoist"));
    for library in ["gtk", "webkit", "gdk", "glib", "soup"] {
        assert!(!cli.contains(library), "hoist links {library}:\n{cli}");
    }
    #[cfg(feature = "desktop")]
    assert!(
        linked_libraries(env!("CARGO_BIN_EXE_hoist-window")).contains("libwebkit2gtk"),
        "the window binary is the one that links WebKit"
    );
}

#[cfg(feature = "desktop")]
#[test]
fn hoist_with_no_command_says_which_window_binary_is_missing() {
    let dir = tempfile::tempdir().unwrap();
    let alone = dir.path().join("hoist");
    std::fs::copy(env!("CARGO_BIN_EXE_hoist"), &alone).unwrap();
    let out = std::process::Command::new(&alone)
        .arg("--data-dir")
        .arg(dir.path().join("data"))
        .env_remove("DISPLAY")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    let expected = dir.path().join("hoist-window");
    assert!(
        stderr.contains(&format!("{} is missing", expected.display())),
        "{stderr}"
    );
    // A command needs no window binary.
    let listed = std::process::Command::new(&alone)
        .args(["--data-dir"])
        .arg(dir.path().join("data"))
        .args(["destination", "list"])
        .output()
        .unwrap();
    assert!(
        listed.status.success(),
        "{}",
        String::from_utf8_lossy(&listed.stderr)
    );
}
