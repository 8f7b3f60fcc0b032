//! What a shell user installs once: completions for bash, zsh and fish (`hoist completions
//! SHELL`) and the manual page (`hoist man`), both generated from the same clap definitions as
//! `--help`, so they never go stale. Neither needs the data directory; the packages install
//! their output where each distribution looks for it.

use super::Cli;
use clap::CommandFactory;
use std::io::Write;
use std::process::ExitCode;

/// The shells `hoist completions` writes for.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum Shell {
    Bash,
    Zsh,
    Fish,
}

/// Writes the completion script for `shell` to stdout.
pub fn completions(shell: Shell) -> ExitCode {
    let generator = match shell {
        Shell::Bash => clap_complete::Shell::Bash,
        Shell::Zsh => clap_complete::Shell::Zsh,
        Shell::Fish => clap_complete::Shell::Fish,
    };
    let mut command = Cli::command();
    // Into memory first: clap_complete panics when its writer fails (`| head` closing the pipe).
    let mut script = Vec::new();
    clap_complete::generate(generator, &mut command, "hoist", &mut script);
    print(&script, "the completion script")
}

/// Writes `bytes` to stdout; a reader that stopped early (a closed pipe) is not an error.
fn print(bytes: &[u8], what: &str) -> ExitCode {
    let mut out = std::io::stdout().lock();
    match out.write_all(bytes).and_then(|()| out.flush()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: cannot write {what}: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Writes the roff manual page `hoist(1)` to stdout: the commands with their help, and a
/// section on the exit statuses.
pub fn man() -> ExitCode {
    let command = Cli::command();
    let page = clap_mangen::Man::new(command);
    let mut out = Vec::new();
    if let Err(e) = page.render(&mut out) {
        eprintln!("error: cannot render the manual page: {e}");
        return ExitCode::FAILURE;
    }
    out.extend_from_slice(EXIT_STATUS_SECTION.as_bytes());
    print(&out, "the manual page")
}

const EXIT_STATUS_SECTION: &str = ".SH \"EXIT STATUS\"\n\
0 when the command did what it was asked; 1 when it failed, or did only part of it (the error \
and a hint are on stderr); 2 when the command line is wrong; 130 after Ctrl-C (what was not \
uploaded stays queued for \\fBhoist run\\fR).\n\
.SH FILES\n\
The queue database and logs live in the data directory (\\fB--data-dir\\fR, \
\\fBHOIST_DATA_DIR\\fR, else ~/.local/share/hoist); keys are kept in the desktop's keychain \
(Secret Service).\n";
