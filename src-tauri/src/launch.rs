//! What both binaries do first: the file mode mask, the data directory, logging; and where
//! `hoist` finds the window binary.

use crate::cli::Cli;
use std::path::PathBuf;
use std::process::ExitCode;
use tracing_appender::non_blocking::WorkerGuard;

/// The window binary's file name, installed beside `hoist`.
pub const WINDOW_BINARY: &str = "hoist-window";

/// A started process's data directory, with the log writer that must live as long as it.
pub struct Launched {
    pub data_dir: PathBuf,
    _log_guard: Option<WorkerGuard>,
}

/// Everything Hoist creates (database, lock, logs, the window's caches) is the user's alone.
/// Files it writes into a folder destination get their source's mode set explicitly.
pub fn restrict_new_files() {
    rustix::process::umask(rustix::fs::Mode::from_raw_mode(0o077));
}

/// One malloc arena for the whole process. glibc gives each thread that allocates an arena of
/// its own (up to eight per core), and each arena keeps what its thread freed: with the spans
/// and parts of a transfer on tokio's blocking threads, that was a third of the resident memory
/// of a 1 GiB transfer (issue 19). The threads' allocations are short and few; the one lock
/// costs nothing measurable beside the bytes they move.
#[allow(unsafe_code)]
pub fn one_malloc_arena() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only sets a parameter of the allocator, and is called first thing in
    // main, before any other thread exists.
    unsafe {
        libc::mallopt(libc::M_ARENA_MAX, 1);
    }
}

/// Finds the data directory and starts logging; on failure the error is printed and the exit
/// code returned.
pub fn prepare(args: &Cli) -> Result<Launched, ExitCode> {
    let data_dir = match args
        .data_dir
        .clone()
        .map(Ok)
        .unwrap_or_else(hoist_core::default_data_dir)
    {
        Ok(dir) => dir,
        Err(e) => {
            eprintln!("error: {e}");
            return Err(ExitCode::FAILURE);
        }
    };
    let log_dir = hoist_core::log_dir(&data_dir, args.data_dir.is_some());
    let log_guard = crate::logging::init(&log_dir, args.verbose);
    Ok(Launched {
        data_dir,
        _log_guard: log_guard,
    })
}

/// `hoist-window` in the directory of the running `hoist` (symlinks resolved, so a link to
/// `hoist` in `~/bin` still finds it).
pub fn window_binary() -> Result<PathBuf, String> {
    let exe = std::env::current_exe()
        .map_err(|e| format!("cannot tell where this hoist is installed: {e}"))?;
    let exe = std::fs::canonicalize(&exe).unwrap_or(exe);
    let window = exe.with_file_name(WINDOW_BINARY);
    if window.is_file() {
        Ok(window)
    } else {
        Err(format!(
            "the window is not installed: {} is missing. Install Hoist's desktop package, \
             or give hoist a command (`hoist --help` lists them)",
            window.display()
        ))
    }
}
