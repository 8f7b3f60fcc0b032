//! The `destinations` table: destinations. No secret is ever written here (they live in the keychain).

use super::jobs::{blob_to_path, path_to_blob};
use super::{Store, now};
use crate::error::{Error, ErrorKind, Fix, Result};
use crate::model::{Destination, DestinationId, DestinationKind};
use crate::options::options_from_json;
use crate::presets::Provider;
use rusqlite::{OptionalExtension, Row, params};

fn kind_str(kind: DestinationKind) -> &'static str {
    match kind {
        DestinationKind::S3 => "s3",
        DestinationKind::Local => "local",
    }
}

fn destination_from_row(row: &Row<'_>) -> rusqlite::Result<Destination> {
    let kind: String = row.get(2)?;
    let folder: Option<Vec<u8>> = row.get(8)?;
    Ok(Destination {
        id: DestinationId(row.get(0)?),
        name: row.get(1)?,
        kind: if kind == "local" {
            DestinationKind::Local
        } else {
            DestinationKind::S3
        },
        endpoint: row.get(3)?,
        region: row.get(4)?,
        bucket: row.get(5)?,
        path_style: row.get(6)?,
        prefix: row.get(7)?,
        folder: folder.map(blob_to_path),
        builtin: row.get(9)?,
        provider: row
            .get::<_, Option<String>>(10)?
            .and_then(|name| Provider::parse(&name)),
        options: options_from_json(&row.get::<_, String>(11)?),
        capabilities: row
            .get::<_, Option<String>>(12)?
            .and_then(|json| serde_json::from_str(&json).ok()),
    })
}

const SELECT: &str = "SELECT id, name, kind, endpoint, region, bucket, path_style, prefix, folder, \
     builtin, provider, options, capabilities FROM destinations";

fn to_json<T: serde::Serialize>(value: &T) -> Result<String> {
    serde_json::to_string(value).map_err(|e| {
        Error::new(
            ErrorKind::Local,
            format!("cannot encode destination settings: {e}"),
        )
    })
}

impl Store {
    pub fn insert_destination(&self, destination: &Destination) -> Result<()> {
        let result = self.conn().execute(
            "INSERT INTO destinations (id, name, kind, endpoint, region, bucket, path_style, prefix, \
             created_at, folder, builtin, provider, options, capabilities) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)",
            params![
                destination.id.0,
                destination.name,
                kind_str(destination.kind),
                destination.endpoint,
                destination.region,
                destination.bucket,
                destination.path_style,
                destination.prefix,
                now(),
                destination.folder.as_deref().map(path_to_blob),
                destination.builtin,
                destination.provider.map(|p| p.name()),
                to_json(&destination.options)?,
                destination.capabilities.as_ref().map(to_json).transpose()?,
            ],
        );
        match result {
            Err(rusqlite::Error::SqliteFailure(e, _))
                if e.code == rusqlite::ErrorCode::ConstraintViolation =>
            {
                Err(Error::new(
                    ErrorKind::InvalidInput,
                    format!(
                        "a destination named '{}' already exists: choose another name, or remove \
                         that one first",
                        destination.name
                    ),
                ))
            }
            other => other.map(|_| ()).map_err(Error::from),
        }
    }

    /// Rewrites everything of a destination but its id (and the name's uniqueness still holds).
    /// Returns false when no destination has that id.
    pub fn update_destination(&self, destination: &Destination) -> Result<bool> {
        let result = self.conn().execute(
            "UPDATE destinations SET name = ?2, kind = ?3, endpoint = ?4, region = ?5, bucket = ?6, \
             path_style = ?7, prefix = ?8, folder = ?9, builtin = ?10, provider = ?11, \
             options = ?12, capabilities = ?13 WHERE id = ?1",
            params![
                destination.id.0,
                destination.name,
                kind_str(destination.kind),
                destination.endpoint,
                destination.region,
                destination.bucket,
                destination.path_style,
                destination.prefix,
                destination.folder.as_deref().map(path_to_blob),
                destination.builtin,
                destination.provider.map(|p| p.name()),
                to_json(&destination.options)?,
                destination.capabilities.as_ref().map(to_json).transpose()?,
            ],
        );
        match result {
            Err(rusqlite::Error::SqliteFailure(e, _))
                if e.code == rusqlite::ErrorCode::ConstraintViolation =>
            {
                Err(Error::new(
                    ErrorKind::InvalidInput,
                    format!(
                        "a destination named '{}' already exists: choose another name",
                        destination.name
                    ),
                ))
            }
            other => Ok(other? == 1),
        }
    }

    pub fn destinations(&self) -> Result<Vec<Destination>> {
        let conn = self.conn();
        let mut stmt = conn.prepare_cached(&format!("{SELECT} ORDER BY name"))?;
        let rows = stmt.query_map([], destination_from_row)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    pub fn destination_by_name(&self, name: &str) -> Result<Option<Destination>> {
        let conn = self.conn();
        let mut stmt = conn.prepare_cached(&format!("{SELECT} WHERE name = ?1"))?;
        Ok(stmt.query_row([name], destination_from_row).optional()?)
    }

    pub fn destination(&self, id: &DestinationId) -> Result<Option<Destination>> {
        let conn = self.conn();
        let mut stmt = conn.prepare_cached(&format!("{SELECT} WHERE id = ?1"))?;
        Ok(stmt.query_row([&id.0], destination_from_row).optional()?)
    }

    /// Removes a destination and its finished jobs. Refused while it has jobs that are not finished,
    /// so no queued upload loses its destination.
    pub fn delete_destination(&self, id: &DestinationId) -> Result<()> {
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        let unfinished: i64 = tx.query_row(
            "SELECT COUNT(*) FROM jobs WHERE destination_id = ?1 \
             AND state NOT IN ('completed', 'cancelled', 'failed')",
            [&id.0],
            |r| r.get(0),
        )?;
        if unfinished > 0 {
            return Err(Error::new(
                ErrorKind::InvalidInput,
                format!(
                    "the destination still has {unfinished} unfinished upload(s): let them finish \
                     or cancel them before removing it"
                ),
            )
            .with_fix(Fix::CancelJobs));
        }
        let pending_uploads: i64 = tx.query_row(
            "SELECT COUNT(*) FROM uploads u JOIN jobs j ON j.id = u.job_id WHERE j.destination_id = ?1",
            [&id.0],
            |r| r.get(0),
        )?;
        if pending_uploads > 0 {
            return Err(Error::new(
                ErrorKind::InvalidInput,
                "the destination has unfinished multipart uploads on the server (kept so failed \
                 jobs can be retried): cancelling those jobs aborts the uploads; then remove the \
                 destination",
            )
            .with_fix(Fix::CancelJobs));
        }
        let watches: Vec<i64> = tx
            .prepare("SELECT id FROM watches WHERE destination_id = ?1 ORDER BY id")?
            .query_map([&id.0], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        if !watches.is_empty() {
            let ids: Vec<String> = watches.iter().map(|w| w.to_string()).collect();
            return Err(Error::new(
                ErrorKind::InvalidInput,
                format!(
                    "folders are watched into this destination (watch {}): remove those watches \
                     first",
                    ids.join(", ")
                ),
            )
            .with_fix(Fix::RemoveWatches { ids: watches }));
        }
        tx.execute("DELETE FROM jobs WHERE destination_id = ?1", [&id.0])?;
        tx.execute("DELETE FROM destinations WHERE id = ?1", [&id.0])?;
        tx.commit()?;
        Ok(())
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    pub(crate) fn sample_destination(name: &str) -> Destination {
        Destination {
            id: DestinationId(format!("id-{name}")),
            name: name.into(),
            kind: DestinationKind::S3,
            endpoint: Some("http://127.0.0.1:9".into()),
            region: "us-east-1".into(),
            bucket: "b".into(),
            path_style: true,
            prefix: String::new(),
            folder: None,
            builtin: false,
            provider: None,
            options: crate::options::UploadOptions::default(),
            capabilities: None,
        }
    }

    #[test]
    fn destinations_round_trip_and_names_are_unique() {
        let store = Store::open_in_memory().unwrap();
        let p = sample_destination("garage");
        store.insert_destination(&p).unwrap();
        assert_eq!(
            store.destination_by_name("garage").unwrap(),
            Some(p.clone())
        );
        assert_eq!(store.destination(&p.id).unwrap(), Some(p.clone()));
        let mut again = p.clone();
        again.id = DestinationId("other".into());
        let err = store.insert_destination(&again).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidInput);
        assert!(err.message().contains("already exists"));
    }

    #[test]
    fn options_capabilities_and_provider_round_trip_through_update() {
        let store = Store::open_in_memory().unwrap();
        let mut p = sample_destination("r2");
        store.insert_destination(&p).unwrap();
        p.provider = Some(Provider::R2);
        p.bucket = "other".into();
        p.options.cache_control = Some("max-age=60".into());
        p.options.if_exists = crate::options::IfExists::Rename;
        p.capabilities = Some(crate::options::Capabilities {
            tested_at: 5,
            content_md5: false,
            ..Default::default()
        });
        assert!(store.update_destination(&p).unwrap());
        assert_eq!(store.destination(&p.id).unwrap(), Some(p.clone()));
        store
            .insert_destination(&sample_destination("taken"))
            .unwrap();
        p.name = "taken".into();
        let err = store.update_destination(&p).unwrap_err();
        assert!(
            err.message().contains("already exists"),
            "{}",
            err.message()
        );
        p.id = DestinationId("missing".into());
        p.name = "free".into();
        assert!(!store.update_destination(&p).unwrap());
    }

    #[test]
    fn a_destination_with_unfinished_jobs_cannot_be_removed() {
        let store = Store::open_in_memory().unwrap();
        let p = sample_destination("p");
        store.insert_destination(&p).unwrap();
        store
            .insert_jobs(
                "b1",
                &[crate::store::NewJob {
                    direction: crate::model::Direction::Upload,
                    path: "/tmp/x".into(),
                    destination_id: p.id.clone(),
                    bucket: "b".into(),
                    key: "x".into(),
                    bytes_total: 1,
                    if_exists: Default::default(),
                }],
            )
            .unwrap();
        let err = store.delete_destination(&p.id).unwrap_err();
        assert!(err.message().contains("unfinished"), "{}", err.message());
        // The store says what stands in the way; the shell says how to fix it in its words (the
        // window showed `hoist cancel ID...` as it was).
        assert!(!err.message().contains("hoist "), "{}", err.message());
        assert_eq!(err.fix(), Some(&crate::error::Fix::CancelJobs));
        store
            .apply(
                &crate::model::Selection::All,
                crate::model::transition::Action::Cancel,
                None,
            )
            .unwrap();
        store.delete_destination(&p.id).unwrap();
        assert!(store.destinations().unwrap().is_empty());
        assert!(store.jobs().unwrap().is_empty());
    }
}
