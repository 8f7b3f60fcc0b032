//! Logs: a daily-rotated file in the platform log directory (kept 14 days), and stderr with
//! `-v`. `RUST_LOG` overrides the level. Secrets never reach a log: the core's `Secret` type
//! prints `<redacted>`, and nothing here formats credentials.

use std::path::Path;
use tracing_appender::non_blocking::WorkerGuard;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{EnvFilter, Layer, fmt};

/// Lines the log writer thread may lag behind before lines are dropped. The library's default
/// (128,000) is a 4 MiB channel allocated up front, the largest single allocation of a 1 GiB
/// transfer (heaptrack, issue 19); Hoist logs a few lines per job, and the writer keeps up.
const LOG_LINES_BUFFERED: usize = 8192;

/// Creates the log folder 0700 and makes the logs already in it 0600 (new ones are, through
/// the process's umask: see main.rs).
fn private_dir(log_dir: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(log_dir)?;
    std::fs::set_permissions(log_dir, std::fs::Permissions::from_mode(0o700))?;
    for entry in std::fs::read_dir(log_dir)?.flatten() {
        if entry.file_type().is_ok_and(|t| t.is_file()) {
            std::fs::set_permissions(entry.path(), std::fs::Permissions::from_mode(0o600))?;
        }
    }
    Ok(())
}

/// Installs the global subscriber. Keep the guard alive until exit so buffered lines are written.
pub fn init(log_dir: &Path, verbose: bool) -> Option<WorkerGuard> {
    let filter = || {
        EnvFilter::try_from_default_env().unwrap_or_else(|_| {
            EnvFilter::new(
                "info,aws_smithy_runtime=warn,aws_sdk_s3=warn,hyper=warn,tao=warn,wry=warn",
            )
        })
    };
    let stderr = verbose.then(|| {
        fmt::layer()
            .with_writer(std::io::stderr)
            .with_filter(filter())
    });
    let appender = private_dir(log_dir).ok().and_then(|_| {
        tracing_appender::rolling::Builder::new()
            .rotation(tracing_appender::rolling::Rotation::DAILY)
            .filename_prefix("hoist")
            .filename_suffix("log")
            .max_log_files(14)
            .build(log_dir)
            .ok()
    });
    let (file, guard) = match appender {
        Some(appender) => {
            let (writer, guard) = tracing_appender::non_blocking::NonBlockingBuilder::default()
                .buffered_lines_limit(LOG_LINES_BUFFERED)
                .finish(appender);
            let layer = fmt::layer()
                .with_writer(writer)
                .with_ansi(false)
                .with_filter(filter());
            (Some(layer), Some(guard))
        }
        None => {
            eprintln!("warning: cannot write logs to {}", log_dir.display());
            (None, None)
        }
    };
    let _ = tracing_subscriber::registry()
        .with(stderr)
        .with(file)
        .try_init();
    guard
}
