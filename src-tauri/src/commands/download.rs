//! Downloads from the Browse view and the "Show in folder" of a finished download. As with
//! uploads, no path comes from the web view: the folder to download into is chosen in the
//! system's picker opened here (starting in the last folder chosen, else the user's Downloads
//! folder), and "Show in folder" names a job, whose path is read from the queue.

use crate::error::UiError;
use hoist_core::model::{Direction, JobId, JobState};
use hoist_core::{Core, DownloadReport, Place};
use std::path::PathBuf;
use std::sync::Mutex;
use tauri::{AppHandle, Manager, State};

/// The folder the last download went into, where the next picker starts.
#[derive(Default)]
pub struct LastDownloadFolder(Mutex<Option<PathBuf>>);

/// Asks where to download `keys` (objects, and folders ending in `/` with everything under
/// them), then queues them there; `None` when the picker was cancelled.
#[tauri::command]
pub async fn download_objects(
    app: AppHandle,
    core: State<'_, Core>,
    last: State<'_, LastDownloadFolder>,
    place: Place,
    keys: Vec<String>,
) -> Result<Option<DownloadReport>, UiError> {
    if keys.is_empty() {
        return Ok(None);
    }
    let start = last
        .0
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .clone()
        .or_else(|| app.path().download_dir().ok())
        // Without a user-dirs.dirs naming it, the usual place.
        .or_else(|| {
            app.path()
                .home_dir()
                .ok()
                .map(|home| home.join("Downloads"))
        });
    let title = match keys.as_slice() {
        [one] => format!("Download {} to", display_name(one)),
        many => format!("Download {} items to", many.len()),
    };
    let Some(to) = super::queue::pick_folder(&app, &title, start).await? else {
        return Ok(None);
    };
    *last.0.lock().unwrap_or_else(|p| p.into_inner()) = Some(to.clone());
    Ok(Some(core.enqueue_download(&place, &keys, &to, None).await?))
}

/// The last segment of a key, for the picker's title.
fn display_name(key: &str) -> &str {
    let trimmed = key.trim_end_matches('/');
    trimmed.rsplit('/').next().unwrap_or(trimmed)
}

/// Shows a completed download in the system's file manager, selected.
#[tauri::command]
pub async fn show_in_folder(core: State<'_, Core>, id: i64) -> Result<(), UiError> {
    let job = core.job(JobId(id))?.ok_or_else(|| {
        UiError::from(hoist_core::Error::new(
            hoist_core::ErrorKind::NotFound,
            format!("job {id} is no longer in the queue"),
        ))
    })?;
    if job.direction != Direction::Download || job.state != JobState::Completed {
        return Err(UiError::from(hoist_core::Error::new(
            hoist_core::ErrorKind::InvalidInput,
            "only a finished download can be shown in its folder",
        )));
    }
    if !job.path.exists() {
        return Err(UiError::from(hoist_core::Error::new(
            hoist_core::ErrorKind::NotFound,
            format!("{} is no longer there", job.path.display()),
        )));
    }
    // The opener asks the file manager over D-Bus (FileManager1.ShowItems), else opens the
    // folder; either may block, so off the async workers.
    let path = job.path.clone();
    tauri::async_runtime::spawn_blocking(move || tauri_plugin_opener::reveal_item_in_dir(path))
        .await
        .map_err(|e| UiError::internal(e.to_string()))?
        .map_err(|e| UiError::internal(format!("cannot open the file manager: {e}")))
}

#[cfg(test)]
mod tests {
    use super::display_name;

    #[test]
    fn the_picker_title_names_the_last_segment() {
        assert_eq!(display_name("photos/2024/a.jpg"), "a.jpg");
        assert_eq!(display_name("photos/2024/"), "2024");
        assert_eq!(display_name("top"), "top");
    }
}
