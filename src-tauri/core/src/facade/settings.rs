//! Settings shared by the CLI and the window: concurrency, the bandwidth limits and the
//! preferences. Each setter validates first; [`Core::set_settings`] validates every value and
//! then saves them all in one transaction, so a bad value changes nothing.

use super::Core;
use crate::error::{Error, ErrorKind, Result};
use crate::model::Direction;
use crate::store::Preferences;
use crate::throttle::MIN_LIMIT;
use serde::{Deserialize, Serialize};

/// Everything the window's Settings view shows, in one value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct Settings {
    /// Transfers (uploads and downloads together) run at once (1 to 64).
    pub concurrency: usize,
    /// Upload bytes per second, all uploads together; `None` for none.
    pub bandwidth_limit: Option<u64>,
    /// Download bytes per second, all downloads together; `None` for none.
    pub download_limit: Option<u64>,
    #[serde(flatten)]
    pub preferences: Preferences,
}

const MAX_CONCURRENCY: usize = 64;

fn check_concurrency(files: usize) -> Result<()> {
    if files == 0 || files > MAX_CONCURRENCY {
        return Err(Error::new(
            ErrorKind::InvalidInput,
            format!("concurrency must be between 1 and {MAX_CONCURRENCY} files, not {files}"),
        ));
    }
    Ok(())
}

fn check_limit(limit: Option<u64>) -> Result<()> {
    match limit {
        Some(rate) if rate < MIN_LIMIT => Err(Error::new(
            ErrorKind::InvalidInput,
            format!(
                "a bandwidth limit of {rate} bytes/s is too low to keep connections alive: use at \
                 least {} KiB/s, or none",
                MIN_LIMIT / 1024
            ),
        )),
        _ => Ok(()),
    }
}

impl Core {
    pub fn concurrency(&self) -> Result<usize> {
        self.inner.store.concurrency()
    }

    pub fn set_concurrency(&self, files: usize) -> Result<()> {
        check_concurrency(files)?;
        self.inner.store.set_concurrency(files)?;
        self.inner.wake.notify_one();
        Ok(())
    }

    /// The desktop app's preferences and the part size (see [`crate::Preferences`]).
    pub fn preferences(&self) -> Result<Preferences> {
        self.inner.store.preferences()
    }

    /// Saves preferences; a bad value is refused whole, naming what to change.
    pub fn set_preferences(&self, preferences: &Preferences) -> Result<()> {
        self.inner.store.set_preferences(preferences)
    }

    /// The stored bandwidth limit of `direction` in bytes per second; `None` when unlimited.
    pub fn bandwidth_limit(&self, direction: Direction) -> Result<Option<u64>> {
        self.inner.store.bandwidth_limit(direction)
    }

    /// Stores the bandwidth limit of `direction` (`None` for unlimited). Transfers running in
    /// this process slow down or speed up at once; an engine in another process within a tick.
    pub fn set_bandwidth_limit(&self, direction: Direction, limit: Option<u64>) -> Result<()> {
        check_limit(limit)?;
        self.inner.store.set_bandwidth_limit(direction, limit)?;
        direction.throttle(&self.inner.throttles).set_setting(limit);
        Ok(())
    }

    /// A limit for this process's transfers of `direction` only (`hoist upload --limit`,
    /// `hoist get --limit`), over the setting.
    pub fn set_run_bandwidth_limit(&self, direction: Direction, limit: Option<u64>) -> Result<()> {
        check_limit(limit)?;
        direction
            .throttle(&self.inner.throttles)
            .set_run_override(limit);
        Ok(())
    }

    /// The view the window showed last (a tab's name), if it was ever closed on one.
    pub fn window_view(&self) -> Result<Option<String>> {
        self.inner.store.window_view()
    }

    /// Keeps the window's view for its next start. A name is at most 32 lowercase letters:
    /// what the page sends is not trusted.
    pub fn set_window_view(&self, view: &str) -> Result<()> {
        if view.is_empty() || view.len() > 32 || !view.bytes().all(|b| b.is_ascii_lowercase()) {
            return Err(crate::error::Error::new(
                crate::error::ErrorKind::InvalidInput,
                format!("'{view}' is not a view's name"),
            ));
        }
        self.inner.store.set_window_view(view)
    }

    pub fn settings(&self) -> Result<Settings> {
        Ok(Settings {
            concurrency: self.concurrency()?,
            bandwidth_limit: self.bandwidth_limit(Direction::Upload)?,
            download_limit: self.bandwidth_limit(Direction::Download)?,
            preferences: self.preferences()?,
        })
    }

    /// Checks every value, then saves all of them in one transaction: either everything is
    /// saved or nothing changes.
    pub fn set_settings(&self, settings: &Settings) -> Result<()> {
        check_concurrency(settings.concurrency)?;
        check_limit(settings.bandwidth_limit)?;
        check_limit(settings.download_limit)?;
        settings.preferences.validate()?;
        self.inner.store.save_settings(
            settings.concurrency,
            [settings.bandwidth_limit, settings.download_limit],
            &settings.preferences,
        )?;
        let throttles = &self.inner.throttles;
        throttles.upload.set_setting(settings.bandwidth_limit);
        throttles.download.set_setting(settings.download_limit);
        self.inner.wake.notify_one();
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn set_settings_saved_the_limit_before_refusing_the_concurrency() {
        let dir = tempfile::tempdir().unwrap();
        let core = Core::open_with(dir.path(), None, Default::default()).unwrap();
        let before = core.settings().unwrap();
        for bad in [
            Settings {
                concurrency: 0,
                bandwidth_limit: Some(5_000_000),
                download_limit: Some(5_000_000),
                preferences: Preferences {
                    notifications: false,
                    ..before.preferences
                },
            },
            Settings {
                concurrency: 5,
                bandwidth_limit: Some(5_000_000),
                download_limit: None,
                preferences: Preferences {
                    part_size: 1,
                    ..before.preferences
                },
            },
            Settings {
                concurrency: 5,
                bandwidth_limit: Some(1),
                ..before.clone()
            },
            Settings {
                concurrency: 5,
                download_limit: Some(1),
                ..before.clone()
            },
        ] {
            let err = core.set_settings(&bad).unwrap_err();
            assert_eq!(err.kind(), ErrorKind::InvalidInput, "{}", err.message());
            assert_eq!(
                core.settings().unwrap(),
                before,
                "a refused save changed something"
            );
        }
        let good = Settings {
            concurrency: 5,
            bandwidth_limit: Some(5_000_000),
            download_limit: Some(2_000_000),
            preferences: Preferences {
                notifications: false,
                ..before.preferences
            },
        };
        core.set_settings(&good).unwrap();
        assert_eq!(core.settings().unwrap(), good);
    }
}
