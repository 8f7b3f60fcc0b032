//! The one error type commands return to the web view. It serializes to
//! `{ "code": "...", "message": "...", "hint": "..." }` (ui/src/ipc/types.ts `UiError`): `code`
//! is the core's stable [`hoist_core::ErrorKind::code`] so the UI can branch on it, `message` is
//! the human text, and `hint`, when the core said what the user can do ([`Fix`]), says how in
//! the window's words (the CLI says it in flags, `cli::hint`). Failures of the shell itself (a
//! task that panicked) use the code `internal`.

use hoist_core::error::Fix;
use serde::Serialize;
use std::fmt;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct UiError {
    /// The core's [`hoist_core::ErrorKind`] code, or `internal`.
    #[ts(type = "ErrorKind | 'internal'")]
    pub code: String,
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub hint: Option<String>,
}

impl UiError {
    pub fn internal(message: impl Into<String>) -> Self {
        UiError {
            code: "internal".to_owned(),
            message: message.into(),
            hint: None,
        }
    }
}

impl From<hoist_core::Error> for UiError {
    fn from(err: hoist_core::Error) -> Self {
        UiError {
            code: err.kind().code().to_owned(),
            message: err.message().to_owned(),
            hint: err.fix().map(window_hint),
        }
    }
}

/// What to do about `fix` in the window: where the control is, not a command.
pub fn window_hint(fix: &Fix) -> String {
    match fix {
        Fix::ChooseDestination => "Choose a destination in the toolbar.".into(),
        Fix::NameBucket { destination } => {
            format!("Give '{destination}' a bucket: Destinations, Edit.")
        }
        Fix::Give { setting } => format!("Fill in the {setting} field."),
        Fix::EditDestination {
            destination,
            setting: "keys",
        } => format!("Enter new keys for '{destination}': Destinations, Edit."),
        Fix::EditDestination {
            destination,
            setting,
        } => format!("Change the {setting} of '{destination}': Destinations, Edit."),
        Fix::UseRegion { region } => format!("Set the region to {region}: Destinations, Edit."),
        Fix::CancelJobs => "Cancel those jobs in the Queue first.".into(),
        Fix::RemoveWatches { .. } => "Remove those watches in Watches first.".into(),
        Fix::SeeWatches => "See the list in Watches.".into(),
        Fix::MoveDatabaseAside { path } => format!(
            "Quit Hoist, then rename {} (to hoist.db.damaged, say) to start afresh.",
            path.display()
        ),
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
        assert_eq!(err.hint, None);
    }

    #[test]
    fn a_core_fix_reached_the_window_as_a_hint_in_its_words() {
        let err = UiError::from(
            Error::new(ErrorKind::AccessDenied, "the keys of 'r2' were refused").with_fix(
                Fix::EditDestination {
                    destination: "r2".into(),
                    setting: "keys",
                },
            ),
        );
        assert_eq!(
            err.hint.as_deref(),
            Some("Enter new keys for 'r2': Destinations, Edit.")
        );
        let json = serde_json::to_value(&err).unwrap();
        assert_eq!(json["hint"], "Enter new keys for 'r2': Destinations, Edit.");
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
