//! The Settings view: one object for everything the window lets the user set, all stored in
//! the database (shared with `hoist settings`), plus starting at login, which is the desktop's.

use super::blocking;
use crate::error::UiError;
use crate::login_item::LoginItem;
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

/// Whether Hoist opens (minimized to the tray) when the user logs in: an entry in the desktop's
/// autostart folder (`~/.config/autostart/hoist.desktop`), not a database setting, so it is
/// read from there each time.
#[tauri::command]
pub async fn get_autostart(login: State<'_, LoginItem>) -> Result<bool, UiError> {
    Ok(login.is_enabled())
}

/// Adds or removes the login entry; returns whether it is there now.
#[tauri::command]
pub async fn set_autostart(login: State<'_, LoginItem>, enabled: bool) -> Result<bool, UiError> {
    let changed = if enabled {
        login.enable()
    } else {
        login.disable()
    };
    changed.map_err(|e| {
        let verb = if enabled { "add" } else { "remove" };
        UiError::internal(format!("cannot {verb} the login entry: {e}"))
    })?;
    tracing::info!(enabled, "start at login");
    Ok(login.is_enabled())
}

/// The view the window showed when it was last closed or hidden, to open on it again.
#[tauri::command]
pub async fn get_window_view(core: State<'_, Core>) -> Result<Option<String>, UiError> {
    blocking(&core, |core| core.window_view()).await
}

/// Keeps the view shown now for the next start (in the database: the page's own storage is not
/// written to disk before a quit).
#[tauri::command]
pub async fn set_window_view(core: State<'_, Core>, view: String) -> Result<(), UiError> {
    blocking(&core, move |core| core.set_window_view(&view)).await
}
