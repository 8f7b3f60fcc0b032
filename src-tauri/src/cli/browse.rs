//! `hoist ls`, `hoist rm`, `hoist share`, `hoist stat`: what a destination holds. Listings
//! stream: each page is printed as it arrives, and a folder's objects wait in a temporary file
//! (not in memory) so that its sub-folders can come first; a million keys print in constant
//! memory.

use super::output::bytes;
use clap::Args;
use hoist_core::{Core, ErrorKind, Listing, ObjectEntry, Place, Result};
use std::io::{BufRead, BufReader, BufWriter, Seek, Write};
use std::process::ExitCode;
use std::time::Duration;

/// Where: `--destination` and `--bucket`, as for uploads.
#[derive(Debug, Args)]
pub struct PlaceArgs {
    /// The destination (may be left out when exactly one exists).
    #[arg(long, alias = "profile")]
    destination: Option<String>,
    /// Another bucket than the destination's.
    #[arg(long)]
    bucket: Option<String>,
}

impl PlaceArgs {
    fn place(&self) -> Place {
        Place {
            destination: self.destination.clone(),
            bucket: self.bucket.clone(),
        }
    }
}

#[derive(Debug, Args)]
pub struct LsArgs {
    #[command(flatten)]
    place: PlaceArgs,
    /// The folder to list ('photos' and 'photos/' are the same folder; default: the top).
    prefix: Option<String>,
    /// Every object under the folder, not only the folder's own.
    #[arg(long, short)]
    recursive: bool,
    /// Print {"prefixes": [...], "objects": [{"key", "size", "last_modified", "etag", ...}]}.
    #[arg(long)]
    pub(super) json: bool,
}

#[derive(Debug, Args)]
pub struct RmArgs {
    #[command(flatten)]
    place: PlaceArgs,
    /// Keys to delete; with --recursive, a folder (ending in /) deletes everything under it.
    #[arg(required = true)]
    keys: Vec<String>,
    /// Delete everything under each folder KEY.
    #[arg(long, short)]
    recursive: bool,
    /// Say what would be deleted and delete nothing.
    #[arg(long)]
    dry_run: bool,
}

#[derive(Debug, Args)]
pub struct ShareArgs {
    #[command(flatten)]
    place: PlaceArgs,
    key: String,
    /// How long the link works: e.g. 1h, 24h, 7d (at most 7 days).
    #[arg(long, default_value = "24h", value_parser = super::cleanup::parse_duration)]
    expires: Duration,
}

#[derive(Debug, Args)]
pub struct StatArgs {
    #[command(flatten)]
    place: PlaceArgs,
    key: String,
    /// Print the details as one JSON object.
    #[arg(long)]
    pub(super) json: bool,
}

/// The prefix of folder `text`: '' for the top, else ending in exactly one '/'.
fn folder(text: Option<&str>) -> String {
    let trimmed = text.unwrap_or("").trim_start_matches('/');
    if trimmed.is_empty() || trimmed.ends_with('/') {
        trimmed.to_string()
    } else {
        format!("{trimmed}/")
    }
}

pub async fn ls(core: &Core, args: LsArgs) -> Result<ExitCode> {
    let place = args.place.place();
    let prefix = folder(args.prefix.as_deref());
    let stdout = std::io::stdout();
    let mut out = BufWriter::new(stdout.lock());
    let mut printer = Printer::new(args.json)?;
    let mut page: Option<String> = None;
    printer.start(&mut out)?;
    loop {
        let listing = core
            .list_objects(&place, &prefix, args.recursive, page.as_deref(), 1000)
            .await?;
        let next = listing.next.clone();
        printer.page(&mut out, listing)?;
        out.flush().map_err(write_error)?;
        match next {
            Some(next) => page = Some(next),
            None => break,
        }
    }
    printer.finish(&mut out)?;
    out.flush().map_err(write_error)?;
    Ok(ExitCode::SUCCESS)
}

/// Prints folders as they come and keeps objects in a temporary file until the folders end.
struct Printer {
    json: bool,
    folders: usize,
    objects: usize,
    /// One object per line (JSON), waiting for the folders to end.
    spill: BufWriter<std::fs::File>,
}

impl Printer {
    fn new(json: bool) -> Result<Printer> {
        let file = tempfile::tempfile().map_err(|e| {
            hoist_core::Error::new(
                ErrorKind::Local,
                format!("cannot create a temporary file for the listing: {e}"),
            )
        })?;
        Ok(Printer {
            json,
            folders: 0,
            objects: 0,
            spill: BufWriter::new(file),
        })
    }

    fn start(&mut self, out: &mut impl Write) -> Result<()> {
        if self.json {
            write!(out, "{{\"prefixes\": [").map_err(write_error)?;
        }
        Ok(())
    }

    fn page(&mut self, out: &mut impl Write, listing: Listing) -> Result<()> {
        for prefix in listing.folders {
            if self.json {
                let comma = if self.folders == 0 { "" } else { ", " };
                let text = serde_json::to_string(&prefix).unwrap_or_default();
                write!(out, "{comma}{text}").map_err(write_error)?;
            } else {
                writeln!(out, "{:>71}  {:<8}  {prefix}", "DIR", "").map_err(write_error)?;
            }
            self.folders += 1;
        }
        for object in listing.objects {
            let line = serde_json::to_string(&object).unwrap_or_default();
            writeln!(self.spill, "{line}").map_err(write_error)?;
        }
        Ok(())
    }

    fn finish(&mut self, out: &mut impl Write) -> Result<()> {
        if self.json {
            write!(out, "], \"objects\": [").map_err(write_error)?;
        }
        self.spill.flush().map_err(write_error)?;
        let file = self.spill.get_mut();
        file.rewind().map_err(write_error)?;
        for line in BufReader::new(&*file).lines() {
            let line = line.map_err(write_error)?;
            let Ok(object) = serde_json::from_str::<ObjectEntry>(&line) else {
                continue;
            };
            if self.json {
                let comma = if self.objects == 0 { "" } else { ", " };
                write!(out, "{comma}{}", object_json(&object)).map_err(write_error)?;
            } else {
                writeln!(
                    out,
                    "{:>10}  {:<19}  {:<34}  {:<8}  {}",
                    bytes(object.size),
                    object.modified.map(time).unwrap_or_default(),
                    object.etag.as_deref().unwrap_or("-"),
                    object.storage_class.as_deref().unwrap_or("-"),
                    object.key
                )
                .map_err(write_error)?;
            }
            self.objects += 1;
        }
        if self.json {
            writeln!(out, "]}}").map_err(write_error)?;
        }
        Ok(())
    }
}

/// An object as `hoist ls --json` prints it.
fn object_json(object: &ObjectEntry) -> serde_json::Value {
    serde_json::json!({
        "key": object.key,
        "size": object.size,
        "last_modified": object.modified.map(time_rfc3339),
        "etag": object.etag,
        "storage_class": object.storage_class,
    })
}

fn time(secs: i64) -> String {
    chrono::DateTime::from_timestamp(secs, 0)
        .map(|t| t.format("%Y-%m-%d %H:%M:%S").to_string())
        .unwrap_or_default()
}

fn time_rfc3339(secs: i64) -> String {
    chrono::DateTime::from_timestamp(secs, 0)
        .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
        .unwrap_or_default()
}

fn write_error(e: std::io::Error) -> hoist_core::Error {
    hoist_core::Error::new(ErrorKind::Local, format!("cannot write the output: {e}"))
}

pub async fn rm(core: &Core, args: RmArgs) -> Result<ExitCode> {
    let place = args.place.place();
    let (folders, keys): (Vec<String>, Vec<String>) =
        args.keys.into_iter().partition(|k| k.ends_with('/'));
    if !folders.is_empty() && !args.recursive {
        return Err(hoist_core::Error::new(
            ErrorKind::InvalidInput,
            format!(
                "{} is a folder: add --recursive to delete everything under it",
                folders[0]
            ),
        ));
    }
    let verb = if args.dry_run {
        "would delete"
    } else {
        "deleted"
    };
    let mut failed = Vec::new();
    let (mut count, mut size) = (0u64, 0u64);
    let terminal = std::io::IsTerminal::is_terminal(&std::io::stderr());
    for prefix in &folders {
        let report = core
            .delete_folder(&place, prefix, args.dry_run, |so_far| {
                if terminal {
                    eprint!("\r{verb} {} objects under {prefix}", so_far.deleted);
                }
            })
            .await?;
        if terminal {
            eprintln!();
        }
        count += report.deleted;
        size += report.bytes;
        failed.extend(report.failed);
    }
    if !keys.is_empty() {
        if args.dry_run {
            for key in &keys {
                let details = core.object_details(&place, key).await?;
                count += 1;
                size += details.size;
            }
        } else {
            let report = core.delete_objects(&place, &keys).await?;
            count += report.deleted;
            failed.extend(report.failed);
        }
    }
    let plural = if count == 1 { "" } else { "s" };
    println!("{verb} {count} object{plural} ({})", bytes(size));
    for failure in &failed {
        eprintln!(
            "error: could not delete {}: {} ({})",
            failure.key,
            failure.message,
            failure.error.code()
        );
    }
    Ok(if failed.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

pub async fn share(core: &Core, args: ShareArgs) -> Result<ExitCode> {
    let url = core
        .share_link(&args.place.place(), &args.key, args.expires)
        .await?;
    println!("{url}");
    Ok(ExitCode::SUCCESS)
}

pub async fn stat(core: &Core, args: StatArgs) -> Result<ExitCode> {
    let details = core.object_details(&args.place.place(), &args.key).await?;
    if args.json {
        let mut value = serde_json::to_value(&details).unwrap_or_default();
        value["last_modified"] = details.modified.map(time_rfc3339).into();
        println!("{value}");
        return Ok(ExitCode::SUCCESS);
    }
    let row = |name: &str, value: String| println!("{name:<14} {value}");
    row("key", details.key.clone());
    row(
        "size",
        format!("{} ({} bytes)", bytes(details.size), details.size),
    );
    row("modified", details.modified.map(time).unwrap_or_default());
    row("content type", details.content_type.unwrap_or_default());
    row("etag", details.etag.unwrap_or_default());
    if let Some(class) = details.storage_class {
        row("storage class", class);
    }
    if let Some(cache) = details.cache_control {
        row("cache control", cache);
    }
    for (name, value) in details.metadata {
        row(&format!("meta {name}"), value);
    }
    Ok(ExitCode::SUCCESS)
}
