//! The S3 side of `hoist profile test`: reachability (DNS, TCP, TLS), credentials and bucket
//! access, then what the server accepts, tried on scratch objects under `.hoist-probe/ID/` that
//! are deleted afterwards (also when a check fails). Each failure's text names the fix.

use super::S3Backend;
use crate::error::{Error, ErrorKind, Result};
use crate::options::Capabilities;
use crate::probe::ProbeStep;
use aws_sdk_s3::presigning::PresigningConfig;
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{CompletedMultipartUpload, CompletedPart, ObjectCannedAcl};
use md5::{Digest, Md5};
use std::time::Duration;

const STEP_TIMEOUT: Duration = Duration::from_secs(30);
const BODY: &[u8] = b"Hoist connection test: this object is deleted right away.";

type Put = aws_sdk_s3::operation::put_object::builders::PutObjectFluentBuilder;
/// Adds the header one PutObject check is about.
type WithHeader = Box<dyn FnOnce(Put) -> Put + Send>;

/// CRC32C (Castagnoli), bitwise: the probe sends one tiny body.
fn crc32c(bytes: &[u8]) -> u32 {
    let mut crc = !0u32;
    for byte in bytes {
        crc ^= u32::from(*byte);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0x82F6_3B78
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

fn b64(bytes: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

impl S3Backend {
    /// Runs every check; stops after the first blocking failure.
    pub(crate) async fn probe(&self, profile: &str) -> (Vec<ProbeStep>, Option<Capabilities>) {
        let mut steps = Vec::new();
        for step in super::reach::reachability(&self.endpoint, profile).await {
            let stop = step.outcome != crate::probe::StepOutcome::Ok;
            steps.push(step);
            if stop {
                steps.push(ProbeStep::skipped("credentials and bucket", true));
                return (steps, None);
            }
        }
        let listed = self
            .send(
                "ListObjectsV2",
                STEP_TIMEOUT,
                self.client
                    .list_objects_v2()
                    .bucket(&self.bucket)
                    .max_keys(1)
                    .send(),
            )
            .await;
        match listed {
            Ok(_) => steps.push(ProbeStep::ok(
                "credentials and bucket",
                true,
                format!(
                    "the key is accepted and bucket '{}' can be listed",
                    self.bucket
                ),
            )),
            Err(e) => {
                steps.push(self.access_failure(profile, &e));
                return (steps, None);
            }
        }
        let (capability_steps, capabilities) = self.capabilities().await;
        steps.extend(capability_steps);
        (steps, Some(capabilities))
    }

    /// The failing ListObjectsV2 as a step whose text names the fix for its kind.
    fn access_failure(&self, profile: &str, e: &Error) -> ProbeStep {
        let fix = match e.kind() {
            ErrorKind::WrongRegion => {
                // AWS names the right region ("server says R", or "expecting 'R'").
                let message = e.message();
                let region = message
                    .split("server says ")
                    .nth(1)
                    .and_then(|rest| rest.split(')').next())
                    .or_else(|| {
                        message
                            .split("expecting '")
                            .nth(1)
                            .and_then(|rest| rest.split('\'').next())
                    })
                    // Garage: "expected: 'DATE/REGION/s3/aws4_request'".
                    .or_else(|| {
                        message
                            .split("expected: '")
                            .nth(1)
                            .and_then(|scope| scope.split('/').nth(1))
                    })
                    .unwrap_or("REGION");
                format!("`hoist profile edit {profile} --region {region}`")
            }
            ErrorKind::BadCredentials => {
                format!("set the right key pair with `hoist profile edit {profile} --keys`")
            }
            ErrorKind::NoSuchBucket => format!(
                "create the bucket, or point the profile at an existing one with \
                 `hoist profile edit {profile} --bucket NAME`"
            ),
            ErrorKind::ClockSkew => {
                "set this computer's clock right (turn on network time, NTP)".into()
            }
            ErrorKind::AccessDenied => format!(
                "give the key permission to list and write bucket '{}' (s3:ListBucket, \
                 s3:PutObject, s3:GetObject, s3:AbortMultipartUpload); if the server says the \
                 signature is invalid, the secret key is wrong: `hoist profile edit {profile} \
                 --keys`",
                self.bucket
            ),
            _ => "see the message".into(),
        };
        ProbeStep::failed(
            "credentials and bucket",
            true,
            Some(e.kind()),
            format!("{}: {fix}", e.message()),
        )
    }

    /// Tries each feature on scratch objects; always cleans up.
    async fn capabilities(&self) -> (Vec<ProbeStep>, Capabilities) {
        let base = format!(".hoist-probe/{}", hex::encode(rand::random::<[u8; 6]>()));
        let mut caps = Capabilities {
            tested_at: crate::model::now(),
            ..Capabilities::default()
        };
        let mut steps = Vec::new();
        let mut keys = Vec::new();
        let md5: [u8; 16] = Md5::digest(BODY).into();

        let tries: [(&str, &str, WithHeader); 3] = [
            (
                "md5",
                "Content-MD5 header",
                Box::new(move |p| p.content_md5(b64(&md5))),
            ),
            (
                "crc32c",
                "x-amz-checksum-crc32c header",
                Box::new(|p| p.checksum_crc32_c(b64(&crc32c(BODY).to_be_bytes()))),
            ),
            (
                "acl",
                "canned ACL",
                Box::new(|p| p.acl(ObjectCannedAcl::Private)),
            ),
        ];
        let mut accepted = [false; 3];
        for (i, (name, step, header)) in tries.into_iter().enumerate() {
            let key = format!("{base}/{name}");
            let put = self.client.put_object().bucket(&self.bucket).key(&key);
            let sent = header(put).body(ByteStream::from_static(BODY)).send();
            let result = self.send("PutObject", STEP_TIMEOUT, sent).await.map(drop);
            accepted[i] = self.record(&mut steps, step, result, &mut keys, &key);
        }
        [caps.content_md5, caps.checksum_headers, caps.acl] = accepted;

        let key = format!("{base}/multipart");
        let (multipart, list_parts) = self.try_multipart(&key, caps.content_md5).await;
        caps.multipart = self.record(&mut steps, "multipart upload", multipart, &mut keys, &key);
        caps.list_parts = match list_parts {
            Some(ok) => {
                steps.push(if ok {
                    ProbeStep::ok(
                        "ListParts",
                        false,
                        "resume can check which parts the server holds",
                    )
                } else {
                    ProbeStep::failed(
                        "ListParts",
                        false,
                        Some(ErrorKind::Rejected),
                        "not supported: resume trusts Hoist's own record of finished parts",
                    )
                });
                ok
            }
            None => false,
        };

        let key = format!("{base}/pending");
        let listed = self.try_list_uploads(&key, &base).await;
        caps.list_multipart_uploads = match listed {
            Ok(true) => {
                steps.push(ProbeStep::ok(
                    "list incomplete uploads",
                    false,
                    "`hoist cleanup` can find abandoned uploads",
                ));
                true
            }
            Ok(false) => {
                steps.push(ProbeStep::failed(
                    "list incomplete uploads",
                    false,
                    Some(ErrorKind::Rejected),
                    "not supported: `hoist cleanup` cannot find abandoned uploads here",
                ));
                false
            }
            Err(e) => {
                steps.push(ProbeStep::failed(
                    "list incomplete uploads",
                    false,
                    Some(e.kind()),
                    e.message(),
                ));
                false
            }
        };

        let presign_key = keys.first().cloned();
        caps.presign = match presign_key {
            Some(key) => match self.try_presign(&key).await {
                Ok(()) => {
                    steps.push(ProbeStep::ok(
                        "presigned URL",
                        false,
                        "a presigned GET URL works",
                    ));
                    true
                }
                Err(why) => {
                    steps.push(ProbeStep::failed(
                        "presigned URL",
                        false,
                        Some(ErrorKind::Rejected),
                        why,
                    ));
                    false
                }
            },
            None => false,
        };

        let mut left = Vec::new();
        for key in &keys {
            let deleted = self
                .send(
                    "DeleteObject",
                    STEP_TIMEOUT,
                    self.client
                        .delete_object()
                        .bucket(&self.bucket)
                        .key(key)
                        .send(),
                )
                .await;
            if deleted.is_err() {
                left.push(key.clone());
            }
        }
        steps.push(if left.is_empty() {
            ProbeStep::ok(
                "clean-up",
                false,
                format!("the scratch objects under {base}/ were deleted"),
            )
        } else {
            ProbeStep::failed(
                "clean-up",
                false,
                Some(ErrorKind::AccessDenied),
                format!("could not delete {}: remove them by hand", left.join(", ")),
            )
        });
        (steps, caps)
    }

    fn record(
        &self,
        steps: &mut Vec<ProbeStep>,
        name: &str,
        result: Result<()>,
        keys: &mut Vec<String>,
        key: &str,
    ) -> bool {
        match result {
            Ok(()) => {
                keys.push(key.to_string());
                steps.push(ProbeStep::ok(name, false, "accepted"));
                true
            }
            Err(e) => {
                let what = match name {
                    "Content-MD5 header" => ": Hoist stops sending it to this destination",
                    "multipart upload" => ": large files cannot be uploaded in parts here",
                    _ => ": Hoist does not use it with this destination",
                };
                steps.push(ProbeStep::failed(
                    name,
                    false,
                    Some(e.kind()),
                    format!("{}{what}", e.message()),
                ));
                false
            }
        }
    }

    /// Create, one part, ListParts, complete. Returns (multipart works, ListParts works).
    async fn try_multipart(&self, key: &str, with_md5: bool) -> (Result<()>, Option<bool>) {
        let created = self
            .send(
                "CreateMultipartUpload",
                STEP_TIMEOUT,
                self.client
                    .create_multipart_upload()
                    .bucket(&self.bucket)
                    .key(key)
                    .send(),
            )
            .await;
        let upload_id = match created.map(|o| o.upload_id().unwrap_or_default().to_string()) {
            Ok(id) if !id.is_empty() => id,
            Ok(_) => {
                return (
                    Err(self.protocol("CreateMultipartUpload", "no upload id")),
                    None,
                );
            }
            Err(e) => return (Err(e), None),
        };
        let md5: [u8; 16] = Md5::digest(BODY).into();
        let part = self
            .client
            .upload_part()
            .bucket(&self.bucket)
            .key(key)
            .upload_id(&upload_id)
            .part_number(1)
            .set_content_md5(with_md5.then(|| b64(&md5)))
            .body(ByteStream::from_static(BODY))
            .send();
        let etag = match self.send("UploadPart", STEP_TIMEOUT, part).await {
            Ok(out) => out.e_tag().unwrap_or_default().to_string(),
            Err(e) => {
                let _ = self.abort_quietly(key, &upload_id).await;
                return (Err(e), None);
            }
        };
        let listed = self
            .answer(
                "ListParts",
                STEP_TIMEOUT,
                self.client
                    .list_parts()
                    .bucket(&self.bucket)
                    .key(key)
                    .upload_id(&upload_id)
                    .send(),
            )
            .await;
        let list_parts = matches!(&listed, Ok(Ok(out)) if !out.parts().is_empty());
        let done = CompletedMultipartUpload::builder()
            .parts(CompletedPart::builder().part_number(1).e_tag(etag).build())
            .build();
        let completed = self
            .send(
                "CompleteMultipartUpload",
                STEP_TIMEOUT,
                self.client
                    .complete_multipart_upload()
                    .bucket(&self.bucket)
                    .key(key)
                    .upload_id(&upload_id)
                    .multipart_upload(done)
                    .send(),
            )
            .await;
        if completed.is_err() {
            let _ = self.abort_quietly(key, &upload_id).await;
        }
        (completed.map(drop), Some(list_parts))
    }

    /// Starts an upload, looks for it in ListMultipartUploads, aborts it.
    async fn try_list_uploads(&self, key: &str, base: &str) -> Result<bool> {
        let created = self
            .send(
                "CreateMultipartUpload",
                STEP_TIMEOUT,
                self.client
                    .create_multipart_upload()
                    .bucket(&self.bucket)
                    .key(key)
                    .send(),
            )
            .await?;
        let upload_id = created.upload_id().unwrap_or_default().to_string();
        let listed = self
            .answer(
                "ListMultipartUploads",
                STEP_TIMEOUT,
                self.client
                    .list_multipart_uploads()
                    .bucket(&self.bucket)
                    .prefix(base)
                    .send(),
            )
            .await?;
        self.abort_quietly(key, &upload_id).await?;
        Ok(
            matches!(listed, Ok(out) if out.uploads().iter().any(|u| u.upload_id() == Some(upload_id.as_str()))),
        )
    }

    async fn abort_quietly(&self, key: &str, upload_id: &str) -> Result<()> {
        self.send(
            "AbortMultipartUpload",
            STEP_TIMEOUT,
            self.client
                .abort_multipart_upload()
                .bucket(&self.bucket)
                .key(key)
                .upload_id(upload_id)
                .send(),
        )
        .await
        .map(drop)
    }

    async fn try_presign(&self, key: &str) -> std::result::Result<(), String> {
        let config =
            PresigningConfig::expires_in(Duration::from_secs(300)).map_err(|e| e.to_string())?;
        let request = self
            .client
            .get_object()
            .bucket(&self.bucket)
            .key(key)
            .presigned(config)
            .await
            .map_err(|e| e.to_string())?;
        // Errors are described without their URL: a presigned one carries the access key id.
        let http = crate::http::client(STEP_TIMEOUT).map_err(crate::http::describe)?;
        let response = http
            .get(request.uri())
            .send()
            .await
            .map_err(crate::http::describe)?;
        let status = response.status();
        let body = response.bytes().await.map_err(crate::http::describe)?;
        if status.is_success() && body.as_ref() == BODY {
            Ok(())
        } else {
            Err(format!("a presigned GET answered {status}"))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crc32c_matches_the_published_check_value() {
        // The CRC-32C check value of "123456789" (RFC 3720, appendix B.4).
        assert_eq!(crc32c(b"123456789"), 0xE306_9283);
    }
}
