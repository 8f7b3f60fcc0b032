//! The connection test ([`Destinations::test`]): each step a real upload needs, tried through
//! the same [`Backend`] uploads use, on scratch objects under `.hoist-test/ID/` that are
//! deleted afterwards (also when a check fails). Reachability, then access (a listing), a
//! single upload read back by HEAD, a multipart upload with ListParts, finding an incomplete
//! upload, a share link fetched over HTTP, and (S3) which optional headers the server accepts;
//! those findings are remembered as the destination's capabilities. Each failure's text names
//! the fix, in words for the CLI and the window alike.

use super::Destinations;
use crate::backend::{Backend, Digests, ListRequest, PartBody, digest_range};
use crate::connection::{ConnectionReport, ConnectionStep, Feature, StepOutcome};
use crate::error::{Error, ErrorKind, Fix, Result};
use crate::model::{Destination, DestinationKind};
use crate::options::Capabilities;
use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::AtomicU64;
use std::time::Duration;

const STEP_TIMEOUT: Duration = Duration::from_secs(30);
const BODY: &[u8] = b"Hoist connection test: this object is deleted right away.";

impl Destinations {
    /// Tests the destination `name` step by step and, when the test got as far as the
    /// capability checks, remembers what its server accepts, so uploads leave out what it
    /// rejects.
    pub async fn test(&self, name: &str) -> Result<ConnectionReport> {
        let mut destination = self.named(name)?;
        if destination.kind == DestinationKind::S3 && destination.bucket.trim().is_empty() {
            return Err(Error::new(
                ErrorKind::InvalidInput,
                format!("destination '{name}' names no bucket to test: give it one first"),
            )
            .with_fix(Fix::EditDestination {
                destination: name.to_string(),
                setting: "bucket",
            }));
        }
        // Built afresh from defaults: capabilities remembered earlier must not hide a change.
        let mut fresh = destination.clone();
        fresh.capabilities = None;
        let steps_and_capabilities = match self.build(&fresh) {
            Ok(backend) => {
                // Once the server refused Content-MD5, the rest is tried without it, as
                // uploads would be.
                let without_md5 = |found: &Capabilities| {
                    let mut rebuilt = fresh.clone();
                    rebuilt.capabilities = Some(found.clone());
                    self.build(&rebuilt)
                };
                run(backend.as_ref(), &destination, &without_md5).await
            }
            Err(e) => {
                let name = match destination.kind {
                    DestinationKind::Local => "folder",
                    DestinationKind::S3 => "endpoint",
                };
                (
                    vec![ConnectionStep::failed(
                        name,
                        true,
                        Some(e.kind()),
                        e.message(),
                    )],
                    None,
                )
            }
        };
        let (steps, capabilities) = steps_and_capabilities;
        if let Some(found) = &capabilities {
            destination.capabilities = Some(found.clone());
            self.save(&destination)?;
            self.forget_backends(&destination.id);
        }
        Ok(ConnectionReport {
            destination: destination.name,
            steps,
            capabilities,
        })
    }
}

/// Builds the backend again with what the test found so far.
type Rebuild<'a> = dyn Fn(&Capabilities) -> Result<Arc<dyn Backend>> + Send + Sync + 'a;

/// The whole test against `backend`; stops after the first blocking failure.
async fn run(
    backend: &dyn Backend,
    destination: &Destination,
    rebuild: &Rebuild<'_>,
) -> (Vec<ConnectionStep>, Option<Capabilities>) {
    let mut steps = Vec::new();
    for step in backend.reachability().await {
        let stop = step.blocking && step.outcome != StepOutcome::Ok;
        steps.push(step);
        if stop {
            steps.push(ConnectionStep::skipped(access_step(destination), true));
            return (steps, None);
        }
    }
    let one = ListRequest {
        prefix: "",
        recursive: false,
        page: None,
        limit: 1,
    };
    match timed(backend.list(one)).await {
        Ok(_) => steps.push(ConnectionStep::ok(
            access_step(destination),
            true,
            match destination.kind {
                DestinationKind::S3 => format!(
                    "the key is accepted and bucket '{}' can be listed",
                    destination.bucket
                ),
                DestinationKind::Local => "the folder can be listed".into(),
            },
        )),
        Err(e) => {
            steps.push(access_failure(destination, &e));
            return (steps, None);
        }
    }
    let scratch = Scratch::new();
    let capabilities = match &scratch {
        Ok(scratch) => capabilities(backend, scratch, rebuild, &mut steps).await,
        Err(e) => {
            steps.push(ConnectionStep::failed(
                "write and read back",
                true,
                Some(e.kind()),
                e.message(),
            ));
            None
        }
    };
    // A folder keeps no server capabilities: only S3 servers differ in what they accept.
    let remembered = capabilities.filter(|_| destination.kind == DestinationKind::S3);
    (steps, remembered)
}

fn access_step(destination: &Destination) -> &'static str {
    match destination.kind {
        DestinationKind::S3 => "credentials and bucket",
        DestinationKind::Local => "read the folder",
    }
}

/// The failing listing as a step whose text names the fix for its kind.
fn access_failure(destination: &Destination, e: &Error) -> ConnectionStep {
    let fix = match e.kind() {
        ErrorKind::WrongRegion => {
            let region = match e.fix() {
                Some(Fix::UseRegion { region }) => region.as_str(),
                _ => "the bucket's region",
            };
            format!("set the destination's region to {region}")
        }
        ErrorKind::BadCredentials => "give the destination the right access key pair".into(),
        ErrorKind::NoSuchBucket => {
            "create the bucket, or point the destination at an existing one".into()
        }
        ErrorKind::ClockSkew => {
            "set this computer's clock right (turn on network time, NTP)".into()
        }
        ErrorKind::AccessDenied => format!(
            "give the key permission to list and write bucket '{}' (s3:ListBucket, \
             s3:PutObject, s3:GetObject, s3:AbortMultipartUpload); if the server says the \
             signature is invalid, the secret key is wrong: give the destination the right \
             key pair",
            destination.bucket
        ),
        _ => "see the message".into(),
    };
    ConnectionStep::failed(
        access_step(destination),
        true,
        Some(e.kind()),
        format!("{}: {fix}", e.message()),
    )
}

/// The local file every scratch upload sends (removed when dropped).
struct Scratch {
    file: tempfile::NamedTempFile,
    /// `.hoist-test/ID/`.
    prefix: String,
}

impl Scratch {
    fn new() -> Result<Scratch> {
        let mut file = tempfile::NamedTempFile::new().map_err(|e| {
            Error::new(
                ErrorKind::Local,
                format!("cannot write a scratch file in the temporary folder: {e}"),
            )
        })?;
        std::io::Write::write_all(&mut file, BODY).map_err(|e| {
            Error::new(
                ErrorKind::Local,
                format!("cannot write a scratch file: {e}"),
            )
        })?;
        let id = hex::encode(rand::random::<[u8; 6]>());
        Ok(Scratch {
            file,
            prefix: format!(".hoist-test/{id}/"),
        })
    }

    fn body(&self) -> PartBody {
        PartBody {
            path: self.file.path().to_path_buf(),
            offset: 0,
            length: BODY.len() as u64,
            progress: Arc::new(AtomicU64::new(0)),
            bytes: None,
        }
    }
}

/// Every check after access; records each as a step and always cleans up. `None` when the
/// scratch upload itself failed.
async fn capabilities(
    backend: &dyn Backend,
    scratch: &Scratch,
    rebuild: &Rebuild<'_>,
    steps: &mut Vec<ConnectionStep>,
) -> Option<Capabilities> {
    let mut caps = Capabilities {
        tested_at: crate::model::now(),
        multipart: false,
        list_parts: false,
        list_multipart_uploads: false,
        // A backend without optional headers sends none, so none can be refused.
        content_md5: true,
        checksum_headers: false,
        crc32c_checked: false,
        presign: false,
        acl: false,
    };
    let mut written: Vec<String> = Vec::new();
    let base = &scratch.prefix;

    if let Some(checks) = backend.feature_checks(base).await {
        for check in checks {
            let accepted = check.result.is_ok();
            match check.result {
                Ok(()) => {
                    written.push(check.key);
                    let found = match check.feature {
                        Feature::ChecksumHeaders => {
                            "accepted and checked (a wrong one is refused): uploads carry it \
                             instead of Content-MD5"
                        }
                        _ => "accepted",
                    };
                    steps.push(ConnectionStep::ok(check.feature.step_name(), false, found));
                }
                Err(e) => {
                    let consequence = match check.feature {
                        Feature::ContentMd5 => "Hoist stops sending it to this destination",
                        _ => "Hoist does not use it with this destination",
                    };
                    steps.push(ConnectionStep::failed(
                        check.feature.step_name(),
                        false,
                        Some(e.kind()),
                        format!("{}: {consequence}", e.message()),
                    ));
                }
            }
            match check.feature {
                Feature::ContentMd5 => caps.content_md5 = accepted,
                // The feature check also sent a wrong CRC32C, which had to be refused.
                Feature::ChecksumHeaders => {
                    caps.checksum_headers = accepted;
                    caps.crc32c_checked = accepted;
                }
                Feature::Acl => caps.acl = accepted,
            }
        }
    }

    let rebuilt;
    let backend: &dyn Backend = match caps.content_md5 {
        true => backend,
        false => match rebuild(&caps) {
            Ok(without_md5) => {
                rebuilt = without_md5;
                rebuilt.as_ref()
            }
            Err(_) => backend,
        },
    };

    let key = format!("{base}single");
    match put_and_read_back(backend, scratch, &key).await {
        Ok(()) => {
            written.push(key.clone());
            steps.push(ConnectionStep::ok(
                "write and read back",
                true,
                "a scratch object was uploaded and found with its size",
            ));
        }
        Err(e) => {
            steps.push(ConnectionStep::failed(
                "write and read back",
                true,
                Some(e.kind()),
                e.message(),
            ));
            clean_up(backend, base, &written, steps).await;
            // Nothing is remembered from a test that could not upload.
            return None;
        }
    }

    let key = format!("{base}multipart");
    match multipart(backend, scratch, &key).await {
        Ok(list_parts) => {
            written.push(key);
            caps.multipart = true;
            steps.push(ConnectionStep::ok("multipart upload", false, "accepted"));
            caps.list_parts = list_parts;
            steps.push(if list_parts {
                ConnectionStep::ok(
                    "ListParts",
                    false,
                    "resume can check which parts the server holds",
                )
            } else {
                ConnectionStep::failed(
                    "ListParts",
                    false,
                    Some(ErrorKind::Rejected),
                    "not supported: resume trusts Hoist's own record of finished parts",
                )
            });
        }
        Err(e) => steps.push(ConnectionStep::failed(
            "multipart upload",
            false,
            Some(e.kind()),
            format!(
                "{}: large files cannot be uploaded in parts here",
                e.message()
            ),
        )),
    }

    let key = format!("{base}pending");
    caps.list_multipart_uploads = match finds_incomplete_upload(backend, &key, base).await {
        Ok(true) => {
            steps.push(ConnectionStep::ok(
                "list incomplete uploads",
                false,
                "the clean-up can find abandoned uploads",
            ));
            true
        }
        Ok(false) => {
            steps.push(ConnectionStep::failed(
                "list incomplete uploads",
                false,
                Some(ErrorKind::Rejected),
                "not supported: the clean-up cannot find abandoned uploads here",
            ));
            false
        }
        Err(e) => {
            steps.push(ConnectionStep::failed(
                "list incomplete uploads",
                false,
                Some(e.kind()),
                e.message(),
            ));
            false
        }
    };

    caps.presign = match share_link_works(backend, &format!("{base}single")).await {
        None => false,
        Some(Ok(())) => {
            steps.push(ConnectionStep::ok(
                "share link",
                false,
                "a presigned GET URL works",
            ));
            true
        }
        Some(Err(why)) => {
            steps.push(ConnectionStep::failed(
                "share link",
                false,
                Some(ErrorKind::Rejected),
                why,
            ));
            false
        }
    };

    clean_up(backend, base, &written, steps).await;
    Some(caps)
}

async fn put_and_read_back(backend: &dyn Backend, scratch: &Scratch, key: &str) -> Result<()> {
    let digest = digest_range(scratch.file.path(), 0, BODY.len() as u64, Digests::MD5).await?;
    timed(backend.put_object(key, scratch.body(), digest)).await?;
    match timed(backend.head_object(key)).await? {
        Some(info) if info.size == BODY.len() as u64 => Ok(()),
        Some(info) => Err(Error::new(
            ErrorKind::Protocol,
            format!(
                "the scratch object came back with {} bytes instead of {}",
                info.size,
                BODY.len()
            ),
        )),
        None => Err(Error::new(
            ErrorKind::Protocol,
            "the scratch object was not found right after it was uploaded",
        )),
    }
}

/// Create, one part, ListParts, Complete (aborting on failure). Returns whether ListParts
/// showed the part.
async fn multipart(backend: &dyn Backend, scratch: &Scratch, key: &str) -> Result<bool> {
    let upload_id = timed(backend.create_multipart(key, None)).await?;
    let result = async {
        let digest = digest_range(scratch.file.path(), 0, BODY.len() as u64, Digests::MD5).await?;
        let part = timed(backend.upload_part(key, &upload_id, 1, scratch.body(), digest)).await?;
        let listed = timed(backend.list_parts(key, &upload_id)).await;
        let list_parts =
            matches!(&listed, Ok(Some(parts)) if parts.iter().any(|p| p.part_number == 1));
        timed(backend.complete_multipart(key, &upload_id, &[part])).await?;
        Ok(list_parts)
    }
    .await;
    if result.is_err() {
        let _ = timed(backend.abort_multipart(key, &upload_id)).await;
    }
    result
}

/// Starts an upload, looks for it among the incomplete ones under `base`, aborts it.
async fn finds_incomplete_upload(backend: &dyn Backend, key: &str, base: &str) -> Result<bool> {
    let upload_id = timed(backend.create_multipart(key, None)).await?;
    let listed = timed(backend.list_multipart_uploads(base)).await;
    timed(backend.abort_multipart(key, &upload_id)).await?;
    Ok(matches!(listed?, Some(uploads) if uploads.iter().any(|u| u.upload_id == upload_id)))
}

/// `None` when the backend has no share links; else whether a GET of one returns the bytes.
async fn share_link_works(
    backend: &dyn Backend,
    key: &str,
) -> Option<std::result::Result<(), String>> {
    let url = match timed(backend.share_url(key, Duration::from_secs(300))).await {
        Ok(Some(url)) => url,
        Ok(None) => return None,
        Err(e) => return Some(Err(e.message().to_string())),
    };
    // Errors are described without their URL: a presigned one carries the access key id.
    let fetched = async {
        let http = crate::http::client(STEP_TIMEOUT).map_err(crate::http::describe)?;
        let response = http.get(&url).send().await.map_err(crate::http::describe)?;
        let status = response.status();
        let body = response.bytes().await.map_err(crate::http::describe)?;
        if status.is_success() && body.as_ref() == BODY {
            Ok(())
        } else {
            Err(format!("a GET of the share link answered {status}"))
        }
    };
    Some(fetched.await)
}

async fn clean_up(
    backend: &dyn Backend,
    base: &str,
    written: &[String],
    steps: &mut Vec<ConnectionStep>,
) {
    let mut left = Vec::new();
    for key in written {
        if timed(backend.delete_object(key)).await.is_err() {
            left.push(key.clone());
        }
    }
    steps.push(if left.is_empty() {
        ConnectionStep::ok(
            "clean-up",
            false,
            format!("the scratch objects under {base} were deleted"),
        )
    } else {
        ConnectionStep::failed(
            "clean-up",
            false,
            Some(ErrorKind::AccessDenied),
            format!("could not delete {}: remove them by hand", left.join(", ")),
        )
    });
}

/// One request of the test, given at most [`STEP_TIMEOUT`].
async fn timed<T>(request: impl Future<Output = Result<T>>) -> Result<T> {
    tokio::time::timeout(STEP_TIMEOUT, request)
        .await
        .unwrap_or_else(|_| {
            Err(Error::new(
                ErrorKind::Unreachable,
                format!("no answer within {} s", STEP_TIMEOUT.as_secs()),
            ))
        })
}
