//! The Settings view: one object for everything the window lets the user set, all stored in
//! the database (shared with `hoist settings`).

use super::blocking;
use crate::error::UiError;
use hoist_core::{Core, Preferences};
use serde::{Deserialize, Serialize};
use tauri::State;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Settings {
    pub concurrency: usize,
    /// Bytes per second; `null` for none.
    pub bandwidth_limit: Option<u64>,
    #[serde(flatten)]
    pub preferences: Preferences,
}

#[tauri::command]
pub async fn get_settings(core: State<'_, Core>) -> Result<Settings, UiError> {
    blocking(&core, |core| {
        Ok(Settings {
            concurrency: core.concurrency()?,
            bandwidth_limit: core.bandwidth_limit()?,
            preferences: core.preferences()?,
        })
    })
    .await
}

/// Checks everything before saving anything, so a bad value changes nothing.
#[tauri::command]
pub async fn set_settings(core: State<'_, Core>, settings: Settings) -> Result<Settings, UiError> {
    blocking(&core, move |core| {
        settings.preferences.validate()?;
        core.set_bandwidth_limit(settings.bandwidth_limit)?;
        core.set_concurrency(settings.concurrency)?;
        core.set_preferences(&settings.preferences)?;
        Ok(settings)
    })
    .await
}
