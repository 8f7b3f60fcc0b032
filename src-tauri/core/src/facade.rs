//! [`Core`]: what the shell sees of the engine. Opening a data directory, profiles, adding files
//! to the queue, user actions on jobs, and [`Core::run_queue`], which takes the engine lock and
//! drives uploads. Every method that changes the queue commits first, then sends its event and
//! wakes a scheduler running in this process; schedulers in other processes see the change at
//! their next tick.

use crate::backend::Backend;
use crate::backend::local::LocalBackend;
use crate::backend::s3::S3Backend;
use crate::credentials::{AccessKey, CredentialStore, Keychain};
use crate::engine::EngineConfig;
use crate::engine::network::Network;
use crate::engine::progress::ProgressBoard;
use crate::error::{Error, ErrorKind, Result};
use crate::event::{Event, ProgressSnapshot};
use crate::model::{DestinationKind, Job, JobId, JobState, Profile, ProfileId, Selection};
use crate::options::UploadOptions;
use crate::presets::Provider;
use crate::queue::Action;
use crate::store::Store;
use crate::throttle::Throttle;
use serde::Serialize;
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};
use std::time::Duration;
use tokio::sync::{Notify, broadcast};

mod cleanup;
mod engine;
mod enqueue;
mod keys;
mod preview;
mod probe;
mod profiles;
mod settings;

pub use cleanup::CleanupReport;
pub use engine::EngineHandle;
pub use enqueue::{EnqueueReport, EnqueueRequest, Skipped};
pub use preview::{PlannedAction, PlannedUpload, Preview};
pub use profiles::{EndpointChange, ProfileChanges};
pub use settings::Settings;

/// A destination to create. An S3 secret goes to the keychain, the rest to the database.
#[derive(Debug, Clone, Default)]
pub struct NewProfile {
    pub name: String,
    pub endpoint: Option<String>,
    pub region: String,
    pub bucket: String,
    pub path_style: bool,
    pub prefix: String,
    /// Set for a local-folder destination (then endpoint, region and bucket are unused).
    pub folder: Option<PathBuf>,
    /// The preset it was made from, if any.
    pub provider: Option<Provider>,
    pub options: UploadOptions,
}

/// When [`Core::run_queue`] returns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RunUntil {
    /// Nothing is queued or running any more.
    Idle,
    /// Every job of this batch has ended (completed, failed, cancelled) or is paused.
    Batch(String),
    /// Only when the stop token is cancelled (the window).
    Stopped,
}

/// What one [`Core::run_queue`] did.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RunSummary {
    /// Files uploaded and verified.
    pub completed: usize,
    /// Files the `--if-exists` rule skipped (nothing sent; not counted in `bytes`).
    pub skipped: usize,
    pub failed: usize,
    /// Bytes uploaded.
    pub bytes: u64,
    pub elapsed: Duration,
}

struct Inner {
    data_dir: PathBuf,
    store: Arc<Store>,
    credentials: OnceLock<Arc<dyn CredentialStore>>,
    events: broadcast::Sender<Event>,
    board: Arc<ProgressBoard>,
    network: Arc<Network>,
    wake: Arc<Notify>,
    config: EngineConfig,
    throttle: Arc<Throttle>,
}

/// A handle on one data directory. Cheap to clone; all clones share state.
#[derive(Clone)]
pub struct Core {
    inner: Arc<Inner>,
}

impl Core {
    /// Opens (creating if needed) a data directory. The keychain is reached only when a
    /// secret is needed.
    pub fn open(data_dir: &Path) -> Result<Core> {
        let core = Core::open_with(data_dir, None, EngineConfig::default())?;
        core.ensure_builtin_local(default_local_folder(data_dir))?;
        Ok(core)
    }

    /// Like [`Core::open`] with another credential store (tests, embedding) and engine config.
    pub fn open_with(
        data_dir: &Path,
        credentials: Option<Arc<dyn CredentialStore>>,
        config: EngineConfig,
    ) -> Result<Core> {
        let store = Arc::new(Store::open(data_dir)?);
        let throttle = Arc::new(Throttle::new(store.bandwidth_limit()?));
        let (events, _) = broadcast::channel(1024);
        let cell = OnceLock::new();
        if let Some(credentials) = credentials {
            let _ = cell.set(credentials);
        }
        Ok(Core {
            inner: Arc::new(Inner {
                data_dir: data_dir.to_path_buf(),
                store,
                credentials: cell,
                network: Arc::new(Network::new(events.clone())),
                events,
                board: Arc::new(ProgressBoard::default()),
                wake: Arc::new(Notify::new()),
                config,
                throttle,
            }),
        })
    }

    fn credentials(&self) -> Result<Arc<dyn CredentialStore>> {
        if let Some(store) = self.inner.credentials.get() {
            return Ok(store.clone());
        }
        let keychain: Arc<dyn CredentialStore> = Arc::new(Keychain::new()?);
        Ok(self.inner.credentials.get_or_init(|| keychain).clone())
    }

    pub fn subscribe(&self) -> broadcast::Receiver<Event> {
        self.inner.events.subscribe()
    }

    fn changed(&self, changes: &[(JobId, JobState)]) {
        for (id, state) in changes {
            let _ = self.inner.events.send(Event::JobState {
                id: *id,
                state: *state,
                error: None,
            });
        }
        self.inner.wake.notify_one();
    }

    // ---- profiles

    /// Creates a profile. An S3 destination needs its access key, which goes to the keychain
    /// first (a profile without its secret would fail every upload); a local folder needs none.
    pub fn add_profile(&self, new: NewProfile, key: Option<AccessKey>) -> Result<Profile> {
        validate_profile(&new)?;
        if self.inner.store.profile_by_name(&new.name)?.is_some() {
            return Err(Error::new(
                ErrorKind::InvalidInput,
                format!(
                    "a profile named '{}' already exists: remove it first with `hoist profile rm {}`",
                    new.name, new.name
                ),
            ));
        }
        let profile = Profile {
            id: ProfileId(new_id()),
            kind: if new.folder.is_some() {
                DestinationKind::Local
            } else {
                DestinationKind::S3
            },
            name: new.name,
            endpoint: new.endpoint,
            region: new.region,
            bucket: new.bucket,
            path_style: new.path_style,
            prefix: new.prefix,
            folder: new.folder,
            builtin: false,
            provider: new.provider,
            options: new.options,
            capabilities: None,
        };
        if profile.kind == DestinationKind::Local {
            self.inner.store.insert_profile(&profile)?;
            return Ok(profile);
        }
        let key = key.ok_or_else(|| {
            Error::new(
                ErrorKind::InvalidInput,
                "an S3 destination needs an access key pair",
            )
        })?;
        let credentials = self.credentials()?;
        credentials.set(&profile.id, &key)?;
        if let Err(e) = self.inner.store.insert_profile(&profile) {
            let _ = credentials.delete(&profile.id);
            return Err(e);
        }
        Ok(profile)
    }

    /// Creates the built-in local destination (`folder`) the first time a data directory is
    /// opened, so that uploads work with nothing configured. Removing it later is respected.
    fn ensure_builtin_local(&self, folder: PathBuf) -> Result<()> {
        let store = &self.inner.store;
        if store.setting_flag("builtin_local_created")? {
            return Ok(());
        }
        if store.profile_by_name(BUILTIN_LOCAL_NAME)?.is_none() {
            store.insert_profile(&Profile {
                id: ProfileId(new_id()),
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
        store.set_setting_flag("builtin_local_created")
    }

    pub fn profiles(&self) -> Result<Vec<Profile>> {
        self.inner.store.profiles()
    }

    /// Removes a profile, its finished jobs, and its keychain entry.
    pub fn remove_profile(&self, name: &str) -> Result<()> {
        let profile = self.profile_named(name)?;
        self.inner.store.delete_profile(&profile.id)?;
        if let Err(e) = self.credentials().and_then(|c| c.delete(&profile.id)) {
            tracing::warn!(profile = name, error = %e, "could not delete the keychain entry");
        }
        Ok(())
    }

    /// The profile named `name`, or `NotFound` naming `hoist profile list`.
    pub fn profile(&self, name: &str) -> Result<Profile> {
        self.profile_named(name)
    }

    /// Saves a changed profile (everything but its id; the keychain entry is not touched).
    pub fn save_profile(&self, profile: &Profile) -> Result<()> {
        if self.inner.store.update_profile(profile)? {
            Ok(())
        } else {
            Err(Error::new(
                ErrorKind::NotFound,
                format!("the profile '{}' no longer exists", profile.name),
            ))
        }
    }

    fn profile_named(&self, name: &str) -> Result<Profile> {
        self.inner.store.profile_by_name(name)?.ok_or_else(|| {
            Error::new(
                ErrorKind::NotFound,
                format!("no profile named '{name}': see `hoist profile list`"),
            )
        })
    }

    /// The named profile; without a name, the only destination the user added, or the built-in
    /// local folder when they added none.
    pub fn resolve_profile(&self, name: Option<&str>) -> Result<Profile> {
        if let Some(name) = name {
            return self.profile_named(name);
        }
        let profiles = self.inner.store.profiles()?;
        let (builtin, mut added): (Vec<Profile>, Vec<Profile>) =
            profiles.iter().cloned().partition(|p| p.builtin);
        match (added.len(), builtin.into_iter().next()) {
            (1, _) => Ok(added.remove(0)),
            (0, Some(local)) => Ok(local),
            (0, None) => Err(Error::new(
                ErrorKind::InvalidInput,
                "no destination is configured: add one with `hoist profile add NAME --endpoint URL --bucket BUCKET` (or `--folder DIR`)",
            )),
            _ => Err(Error::new(
                ErrorKind::InvalidInput,
                format!(
                    "several profiles exist ({}): choose one with --profile",
                    profiles
                        .iter()
                        .map(|p| p.name.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            )),
        }
    }

    fn backend_source(&self) -> crate::queue::BackendSource {
        let core = self.clone();
        Arc::new(move |profile: &Profile| -> Result<Arc<dyn Backend>> {
            let throttle = core.inner.throttle.clone();
            if let (DestinationKind::Local, Some(folder)) = (profile.kind, &profile.folder) {
                let backend = LocalBackend::new(folder.clone())?.with_throttle(throttle);
                return Ok(Arc::new(backend));
            }
            let key = core.credentials()?.get(&profile.id)?;
            let options = core.inner.config.s3;
            let backend = S3Backend::with_options(profile, &key, options)?.with_throttle(throttle);
            Ok(Arc::new(backend))
        })
    }

    // ---- queue

    pub fn jobs(&self) -> Result<Vec<Job>> {
        self.inner.store.jobs()
    }

    pub fn job(&self, id: JobId) -> Result<Option<Job>> {
        self.inner.store.job(id)
    }

    /// How many jobs are in each state (one query; for status lines).
    pub fn queue_counts(&self) -> Result<crate::QueueCounts> {
        self.inner.store.queue_counts()
    }

    /// The same for one batch (for "batch finished" notifications).
    pub fn batch_counts(&self, batch: &str) -> Result<crate::QueueCounts> {
        self.inner.store.batch_counts(batch)
    }

    pub fn batch_jobs(&self, batch: &str) -> Result<Vec<Job>> {
        self.inner.store.jobs_in_batch(batch)
    }

    pub fn pause(&self, selection: &Selection) -> Result<Vec<JobId>> {
        self.act(selection, Action::Pause)
    }

    pub fn resume(&self, selection: &Selection) -> Result<Vec<JobId>> {
        self.act(selection, Action::Resume)
    }

    /// Cancels jobs. Their multipart uploads are aborted by whichever process drives the
    /// queue (see [`Core::abort_cancelled_uploads`] for doing it without a running engine).
    pub fn cancel(&self, selection: &Selection) -> Result<Vec<JobId>> {
        self.act(selection, Action::Cancel)
    }

    pub fn retry(&self, selection: &Selection) -> Result<Vec<JobId>> {
        self.act(selection, Action::Retry)
    }

    /// Applies a user action. With explicit ids, every id must exist and be in a state the
    /// action applies to: the others still change, and the error names each refused job, its
    /// state and the states the action takes. `Selection::All` acts on what it can.
    fn act(&self, selection: &Selection, action: Action) -> Result<Vec<JobId>> {
        let mut refused = Vec::new();
        if let Selection::Ids(ids) = selection {
            let states = self.inner.store.states(ids)?;
            if let Some(unknown) = ids.iter().find(|id| !states.iter().any(|(k, _)| k == *id)) {
                return Err(Error::new(
                    ErrorKind::NotFound,
                    format!("no job with id {unknown}: the queue lists the ids"),
                ));
            }
            refused = states
                .into_iter()
                .filter(|(_, state)| crate::queue::transition(*state, action).is_none())
                .collect();
        }
        let changed = self.inner.store.apply(selection, action, None)?;
        self.changed(&changed);
        let changed: Vec<JobId> = changed.into_iter().map(|(id, _)| id).collect();
        if refused.is_empty() {
            return Ok(changed);
        }
        Err(Error::new(
            ErrorKind::InvalidInput,
            crate::queue::refusal_message(action, &refused, &changed),
        ))
    }
    /// Takes jobs off the list; those whose multipart upload must be aborted first, or that are
    /// running, are cancelled instead (see [`crate::Removal`]).
    pub fn remove_jobs(&self, ids: &[JobId]) -> Result<crate::Removal> {
        let removal = self.inner.store.remove_jobs(ids)?;
        let cancelled: Vec<(JobId, JobState)> = removal
            .cancelled
            .iter()
            .map(|id| (*id, JobState::Cancelled))
            .collect();
        self.changed(&cancelled);
        Ok(removal)
    }

    /// Deletes completed jobs and cancelled ones with nothing left on the server.
    pub fn clear_finished(&self) -> Result<Vec<JobId>> {
        self.inner.store.clear_finished()
    }

    pub fn progress(&self) -> ProgressSnapshot {
        self.inner.board.snapshot(self.inner.network.online())
    }
}

fn validate_profile(new: &NewProfile) -> Result<()> {
    let bad = |what: String| Err(Error::new(ErrorKind::InvalidInput, what));
    if new.name.trim().is_empty() || new.name.chars().any(|c| c.is_control()) {
        return bad("the profile name must not be empty".into());
    }
    if let Some(folder) = &new.folder {
        if !folder.is_absolute() {
            return bad(format!(
                "--folder must be an absolute path, not '{}'",
                folder.display()
            ));
        }
        if new.endpoint.is_some() || !new.bucket.is_empty() {
            return bad("a folder destination takes no --endpoint or --bucket".into());
        }
        return Ok(());
    }
    // An S3 destination may name no bucket (AWS profiles do not): its uploads then need
    // `--bucket` until `hoist profile edit NAME --bucket B` sets one.
    if new.region.trim().is_empty() {
        return bad(
            "--region must not be empty (use us-east-1 when the provider does not care)".into(),
        );
    }
    if let Some(endpoint) = &new.endpoint
        && !(endpoint.starts_with("http://") || endpoint.starts_with("https://"))
    {
        return bad(format!(
            "--endpoint must be an http:// or https:// URL, not '{endpoint}'"
        ));
    }
    Ok(())
}

/// The name of the built-in local destination.
pub const BUILTIN_LOCAL_NAME: &str = "local";

/// Where the built-in destination writes: `HOIST_LOCAL_DIR`, else `~/Hoist`, else (no home)
/// `<data dir>/uploads`.
fn default_local_folder(data_dir: &Path) -> PathBuf {
    if let Some(dir) = std::env::var_os("HOIST_LOCAL_DIR").filter(|d| !d.is_empty()) {
        return PathBuf::from(dir);
    }
    match directories::UserDirs::new() {
        Some(user) => user.home_dir().join("Hoist"),
        None => data_dir.join("uploads"),
    }
}

/// A random 128-bit id as hex (profiles, batches).
pub(crate) fn new_id() -> String {
    hex::encode(rand::random::<[u8; 16]>())
}
