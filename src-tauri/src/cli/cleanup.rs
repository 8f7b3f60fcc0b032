//! `hoist cleanup`: list incomplete multipart uploads and abort the ones no job needs.

use clap::Args;
use hoist_core::{Core, Result};
use std::process::ExitCode;
use std::time::Duration;

#[derive(Debug, Args)]
pub struct CleanupArgs {
    /// Only this destination (default: all).
    #[arg(long, alias = "profile")]
    destination: Option<String>,
    /// Keep uploads younger than this (e.g. 30m, 12h, 7d; 0 for none). Other tools' uploads in
    /// progress in the same bucket are safe while they are younger.
    #[arg(long, default_value = "1d", value_parser = parse_duration)]
    older_than: Duration,
    /// Only show what would be aborted.
    #[arg(long)]
    dry_run: bool,
    /// Print one JSON object per destination: aborted, in use, too recent, failed.
    #[arg(long)]
    pub(super) json: bool,
}

/// `90`, `90s`, `30m`, `12h`, `7d`, `500ms`.
pub fn parse_duration(text: &str) -> std::result::Result<Duration, String> {
    let text = text.trim();
    let (number, unit) = text.split_at(
        text.find(|c: char| !c.is_ascii_digit())
            .unwrap_or(text.len()),
    );
    let value: u64 = number
        .parse()
        .map_err(|_| format!("'{text}' is not a duration: use e.g. 30m, 12h or 7d"))?;
    if unit == "ms" {
        return Ok(Duration::from_millis(value));
    }
    let seconds = match unit {
        "" | "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86_400,
        _ => return Err(format!("unknown unit in '{text}': use ms, s, m, h or d")),
    };
    Ok(Duration::from_secs(value.saturating_mul(seconds)))
}

pub async fn run(core: &Core, args: CleanupArgs) -> Result<ExitCode> {
    let reports = core
        .cleanup(args.destination.as_deref(), args.older_than, args.dry_run)
        .await?;
    if args.json {
        let failed = reports.iter().any(|r| !r.failed.is_empty());
        super::summary::print(&reports);
        return Ok(if failed {
            ExitCode::FAILURE
        } else {
            ExitCode::SUCCESS
        });
    }
    let verb = if args.dry_run {
        "would abort"
    } else {
        "aborted"
    };
    let mut failed = false;
    for report in reports {
        if !report.listed {
            println!(
                "{}: the server cannot list incomplete uploads; nothing done",
                report.destination
            );
            continue;
        }
        for upload in &report.aborted {
            println!(
                "{}: {verb} {} ({})",
                report.destination, upload.key, upload.upload_id
            );
        }
        for upload in &report.in_use {
            println!(
                "{}: kept {} (a queued job resumes it)",
                report.destination, upload.key
            );
        }
        for upload in &report.too_recent {
            println!(
                "{}: kept {} (younger than --older-than)",
                report.destination, upload.key
            );
        }
        for (upload, why) in &report.failed {
            failed = true;
            eprintln!(
                "{}: could not abort {}: {why}",
                report.destination, upload.key
            );
        }
        println!(
            "{}: {} {verb}, {} in use, {} too recent",
            report.destination,
            report.aborted.len(),
            report.in_use.len(),
            report.too_recent.len()
        );
    }
    Ok(if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("0"), Ok(Duration::ZERO));
        assert_eq!(parse_duration("90"), Ok(Duration::from_secs(90)));
        assert_eq!(parse_duration("30m"), Ok(Duration::from_secs(1800)));
        assert_eq!(parse_duration("7d"), Ok(Duration::from_secs(7 * 86_400)));
        assert!(parse_duration("7w").unwrap_err().contains("unknown unit"));
        assert!(parse_duration("soon").is_err());
    }
}
