//! The window's preferences and the part size, kept in the `settings` table so the CLI and the
//! window share them. Each is read when it is needed, so a change applies without a restart.

use super::Store;
use super::settings::limit_setting;
use crate::error::{Error, ErrorKind, Result};
use crate::limits::{DEFAULT_PART_SIZE, MAX_PART_SIZE, MIN_PART_SIZE};
use crate::model::Direction;
use serde::{Deserialize, Serialize};

/// What the desktop app lets the user choose, besides concurrency and the bandwidth limits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct Preferences {
    /// Desktop notifications for finished batches, failures and going offline (default on).
    pub notifications: bool,
    /// Closing the window hides it to the tray; uploads go on (default on).
    pub close_to_tray: bool,
    /// Start with the window hidden in the tray (default off).
    pub start_minimized: bool,
    /// Follow symbolic links met inside added folders (default off: a link is skipped with the
    /// reason, so a link to `~/.aws/credentials` in a folder is not uploaded by surprise).
    #[serde(default)]
    pub follow_links: bool,
    /// Hold transfers back while NetworkManager says the connection is metered (a phone's
    /// hotspot, mobile broadband); they go on by themselves on another network (default off).
    #[serde(default)]
    pub pause_on_metered: bool,
    /// The part size new multipart uploads use, in bytes (default 8 MiB; 5 MiB to 5 GiB). An
    /// upload in progress keeps the part size it started with.
    pub part_size: u64,
}

impl Default for Preferences {
    fn default() -> Preferences {
        Preferences {
            notifications: true,
            close_to_tray: true,
            start_minimized: false,
            follow_links: false,
            pause_on_metered: false,
            part_size: DEFAULT_PART_SIZE,
        }
    }
}

impl Preferences {
    pub fn validate(&self) -> Result<()> {
        if !(MIN_PART_SIZE..=MAX_PART_SIZE).contains(&self.part_size) {
            return Err(Error::new(
                ErrorKind::InvalidInput,
                format!(
                    "part size {} is outside what S3 accepts: choose between 5 MiB and 5 GiB",
                    self.part_size
                ),
            ));
        }
        Ok(())
    }
}

fn flag(value: Option<String>, default: bool) -> bool {
    match value.as_deref() {
        Some("1") => true,
        Some("0") => false,
        _ => default,
    }
}

fn preference_values(preferences: &Preferences) -> Vec<(&'static str, String)> {
    let bit = |on: bool| if on { "1" } else { "0" }.to_string();
    vec![
        ("notifications", bit(preferences.notifications)),
        ("close_to_tray", bit(preferences.close_to_tray)),
        ("start_minimized", bit(preferences.start_minimized)),
        ("follow_links", bit(preferences.follow_links)),
        ("pause_on_metered", bit(preferences.pause_on_metered)),
        ("part_size", preferences.part_size.to_string()),
    ]
}

impl Store {
    pub fn preferences(&self) -> Result<Preferences> {
        let defaults = Preferences::default();
        Ok(Preferences {
            notifications: flag(self.setting("notifications")?, defaults.notifications),
            close_to_tray: flag(self.setting("close_to_tray")?, defaults.close_to_tray),
            start_minimized: flag(self.setting("start_minimized")?, defaults.start_minimized),
            follow_links: flag(self.setting("follow_links")?, defaults.follow_links),
            pause_on_metered: flag(self.setting("pause_on_metered")?, defaults.pause_on_metered),
            part_size: self.chosen_part_size()?.unwrap_or(defaults.part_size),
        })
    }

    /// The one setting the scheduler reads each tick to know whether a metered connection
    /// holds transfers back.
    pub fn pause_on_metered(&self) -> Result<bool> {
        Ok(flag(
            self.setting("pause_on_metered")?,
            Preferences::default().pause_on_metered,
        ))
    }

    /// The part size the user chose, if they chose one (the engine's own default otherwise).
    pub fn chosen_part_size(&self) -> Result<Option<u64>> {
        Ok(self
            .setting("part_size")?
            .and_then(|v| v.parse().ok())
            .filter(|size| (MIN_PART_SIZE..=MAX_PART_SIZE).contains(size)))
    }

    pub fn set_preferences(&self, preferences: &Preferences) -> Result<()> {
        preferences.validate()?;
        self.set_settings(&preference_values(preferences))
    }

    /// Concurrency, both bandwidth limits and preferences in one transaction (validated by the
    /// caller).
    pub fn save_settings(
        &self,
        concurrency: usize,
        limits: [Option<u64>; 2],
        preferences: &Preferences,
    ) -> Result<()> {
        let mut values = preference_values(preferences);
        values.push(("concurrency", concurrency.to_string()));
        for (direction, limit) in [Direction::Upload, Direction::Download]
            .into_iter()
            .zip(limits)
        {
            values.push((limit_setting(direction), limit.unwrap_or(0).to_string()));
        }
        self.set_settings(&values)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn preferences_default_then_persist_and_bad_part_sizes_are_refused() {
        let store = Store::open_in_memory().unwrap();
        assert_eq!(store.preferences().unwrap(), Preferences::default());
        let chosen = Preferences {
            notifications: false,
            close_to_tray: false,
            start_minimized: true,
            follow_links: true,
            pause_on_metered: true,
            part_size: 64 * 1024 * 1024,
        };
        store.set_preferences(&chosen).unwrap();
        assert_eq!(store.preferences().unwrap(), chosen);
        let too_small = Preferences {
            part_size: 1024,
            ..chosen
        };
        let err = store.set_preferences(&too_small).unwrap_err();
        assert!(err.message().contains("5 MiB"), "{}", err.message());
        assert_eq!(store.preferences().unwrap(), chosen);
    }
}
