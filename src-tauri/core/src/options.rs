//! Per-destination settings beyond where bytes go: how keys are named and which headers objects
//! get ([`UploadOptions`]), what to do when an object already exists ([`IfExists`]), and what a
//! `hoist destination test` found the server can do ([`Capabilities`]). Stored as JSON columns of
//! the `destinations` table, so adding a field needs no migration: every field has a default.

use crate::error::{Error, ErrorKind, Result};
use serde::{Deserialize, Serialize};

/// The placeholders a key template may use. Rendering lives with enqueueing; what each means:
/// `{prefix}` the destination's (or the upload's) prefix, `{path}` the path relative to what was
/// added (a folder keeps its own name), `{dir}` that path's folder part (may be empty), `{name}`
/// the file name, `{stem}` / `{ext}` the name without / only its extension (no dot), `{date}`
/// `YYYY-MM-DD`, `{year}` `{month}` `{day}`, `{time}` `HHMMSS` (local time when queued), `{uuid}`
/// a random UUID per file, `{batch}` the batch id.
pub const KEY_PLACEHOLDERS: &[&str] = &[
    "prefix", "path", "dir", "name", "stem", "ext", "date", "year", "month", "day", "time", "uuid",
    "batch",
];

/// The key template used when a destination sets none.
pub const DEFAULT_KEY_TEMPLATE: &str = "{prefix}{path}";

/// Canned ACLs S3 defines.
pub const CANNED_ACLS: &[&str] = &[
    "private",
    "public-read",
    "public-read-write",
    "authenticated-read",
    "aws-exec-read",
    "bucket-owner-read",
    "bucket-owner-full-control",
];

/// What an upload does when its key already holds an object.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum IfExists {
    /// Replace the object (S3's own behaviour).
    #[default]
    Overwrite,
    /// Send nothing when the object has the same size and content (checksum / ETag); upload
    /// when it differs.
    Skip,
    /// Upload under a free key next to it (`name-1.ext`, `name-2.ext`, ...) when an object with
    /// other content is there; send nothing when it is identical.
    Rename,
}

impl IfExists {
    pub const ALL: [IfExists; 3] = [IfExists::Overwrite, IfExists::Skip, IfExists::Rename];

    pub fn as_str(self) -> &'static str {
        match self {
            IfExists::Overwrite => "overwrite",
            IfExists::Skip => "skip",
            IfExists::Rename => "rename",
        }
    }

    pub fn parse(s: &str) -> Option<IfExists> {
        IfExists::ALL.into_iter().find(|v| v.as_str() == s)
    }
}

impl std::fmt::Display for IfExists {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How a destination names and labels the objects it receives. `None` means "not set": the
/// server's default (ACL, storage class) or no header (Cache-Control).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(default)]
pub struct UploadOptions {
    /// How a key is built, e.g. `{prefix}{path}` (the default), `{prefix}{date}/{name}`,
    /// `{uuid}-{name}`. See `facade::keys` for the placeholders.
    pub key_template: Option<String>,
    /// Set `Content-Type` from the file name's extension (default on).
    pub detect_content_type: bool,
    /// A canned ACL such as `private` or `public-read`, where the provider supports ACLs.
    pub acl: Option<String>,
    /// e.g. `STANDARD_IA`, `GLACIER_IR`, where the provider supports storage classes.
    pub storage_class: Option<String>,
    /// The `Cache-Control` header, e.g. `max-age=3600`.
    pub cache_control: Option<String>,
    /// What an upload does when its key is taken, unless the upload says otherwise.
    pub if_exists: IfExists,
}

impl Default for UploadOptions {
    fn default() -> UploadOptions {
        UploadOptions {
            key_template: None,
            detect_content_type: true,
            acl: None,
            storage_class: None,
            cache_control: None,
            if_exists: IfExists::Overwrite,
        }
    }
}

impl UploadOptions {
    /// Checks every set value; the error names the setting and what to write instead.
    pub fn validate(&self) -> Result<()> {
        if let Some(template) = &self.key_template {
            validate_key_template(template)?;
        }
        if let Some(acl) = &self.acl
            && !CANNED_ACLS.contains(&acl.as_str())
        {
            return Err(invalid(format!(
                "the ACL '{acl}' is not a canned ACL: use one of {}",
                CANNED_ACLS.join(", ")
            )));
        }
        if let Some(class) = &self.storage_class
            && (class.is_empty()
                || !class
                    .chars()
                    .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_'))
        {
            return Err(invalid(format!(
                "the storage class '{class}' is not a storage class name: use e.g. STANDARD, \
                 STANDARD_IA, INTELLIGENT_TIERING, GLACIER_IR"
            )));
        }
        if let Some(value) = &self.cache_control
            && (value.trim().is_empty() || value.chars().any(|c| !(' '..='~').contains(&c)))
        {
            return Err(invalid(
                "Cache-Control must be a non-empty header value of printable ASCII, e.g. \
                 'max-age=3600' or 'no-cache'",
            ));
        }
        Ok(())
    }
}

/// Checks a key template: braces balanced, every placeholder known, and at least one of
/// `{path}`, `{name}`, `{stem}` or `{uuid}` so that different files get different keys.
pub fn validate_key_template(template: &str) -> Result<()> {
    let mut used = Vec::new();
    let mut rest = template;
    while let Some(open) = rest.find(['{', '}']) {
        if rest[open..].starts_with('}') {
            return Err(invalid(format!(
                "the key template '{template}' has a '}}' without '{{'"
            )));
        }
        let after = &rest[open + 1..];
        let close = after.find('}').ok_or_else(|| {
            invalid(format!(
                "the key template '{template}' has a '{{' without '}}'"
            ))
        })?;
        let name = &after[..close];
        if !KEY_PLACEHOLDERS.contains(&name) {
            return Err(invalid(format!(
                "the key template '{template}' uses {{{name}}}, which is not a placeholder: use {}",
                KEY_PLACEHOLDERS
                    .iter()
                    .map(|p| format!("{{{p}}}"))
                    .collect::<Vec<_>>()
                    .join(" ")
            )));
        }
        used.push(name);
        rest = &after[close + 1..];
    }
    if !used
        .iter()
        .any(|p| matches!(*p, "path" | "name" | "stem" | "uuid"))
    {
        return Err(invalid(format!(
            "the key template '{template}' would give every file the same key: include {{path}}, \
             {{name}}, {{stem}} or {{uuid}}"
        )));
    }
    Ok(())
}

fn invalid(message: impl Into<String>) -> Error {
    Error::new(ErrorKind::InvalidInput, message)
}

/// Reads a stored options value; one from before a field existed gets that field's default.
pub(crate) fn options_from_json(json: &str) -> UploadOptions {
    serde_json::from_str(json).unwrap_or_else(|e| {
        tracing::warn!(error = %e, "unreadable destination options; using the defaults");
        UploadOptions::default()
    })
}

/// What `hoist destination test` found a destination's server accepts. Remembered per destination; the
/// engine leaves out what the server rejected. Fields default to "works" so that a destination
/// never tested behaves as before.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(default)]
pub struct Capabilities {
    /// When the connection test ran, seconds since the Unix epoch.
    pub tested_at: i64,
    /// CreateMultipartUpload / UploadPart / CompleteMultipartUpload work.
    pub multipart: bool,
    /// ListParts works (resume can reconcile with the server).
    pub list_parts: bool,
    /// ListMultipartUploads works (`hoist cleanup` can find orphans).
    pub list_multipart_uploads: bool,
    /// The server accepts `Content-MD5` on PUT and UploadPart.
    pub content_md5: bool,
    /// The server accepts `x-amz-checksum-*` headers.
    pub checksum_headers: bool,
    /// The server refused a body whose `x-amz-checksum-crc32c` was wrong, so uploads may rely
    /// on it instead of Content-MD5. False in what tests before this check remembered: those
    /// destinations keep Content-MD5 until tested again.
    pub crc32c_checked: bool,
    /// A presigned GET URL works.
    pub presign: bool,
    /// Canned ACLs are accepted.
    pub acl: bool,
}

impl Default for Capabilities {
    fn default() -> Capabilities {
        Capabilities {
            tested_at: 0,
            multipart: true,
            list_parts: true,
            list_multipart_uploads: true,
            content_md5: true,
            checksum_headers: true,
            crc32c_checked: false,
            presign: true,
            acl: true,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn options_read_from_older_json_keep_detection_on() {
        let options = options_from_json("{}");
        assert_eq!(options, UploadOptions::default());
        let options = options_from_json(r#"{"cache_control":"max-age=60","if_exists":"skip"}"#);
        assert!(options.detect_content_type);
        assert_eq!(options.cache_control.as_deref(), Some("max-age=60"));
        assert_eq!(options.if_exists, IfExists::Skip);
        let off = options_from_json(r#"{"detect_content_type":false}"#);
        assert!(!off.detect_content_type);
    }

    #[test]
    fn key_templates_are_checked() {
        for good in [
            DEFAULT_KEY_TEMPLATE,
            "{prefix}{date}/{name}",
            "{uuid}-{name}",
            "photos/{year}/{month}/{stem}.{ext}",
        ] {
            validate_key_template(good).unwrap();
        }
        for (bad, says) in [
            ("{prefix}{nmae}", "{nmae}"),
            ("{prefix}{name", "without"),
            ("name}", "without"),
            ("{prefix}{date}", "same key"),
        ] {
            let err = validate_key_template(bad).unwrap_err();
            assert_eq!(err.kind(), ErrorKind::InvalidInput);
            assert!(err.message().contains(says), "{bad}: {}", err.message());
        }
    }

    #[test]
    fn options_validation_names_the_flag() {
        let mut options = UploadOptions::default();
        options.validate().unwrap();
        options.acl = Some("public".into());
        assert!(
            options
                .validate()
                .unwrap_err()
                .message()
                .contains("the ACL")
        );
        options.acl = Some("public-read".into());
        options.storage_class = Some("cold storage".into());
        assert!(
            options
                .validate()
                .unwrap_err()
                .message()
                .contains("the storage class")
        );
        options.storage_class = Some("STANDARD_IA".into());
        options.cache_control = Some("max-age=1\r\nX-Evil: 1".into());
        assert!(
            options
                .validate()
                .unwrap_err()
                .message()
                .contains("Cache-Control")
        );
        options.cache_control = Some("max-age=3600".into());
        options.validate().unwrap();
    }

    #[test]
    fn if_exists_names_round_trip() {
        for v in IfExists::ALL {
            assert_eq!(IfExists::parse(v.as_str()), Some(v));
        }
        assert_eq!(IfExists::parse("replace"), None);
    }
}
