//! The Settings view: one object for everything the window lets the user set, all stored in
//! the database (shared with `hoist settings`).

use super::blocking;
use crate::error::UiError;
use hoist_core::{Core, Settings};
use tauri::State;

#[tauri::command]
pub async fn get_settings(core: State<'_, Core>) -> Result<Settings, UiError> {
    blocking(&core, |core| core.settings()).await
}

/// Saves everything or nothing (the core validates every value first, then saves them in one
/// transaction).
#[tauri::command]
pub async fn set_settings(core: State<'_, Core>, settings: Settings) -> Result<Settings, UiError> {
    blocking(&core, move |core| {
        core.set_settings(&settings)?;
        Ok(settings)
    })
    .await
}
