//! The one error type commands return to the web view. It serializes to
//! `{ "code": "...", "message": "..." }` (ui/src/ipc/types.ts `UiError`): `code` is the core's
//! stable [`hoist_core::ErrorKind::code`] so the UI can branch on it, `message` is the human text
//! that names the fix. Failures of the shell itself (a task that panicked) use the code
//! `internal`.

use serde::Serialize;
use std::fmt;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct UiError {
    pub code: String,
    pub message: String,
}

impl UiError {
    pub fn internal(message: impl Into<String>) -> Self {
        UiError {
            code: "internal".to_owned(),
            message: message.into(),
        }
    }
}

impl From<hoist_core::Error> for UiError {
    fn from(err: hoist_core::Error) -> Self {
        UiError {
            code: err.kind().code().to_owned(),
            message: err.message().to_owned(),
        }
    }
}

impl From<tauri::Error> for UiError {
    fn from(err: tauri::Error) -> Self {
        UiError::internal(err.to_string())
    }
}

impl fmt::Display for UiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({})", self.message, self.code)
    }
}

impl std::error::Error for UiError {}

#[cfg(test)]
mod tests {
    use super::*;
    use hoist_core::{Error, ErrorKind};

    #[test]
    fn core_errors_keep_their_kind_code_and_message() {
        let err = UiError::from(Error::new(
            ErrorKind::NoSuchBucket,
            "bucket 'x' does not exist",
        ));
        assert_eq!(err.code, "no_such_bucket");
        assert_eq!(err.message, "bucket 'x' does not exist");
    }

    #[test]
    fn serializes_to_code_and_message_only() {
        let json = serde_json::to_value(UiError::internal("boom")).unwrap();
        assert_eq!(
            json,
            serde_json::json!({ "code": "internal", "message": "boom" })
        );
    }
}
