//! Hoist's desktop shell: the Tauri app around a [`hoist_core::Core`]. It owns no business
//! logic: `run_window` (in `desktop.rs`) builds the window, registers the commands (`commands/`), forwards core
//! events (`events`), turns files dropped on the window into an enqueue, and drives the upload
//! engine on Tauri's async runtime for as long as the window lives.
//!
//! The engine runs in this process unless another one (a `hoist upload` in a terminal) already
//! holds the data directory's engine lock; then the window shows the queue from the database
//! and tries to take over every [`ENGINE_RETRY`], so uploads go on after that process ends.

// The CLI, logging and the start-up both binaries share (main.rs is `hoist`, window_main.rs is
// `hoist-window`); declared here so the binaries reach them as `hoist_app::cli` and so on.
pub mod cli;
pub mod launch;
pub mod logging;

// The window: absent from a headless build (`--no-default-features`), which links no GTK or
// WebKit and only runs commands.
#[cfg(feature = "desktop")]
mod commands;
#[cfg(feature = "desktop")]
mod desktop;
#[cfg(feature = "desktop")]
mod error;
#[cfg(feature = "desktop")]
mod events;
#[cfg(all(test, feature = "desktop"))]
mod ipc_commands;
#[cfg(feature = "desktop")]
mod ipc_types;
#[cfg(feature = "desktop")]
mod login_item;
#[cfg(feature = "desktop")]
mod notifications;
#[cfg(feature = "desktop")]
mod tray;

#[cfg(feature = "desktop")]
pub use desktop::{MINIMIZED_FLAG, WindowOptions, run_window};
#[cfg(feature = "desktop")]
pub use error::{UiError, window_hint};
