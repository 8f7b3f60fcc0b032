//! The Browse view's commands: listing pages, an object's details, deleting objects or a
//! folder, and share links. Keys come from the web view as data (never paths): the core checks
//! them against the destination (a folder destination refuses keys that would leave its root).

use crate::error::UiError;
use hoist_core::{Core, DeleteReport, Listing, ObjectDetails, Place};
use std::time::Duration;
use tauri::State;

/// One page of at most `limit` entries under the folder `prefix`.
#[tauri::command]
pub async fn list_objects(
    core: State<'_, Core>,
    place: Place,
    prefix: String,
    recursive: bool,
    page: Option<String>,
    limit: u32,
) -> Result<Listing, UiError> {
    let limit = limit.clamp(1, 1000);
    Ok(core
        .list_objects(&place, &prefix, recursive, page.as_deref(), limit)
        .await?)
}

#[tauri::command]
pub async fn object_details(
    core: State<'_, Core>,
    place: Place,
    key: String,
) -> Result<ObjectDetails, UiError> {
    Ok(core.object_details(&place, &key).await?)
}

/// Deletes objects by key, and each folder (a key ending in `/`) with everything under it.
#[tauri::command]
pub async fn delete_objects(
    core: State<'_, Core>,
    place: Place,
    keys: Vec<String>,
) -> Result<DeleteReport, UiError> {
    let (folders, objects): (Vec<String>, Vec<String>) =
        keys.into_iter().partition(|k| k.ends_with('/'));
    let mut report = core.delete_objects(&place, &objects).await?;
    for folder in folders {
        let part = core.delete_folder(&place, &folder, false, |_| {}).await?;
        report.deleted += part.deleted;
        report.bytes += part.bytes;
        report.requests += part.requests;
        report.failed.extend(part.failed);
    }
    Ok(report)
}

/// A link to the object valid for `expires_secs` seconds (at most seven days).
#[tauri::command]
pub async fn share_link(
    core: State<'_, Core>,
    place: Place,
    key: String,
    expires_secs: u64,
) -> Result<String, UiError> {
    Ok(core
        .share_link(&place, &key, Duration::from_secs(expires_secs))
        .await?)
}
