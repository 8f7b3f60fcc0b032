//! `hoist settings`: show or change the settings the CLI and the window share, and the parsing
//! of sizes and rates (`10M`, `2MiB`, `800KiB/s`) that `--limit` uses too.

use super::output::bytes;
use clap::Subcommand;
use hoist_core::model::Direction;
use hoist_core::{Core, Result};
use std::process::ExitCode;

#[derive(Debug, Subcommand)]
pub enum SettingChange {
    /// How many transfers (uploads and downloads together) run at once (default 3).
    Concurrency {
        /// 1 to 64.
        files: usize,
    },
    /// The upload bandwidth limit for all uploads together, e.g. `10M`, `2MiB/s`, `500K`, or
    /// `off`. K/M/G count in 1000s, KiB/MiB/GiB in 1024s.
    Limit {
        /// A rate (`10M`, `2MiB/s`, `500K`) or `off`.
        #[arg(value_parser = parse_limit)]
        rate: Limit,
    },
    /// The download bandwidth limit for all downloads together, in the same units, or `off`.
    DownloadLimit {
        /// A rate (`10M`, `2MiB/s`, `500K`) or `off`.
        #[arg(value_parser = parse_limit)]
        rate: Limit,
    },
    /// The part size of new multipart uploads, e.g. `16MiB` (5 MiB to 5 GiB; default 8 MiB).
    PartSize {
        /// A size, e.g. `16MiB`.
        #[arg(value_parser = parse_size)]
        size: u64,
    },
    /// Whether symbolic links inside added folders are followed (default off: they are
    /// skipped, with the reason).
    FollowLinks {
        /// `on` or `off`.
        #[arg(value_parser = parse_on_off, action = clap::ArgAction::Set, value_name = "on|off")]
        on: bool,
    },
    /// Whether transfers wait while NetworkManager says the connection is metered (a phone's
    /// hotspot, mobile broadband); they go on by themselves on another network (default off).
    PauseOnMetered {
        /// `on` or `off`.
        #[arg(value_parser = parse_on_off, action = clap::ArgAction::Set, value_name = "on|off")]
        on: bool,
    },
}

pub(super) fn parse_on_off(text: &str) -> std::result::Result<bool, String> {
    match text.to_ascii_lowercase().as_str() {
        "on" | "true" | "yes" => Ok(true),
        "off" | "false" | "no" => Ok(false),
        _ => Err(format!("'{text}' is neither on nor off")),
    }
}

/// A bandwidth limit as given on the command line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limit(pub Option<u64>);

pub fn run(core: &Core, change: Option<SettingChange>, json: bool) -> Result<ExitCode> {
    match change {
        Some(SettingChange::Concurrency { files }) => core.set_concurrency(files)?,
        Some(SettingChange::Limit { rate }) => {
            core.set_bandwidth_limit(Direction::Upload, rate.0)?
        }
        Some(SettingChange::DownloadLimit { rate }) => {
            core.set_bandwidth_limit(Direction::Download, rate.0)?
        }
        Some(SettingChange::PartSize { size }) => {
            let mut preferences = core.preferences()?;
            preferences.part_size = size;
            core.set_preferences(&preferences)?;
        }
        Some(SettingChange::FollowLinks { on }) => {
            let mut preferences = core.preferences()?;
            preferences.follow_links = on;
            core.set_preferences(&preferences)?;
        }
        Some(SettingChange::PauseOnMetered { on }) => {
            let mut preferences = core.preferences()?;
            preferences.pause_on_metered = on;
            core.set_preferences(&preferences)?;
        }
        None => {}
    }
    if json {
        super::summary::print(&core.settings()?);
        return Ok(ExitCode::SUCCESS);
    }
    let preferences = core.preferences()?;
    println!("concurrency = {}", core.concurrency()?);
    println!(
        "limit = {}",
        describe_limit(core.bandwidth_limit(Direction::Upload)?)
    );
    println!(
        "download-limit = {}",
        describe_limit(core.bandwidth_limit(Direction::Download)?)
    );
    println!("part-size = {}", bytes(preferences.part_size));
    println!("notifications = {}", on_off(preferences.notifications));
    println!("close-to-tray = {}", on_off(preferences.close_to_tray));
    println!("start-minimized = {}", on_off(preferences.start_minimized));
    println!("follow-links = {}", on_off(preferences.follow_links));
    println!(
        "pause-on-metered = {}",
        on_off(preferences.pause_on_metered)
    );
    Ok(ExitCode::SUCCESS)
}

fn on_off(on: bool) -> &'static str {
    if on { "on" } else { "off" }
}

/// `off`, or e.g. `2.0 MiB/s`.
pub fn describe_limit(limit: Option<u64>) -> String {
    match limit {
        Some(rate) => format!("{}/s", bytes(rate)),
        None => "off".into(),
    }
}

const SIZE_EXAMPLES: &str = "e.g. 500K, 10M, 1.5MB, 2MiB, 800KiB/s or a number of bytes";

/// A rate for `--limit` / `settings limit`: a size per second, or `off` / `none` / `0`.
pub fn parse_limit(text: &str) -> std::result::Result<Limit, String> {
    let trimmed = text.trim();
    if ["off", "none", "0", "unlimited"].contains(&trimmed.to_ascii_lowercase().as_str()) {
        return Ok(Limit(None));
    }
    let size = trimmed
        .strip_suffix("/s")
        .or_else(|| trimmed.strip_suffix("ps"))
        .unwrap_or(trimmed);
    parse_size(size).map(|rate| Limit(Some(rate)))
}

/// A size: a number (decimals allowed) with an optional unit B, K/KB, M/MB, G/GB (1000-based) or
/// KiB, MiB, GiB (1024-based), case-insensitive.
pub fn parse_size(text: &str) -> std::result::Result<u64, String> {
    let trimmed = text.trim();
    let split = trimmed
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(trimmed.len());
    let (number, unit) = trimmed.split_at(split);
    let bad = || format!("'{text}' is not a size or rate: use {SIZE_EXAMPLES}");
    let value: f64 = number.parse().map_err(|_| bad())?;
    let multiplier: f64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1.0,
        "k" | "kb" => 1e3,
        "m" | "mb" => 1e6,
        "g" | "gb" => 1e9,
        "kib" => 1024.0,
        "mib" => 1024.0 * 1024.0,
        "gib" => 1024.0 * 1024.0 * 1024.0,
        _ => return Err(bad()),
    };
    let bytes = (value * multiplier).round();
    if !bytes.is_finite() || bytes < 1.0 || bytes > u64::MAX as f64 {
        return Err(bad());
    }
    Ok(bytes as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_and_rates_parse_in_both_unit_systems() {
        assert_eq!(parse_size("500K"), Ok(500_000));
        assert_eq!(parse_size("10M"), Ok(10_000_000));
        assert_eq!(parse_size("1.5MB"), Ok(1_500_000));
        assert_eq!(parse_size("2MiB"), Ok(2 * 1024 * 1024));
        assert_eq!(parse_size("4096"), Ok(4096));
        assert_eq!(parse_size(" 1 gib "), Ok(1 << 30));
        assert_eq!(parse_limit("800KiB/s"), Ok(Limit(Some(800 * 1024))));
        assert_eq!(parse_limit("3Mps"), Ok(Limit(Some(3_000_000))));
        assert_eq!(parse_limit("off"), Ok(Limit(None)));
        assert_eq!(parse_limit("0"), Ok(Limit(None)));
    }

    #[test]
    fn bad_sizes_name_the_value_and_show_examples() {
        for bad in ["fast", "10 parsecs", "", "-5M", "1.2.3M", "0.1"] {
            let err = parse_size(bad).unwrap_err();
            assert!(err.contains(&format!("'{bad}'")), "{err}");
            assert!(err.contains("e.g. 500K"), "{err}");
        }
    }

    #[test]
    fn limits_are_described_for_people() {
        assert_eq!(describe_limit(None), "off");
        assert_eq!(describe_limit(Some(2 * 1024 * 1024)), "2.0 MiB/s");
    }
}
