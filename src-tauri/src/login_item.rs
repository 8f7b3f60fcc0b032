//! Starting Hoist at login: a desktop entry in the XDG autostart folder
//! (`$XDG_CONFIG_HOME/autostart/hoist.desktop`, `~/.config/autostart` without it). Written here
//! rather than by tauri-plugin-autostart, whose `Exec=` joined the words unquoted: a binary or a
//! data folder under a path with a space broke the entry. The words are quoted as the Desktop
//! Entry Specification says (its "Exec key" section).

use std::path::{Path, PathBuf};

/// The login entry of this Hoist: where it goes (none without a home folder) and the command it
/// runs.
pub struct LoginItem {
    path: Option<PathBuf>,
    command: Vec<String>,
}

impl LoginItem {
    /// The entry in the user's autostart folder running `command` (the program first).
    pub fn in_autostart(command: Vec<String>) -> LoginItem {
        let config = std::env::var_os("XDG_CONFIG_HOME")
            .map(PathBuf::from)
            .filter(|p| p.is_absolute())
            .or_else(|| std::env::var_os("HOME").map(|home| Path::new(&home).join(".config")));
        LoginItem {
            path: config.map(|config| config.join("autostart/hoist.desktop")),
            command,
        }
    }

    #[cfg(test)]
    fn at(path: PathBuf, command: Vec<String>) -> LoginItem {
        LoginItem {
            path: Some(path),
            command,
        }
    }

    pub fn is_enabled(&self) -> bool {
        self.path.as_deref().is_some_and(Path::is_file)
    }

    fn path(&self) -> std::io::Result<&Path> {
        self.path.as_deref().ok_or_else(|| {
            std::io::Error::new(
                std::io::ErrorKind::NotFound,
                "neither XDG_CONFIG_HOME nor HOME is set: there is no autostart folder",
            )
        })
    }

    /// Writes the entry (whole or not at all: a temporary file renamed over it).
    pub fn enable(&self) -> std::io::Result<()> {
        let path = self.path()?;
        let dir = path.parent().unwrap_or(Path::new("."));
        std::fs::create_dir_all(dir)?;
        let temporary = dir.join(".hoist.desktop.tmp");
        std::fs::write(&temporary, self.entry())?;
        std::fs::rename(&temporary, path)
    }

    /// Removes the entry; none there is fine.
    pub fn disable(&self) -> std::io::Result<()> {
        match std::fs::remove_file(self.path()?) {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            other => other,
        }
    }

    fn entry(&self) -> String {
        format!(
            "[Desktop Entry]\nType=Application\nVersion=1.0\nName=Hoist\n\
             Comment=Starts Hoist in the tray, so watched folders keep uploading\n\
             Exec={}\nIcon=hoist\nStartupNotify=false\nTerminal=false\n",
            exec_value(&self.command)
        )
    }
}

/// The `Exec=` value running `words`: a word holding a reserved character is put in double
/// quotes, with `"`, `` ` ``, `$` and `\` escaped inside them; `%` is doubled (a field code
/// otherwise); and the backslashes are escaped once more, as every string value's are.
pub fn exec_value(words: &[String]) -> String {
    const RESERVED: &[char] = &[
        ' ', '\t', '\n', '"', '\'', '\\', '>', '<', '~', '|', '&', ';', '$', '*', '?', '#', '(',
        ')', '`',
    ];
    let quoted: Vec<String> = words
        .iter()
        .map(|word| {
            let word = word.replace('%', "%%");
            if word.is_empty() || word.contains(RESERVED) {
                let mut inner = String::with_capacity(word.len() + 2);
                for c in word.chars() {
                    if matches!(c, '"' | '`' | '$' | '\\') {
                        inner.push('\\');
                    }
                    inner.push(c);
                }
                format!("\"{inner}\"")
            } else {
                word
            }
        })
        .collect();
    // The string-value escapes apply first when the entry is read, so each `\` is written twice.
    quoted.join(" ").replace('\\', "\\\\").replace('\n', "\\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(list: &[&str]) -> Vec<String> {
        list.iter().map(|w| w.to_string()).collect()
    }

    #[test]
    fn a_binary_under_a_path_with_a_space_broke_the_login_entry() {
        let exec = exec_value(&words(&[
            "/home/me/My Apps/hoist",
            "--minimized",
            "--data-dir",
            "/home/me/50% \"odd\" $dir",
        ]));
        assert_eq!(
            exec,
            r#""/home/me/My Apps/hoist" --minimized --data-dir "/home/me/50%% \\"odd\\" \\$dir""#
        );
        assert_eq!(exec_value(&words(&["/usr/bin/hoist"])), "/usr/bin/hoist");
    }

    #[test]
    fn without_a_home_folder_the_window_failed_to_open() {
        let item = LoginItem {
            path: None,
            command: words(&["/usr/bin/hoist"]),
        };
        assert!(!item.is_enabled());
        let refused = item.enable().unwrap_err().to_string();
        assert!(refused.contains("no autostart folder"), "{refused}");
    }

    #[test]
    fn the_entry_is_written_whole_and_removed() {
        let dir = tempfile::tempdir().unwrap();
        let item = LoginItem::at(
            dir.path().join("autostart/hoist.desktop"),
            words(&["/opt/a b/hoist", "--minimized"]),
        );
        assert!(!item.is_enabled());
        item.enable().unwrap();
        assert!(item.is_enabled());
        let text = std::fs::read_to_string(dir.path().join("autostart/hoist.desktop")).unwrap();
        assert!(
            text.contains("\nExec=\"/opt/a b/hoist\" --minimized\n"),
            "{text}"
        );
        assert_eq!(
            std::fs::read_dir(dir.path().join("autostart"))
                .unwrap()
                .count(),
            1
        );
        item.disable().unwrap();
        item.disable().unwrap();
        assert!(!item.is_enabled());
    }
}
