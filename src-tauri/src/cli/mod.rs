//! The headless CLI: the same `hoist` binary, for scripts and terminals. This is a contract
//! that later tooling relies on: extend it, do not rename it. Every command maps onto one or two
//! calls into `hoist_core::Core`; no upload logic lives here.

mod access_key;
mod browse;
mod cleanup;
mod destination;
mod destination_edit;
mod download;
pub(crate) mod output;
mod settings;
mod shell;
mod summary;
mod transfer;
mod watch;

use clap::{Args, Parser, Subcommand};
use hoist_core::Core;
use hoist_core::error::Fix;
use hoist_core::model::{JobId, Selection};
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

#[derive(Debug, Parser)]
#[command(
    name = "hoist",
    version,
    about = "Hoist: uploads that survive restarts. With no command, opens the window; \
             `hoist FILE...` adds files and folders to the window's queue.",
    after_help = "Exit status: 0 when the command did what it was asked; 1 when it failed or \
                  did only part of it (the error and a hint are on stderr; with --json as \
                  {\"error\": {\"code\", \"message\", \"hint\"}}); 2 when the command line is \
                  wrong; 130 after Ctrl-C (what was not uploaded stays queued for `hoist run`)."
)]
pub struct Cli {
    /// Where the queue database lives (default: the platform data directory).
    #[arg(long, env = "HOIST_DATA_DIR", global = true, value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
    /// Also log to stderr.
    #[arg(short, long, global = true)]
    pub verbose: bool,
    /// With no command: open hidden in the tray (how Hoist starts at login).
    #[arg(long)]
    pub minimized: bool,
    #[command(subcommand)]
    pub command: Option<Command>,
}

impl Cli {
    /// The files of `hoist FILE...`, made absolute against `cwd` (where `hoist` was started).
    pub fn files_from(&self, cwd: &Path) -> Vec<PathBuf> {
        match &self.command {
            Some(Command::Files(files)) => files.iter().map(|file| cwd.join(file)).collect(),
            _ => Vec::new(),
        }
    }
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Manage destinations (S3-compatible buckets and local folders).
    #[command(alias = "profile")]
    Destination {
        #[command(subcommand)]
        command: destination::DestinationCommand,
    },
    /// Add files and folders to the queue and upload them.
    Upload(transfer::UploadArgs),
    /// Download objects (a folder and everything under it) as queue jobs.
    Get(download::GetArgs),
    /// List what a destination holds: folders first, then objects.
    Ls(browse::LsArgs),
    /// Delete objects (a folder and everything under it with --recursive).
    Rm(browse::RmArgs),
    /// Print a link anyone can download an object from, until it expires.
    Share(browse::ShareArgs),
    /// Show an object's details (size, modified, content type, ETag, metadata).
    Stat(browse::StatArgs),
    /// Run the queue until nothing is left, resuming interrupted uploads.
    Run(transfer::RunArgs),
    /// Show the queue.
    Queue {
        /// Print the queue as JSON: a list of jobs (see the README for the fields).
        #[arg(long)]
        json: bool,
    },
    /// Pause jobs: in-flight requests stop, finished parts are kept.
    Pause(JobSelection),
    /// Resume paused jobs.
    Resume(JobSelection),
    /// Cancel jobs and abort their multipart uploads.
    Cancel(JobSelection),
    /// Queue failed or cancelled jobs again.
    Retry(JobSelection),
    /// Abort incomplete multipart uploads that no job needs (they cost storage).
    Cleanup(cleanup::CleanupArgs),
    /// Watch folders: every finished file in them is uploaded (while `hoist run --watch` or
    /// the window runs).
    Watch {
        #[command(subcommand)]
        command: watch::WatchCommand,
    },
    /// Show or change settings.
    Settings {
        /// Print the settings as one JSON object.
        #[arg(long, global = true)]
        json: bool,
        #[command(subcommand)]
        change: Option<settings::SettingChange>,
    },
    /// Print the completion script for a shell (`hoist completions bash > ~/.local/share/bash-completion/completions/hoist`).
    Completions {
        /// The shell to complete for.
        shell: shell::Shell,
    },
    /// Print the manual page, hoist(1), as roff (`hoist man | man -l -`).
    Man,
    /// `hoist FILE...`: files and folders for the window's queue (the running window's, which
    /// comes to the front; else a new one's). What a file manager's "Open with Hoist" runs. Any
    /// word that is not a command lands here; one that is not a file either is refused.
    #[command(external_subcommand)]
    Files(Vec<OsString>),
}

impl Command {
    /// Whether the command was asked for JSON (`--json`): its errors are JSON too.
    pub fn json(&self) -> bool {
        match self {
            Command::Queue { json } | Command::Settings { json, .. } => *json,
            Command::Upload(args) => args.json,
            Command::Get(args) => args.json,
            Command::Run(args) => args.json,
            Command::Ls(args) => args.json,
            Command::Stat(args) => args.json,
            Command::Cleanup(args) => args.json,
            Command::Destination { command } => command.json(),
            Command::Watch { command } => command.json(),
            _ => false,
        }
    }

    /// Runs a command that needs no queue (completions, the manual page); `None` for the others.
    pub fn without_queue(&self) -> Option<ExitCode> {
        match self {
            Command::Completions { shell } => Some(shell::completions(*shell)),
            Command::Man => Some(shell::man()),
            _ => None,
        }
    }
}

#[derive(Debug, Args)]
pub struct JobSelection {
    /// Job ids, as shown by `hoist queue`.
    #[arg(required_unless_present = "all", conflicts_with = "all")]
    ids: Vec<i64>,
    /// Every job.
    #[arg(long)]
    all: bool,
}

impl JobSelection {
    fn selection(&self) -> Selection {
        if self.all {
            Selection::All
        } else {
            Selection::Ids(self.ids.iter().map(|id| JobId(*id)).collect())
        }
    }
}

/// Runs one command; the exit code says whether it did all it was asked.
pub fn run(data_dir: &Path, command: Command) -> ExitCode {
    if let Some(code) = command.without_queue() {
        return code;
    }
    let json = command.json();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => return fail(format!("cannot start the async runtime: {e}")),
    };
    let core = match Core::open(data_dir) {
        Ok(core) => core,
        Err(e) => return fail_with_hint(&e, json),
    };
    match runtime.block_on(dispatch(&core, command)) {
        Ok(code) => code,
        Err(e) => fail_with_hint(&e, json),
    }
}

/// Prints the error and, where the core said what fixes it, the command that does; with
/// `json`, as `{"error": {"code", "message", "hint"}}`.
fn fail_with_hint(e: &hoist_core::Error, json: bool) -> ExitCode {
    let hint = e.fix().map(hint);
    if json {
        summary::print_error(e.kind().code(), &e.to_string(), hint.as_deref());
        return ExitCode::FAILURE;
    }
    let code = fail(e);
    if let Some(hint) = hint {
        eprintln!("hint: {hint}");
    }
    code
}

fn fail(message: impl std::fmt::Display) -> ExitCode {
    eprintln!("error: {message}");
    ExitCode::FAILURE
}

/// A core [`Fix`] as the command that does it.
fn hint(fix: &Fix) -> String {
    match fix {
        Fix::ChooseDestination => {
            "name one with --destination NAME (`hoist destination list` shows them)".into()
        }
        Fix::NameBucket { destination } => format!(
            "pass --bucket B, or set one with `hoist destination edit {destination} --bucket B`"
        ),
        Fix::Give { setting } => format!("pass --{setting} {}", setting.to_uppercase()),
        Fix::EditDestination {
            destination,
            setting: "keys",
        } => format!("`hoist destination edit {destination} --keys`"),
        Fix::EditDestination {
            destination,
            setting,
        } => format!(
            "`hoist destination edit {destination} --{setting} {}`",
            setting.to_uppercase()
        ),
        Fix::UseRegion { region } => {
            format!("`hoist destination edit DESTINATION --region {region}`")
        }
        Fix::CancelJobs => {
            "cancel them with `hoist cancel ID...` (`hoist queue` lists them)".into()
        }
        Fix::RemoveWatches { ids } => {
            let commands: Vec<String> = ids
                .iter()
                .map(|id| format!("`hoist watch rm {id}`"))
                .collect();
            commands.join(", ")
        }
        Fix::SeeWatches => "`hoist watch list` shows the watches, their ids and folders".into(),
        Fix::MoveDatabaseAside { path } => {
            let quoted = shell_quote(&path.display().to_string());
            let aside = shell_quote(&format!("{}.damaged", path.display()));
            format!("`mv {quoted} {aside}` starts afresh (with nothing else running Hoist)")
        }
    }
}

/// `text` as one word for a POSIX shell.
fn shell_quote(text: &str) -> String {
    if !text.is_empty()
        && text
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"/._-+,:@".contains(&b))
    {
        text.to_string()
    } else {
        format!("'{}'", text.replace('\'', "'\\''"))
    }
}

async fn dispatch(core: &Core, command: Command) -> hoist_core::Result<ExitCode> {
    match command {
        Command::Destination { command } => destination::run(core, command).await,
        Command::Upload(args) => transfer::upload(core, args).await,
        Command::Get(args) => download::get(core, args).await,
        Command::Ls(args) => browse::ls(core, args).await,
        Command::Rm(args) => browse::rm(core, args).await,
        Command::Share(args) => browse::share(core, args).await,
        Command::Stat(args) => browse::stat(core, args).await,
        Command::Run(args) => transfer::run_queue(core, args).await,
        Command::Cleanup(args) => cleanup::run(core, args).await,
        Command::Queue { json } => output::print_queue(&core.jobs()?, json),
        Command::Pause(sel) => act("paused", core.pause(&sel.selection())),
        Command::Resume(sel) => act("resumed", core.resume(&sel.selection())),
        Command::Retry(sel) => act("queued again", core.retry(&sel.selection())),
        Command::Cancel(sel) => {
            let code = act("cancelled", core.cancel(&sel.selection()))?;
            if !core.abort_cancelled_uploads().await? {
                println!("the running Hoist will abort their multipart uploads");
            }
            Ok(code)
        }
        Command::Settings { json, change } => settings::run(core, change, json),
        Command::Watch { command } => watch::run(core, command),
        Command::Completions { shell } => Ok(shell::completions(shell)),
        Command::Man => Ok(shell::man()),
        Command::Files(files) => Err(hoist_core::Error::new(
            hoist_core::ErrorKind::InvalidInput,
            format!(
                "'{}' is not a command; files are queued into the window, which this hoist \
                 cannot open here: use `hoist upload`",
                files
                    .first()
                    .map(|f| f.to_string_lossy())
                    .unwrap_or_default()
            ),
        )),
    }
}

fn act(verb: &str, changed: hoist_core::Result<Vec<JobId>>) -> hoist_core::Result<ExitCode> {
    let changed = changed?;
    let ids: Vec<String> = changed.iter().map(|id| id.to_string()).collect();
    if ids.is_empty() {
        println!("no job was {verb} (none was in a state that allows it)");
    } else {
        println!("{verb} {} job(s): {}", ids.len(), ids.join(" "));
    }
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_fix_is_rendered_as_the_command_that_does_it() {
        let edit = |setting| Fix::EditDestination {
            destination: "nas".into(),
            setting,
        };
        assert_eq!(
            hint(&edit("region")),
            "`hoist destination edit nas --region REGION`"
        );
        assert_eq!(hint(&edit("keys")), "`hoist destination edit nas --keys`");
        assert_eq!(
            hint(&Fix::Give {
                setting: "account-id"
            }),
            "pass --account-id ACCOUNT-ID"
        );
        assert!(hint(&Fix::ChooseDestination).contains("--destination NAME"));
        assert!(
            hint(&Fix::NameBucket {
                destination: "aws".into()
            })
            .contains("`hoist destination edit aws --bucket B`")
        );
        assert_eq!(
            hint(&Fix::RemoveWatches { ids: vec![2, 5] }),
            "`hoist watch rm 2`, `hoist watch rm 5`"
        );
        assert!(hint(&Fix::CancelJobs).contains("`hoist cancel ID...`"));
        assert!(
            hint(&Fix::UseRegion {
                region: "eu-west-1".into()
            })
            .contains("--region eu-west-1")
        );
    }
}
