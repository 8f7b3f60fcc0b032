//! The Settings view: one object for everything the window lets the user set, all stored in
//! the database (shared with `hoist settings`), plus starting at login, which is the desktop's.

use super::blocking;
use crate::error::UiError;
use hoist_core::{Core, Settings};
use tauri::{AppHandle, State};
use tauri_plugin_autostart::ManagerExt;

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

/// Whether Hoist opens (minimized to the tray) when the user logs in: an entry in the desktop's
/// autostart folder (`~/.config/autostart/hoist.desktop`), not a database setting, so it is
/// read from there each time.
#[tauri::command]
pub async fn get_autostart(app: AppHandle) -> Result<bool, UiError> {
    app.autolaunch()
        .is_enabled()
        .map_err(|e| UiError::internal(format!("cannot read the login item: {e}")))
}

/// Adds or removes the login entry; returns whether it is there now.
#[tauri::command]
pub async fn set_autostart(app: AppHandle, enabled: bool) -> Result<bool, UiError> {
    let manager = app.autolaunch();
    let changed = if enabled {
        manager.enable()
    } else {
        manager.disable()
    };
    changed.map_err(|e| {
        let verb = if enabled { "add" } else { "remove" };
        UiError::internal(format!("cannot {verb} the login item: {e}"))
    })?;
    tracing::info!(enabled, "start at login");
    manager
        .is_enabled()
        .map_err(|e| UiError::internal(format!("cannot read the login item: {e}")))
}
