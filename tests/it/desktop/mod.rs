//! The desktop around the window, for the end-to-end tests: the tray icon's menu over D-Bus
//! (`gdbus`, com.canonical.dbusmenu, registered with tests/lib/sni_watcher.py) and the window as
//! the X server sees it (tests/lib/x11_window.py).

pub mod window;

use std::path::Path;

/// Answers the system picker (GTK's chooser) titled `title` with `keys`, as a person at the
/// keyboard would (tests/lib/x_keys.py over XTEST; "text:…" types). The child exits 0 once the
/// keys are sent, 2 when no such window appeared within 10 s.
pub fn answer_picker(title: &str, keys: &[&str]) -> std::process::Child {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/lib/x_keys.py");
    std::process::Command::new("/usr/bin/python3")
        .arg(script)
        .arg(title)
        .args(keys)
        .spawn()
        .expect("python3 runs")
}

/// `gdbus call` on the session bus; `None` when the call fails.
fn gdbus(dest: &str, path: &str, method: &str, args: &[&str]) -> Option<String> {
    let out = std::process::Command::new("gdbus")
        .args(["call", "--session", "--timeout", "3", "--dest", dest])
        .args(["--object-path", path])
        .args(["--method", method, "--"])
        .args(args)
        .output()
        .ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).into_owned())
}

/// The running window's tray menu: (its bus name, the menu's object path), once registered.
pub fn tray_menu() -> Option<(String, String)> {
    let log = std::fs::read_to_string(std::env::var_os("HOIST_TRAY_LOG")?).ok()?;
    let item = log
        .lines()
        .rev()
        .find_map(|l| l.split("RegisterStatusNotifierItem \"").nth(1))?
        .trim_end_matches('"')
        .to_string();
    let names = gdbus(
        "org.freedesktop.DBus",
        "/org/freedesktop/DBus",
        "org.freedesktop.DBus.ListNames",
        &[],
    )?;
    // Newest connections first: the window connected last.
    let mut names: Vec<&str> = names.split('\'').filter(|n| n.starts_with(":1.")).collect();
    names.sort_by_key(|n| std::cmp::Reverse(n[3..].parse::<u64>().unwrap_or(0)));
    names.into_iter().find_map(|name| {
        let menu = gdbus(
            name,
            &item,
            "org.freedesktop.DBus.Properties.Get",
            &["org.kde.StatusNotifierItem", "Menu"],
        )?;
        let path = menu.split('\'').nth(1)?.to_string();
        Some((name.to_string(), path))
    })
}

/// The running window's tray menu, waited for (at most [`window::UI_WAIT`]).
pub async fn registered_tray_menu() -> (String, String) {
    let mut menu = None;
    let registered = crate::webdriver::wait_until(window::UI_WAIT, || {
        menu = tray_menu();
        std::future::ready(menu.is_some())
    })
    .await;
    assert!(registered, "the tray icon never registered");
    menu.expect("registered")
}

/// The menu's layout as gdbus prints it (labels included).
pub fn tray_layout(menu: &(String, String)) -> String {
    gdbus(
        &menu.0,
        &menu.1,
        "com.canonical.dbusmenu.GetLayout",
        &["0", "-1", "['label']"],
    )
    .unwrap_or_default()
}

/// Clicks the menu item labelled `label`, as a tray host does.
pub fn tray_click(menu: &(String, String), label: &str) {
    let layout = tray_layout(menu);
    let at = layout
        .find(&format!("{{'label': <'{label}'>}}"))
        .unwrap_or_else(|| panic!("no '{label}' in the tray menu: {layout}"));
    let open = layout[..at].rfind('(').unwrap();
    let id = layout[open + 1..at].trim().trim_end_matches(',');
    let clicked = gdbus(
        &menu.0,
        &menu.1,
        "com.canonical.dbusmenu.Event",
        &[id, "clicked", "<0>", "0"],
    );
    assert!(clicked.is_some(), "clicking '{label}' (item {id}) failed");
}

/// tests/lib/x11_window.py ACTION on the window titled "Hoist": "close" sends the title bar's close
/// (WM_DELETE_WINDOW); "state" prints "viewable" or "hidden". `None` when no such window exists.
pub fn x11_window(action: &str) -> Option<String> {
    x11_window_titled(action, "Hoist")
}

/// As [`x11_window`], on the window titled `title`.
pub fn x11_window_titled(action: &str, title: &str) -> Option<String> {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/lib/x11_window.py");
    let out = std::process::Command::new("/usr/bin/python3")
        .arg(script)
        .args([action, title])
        .output()
        .expect("python3 runs");
    if out.status.code() == Some(2) {
        return None;
    }
    assert!(out.status.success(), "x11_window.py {action}: {out:?}");
    Some(String::from_utf8_lossy(&out.stdout).trim().to_string())
}
