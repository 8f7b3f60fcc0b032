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
    let files = args.files_from(&std::env::current_dir().unwrap_or_default());
    if let Some(command) = args
        .command
        .take()
        .filter(|command| !matches!(command, cli::Command::Files(_)))
    {
        return cli::run(&launched.data_dir, command);
    }
    let core = match hoist_core::Core::open(&launched.data_dir) {
        Ok(core) => core,
        Err(e) => {
            // Started from a menu, stderr is read by no one: say it in a dialog too.
            eprintln!("error: {e}");
            let fix = e.fix().map(hoist_app::window_hint);
            if let Some(fix) = &fix {
                eprintln!("hint: {fix}");
            }
            let text = match fix {
                Some(fix) => format!("{e}\n\n{fix}"),
                None => e.to_string(),
            };
            let desktop = ["DISPLAY", "WAYLAND_DISPLAY"]
                .iter()
                .any(|var| std::env::var_os(var).is_some());
            if desktop {
                rfd::MessageDialog::new()
                    .set_level(rfd::MessageLevel::Error)
                    .set_title("Hoist cannot open its queue")
                    .set_description(text)
                    .set_buttons(rfd::MessageButtons::Ok)
                    .show();
            }
            return ExitCode::FAILURE;
        }
    };
    let options = hoist_app::WindowOptions {
        files,
        minimized: args.minimized,
        data_dir: args
            .data_dir
            .as_ref()
            .map(|dir| std::path::absolute(dir).unwrap_or_else(|_| dir.clone())),
    };
    match hoist_app::run_window(core, options) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}
