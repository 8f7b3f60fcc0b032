//! What the CLI prints: tables for people, JSON (`--json`) for scripts, and byte/speed formats.

use hoist_core::model::{Destination, Job};
use hoist_core::{Error, ErrorKind, Result};
use serde::Serialize;
use std::process::ExitCode;

/// `1.5 GiB`, `64.0 KiB`, `12 B`.
pub fn bytes(n: u64) -> String {
    const UNITS: [&str; 5] = ["KiB", "MiB", "GiB", "TiB", "PiB"];
    if n < 1024 {
        return format!("{n} B");
    }
    let mut value = n as f64 / 1024.0;
    let mut unit = 0;
    while value >= 1024.0 && unit < UNITS.len() - 1 {
        value /= 1024.0;
        unit += 1;
    }
    format!("{value:.1} {}", UNITS[unit])
}

/// Decimal megabytes per second, as network speeds are usually given.
pub fn per_second(n: u64, secs: f64) -> String {
    if secs <= 0.0 {
        return "-".into();
    }
    format!("{}/s", bytes((n as f64 / secs).round() as u64))
}

#[derive(Serialize)]
struct JobRow<'a> {
    id: i64,
    direction: &'static str,
    path: String,
    destination: &'a str,
    bucket: &'a str,
    key: &'a str,
    state: &'a str,
    bytes_done: u64,
    bytes_total: u64,
    attempts: u32,
    error: Option<&'a str>,
    /// The error's kind (`access_denied`, `unreachable`, ...), for scripts to branch on.
    error_code: Option<hoist_core::ErrorKind>,
    /// How a completed job ended: uploaded, skipped_identical, skipped_existing, renamed.
    outcome: Option<&'a str>,
    /// How a finished download was checked: md5, multipart-etag, crc32c, ... (joined with
    /// '+'), or size-only.
    verified: Option<&'a str>,
    note: Option<&'a str>,
}

pub(super) fn to_json<T: Serialize>(value: &T) -> Result<String> {
    serde_json::to_string_pretty(value)
        .map_err(|e| Error::new(ErrorKind::Local, format!("cannot write JSON: {e}")).with_source(e))
}

pub fn print_queue(jobs: &[Job], json: bool) -> Result<ExitCode> {
    if json {
        let rows: Vec<JobRow> = jobs
            .iter()
            .map(|j| JobRow {
                id: j.id.0,
                direction: j.direction.as_str(),
                path: j.path.display().to_string(),
                destination: &j.destination_name,
                bucket: &j.bucket,
                key: &j.key,
                state: j.state.as_str(),
                bytes_done: j.bytes_done,
                bytes_total: j.bytes_total,
                attempts: j.attempts,
                error: j.error_message.as_deref(),
                error_code: j.error_code,
                outcome: j.outcome.map(|o| o.as_str()),
                verified: j.verified.as_deref(),
                note: j.note.as_deref(),
            })
            .collect();
        println!("{}", to_json(&rows)?);
        return Ok(ExitCode::SUCCESS);
    }
    if jobs.is_empty() {
        println!("the queue is empty");
        return Ok(ExitCode::SUCCESS);
    }
    println!(
        "{:>6}  {:<4}  {:<9}  {:>21}  {:>3}  {:<12}  KEY",
        "ID", "WAY", "STATE", "DONE / SIZE", "TRY", "DESTINATION"
    );
    for j in jobs {
        let progress = format!("{} / {}", bytes(j.bytes_done), bytes(j.bytes_total));
        println!(
            "{:>6}  {:<4}  {:<9}  {:>21}  {:>3}  {:<12}  {}",
            j.id.0,
            match j.direction {
                hoist_core::model::Direction::Upload => "up",
                hoist_core::model::Direction::Download => "down",
            },
            j.state.as_str(),
            progress,
            j.attempts,
            j.destination_name,
            j.key
        );
        if let Some(error) = &j.error_message {
            println!("{:>6}  error: {error}", "");
        }
    }
    Ok(ExitCode::SUCCESS)
}

pub fn print_destinations(destinations: &[Destination], json: bool) -> Result<()> {
    if json {
        println!("{}", to_json(&destinations)?);
        return Ok(());
    }
    if destinations.is_empty() {
        println!(
            "no destinations: add one with `hoist destination add NAME --endpoint URL --bucket BUCKET`"
        );
        return Ok(());
    }
    println!(
        "{:<16}  {:<24}  {:<12}  {:<10}  ENDPOINT",
        "NAME", "BUCKET", "REGION", "PREFIX"
    );
    for p in destinations {
        let (bucket, place) = match (&p.folder, p.kind) {
            (Some(folder), hoist_core::model::DestinationKind::Local) => {
                ("-".to_string(), format!("folder {}", folder.display()))
            }
            _ => {
                let endpoint = p.endpoint.as_deref().unwrap_or("(AWS)");
                let style = if p.path_style { " (path-style)" } else { "" };
                let bucket = if p.bucket.is_empty() {
                    "(none: use --bucket)".to_string()
                } else {
                    p.bucket.clone()
                };
                (bucket, format!("{endpoint}{style}"))
            }
        };
        let name = if p.builtin {
            format!("{} (built-in)", p.name)
        } else {
            p.name.clone()
        };
        println!(
            "{:<16}  {:<24}  {:<12}  {:<10}  {place}",
            name, bucket, p.region, p.prefix
        );
        let options = describe_options(&p.options);
        if !options.is_empty() {
            println!("{:<16}  options: {options}", "");
        }
        if let Some(caps) = &p.capabilities {
            println!("{:<16}  tested: {}", "", describe_capabilities(caps));
        }
    }
    Ok(())
}

/// `hoist upload --dry-run`: one line per file with what would happen to it.
pub fn print_preview(preview: &hoist_core::Preview, json: bool) -> Result<()> {
    use hoist_core::PlannedAction;
    if json {
        println!("{}", to_json(preview)?);
        return Ok(());
    }
    println!(
        "dry run, destination '{}': nothing is queued or sent",
        preview.destination
    );
    for file in &preview.files {
        let what = match &file.action {
            PlannedAction::Upload => "upload".to_string(),
            PlannedAction::Overwrite => "overwrite".to_string(),
            PlannedAction::Skip { reason, .. } => format!("skip ({reason})"),
            PlannedAction::Rename { key } => format!("rename -> {key}"),
        };
        println!(
            "{:<32}  {:>10}  {}  s3://{}/{}",
            what,
            bytes(file.size),
            file.path.display(),
            file.bucket,
            file.key
        );
    }
    for skipped in &preview.skipped {
        println!("not queued: {}: {}", skipped.path.display(), skipped.reason);
    }
    Ok(())
}

/// e.g. `multipart, ListParts, presign; no Content-MD5` (what `destination test` found).
fn describe_capabilities(caps: &hoist_core::options::Capabilities) -> String {
    let all = [
        ("multipart", caps.multipart),
        ("ListParts", caps.list_parts),
        ("list uploads", caps.list_multipart_uploads),
        ("Content-MD5", caps.content_md5),
        ("checksum headers", caps.checksum_headers),
        ("presign", caps.presign),
        ("ACL", caps.acl),
    ];
    let yes: Vec<&str> = all.iter().filter(|(_, on)| *on).map(|(n, _)| *n).collect();
    let no: Vec<&str> = all.iter().filter(|(_, on)| !*on).map(|(n, _)| *n).collect();
    let mut text = yes.join(", ");
    if !no.is_empty() {
        text.push_str(&format!("; not: {}", no.join(", ")));
    }
    text
}

/// The options that differ from the defaults, e.g. `key-template={uuid}-{name}, acl=private`.
fn describe_options(options: &hoist_core::options::UploadOptions) -> String {
    let mut parts = Vec::new();
    if let Some(t) = &options.key_template {
        parts.push(format!("key-template={t}"));
    }
    if !options.detect_content_type {
        parts.push("content-type=off".into());
    }
    for (name, value) in [
        ("acl", &options.acl),
        ("storage-class", &options.storage_class),
        ("cache-control", &options.cache_control),
    ] {
        if let Some(value) = value {
            parts.push(format!("{name}={value}"));
        }
    }
    if options.if_exists != hoist_core::options::IfExists::Overwrite {
        parts.push(format!("if-exists={}", options.if_exists));
    }
    parts.join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn byte_formats() {
        assert_eq!(bytes(12), "12 B");
        assert_eq!(bytes(64 * 1024), "64.0 KiB");
        assert_eq!(bytes(3 * 1024 * 1024 * 1024 / 2), "1.5 GiB");
        assert_eq!(per_second(10 * 1024 * 1024, 2.0), "5.0 MiB/s");
        assert_eq!(per_second(1, 0.0), "-");
    }
}
