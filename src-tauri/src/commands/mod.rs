//! Thin `#[tauri::command]` adapters, grouped by domain. They translate arguments into core
//! calls and core errors into [`UiError`]; no business logic lives here. Core calls touch
//! SQLite (and enqueue walks folders), so they run on the blocking pool, never on the main
//! thread that draws the window.

pub mod browse;
pub mod clipboard;
pub mod destinations;
pub mod download;
pub mod engine;
pub mod queue;
pub mod settings;
pub mod watches;

use crate::error::UiError;
use hoist_core::Core;

/// Runs `f` with a clone of `core` on tauri's blocking pool.
pub(crate) async fn blocking<T, F>(core: &Core, f: F) -> Result<T, UiError>
where
    T: Send + 'static,
    F: FnOnce(&Core) -> hoist_core::Result<T> + Send + 'static,
{
    let core = core.clone();
    Ok(tauri::async_runtime::spawn_blocking(move || f(&core)).await??)
}
