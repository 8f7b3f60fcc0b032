//! Watch commands for the window's Watches view. As with files, the folder never comes from the
//! web view: [`add_watch`] opens the system's folder picker here in Rust and watches what the
//! user picked, with the destination, prefix and options the form chose. Everything else goes
//! through the same core calls as `hoist watch` (`Core::add_watch` and its refusals).

use super::blocking;
use crate::error::UiError;
use hoist_core::options::IfExists;
use hoist_core::{Core, DEFAULT_IGNORES, Watch, WatchChanges, WatchId, WatchRequest};
use serde::Deserialize;
use std::time::Duration;
use tauri::{AppHandle, State};

/// The Watches view's add form (ui/src/ipc/types.ts `WatchForm`). Empty strings count as "not
/// given".
#[derive(Debug, Default, Deserialize, ts_rs::TS)]
#[ts(optional_fields)]
pub struct WatchForm {
    /// Destination name; not given: the default one.
    pub destination: Option<String>,
    /// Key prefix; not given: the destination's.
    pub prefix: Option<String>,
    /// Globs ignored on top of the defaults.
    pub ignore: Option<Vec<String>>,
    /// How long a file must stay unchanged, in milliseconds; not given: 2 s.
    pub settle_ms: Option<u64>,
    pub if_exists: Option<IfExists>,
    pub mirror_deletes: Option<bool>,
    pub poll: Option<bool>,
}

/// A watch's settings as the Watches view's editor shows them, all of them (the folder and the
/// ignore rules have their own ways).
#[derive(Debug, Deserialize, ts_rs::TS)]
pub struct WatchEdit {
    pub destination: String,
    pub prefix: String,
    pub settle_ms: u64,
    /// `null`: the destination's rule.
    pub if_exists: Option<IfExists>,
    pub mirror_deletes: bool,
    pub poll: bool,
}

fn given(value: Option<String>) -> Option<String> {
    value
        .map(|v| v.trim().to_string())
        .filter(|v| !v.is_empty())
}

/// Every watch with its state and counts.
#[tauri::command]
pub async fn list_watches(core: State<'_, Core>) -> Result<Vec<Watch>, UiError> {
    blocking(&core, |core| core.watches()).await
}

/// The ignore rules a new watch starts with (for the view's "Reset to defaults").
#[tauri::command]
pub fn default_ignores() -> Vec<String> {
    DEFAULT_IGNORES.iter().map(|g| g.to_string()).collect()
}

/// Asks for a folder in the system's picker and watches it as `form` says; `None` when the user
/// cancelled.
#[tauri::command]
pub async fn add_watch(
    app: AppHandle,
    core: State<'_, Core>,
    form: WatchForm,
) -> Result<Option<Watch>, UiError> {
    // From the home folder: GTK's default, Recent, lists no folders to choose.
    let home = std::env::var_os("HOME").map(std::path::PathBuf::from);
    let Some(folder) = super::queue::pick_folder(&app, "Folder to watch", home).await? else {
        return Ok(None);
    };
    let request = WatchRequest {
        folder,
        destination: given(form.destination),
        prefix: given(form.prefix),
        ignore: form.ignore.unwrap_or_default(),
        if_exists: form.if_exists,
        settle: form.settle_ms.map(Duration::from_millis),
        mirror_deletes: form.mirror_deletes.unwrap_or(false),
        poll: form.poll.unwrap_or(false),
        ..Default::default()
    };
    Ok(Some(
        blocking(&core, move |core| core.add_watch(request)).await?,
    ))
}

#[tauri::command]
pub async fn pause_watch(core: State<'_, Core>, id: i64) -> Result<(), UiError> {
    blocking(&core, move |core| core.set_watch_paused(WatchId(id), true)).await
}

#[tauri::command]
pub async fn resume_watch(core: State<'_, Core>, id: i64) -> Result<(), UiError> {
    blocking(&core, move |core| core.set_watch_paused(WatchId(id), false)).await
}

/// Stops watching; what the watch uploaded stays in the bucket.
#[tauri::command]
pub async fn remove_watch(core: State<'_, Core>, id: i64) -> Result<(), UiError> {
    blocking(&core, move |core| core.remove_watch(WatchId(id))).await
}

/// Replaces a watch's ignore rules (one glob each; blank ones are dropped).
#[tauri::command]
pub async fn set_watch_ignore(
    core: State<'_, Core>,
    id: i64,
    ignore: Vec<String>,
) -> Result<Watch, UiError> {
    blocking(&core, move |core| {
        core.set_watch_ignore(WatchId(id), ignore)?;
        core.find_watch(&id.to_string())
    })
    .await
}

/// Changes where a watch uploads and how (`Core::edit_watch`, as `hoist watch edit`).
#[tauri::command]
pub async fn edit_watch(core: State<'_, Core>, id: i64, edit: WatchEdit) -> Result<Watch, UiError> {
    let changes = WatchChanges {
        destination: Some(edit.destination),
        prefix: Some(edit.prefix),
        if_exists: Some(edit.if_exists),
        settle: Some(Duration::from_millis(edit.settle_ms)),
        mirror_deletes: Some(edit.mirror_deletes),
        poll: Some(edit.poll),
    };
    blocking(&core, move |core| core.edit_watch(WatchId(id), changes)).await
}
