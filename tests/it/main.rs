//! The `hoist` binary's tests, one test binary: the CLI contract, destinations from the command
//! line, crash resume, Garage, and the real window end to end. `common`, `desktop` and
//! `webdriver` are their shared helpers.
//!
//! `cargo test -p hoist --test it e2e` runs one area.

mod common;
mod desktop;
mod webdriver;

mod cli;
mod cli_binary;
mod cli_destinations;
mod cli_network;
mod cli_resume;
mod cli_watch;
mod e2e;
mod e2e_browse;
mod e2e_destinations;
mod e2e_looks;
mod e2e_network;
mod e2e_watch;
mod garage;
mod garage_browse;
mod garage_checks;
mod garage_download;
