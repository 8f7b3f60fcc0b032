//! The system clipboard, written from Rust (tauri-plugin-clipboard-manager): the web view's own
//! clipboard API is not dependable in every webview, and the page gets no plugin permission.

use crate::error::UiError;
use tauri::AppHandle;

/// Puts `text` on the clipboard (e.g. a failure's whole message).
#[tauri::command]
pub fn copy_text(app: AppHandle, text: String) -> Result<(), UiError> {
    use tauri_plugin_clipboard_manager::ClipboardExt;
    app.clipboard()
        .write_text(text)
        .map_err(|e| UiError::internal(format!("could not copy to the clipboard: {e}")))
}
