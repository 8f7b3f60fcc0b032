//! `hoist`: with no command, the window; with a command, the headless CLI (see cli/).

#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

use clap::Parser;
use hoist_app::cli::{self, Cli};
use std::process::ExitCode;

fn main() -> ExitCode {
    // Everything Hoist creates (database, lock, logs, the window's caches) is the user's alone.
    // Files it writes into a folder destination get their source's mode set explicitly.
    rustix::process::umask(rustix::fs::Mode::from_raw_mode(0o077));
    let args = Cli::parse();
    let data_dir = match args
        .data_dir
        .clone()
        .map(Ok)
        .unwrap_or_else(hoist_core::default_data_dir)
    {
        Ok(dir) => dir,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::FAILURE;
        }
    };
    let log_dir = hoist_core::log_dir(&data_dir, args.data_dir.is_some());
    let _log_guard = hoist_app::logging::init(&log_dir, args.verbose);
    match args.command {
        Some(command) => cli::run(&data_dir, command),
        None => open_window(&data_dir, &args),
    }
}

#[cfg(feature = "desktop")]
fn open_window(data_dir: &std::path::Path, args: &Cli) -> ExitCode {
    let opened = hoist_core::Core::open(data_dir)
        .map_err(anyhow::Error::from)
        .and_then(|core| {
            let options = hoist_app::WindowOptions {
                minimized: args.minimized,
                data_dir: args
                    .data_dir
                    .as_ref()
                    .map(|dir| std::path::absolute(dir).unwrap_or_else(|_| dir.clone())),
            };
            hoist_app::run_window(core, options)
        });
    match opened {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

#[cfg(not(feature = "desktop"))]
fn open_window(_data_dir: &std::path::Path, _args: &Cli) -> ExitCode {
    eprintln!(
        "error: this hoist is the headless build, without the window: give it a command \
         (`hoist --help` lists them; `hoist run --watch` serves watched folders)"
    );
    ExitCode::from(2)
}
