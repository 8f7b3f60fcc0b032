//! Destination commands for the window's Destinations view. Secrets only travel one way: a form
//! may carry an access key pair to the keychain; nothing here ever returns one (a `Destination`
//! holds no secret). A folder destination's folder never comes from the web view either: the
//! user picks it in the system's picker ([`choose_destination_folder`]) and the form only says
//! "use the folder picked". Endpoints, regions and options go through the same core rules as
//! the CLI's: these commands only turn the forms into `NewDestination` and `DestinationChanges`
//! for `Core::add_destination` and `Core::edit_destination`.

use super::blocking;
use crate::error::UiError;
use hoist_core::connection::ConnectionReport;
use hoist_core::model::{Destination, DestinationKind};
use hoist_core::options::UploadOptions;
use hoist_core::presets::Provider;
use hoist_core::{
    AccessKey, Core, DestinationChanges, EndpointChange, Error, ErrorKind, NewDestination, Secret,
};
use serde::{Deserialize, Serialize};
use std::path::PathBuf;
use tauri::State;

/// The add form. Empty strings count as "not given". A folder destination's folder is the one
/// last picked ([`choose_destination_folder`]).
#[derive(Debug, Deserialize, ts_rs::TS)]
#[ts(optional_fields)]
pub struct DestinationForm {
    pub name: String,
    pub kind: DestinationKind,
    pub provider: Option<Provider>,
    pub endpoint: Option<String>,
    pub region: Option<String>,
    pub account_id: Option<String>,
    pub bucket: Option<String>,
    pub path_style: Option<bool>,
    pub prefix: Option<String>,
    pub access_key_id: Option<String>,
    pub secret_access_key: Option<String>,
    pub options: Option<UploadOptions>,
}

/// The edit form: only what is set changes (an empty string is "not given", never "none"). A
/// new key pair needs both halves.
#[derive(Debug, Default, Deserialize, ts_rs::TS)]
#[ts(optional_fields)]
pub struct DestinationEdit {
    pub rename: Option<String>,
    pub endpoint: Option<String>,
    pub region: Option<String>,
    pub bucket: Option<String>,
    pub path_style: Option<bool>,
    pub prefix: Option<String>,
    /// Use the folder last chosen with [`choose_destination_folder`].
    pub folder_picked: Option<bool>,
    pub access_key_id: Option<String>,
    pub secret_access_key: Option<String>,
    pub options: Option<UploadOptions>,
}

/// The folder the user last chose in the picker for a folder destination.
#[derive(Debug, Default)]
pub struct PickedFolder(std::sync::Mutex<Option<PathBuf>>);

impl PickedFolder {
    fn take(&self) -> Result<PathBuf, UiError> {
        self.0
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .take()
            .ok_or_else(|| invalid("choose the folder to upload into"))
    }
}

/// Opens the system's folder picker for a folder destination; returns the folder to show
/// (`None` when cancelled), and keeps it for the add or edit that follows.
#[tauri::command]
pub async fn choose_destination_folder(
    app: tauri::AppHandle,
    picked: State<'_, PickedFolder>,
) -> Result<Option<String>, UiError> {
    let folder = super::queue::pick(&app, "Folder to upload into", true)
        .await?
        .into_iter()
        .next();
    let shown = folder.as_ref().map(|f| f.display().to_string());
    if folder.is_some() {
        *picked.0.lock().unwrap_or_else(|p| p.into_inner()) = folder;
    }
    Ok(shown)
}

#[derive(Debug, Serialize, ts_rs::TS)]
pub struct PresetView {
    pub id: Provider,
}

fn given(value: Option<String>) -> Option<String> {
    value
        .map(|v| v.trim().to_string())
        .filter(|v| !v.is_empty())
}

fn invalid(message: impl Into<String>) -> UiError {
    Error::new(ErrorKind::InvalidInput, message).into()
}

/// Both halves of a key pair, or neither; one alone is an error naming the other.
fn key_pair(id: Option<String>, secret: Option<String>) -> Result<Option<AccessKey>, UiError> {
    match (given(id), secret.filter(|s| !s.is_empty())) {
        (Some(id), Some(secret)) => Ok(Some(AccessKey {
            access_key_id: Secret::new(id),
            secret_access_key: Secret::new(secret),
        })),
        (None, None) => Ok(None),
        (Some(_), None) => Err(invalid("enter the secret access key too")),
        (None, Some(_)) => Err(invalid("enter the access key id too")),
    }
}

#[tauri::command]
pub async fn list_destinations(core: State<'_, Core>) -> Result<Vec<Destination>, UiError> {
    blocking(&core, |core| core.destinations()).await
}

/// The AWS CLI's profiles here, each as it would be imported (never a secret: the key id's
/// last 4 characters only).
#[tauri::command]
pub async fn list_aws_profiles(
    core: State<'_, Core>,
) -> Result<Vec<hoist_core::aws_import::AwsImport>, UiError> {
    blocking(&core, |core| {
        Ok(core.aws_profiles()?.iter().map(|p| p.import()).collect())
    })
    .await
}

/// Imports the AWS profile `aws_profile` as the destination `name` (empty: `aws` or
/// `aws-NAME`), uploading to `bucket` (may be empty); its keys go to the keychain from the
/// files, never through the web view.
#[tauri::command]
pub async fn import_aws_profile(
    core: State<'_, Core>,
    aws_profile: String,
    name: String,
    bucket: String,
) -> Result<Destination, UiError> {
    blocking(&core, move |core| {
        let name = Some(name.trim().to_string()).filter(|n| !n.is_empty());
        core.import_aws_profile_named(&aws_profile, name, bucket.trim().to_string())
    })
    .await
}

#[tauri::command]
pub fn list_presets() -> Vec<PresetView> {
    Provider::ALL.iter().map(|&id| PresetView { id }).collect()
}

#[tauri::command]
pub async fn add_destination(
    core: State<'_, Core>,
    picked: State<'_, PickedFolder>,
    form: DestinationForm,
) -> Result<Destination, UiError> {
    let folder = match form.kind {
        DestinationKind::Local => Some(picked.take()?),
        DestinationKind::S3 => None,
    };
    let key = key_pair(form.access_key_id, form.secret_access_key)?;
    let new = NewDestination {
        name: form.name,
        provider: form.provider,
        endpoint: form.endpoint,
        region: form.region,
        account_id: form.account_id,
        bucket: form.bucket.unwrap_or_default(),
        path_style: form.path_style.unwrap_or(false),
        prefix: form.prefix.unwrap_or_default(),
        folder,
        options: form.options.unwrap_or_default(),
    };
    blocking(&core, move |core| core.add_destination(new, key)).await
}

#[tauri::command]
pub async fn edit_destination(
    core: State<'_, Core>,
    picked: State<'_, PickedFolder>,
    name: String,
    edit: DestinationEdit,
) -> Result<Destination, UiError> {
    let changes = DestinationChanges {
        rename: given(edit.rename),
        // An empty or missing endpoint changes nothing: the window cannot point a destination
        // at AWS by leaving a (hidden) field empty.
        endpoint: given(edit.endpoint).map(EndpointChange::Url),
        region: given(edit.region),
        bucket: given(edit.bucket),
        path_style: edit.path_style,
        prefix: edit.prefix,
        folder: if edit.folder_picked == Some(true) {
            Some(picked.take()?)
        } else {
            None
        },
        options: edit.options,
        key: key_pair(edit.access_key_id, edit.secret_access_key)?,
    };
    blocking(&core, move |core| core.edit_destination(&name, changes)).await
}

#[tauri::command]
pub async fn remove_destination(core: State<'_, Core>, name: String) -> Result<(), UiError> {
    blocking(&core, move |core| core.remove_destination(&name)).await
}

/// Runs the connection test; the found capabilities are saved in the destination.
#[tauri::command]
pub async fn test_destination(
    core: State<'_, Core>,
    name: String,
) -> Result<ConnectionReport, UiError> {
    Ok(core.test_destination(&name).await?)
}
