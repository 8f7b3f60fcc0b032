//! `hoist`: the command line. With a command it runs it here; with none it hands over to the
//! window binary beside it (`hoist-window`), so no command ever loads GTK or WebKit and the
//! CLI stays as light as the headless build (see cli/).

use clap::Parser;
use hoist_app::cli::{self, Cli};
use std::process::ExitCode;

fn main() -> ExitCode {
    hoist_app::launch::one_malloc_arena();
    hoist_app::launch::restrict_new_files();
    let mut args = Cli::parse();
    let Some(command) = args.command.take() else {
        return open_window();
    };
    if let cli::Command::Files(files) = &command {
        // `hoist FILE...`: a mistyped command is not a file to queue.
        if let Some(missing) = files.iter().find(|f| std::fs::symlink_metadata(f).is_err()) {
            eprintln!(
                "error: '{}' is neither a command nor a file (`hoist --help` lists the commands)",
                missing.to_string_lossy()
            );
            return ExitCode::from(2);
        }
        return open_window();
    }
    if let Some(code) = command.without_queue() {
        return code;
    }
    match hoist_app::launch::prepare(&args) {
        Ok(launched) => cli::run(&launched.data_dir, command),
        Err(code) => code,
    }
}

/// Replaces this process with `hoist-window`, giving it the same arguments: the window keeps
/// this process id, so whoever started `hoist` (a desktop entry, a test) holds the window.
#[cfg(feature = "desktop")]
fn open_window() -> ExitCode {
    use std::os::unix::process::CommandExt;
    let window = match hoist_app::launch::window_binary() {
        Ok(path) => path,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::FAILURE;
        }
    };
    let e = std::process::Command::new(&window)
        .args(std::env::args_os().skip(1))
        .exec();
    eprintln!("error: cannot start the window ({}): {e}", window.display());
    ExitCode::FAILURE
}

#[cfg(not(feature = "desktop"))]
fn open_window() -> ExitCode {
    eprintln!(
        "error: this hoist is the headless build, without the window: give it a command \
         (`hoist --help` lists them; `hoist run --watch` serves watched folders)"
    );
    ExitCode::from(2)
}
