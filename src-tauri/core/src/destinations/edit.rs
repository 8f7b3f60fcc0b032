//! Changing a destination after it was added (the CLI's `destination edit`, the window's edit
//! form): [`Destinations::edit`] applies the changes and checks the result with the same rule
//! as a new destination ([`super::rules::check`]).

use super::{Destinations, rules};
use crate::credentials::AccessKey;
use crate::error::{Error, ErrorKind, Result};
use crate::model::{Destination, DestinationKind};
use crate::options::UploadOptions;
use crate::presets::Provider;
use std::path::PathBuf;

/// A new endpoint for an S3 destination, always named explicitly: there is no empty string
/// that could silently mean AWS.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EndpointChange {
    /// AWS's own regional endpoint (for destinations without a provider, or AWS's).
    Aws,
    /// An `http://` or `https://` URL.
    Url(String),
}

/// What to change; `None` leaves a field as it is.
#[derive(Debug, Clone, Default)]
pub struct DestinationChanges {
    pub rename: Option<String>,
    pub endpoint: Option<EndpointChange>,
    pub region: Option<String>,
    pub bucket: Option<String>,
    pub path_style: Option<bool>,
    pub prefix: Option<String>,
    /// A local-folder destination's folder.
    pub folder: Option<PathBuf>,
    pub options: Option<UploadOptions>,
    /// A new access key pair, for the keychain.
    pub key: Option<AccessKey>,
}

impl Destinations {
    /// Applies `changes` to the destination `name` and returns it as saved. Jobs already queued
    /// keep the bucket and key they were queued with; endpoint, region and keys apply to every
    /// upload from the next request on (an upload id the new endpoint does not know is started
    /// again, by the engine's usual NoSuchUpload handling).
    pub fn edit(&self, name: &str, changes: DestinationChanges) -> Result<Destination> {
        let mut destination = self.named(name)?;
        let invalid = |message: String| Err(Error::new(ErrorKind::InvalidInput, message));
        let is_s3 = destination.kind == DestinationKind::S3;
        if !is_s3
            && (changes.endpoint.is_some()
                || changes.region.is_some()
                || changes.bucket.is_some()
                || changes.path_style.is_some()
                || changes.key.is_some())
        {
            return invalid(format!(
                "'{name}' is a folder destination: it has a folder and a prefix, not an \
                 endpoint, region, bucket, path style or keys"
            ));
        }
        if let Some(new_name) = changes.rename {
            let new_name = new_name.trim().to_owned();
            rules::check_name(&new_name)?;
            if new_name != destination.name {
                self.name_is_free(&new_name)?;
            }
            destination.name = new_name;
        }
        match changes.endpoint {
            None => {}
            Some(EndpointChange::Url(url)) => {
                destination.endpoint = Some(crate::presets::check_endpoint(&url)?);
            }
            Some(EndpointChange::Aws) => match destination.provider {
                None | Some(Provider::Aws) => destination.endpoint = None,
                Some(other) => {
                    // Pointing a preset's destination at AWS would change its provider behind
                    // the user's back (a form that sent an empty endpoint did exactly that).
                    return invalid(format!(
                        "'{name}' is a {other} destination: its endpoint cannot be switched to \
                         AWS; set another endpoint URL, or add a new destination for AWS"
                    ));
                }
            },
        }
        if let Some(region) = changes.region {
            destination.region = region.trim().to_owned();
        }
        if let Some(bucket) = changes.bucket {
            destination.bucket = bucket.trim().to_owned();
        }
        if let Some(path_style) = changes.path_style {
            destination.path_style = path_style;
        }
        if let Some(prefix) = changes.prefix {
            destination.prefix = prefix;
        }
        if let Some(folder) = changes.folder {
            destination.folder = Some(folder);
        }
        if let Some(options) = changes.options {
            destination.options = options;
        }
        rules::check(&destination)?;
        if let Some(key) = changes.key {
            self.credentials()?.set(&destination.id, &key)?;
        }
        self.forget_backends(&destination.id);
        self.save(&destination)?;
        Ok(destination)
    }
}
