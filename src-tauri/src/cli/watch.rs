//! `hoist watch add|list|rm|pause|resume`: watched folders. The watching itself is done by the
//! engine: the window, or `hoist run --watch`.

use super::cleanup::parse_duration;
use super::destination_edit::parse_if_exists;
use super::output::to_json;
use clap::{Args, Subcommand};
use hoist_core::{Core, Result, Watch, WatchRequest};
use serde::Serialize;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

#[derive(Debug, Subcommand)]
pub enum WatchCommand {
    /// Watch a folder: every finished file in it (and in its subfolders) is uploaded, once.
    Add(AddArgs),
    /// Show the watches: folder, destination, state, files uploaded and pending.
    List {
        /// Print the watches as a JSON list.
        #[arg(long)]
        json: bool,
    },
    /// Change where a watch uploads and how (its folder stays; files it uploaded stay where they
    /// went and are not sent again).
    Edit(EditArgs),
    /// Stop watching a folder (its uploads stay in the queue and the bucket).
    Rm {
        /// The watch's id, or its folder.
        watch: String,
    },
    /// Pause a watch: new files wait until it is resumed.
    Pause {
        /// The watch's id, or its folder.
        watch: String,
    },
    /// Resume a paused watch; files added meanwhile are found then.
    Resume {
        /// The watch's id, or its folder.
        watch: String,
    },
}

#[derive(Debug, Args)]
pub struct EditArgs {
    /// The watch's id, or its folder.
    watch: String,
    /// Upload to this destination from now on (into its bucket).
    #[arg(long, alias = "profile")]
    destination: Option<String>,
    /// The folder in the bucket to upload into.
    #[arg(long)]
    prefix: Option<String>,
    /// overwrite, skip, rename, or `default` for the destination's rule.
    #[arg(long, value_name = "MODE")]
    if_exists: Option<String>,
    /// How long a file must stay unchanged before it is uploaded (e.g. 2s, 500ms, 1m).
    #[arg(long, value_parser = parse_duration)]
    settle: Option<Duration>,
    /// Whether deleting a file deletes the object this watch uploaded.
    #[arg(long, value_name = "on|off", value_parser = super::settings::parse_on_off)]
    mirror_deletes: Option<bool>,
    /// Whether the folder is walked every few seconds instead of listened to.
    #[arg(long, value_name = "on|off", value_parser = super::settings::parse_on_off)]
    poll: Option<bool>,
}

#[derive(Debug, Args)]
pub struct AddArgs {
    /// The folder to watch.
    folder: PathBuf,
    /// The destination (default: the one you added, else the built-in local folder).
    #[arg(long, alias = "profile")]
    destination: Option<String>,
    /// The folder in the bucket to upload into; keys are paths below the watched folder
    /// (default: the destination's prefix).
    #[arg(long)]
    prefix: Option<String>,
    /// Bucket (default: the destination's).
    #[arg(long)]
    bucket: Option<String>,
    /// Also ignore names matching this glob (e.g. '*.raw', 'cache', 'drafts/*'); repeat it.
    /// System litter and temporary files are ignored already (see `hoist watch list`).
    #[arg(long = "ignore", value_name = "GLOB")]
    ignore: Vec<String>,
    /// When a key already holds an object: overwrite, skip or rename (default: the
    /// destination's).
    #[arg(long, value_parser = parse_if_exists)]
    if_exists: Option<hoist_core::options::IfExists>,
    /// How long a file must stay unchanged before it is uploaded (e.g. 2s, 500ms, 1m).
    #[arg(long, value_parser = parse_duration)]
    settle: Option<Duration>,
    /// Deleting a file (or moving it out of the folder) deletes the object this watch uploaded.
    #[arg(long)]
    mirror_deletes: bool,
    /// Walk the folder every few seconds instead of listening for changes (for mounts that
    /// send no change events; network and FUSE mounts are polled anyway).
    #[arg(long)]
    poll: bool,
}

impl WatchCommand {
    pub(super) fn json(&self) -> bool {
        matches!(self, WatchCommand::List { json: true })
    }
}

pub fn run(core: &Core, command: WatchCommand) -> Result<ExitCode> {
    match command {
        WatchCommand::Add(args) => {
            let watch = core.add_watch(WatchRequest {
                folder: args.folder,
                destination: args.destination,
                prefix: args.prefix,
                bucket: args.bucket,
                ignore: args.ignore,
                if_exists: args.if_exists,
                settle: args.settle,
                mirror_deletes: args.mirror_deletes,
                poll: args.poll,
            })?;
            println!(
                "watch {} added: {} -> {} ({})",
                watch.id,
                watch.folder.display(),
                place(&watch),
                watch.destination_name
            );
            println!("files are uploaded while Hoist runs: the window, or `hoist run --watch`");
        }
        WatchCommand::List { json } => print_watches(&core.watches()?, json)?,
        WatchCommand::Edit(args) => {
            let watch = core.find_watch(&args.watch)?;
            let if_exists = match args.if_exists.as_deref() {
                None => None,
                Some("default") => Some(None),
                Some(mode) => Some(Some(parse_if_exists(mode).map_err(|e| {
                    hoist_core::Error::new(hoist_core::ErrorKind::InvalidInput, e)
                })?)),
            };
            let watch = core.edit_watch(
                watch.id,
                hoist_core::WatchChanges {
                    destination: args.destination,
                    prefix: args.prefix,
                    if_exists,
                    settle: args.settle,
                    mirror_deletes: args.mirror_deletes,
                    poll: args.poll,
                },
            )?;
            println!(
                "watch {} changed: {} -> {} ({})",
                watch.id,
                watch.folder.display(),
                place(&watch),
                watch.destination_name
            );
        }
        WatchCommand::Rm { watch } => {
            let watch = core.find_watch(&watch)?;
            core.remove_watch(watch.id)?;
            println!("watch {} removed: {}", watch.id, watch.folder.display());
        }
        WatchCommand::Pause { watch } => {
            let watch = core.find_watch(&watch)?;
            core.set_watch_paused(watch.id, true)?;
            println!("watch {} paused: {}", watch.id, watch.folder.display());
        }
        WatchCommand::Resume { watch } => {
            let watch = core.find_watch(&watch)?;
            core.set_watch_paused(watch.id, false)?;
            println!("watch {} resumed: {}", watch.id, watch.folder.display());
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn place(watch: &Watch) -> String {
    if watch.bucket.is_empty() {
        watch.prefix.clone()
    } else {
        format!("{}/{}", watch.bucket, watch.prefix)
    }
}

#[derive(Serialize)]
struct WatchRow<'a> {
    id: i64,
    folder: String,
    destination: &'a str,
    bucket: &'a str,
    prefix: &'a str,
    state: &'static str,
    note: Option<&'a str>,
    uploaded: u64,
    pending: u64,
    ignore: &'a [String],
    settle_ms: u64,
    mirror_deletes: bool,
    poll: bool,
    last_activity: Option<i64>,
}

fn print_watches(watches: &[Watch], json: bool) -> Result<()> {
    if json {
        let rows: Vec<WatchRow> = watches
            .iter()
            .map(|w| WatchRow {
                id: w.id.0,
                folder: w.folder.display().to_string(),
                destination: &w.destination_name,
                bucket: &w.bucket,
                prefix: &w.prefix,
                state: w.state.as_str(),
                note: w.note.as_deref(),
                uploaded: w.uploaded,
                pending: w.pending,
                ignore: &w.ignore,
                settle_ms: w.settle_ms,
                mirror_deletes: w.mirror_deletes,
                poll: w.poll,
                last_activity: w.active_at,
            })
            .collect();
        println!("{}", to_json(&rows)?);
        return Ok(());
    }
    if watches.is_empty() {
        println!("no folder is watched: add one with `hoist watch add DIR`");
        return Ok(());
    }
    println!(
        "{:>4}  {:<8}  {:>8}  {:>7}  {:<12}  {:<24}  FOLDER",
        "ID", "STATE", "UPLOADED", "PENDING", "DESTINATION", "INTO"
    );
    for w in watches {
        println!(
            "{:>4}  {:<8}  {:>8}  {:>7}  {:<12}  {:<24}  {}",
            w.id.0,
            w.state.as_str(),
            w.uploaded,
            w.pending,
            w.destination_name,
            place(w),
            w.folder.display()
        );
        if let Some(note) = &w.note {
            println!("      {note}");
        }
        let mut settings = vec![format!("settle {} ms", w.settle_ms)];
        if w.mirror_deletes {
            settings.push("mirror deletes".into());
        }
        if w.poll {
            settings.push("polling".into());
        }
        println!(
            "      {}; ignores {}",
            settings.join(", "),
            w.ignore.join(" ")
        );
    }
    Ok(())
}
