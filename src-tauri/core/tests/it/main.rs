//! hoist-core's integration tests, one binary (one link of the crate and its dependencies
//! instead of one per file). Each module is one area; `support` is their shared set-up.
//!
//! `cargo test -p hoist-core --test it resume` runs one area.

mod support;

mod browse;
mod cleanup;
mod conflicts;
mod connection;
mod contract;
mod crc_uploads;
mod download;
mod download_checks;
mod engine;
mod enqueue;
mod keychain;
mod local_backend;
mod local_destination;
mod resume;
mod s3_backend;
mod throttle;
mod watch;
