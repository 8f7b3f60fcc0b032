//! Secrets, kept in the OS keychain and nowhere else.
//!
//! A destination's access key pair is stored as one keychain entry (service `hoist`, user = destination
//! id). SQLite never holds a secret; [`Secret`] prints `<redacted>` in Debug so a secret cannot
//! reach a log line by accident. When no keychain is reachable the error says so plainly.

mod keychain;

pub use keychain::Keychain;

use crate::error::Result;
use crate::model::DestinationId;

/// A value that must never be printed. `expose` is the only way in.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret<T>(T);

impl<T> Secret<T> {
    pub fn new(value: T) -> Self {
        Secret(value)
    }

    pub fn expose(&self) -> &T {
        &self.0
    }
}

impl<T> std::fmt::Debug for Secret<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("<redacted>")
    }
}

/// An S3 access key pair. Both halves live in the keychain.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AccessKey {
    pub access_key_id: Secret<String>,
    pub secret_access_key: Secret<String>,
}

/// Where destination secrets are kept.
pub trait CredentialStore: Send + Sync {
    fn set(&self, destination: &DestinationId, key: &AccessKey) -> Result<()>;
    /// `ErrorKind::Keychain` when the keychain is unreachable or holds nothing for `destination`.
    fn get(&self, destination: &DestinationId) -> Result<AccessKey>;
    /// Deleting a missing entry is `Ok`.
    fn delete(&self, destination: &DestinationId) -> Result<()>;
}
