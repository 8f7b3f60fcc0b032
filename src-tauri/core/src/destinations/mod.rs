//! Destinations: where uploads go, an S3 bucket (with its endpoint, region and keys) or a local
//! folder. [`Destinations`] owns them: adding one (its secret goes to the keychain first),
//! the built-in local folder, finding, editing ([`edit`]) and removing, the connection test
//! ([`connection`]), and building the [`Backend`] that talks to one (keys, bandwidth throttle,
//! S3 options), kept per destination and bucket until the destination changes. The scheduler,
//! the clean-up and the dry run ask it for backends. Its messages name settings, not CLI flags:
//! the window shows them as they are.

pub mod checks;
pub mod edit;
pub mod rules;

use crate::backend::Backend;
use crate::backend::local::LocalBackend;
use crate::backend::s3::{S3Backend, S3Options};
use crate::credentials::{AccessKey, CredentialStore, Keychain};
use crate::error::{Error, ErrorKind, Fix, Result};
use crate::model::{Destination, DestinationId, DestinationKind, new_id};
use crate::options::UploadOptions;
use crate::presets::Provider;
use crate::store::Store;
use crate::throttle::Throttles;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};

/// The name of the built-in local destination.
pub const BUILTIN_LOCAL_NAME: &str = "local";

/// A destination to create, as the user gave it: from the window's form, a command's flags or
/// an AWS profile, every shell fills this in and [`Destinations::add`] does the rest (preset,
/// checks, keychain). Blank strings count as not given.
#[derive(Debug, Clone, Default)]
pub struct NewDestination {
    pub name: String,
    /// The preset that fills in what is not given (endpoint, region, addressing).
    pub provider: Option<Provider>,
    /// None: the provider's, or AWS's without a provider.
    pub endpoint: Option<String>,
    /// None: the provider's, or us-east-1.
    pub region: Option<String>,
    /// Cloudflare's account id (R2 only).
    pub account_id: Option<String>,
    /// May be empty (AWS profiles name none): uploads then name one.
    pub bucket: String,
    pub path_style: bool,
    pub prefix: String,
    /// Set for a local-folder destination, which takes none of the S3 settings.
    pub folder: Option<PathBuf>,
    pub options: UploadOptions,
}

/// Backends built so far, per destination and bucket (an upload may name another bucket than
/// its destination's), with the destination each was built from: a changed one is rebuilt.
type Built = HashMap<(DestinationId, String), (Destination, Arc<dyn Backend>)>;

pub struct Destinations {
    store: Arc<Store>,
    credentials: OnceLock<Arc<dyn CredentialStore>>,
    throttles: Throttles,
    s3: S3Options,
    built: Mutex<Built>,
}

impl Destinations {
    /// `credentials`: the keychain when `None` (reached only when a secret is needed).
    pub fn new(
        store: Arc<Store>,
        credentials: Option<Arc<dyn CredentialStore>>,
        throttles: Throttles,
        s3: S3Options,
    ) -> Destinations {
        let cell = OnceLock::new();
        if let Some(credentials) = credentials {
            let _ = cell.set(credentials);
        }
        Destinations {
            store,
            credentials: cell,
            throttles,
            s3,
            built: Mutex::new(HashMap::new()),
        }
    }

    fn credentials(&self) -> Result<Arc<dyn CredentialStore>> {
        if let Some(store) = self.credentials.get() {
            return Ok(store.clone());
        }
        let keychain: Arc<dyn CredentialStore> = Arc::new(Keychain::new()?);
        Ok(self.credentials.get_or_init(|| keychain).clone())
    }

    /// Creates a destination: the one way in, for every shell. [`rules::resolve`] fills in the
    /// preset and checks it. An S3 one needs its access key, which goes to the keychain first
    /// (a destination without its secret would fail every upload); a local folder needs none.
    pub fn add(&self, new: NewDestination, key: Option<AccessKey>) -> Result<Destination> {
        let destination = rules::resolve(new)?;
        self.name_is_free(&destination.name)?;
        if destination.kind == DestinationKind::Local {
            self.store.insert_destination(&destination)?;
            return Ok(destination);
        }
        let key = key.ok_or_else(|| {
            Error::new(
                ErrorKind::InvalidInput,
                "an S3 destination needs an access key pair: its access key id and secret \
                 access key",
            )
        })?;
        let credentials = self.credentials()?;
        credentials.set(&destination.id, &key)?;
        if let Err(e) = self.store.insert_destination(&destination) {
            let _ = credentials.delete(&destination.id);
            return Err(e);
        }
        Ok(destination)
    }

    /// Creates the built-in local destination (`folder`) the first time a data directory is
    /// opened, so that uploads work with nothing configured. Removing it later is respected.
    pub fn ensure_builtin_local(&self, folder: PathBuf) -> Result<()> {
        if self.store.setting_flag("builtin_local_created")? {
            return Ok(());
        }
        if self
            .store
            .destination_by_name(BUILTIN_LOCAL_NAME)?
            .is_none()
        {
            self.store.insert_destination(&Destination {
                id: DestinationId(new_id()),
                name: BUILTIN_LOCAL_NAME.into(),
                kind: DestinationKind::Local,
                endpoint: None,
                region: String::new(),
                bucket: String::new(),
                path_style: false,
                prefix: String::new(),
                folder: Some(folder),
                builtin: true,
                provider: None,
                options: UploadOptions::default(),
                capabilities: None,
            })?;
        }
        self.store.set_setting_flag("builtin_local_created")
    }

    pub fn list(&self) -> Result<Vec<Destination>> {
        self.store.destinations()
    }

    /// The destination named `name`, or `NotFound`.
    pub fn named(&self, name: &str) -> Result<Destination> {
        self.store.destination_by_name(name)?.ok_or_else(|| {
            Error::new(
                ErrorKind::NotFound,
                format!(
                    "no destination named '{name}': the list of destinations shows their names"
                ),
            )
        })
    }

    /// The named destination; without a name, the only one the user added, or the built-in
    /// local folder when they added none.
    pub fn resolve(&self, name: Option<&str>) -> Result<Destination> {
        if let Some(name) = name {
            return self.named(name);
        }
        let all = self.store.destinations()?;
        let (builtin, mut added): (Vec<Destination>, Vec<Destination>) =
            all.iter().cloned().partition(|d| d.builtin);
        match (added.len(), builtin.into_iter().next()) {
            (1, _) => Ok(added.remove(0)),
            (0, Some(local)) => Ok(local),
            (0, None) => Err(Error::new(
                ErrorKind::InvalidInput,
                "no destination is configured: add an S3 bucket or a folder first",
            )),
            _ => Err(Error::new(
                ErrorKind::InvalidInput,
                format!(
                    "several destinations exist ({}): choose one",
                    all.iter()
                        .map(|d| d.name.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            )
            .with_fix(Fix::ChooseDestination)),
        }
    }

    /// Saves a changed destination (everything but its id; the keychain entry is not touched).
    pub fn save(&self, destination: &Destination) -> Result<()> {
        if self.store.update_destination(destination)? {
            Ok(())
        } else {
            Err(Error::new(
                ErrorKind::NotFound,
                format!("the destination '{}' no longer exists", destination.name),
            ))
        }
    }

    /// Removes a destination, its finished jobs, and its keychain entry.
    pub fn remove(&self, name: &str) -> Result<()> {
        let destination = self.named(name)?;
        self.store.delete_destination(&destination.id)?;
        self.forget_backends(&destination.id);
        if destination.kind == DestinationKind::S3
            && let Err(e) = self.credentials().and_then(|c| c.delete(&destination.id))
        {
            tracing::warn!(destination = name, error = %e, "could not delete the keychain entry");
        }
        Ok(())
    }

    /// The backend for `destination` (its `bucket` as given: an upload may name another one),
    /// built once and reused while the destination stays as it was.
    pub fn backend(&self, destination: &Destination) -> Result<Arc<dyn Backend>> {
        let key = (destination.id.clone(), destination.bucket.clone());
        if let Some((built_from, backend)) = self.built().get(&key)
            && built_from == destination
        {
            return Ok(backend.clone());
        }
        let backend = self.build(destination)?;
        self.built()
            .insert(key, (destination.clone(), backend.clone()));
        Ok(backend)
    }

    /// The backend of a queued job: its destination as stored now, with the job's bucket.
    pub fn backend_for(&self, id: &DestinationId, bucket: &str) -> Result<Arc<dyn Backend>> {
        let mut destination = self.store.destination(id)?.ok_or_else(|| {
            Error::new(
                ErrorKind::NotFound,
                "the job's destination no longer exists",
            )
        })?;
        destination.bucket = bucket.to_string();
        self.backend(&destination)
    }

    /// A backend built afresh and not kept (the connection test must not reuse a client).
    fn build(&self, destination: &Destination) -> Result<Arc<dyn Backend>> {
        let throttles = self.throttles.clone();
        if let (DestinationKind::Local, Some(folder)) = (destination.kind, &destination.folder) {
            let backend = LocalBackend::new(folder.clone())?.with_throttles(throttles);
            return Ok(Arc::new(backend));
        }
        let key = self.credentials()?.get(&destination.id)?;
        let backend =
            S3Backend::with_options(destination, &key, self.s3)?.with_throttles(throttles);
        Ok(Arc::new(backend))
    }

    /// `InvalidInput` when another destination is called `name`.
    fn name_is_free(&self, name: &str) -> Result<()> {
        if self.store.destination_by_name(name)?.is_some() {
            return Err(Error::new(
                ErrorKind::InvalidInput,
                format!(
                    "a destination named '{name}' already exists: choose another name, or \
                     remove that one first"
                ),
            ));
        }
        Ok(())
    }

    fn forget_backends(&self, id: &DestinationId) {
        self.built().retain(|(built_for, _), _| built_for != id);
    }

    fn built(&self) -> std::sync::MutexGuard<'_, Built> {
        self.built
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// Where the built-in destination writes: `HOIST_LOCAL_DIR`, else `~/Hoist`, else (no home)
/// `<data dir>/uploads`.
pub fn default_local_folder(data_dir: &Path) -> PathBuf {
    if let Some(dir) = std::env::var_os("HOIST_LOCAL_DIR").filter(|d| !d.is_empty()) {
        return PathBuf::from(dir);
    }
    match directories::UserDirs::new() {
        Some(user) => user.home_dir().join("Hoist"),
        None => data_dir.join("uploads"),
    }
}
