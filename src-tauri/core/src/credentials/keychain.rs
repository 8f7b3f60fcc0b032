//! The OS keychain as a [`CredentialStore`]: on Linux the freedesktop Secret Service
//! (gnome-keyring, KeePassXC, KWallet) through `keyring-core` and
//! `zbus-secret-service-keyring-store`.
//!
//! One entry per destination: service `hoist`, user = the destination id, secret = a small JSON object
//! holding both halves of the access key. The store is owned by the [`Keychain`] value and
//! entries are built from it directly, so no process-global default store is involved.
//!
//! Runtimes: the store talks D-Bus through zbus's blocking API, which drives its own executor
//! (async-io) and blocks the calling thread for the length of a D-Bus round trip. The trait is
//! synchronous and is called both from plain threads and from inside tokio; every call goes
//! through [`off_runtime`], which lets a multi-thread tokio runtime move its other tasks off
//! this worker (`block_in_place`) and runs on a helper thread when called from a
//! current-thread runtime, where blocking the only worker (or nesting a runtime, should zbus
//! be built with its tokio flavour) would not be safe.

use super::{AccessKey, CredentialStore, Secret};
use crate::error::{Error, ErrorKind, Result};
use crate::model::DestinationId;
use keyring_core::api::CredentialStoreApi;
use std::sync::Arc;

const SERVICE: &str = "hoist";

const UNREACHABLE: &str = "no OS keychain is reachable: on Linux, Hoist needs a Secret Service \
     such as gnome-keyring or KeePassXC running in your session";

/// Destination secrets in the OS keychain.
pub struct Keychain {
    store: Arc<zbus_secret_service_keyring_store::Store>,
}

impl std::fmt::Debug for Keychain {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Keychain").finish_non_exhaustive()
    }
}

/// The stored form of an [`AccessKey`]. No `Debug`: it holds the secret in clear.
#[derive(serde::Serialize, serde::Deserialize)]
struct Stored {
    access_key_id: String,
    secret_access_key: String,
}

impl Keychain {
    /// Connects to the Secret Service of the current D-Bus session.
    pub fn new() -> Result<Keychain> {
        let store = off_runtime(zbus_secret_service_keyring_store::Store::new)
            .map_err(|e| Error::new(ErrorKind::Keychain, UNREACHABLE).with_source(e))?;
        Ok(Keychain { store })
    }

    fn entry(&self, destination: &DestinationId) -> Result<keyring_core::Entry> {
        self.store
            .build(SERVICE, &destination.0, None)
            .map_err(|e| keychain_error(destination, e))
    }
}

impl CredentialStore for Keychain {
    fn set(&self, destination: &DestinationId, key: &AccessKey) -> Result<()> {
        let stored = Stored {
            access_key_id: key.access_key_id.expose().clone(),
            secret_access_key: key.secret_access_key.expose().clone(),
        };
        let json = serde_json::to_string(&stored).map_err(|e| {
            Error::new(ErrorKind::Local, "cannot encode the access key").with_source(e)
        })?;
        let entry = self.entry(destination)?;
        off_runtime(|| match entry.set_password(&json) {
            // Several matching items (left by another tool): replace them all with one.
            Err(keyring_core::Error::Ambiguous(duplicates)) => {
                for duplicate in duplicates {
                    duplicate.delete_credential()?;
                }
                entry.set_password(&json)
            }
            other => other,
        })
        .map_err(|e| keychain_error(destination, e))
    }

    fn get(&self, destination: &DestinationId) -> Result<AccessKey> {
        let entry = self.entry(destination)?;
        let json =
            off_runtime(|| entry.get_password()).map_err(|e| keychain_error(destination, e))?;
        // serde_json's error names a line and column, never the content.
        let stored: Stored =
            serde_json::from_str(&json).map_err(|e| not_our_format(destination).with_source(e))?;
        Ok(AccessKey {
            access_key_id: Secret::new(stored.access_key_id),
            secret_access_key: Secret::new(stored.secret_access_key),
        })
    }

    fn delete(&self, destination: &DestinationId) -> Result<()> {
        let entry = self.entry(destination)?;
        let deleted = off_runtime(|| match entry.delete_credential() {
            Err(keyring_core::Error::Ambiguous(duplicates)) => duplicates
                .iter()
                .try_for_each(keyring_core::Entry::delete_credential),
            other => other,
        });
        match deleted {
            Ok(()) | Err(keyring_core::Error::NoEntry) => Ok(()),
            Err(e) => Err(keychain_error(destination, e)),
        }
    }
}

/// Maps a keyring error to a message that says what to do. The keyring error is kept as the
/// source; none of its variants carries the secret except the encoding ones, which are not
/// attached.
fn keychain_error(destination: &DestinationId, e: keyring_core::Error) -> Error {
    use keyring_core::Error as K;
    let id = &destination.0;
    match e {
        K::NoEntry => Error::new(
            ErrorKind::Keychain,
            format!("no credentials are stored for destination '{id}': add the destination again"),
        ),
        K::BadEncoding(_) | K::BadDataFormat(..) => not_our_format(destination),
        K::NoStorageAccess(_) => Error::new(
            ErrorKind::Keychain,
            "the OS keychain is locked or refused access: unlock it (log in to the desktop session) and retry",
        )
        .with_source(e),
        K::Invalid(..) | K::TooLong(..) => Error::new(
            ErrorKind::InvalidInput,
            format!("the destination id '{id}' cannot be used as a keychain entry name"),
        )
        .with_source(e),
        K::Ambiguous(_) => Error::new(
            ErrorKind::Keychain,
            format!(
                "several keychain entries match destination '{id}': remove the extra 'hoist' entries (e.g. with Seahorse) and retry"
            ),
        ),
        other => Error::new(ErrorKind::Keychain, UNREACHABLE).with_source(other),
    }
}

fn not_our_format(destination: &DestinationId) -> Error {
    let id = &destination.0;
    Error::new(
        ErrorKind::Keychain,
        format!(
            "the keychain entry of destination '{id}' is not in Hoist's format: add the destination again"
        ),
    )
}

/// Runs a blocking keychain call so that it neither stalls a tokio worker unannounced nor
/// runs inside a runtime context (see the module docs).
fn off_runtime<T: Send>(call: impl FnOnce() -> T + Send) -> T {
    use tokio::runtime::{Handle, RuntimeFlavor};
    match Handle::try_current().map(|h| h.runtime_flavor()) {
        Ok(RuntimeFlavor::MultiThread) => tokio::task::block_in_place(call),
        Ok(_) => std::thread::scope(|scope| match scope.spawn(call).join() {
            Ok(out) => out,
            Err(panic) => std::panic::resume_unwind(panic),
        }),
        Err(_) => call(),
    }
}
