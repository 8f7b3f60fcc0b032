//! The `settings` table: small typed values with defaults, shared by the CLI and the window.

use super::Store;
use crate::error::Result;
use crate::model::Direction;
use rusqlite::{OptionalExtension, params};

fn upsert(conn: &rusqlite::Connection, key: &str, value: &str) -> Result<()> {
    conn.execute(
        "INSERT INTO settings (key, value) VALUES (?1, ?2) \
         ON CONFLICT(key) DO UPDATE SET value = excluded.value",
        params![key, value],
    )?;
    Ok(())
}

const WINDOW_VIEW: &str = "window_view";

/// How many transfers (uploads and downloads together) run at once unless the user chose otherwise.
pub const DEFAULT_CONCURRENCY: usize = 3;

impl Store {
    pub(super) fn setting(&self, key: &str) -> Result<Option<String>> {
        Ok(self
            .conn()
            .query_row("SELECT value FROM settings WHERE key = ?1", [key], |r| {
                r.get(0)
            })
            .optional()?)
    }

    pub(super) fn set_setting(&self, key: &str, value: &str) -> Result<()> {
        upsert(&self.conn(), key, value)
    }

    /// The window's last view (a tab's name), kept for the next start.
    pub fn window_view(&self) -> Result<Option<String>> {
        self.setting(WINDOW_VIEW)
    }

    pub fn set_window_view(&self, view: &str) -> Result<()> {
        self.set_setting(WINDOW_VIEW, view)
    }

    /// Writes several settings in one transaction: all of them or none.
    pub(super) fn set_settings(&self, values: &[(&str, String)]) -> Result<()> {
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        for (key, value) in values {
            upsert(&tx, key, value)?;
        }
        tx.commit()?;
        Ok(())
    }

    /// A one-time marker (e.g. "the built-in destination was created").
    pub fn setting_flag(&self, key: &str) -> Result<bool> {
        Ok(self.setting(key)?.is_some())
    }

    pub fn set_setting_flag(&self, key: &str) -> Result<()> {
        self.set_setting(key, "1")
    }

    pub fn concurrency(&self) -> Result<usize> {
        Ok(self
            .setting("concurrency")?
            .and_then(|v| v.parse().ok())
            .filter(|n: &usize| *n > 0)
            .unwrap_or(DEFAULT_CONCURRENCY))
    }

    pub fn set_concurrency(&self, files: usize) -> Result<()> {
        self.set_setting("concurrency", &files.to_string())
    }

    /// The bandwidth limit of `direction` in bytes per second; `None` (or a stored 0) is
    /// unlimited.
    pub fn bandwidth_limit(&self, direction: Direction) -> Result<Option<u64>> {
        Ok(self
            .setting(limit_setting(direction))?
            .and_then(|v| v.parse().ok())
            .filter(|rate: &u64| *rate > 0))
    }

    pub fn set_bandwidth_limit(&self, direction: Direction, limit: Option<u64>) -> Result<()> {
        self.set_setting(limit_setting(direction), &limit.unwrap_or(0).to_string())
    }
}

/// The settings row of a direction's bandwidth limit (the upload one predates downloads).
pub(super) fn limit_setting(direction: Direction) -> &'static str {
    match direction {
        Direction::Upload => "bandwidth_limit",
        Direction::Download => "download_limit",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn concurrency_defaults_to_three_and_persists() {
        let store = Store::open_in_memory().unwrap();
        assert_eq!(store.concurrency().unwrap(), 3);
        store.set_concurrency(7).unwrap();
        assert_eq!(store.concurrency().unwrap(), 7);
    }

    #[test]
    fn bandwidth_limit_defaults_to_none_and_persists() {
        let store = Store::open_in_memory().unwrap();
        for direction in [Direction::Upload, Direction::Download] {
            assert_eq!(store.bandwidth_limit(direction).unwrap(), None);
        }
        store
            .set_bandwidth_limit(Direction::Upload, Some(2_000_000))
            .unwrap();
        store
            .set_bandwidth_limit(Direction::Download, Some(500_000))
            .unwrap();
        assert_eq!(
            store.bandwidth_limit(Direction::Upload).unwrap(),
            Some(2_000_000)
        );
        assert_eq!(
            store.bandwidth_limit(Direction::Download).unwrap(),
            Some(500_000)
        );
        store.set_bandwidth_limit(Direction::Upload, None).unwrap();
        assert_eq!(store.bandwidth_limit(Direction::Upload).unwrap(), None);
        assert_eq!(
            store.bandwidth_limit(Direction::Download).unwrap(),
            Some(500_000)
        );
    }
}
