//! Object keys from a destination's key template (see [`crate::options::KEY_PLACEHOLDERS`]).
//! A prefix is a folder: [`folder_prefix`] gives `photos/` for `photos`, `photos/` and `/photos`,
//! and nothing for an empty prefix, so the default template `{prefix}{path}` gives
//! `photos/IMG_001.jpg`. A custom template's result has repeated `/` collapsed and no leading
//! `/`, so that `{prefix}/{path}` works too.

use crate::options::DEFAULT_KEY_TEMPLATE;
use chrono::{DateTime, Datelike, Local, Timelike};

/// What one enqueue call knows when it names its files.
pub(super) struct KeyContext<'a> {
    pub template: &'a str,
    pub prefix: &'a str,
    pub batch: &'a str,
    /// When the files were queued (local time).
    pub queued_at: DateTime<Local>,
}

/// The prefix as a folder: no leading `/`, exactly one trailing `/`, empty when there is none.
/// Keys already in the queue keep the prefix they were queued with; this applies to new ones.
pub fn folder_prefix(prefix: &str) -> String {
    let inner = prefix.trim_matches('/');
    if inner.is_empty() {
        String::new()
    } else {
        format!("{inner}/")
    }
}

/// A random UUID (version 4) in its usual text form.
fn uuid_v4() -> String {
    let mut bytes: [u8; 16] = rand::random();
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    let hex = hex::encode(bytes);
    format!(
        "{}-{}-{}-{}-{}",
        &hex[..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..]
    )
}

/// S3's limit on key length, in bytes.
const MAX_KEY_BYTES: usize = 1024;

impl KeyContext<'_> {
    /// The key of the file at `relative`, or why it cannot have one (a name that is not UTF-8,
    /// a key over S3's length limit), in words for people.
    pub fn key_for(&self, relative: &std::path::Path) -> Result<String, String> {
        let mut parts = Vec::new();
        for component in relative.components() {
            match component.as_os_str().to_str() {
                Some(part) => parts.push(part),
                None => {
                    return Err(
                        "its name is not valid UTF-8, which S3 keys must be: rename it".into(),
                    );
                }
            }
        }
        let key = self.key(&parts);
        if key.len() > MAX_KEY_BYTES {
            return Err(format!(
                "its key would be {} bytes, over S3's limit of {MAX_KEY_BYTES}: use a shorter prefix or path",
                key.len()
            ));
        }
        Ok(key)
    }

    /// The key of the file at `parts` (the path relative to what was added, as UTF-8 names).
    pub fn key(&self, parts: &[&str]) -> String {
        let path = parts.join("/");
        if self.template == DEFAULT_KEY_TEMPLATE {
            return format!("{}{path}", self.prefix);
        }
        let name = parts.last().copied().unwrap_or_default();
        let dir = parts[..parts.len().saturating_sub(1)].join("/");
        let (stem, ext) = match name.rsplit_once('.') {
            Some((stem, ext)) if !stem.is_empty() => (stem, ext),
            _ => (name, ""),
        };
        let t = self.queued_at;
        let mut out = String::new();
        let mut rest = self.template;
        // Templates are validated when saved; an unknown name here is kept as written.
        while let Some(open) = rest.find('{') {
            out.push_str(&rest[..open]);
            let Some(close) = rest[open..].find('}') else {
                break;
            };
            let placeholder = &rest[open + 1..open + close];
            let value = match placeholder {
                "prefix" => self.prefix.to_string(),
                "path" => path.clone(),
                "dir" => dir.clone(),
                "name" => name.to_string(),
                "stem" => stem.to_string(),
                "ext" => ext.to_string(),
                "date" => format!("{:04}-{:02}-{:02}", t.year(), t.month(), t.day()),
                "year" => format!("{:04}", t.year()),
                "month" => format!("{:02}", t.month()),
                "day" => format!("{:02}", t.day()),
                "time" => format!("{:02}{:02}{:02}", t.hour(), t.minute(), t.second()),
                "uuid" => uuid_v4(),
                "batch" => self.batch.to_string(),
                other => format!("{{{other}}}"),
            };
            out.push_str(&value);
            rest = &rest[open + close + 1..];
        }
        out.push_str(rest);
        let mut key = String::with_capacity(out.len());
        for c in out.chars() {
            if !(c == '/' && (key.is_empty() || key.ends_with('/'))) {
                key.push(c);
            }
        }
        key
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn context(template: &str) -> KeyContext<'_> {
        KeyContext {
            template,
            prefix: "backups/",
            batch: "b123",
            queued_at: Local.with_ymd_and_hms(2026, 3, 4, 5, 6, 7).unwrap(),
        }
    }

    #[test]
    fn the_default_template_joins_prefix_and_path() {
        let ctx = context(DEFAULT_KEY_TEMPLATE);
        assert_eq!(
            ctx.key(&["album", "sub", "a.jpg"]),
            "backups/album/sub/a.jpg"
        );
    }

    #[test]
    fn prefix_without_slash_is_a_folder_not_glued_to_the_name() {
        for given in ["photos", "photos/", "/photos", "photos//"] {
            assert_eq!(folder_prefix(given), "photos/", "{given:?}");
        }
        for empty in ["", "/", "//"] {
            assert_eq!(folder_prefix(empty), "", "{empty:?}");
        }
        assert_eq!(folder_prefix("a/b"), "a/b/");
        let prefix = folder_prefix("photos");
        let ctx = KeyContext {
            prefix: &prefix,
            ..context(DEFAULT_KEY_TEMPLATE)
        };
        assert_eq!(ctx.key(&["IMG_001.jpg"]), "photos/IMG_001.jpg");
    }

    #[test]
    fn every_placeholder_renders() {
        let ctx = context(
            "{prefix}/{year}/{month}/{day}/{date}T{time}/{batch}/{dir}/{stem}.{ext}|{name}|{path}",
        );
        assert_eq!(
            ctx.key(&["album", "sub", "a.tar.gz"]),
            "backups/2026/03/04/2026-03-04T050607/b123/album/sub/a.tar.gz|a.tar.gz|album/sub/a.tar.gz"
        );
    }

    #[test]
    fn slashes_collapse_and_names_without_extension_work() {
        let ctx = context("{prefix}/{dir}/{stem}");
        assert_eq!(ctx.key(&["README"]), "backups/README");
        let ctx = context("/{name}");
        assert_eq!(ctx.key(&[".bashrc"]), ".bashrc");
        let ctx = context("{ext}/{stem}");
        assert_eq!(ctx.key(&[".bashrc"]), ".bashrc");
    }

    #[test]
    fn uuids_differ_per_file_and_look_like_uuids() {
        let ctx = context("{uuid}-{name}");
        let (a, b) = (ctx.key(&["x.jpg"]), ctx.key(&["x.jpg"]));
        assert_ne!(a, b);
        let uuid = a.strip_suffix("-x.jpg").unwrap();
        let groups: Vec<usize> = uuid.split('-').map(str::len).collect();
        assert_eq!(groups, [8, 4, 4, 4, 12]);
        assert_eq!(&uuid[14..15], "4", "version 4");
    }
}
