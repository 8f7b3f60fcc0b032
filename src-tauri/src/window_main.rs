//! `hoist-window`: the window (Tauri, GTK, WebKit). `hoist` with no command starts it; given a
//! command it runs it like `hoist` does, so a login entry or a script that names this binary
//! still works.

#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

use clap::Parser;
use hoist_app::cli::{self, Cli};
use std::process::ExitCode;

fn main() -> ExitCode {
    hoist_app::launch::one_malloc_arena();
    hoist_app::launch::restrict_new_files();
    let mut args = Cli::parse();
    let launched = match hoist_app::launch::prepare(&args) {
        Ok(launched) => launched,
        Err(code) => return code,
    };
    if let Some(command) = args.command.take() {
        return cli::run(&launched.data_dir, command);
    }
    let opened = hoist_core::Core::open(&launched.data_dir)
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
