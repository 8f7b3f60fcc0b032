//! The AWS CLI's profiles on this machine, for `hoist destination import-aws` and the window's
//! "Import from AWS CLI": the files are read here (the rules of reading them are in
//! `aws_import`), and a profile becomes a destination with its key pair in the keychain.

use super::Core;
use crate::aws_import::{self, AwsProfile};
use crate::destinations::NewDestination;
use crate::error::{Error, ErrorKind, Result};
use crate::model::Destination;
use std::path::PathBuf;

impl Core {
    /// Reads `~/.aws/credentials` and `~/.aws/config` (or `AWS_SHARED_CREDENTIALS_FILE` and
    /// `AWS_CONFIG_FILE`) and the `AWS_*` variables. Missing files are no profiles; a file the
    /// AWS parser refuses is an error naming the line.
    pub fn aws_profiles(&self) -> Result<Vec<AwsProfile>> {
        let home = std::env::var_os("HOME").map(PathBuf::from);
        let path = |var: &str, file: &str| {
            std::env::var_os(var)
                .map(PathBuf::from)
                .or_else(|| home.as_ref().map(|h| h.join(".aws").join(file)))
        };
        let credentials = read(path("AWS_SHARED_CREDENTIALS_FILE", "credentials"))?;
        let config = read(path("AWS_CONFIG_FILE", "config"))?;
        aws_import::read_profiles(&credentials, &config, |name| std::env::var(name).ok()).map_err(
            |e| {
                Error::new(
                    ErrorKind::InvalidInput,
                    format!("the AWS shared config files cannot be read as AWS reads them: {e}"),
                )
            },
        )
    }

    /// Adds `profile` as the destination `name` (default: `aws`, or `aws-NAME`) uploading to
    /// `bucket` ("" for none: AWS profiles name none), its key pair kept in the keychain.
    pub fn import_aws_profile(
        &self,
        profile: &AwsProfile,
        name: Option<String>,
        bucket: String,
    ) -> Result<Destination> {
        // What the import list shows is what is imported: its name, region and refusal.
        let shown = profile.import();
        let (Some(key), None) = (&profile.key, &shown.unusable) else {
            let why = shown.unusable.as_deref().unwrap_or_default();
            return Err(Error::new(
                ErrorKind::InvalidInput,
                format!("cannot import AWS profile '{}': {why}", profile.name),
            ));
        };
        let new = NewDestination {
            name: name.unwrap_or(shown.destination),
            endpoint: shown.endpoint,
            region: Some(shown.region),
            bucket,
            path_style: shown.path_style,
            ..Default::default()
        };
        self.add_destination(new, Some(key.clone()))
    }

    /// [`Core::import_aws_profile`] of the profile called `aws_profile`, read afresh.
    pub fn import_aws_profile_named(
        &self,
        aws_profile: &str,
        name: Option<String>,
        bucket: String,
    ) -> Result<Destination> {
        let found = self.aws_profiles()?;
        let Some(profile) = found.iter().find(|p| p.name == aws_profile) else {
            let known: Vec<&str> = found.iter().map(|p| p.name.as_str()).collect();
            return Err(Error::new(
                ErrorKind::NotFound,
                format!(
                    "no AWS profile '{aws_profile}' (found: {})",
                    known.join(", ")
                ),
            ));
        };
        self.import_aws_profile(profile, name, bucket)
    }
}

fn read(path: Option<PathBuf>) -> Result<String> {
    let Some(path) = path else {
        return Ok(String::new());
    };
    match std::fs::read_to_string(&path) {
        Ok(text) => Ok(text),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(String::new()),
        Err(e) => Err(Error::new(
            ErrorKind::Local,
            format!("cannot read {}: {e}", path.display()),
        )),
    }
}
