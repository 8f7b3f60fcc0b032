//! [`Core::test_profile`]: `hoist profile test` and the window's "Test connection".

use super::Core;
use crate::backend::s3::S3Backend;
use crate::error::{Error, ErrorKind, Result};
use crate::model::DestinationKind;
use crate::probe::{ProbeReport, probe_folder};

impl Core {
    /// Tests a destination step by step (see [`crate::probe`]) and remembers what its server
    /// accepts in the profile, so uploads leave out what it rejects.
    pub async fn test_profile(&self, name: &str) -> Result<ProbeReport> {
        let mut profile = self.profile(name)?;
        let (steps, capabilities) = match (profile.kind, profile.folder.clone()) {
            (DestinationKind::Local, Some(folder)) => {
                let steps = tokio::task::spawn_blocking(move || probe_folder(&folder))
                    .await
                    .map_err(|e| {
                        Error::new(ErrorKind::Local, format!("the folder test stopped: {e}"))
                    })?;
                (steps, None)
            }
            _ => {
                if profile.bucket.trim().is_empty() {
                    return Err(Error::new(
                        ErrorKind::InvalidInput,
                        format!(
                            "profile '{name}' names no bucket to test: set one with \
                             `hoist profile edit {name} --bucket B`"
                        ),
                    ));
                }
                let key = self.credentials()?.get(&profile.id)?;
                let backend = S3Backend::with_options(&profile, &key, self.inner.config.s3)?;
                backend.probe(name).await
            }
        };
        if let Some(found) = &capabilities {
            profile.capabilities = Some(found.clone());
            self.save_profile(&profile)?;
        }
        Ok(ProbeReport {
            profile: profile.name,
            steps,
            capabilities,
        })
    }
}
