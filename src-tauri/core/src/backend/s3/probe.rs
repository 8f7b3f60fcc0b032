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
        for step in self.reachability(profile).await {
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

    /// DNS, TCP and (for https) TLS, each with its own message.
    async fn reachability(&self, profile: &str) -> Vec<ProbeStep> {
        let edit = format!("`hoist profile edit {profile} --endpoint URL`");
        let url = match reqwest::Url::parse(&self.endpoint) {
            Ok(url) => url,
            Err(e) => {
                return vec![ProbeStep::failed(
                    "endpoint",
                    true,
                    Some(ErrorKind::InvalidInput),
                    format!("'{}' is not a URL ({e}): fix it with {edit}", self.endpoint),
                )];
            }
        };
        let host = url.host_str().unwrap_or_default().to_string();
        let port = url.port_or_known_default().unwrap_or(443);
        let mut steps = Vec::new();
        let lookup = tokio::time::timeout(
            Duration::from_secs(10),
            tokio::net::lookup_host((host.as_str(), port)),
        )
        .await;
        let addrs: Vec<std::net::SocketAddr> = match lookup {
            Ok(Ok(addrs)) => addrs.collect(),
            Ok(Err(e)) => {
                steps.push(ProbeStep::failed(
                    "DNS",
                    true,
                    Some(ErrorKind::Unreachable),
                    format!(
                        "cannot resolve '{host}' ({e}): check the host name in the endpoint \
                         ({edit}) and this computer's DNS and network"
                    ),
                ));
                return steps;
            }
            Err(_) => {
                steps.push(ProbeStep::failed(
                    "DNS",
                    true,
                    Some(ErrorKind::Unreachable),
                    format!("resolving '{host}' took over 10 s: check this computer's DNS"),
                ));
                return steps;
            }
        };
        let found = match (host.parse::<std::net::IpAddr>(), addrs.first()) {
            (Ok(_), _) => format!("{host} is an IP address: nothing to resolve"),
            (Err(_), Some(addr)) => format!("{host} resolves to {}", addr.ip()),
            (Err(_), None) => format!("{host} resolves to no address"),
        };
        steps.push(ProbeStep::ok("DNS", true, found));
        let connected = match addrs.first() {
            Some(addr) => tokio::time::timeout(
                Duration::from_secs(10),
                tokio::net::TcpStream::connect(addr),
            )
            .await
            .map_err(|_| "no answer within 10 s".to_string())
            .and_then(|r| r.map_err(|e| e.to_string())),
            None => Err("the name has no address".into()),
        };
        if let Err(why) = connected {
            steps.push(ProbeStep::failed(
                "connection",
                true,
                Some(ErrorKind::Unreachable),
                format!(
                    "nothing answers at {host}:{port} ({why}): check the port in the endpoint \
                     ({edit}), that the server runs, and firewalls"
                ),
            ));
            return steps;
        }
        steps.push(ProbeStep::ok(
            "connection",
            true,
            format!("{host}:{port} accepts connections"),
        ));
        if url.scheme() == "https" {
            steps.push(tls_check(&self.endpoint, &host, &edit).await);
        }
        steps
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
            tested_at: crate::store::now(),
            ..Capabilities::default()
        };
        let mut steps = Vec::new();
        let mut keys = Vec::new();
        let md5: [u8; 16] = Md5::digest(BODY).into();

        let key = format!("{base}/md5");
        let put = self.client.put_object().bucket(&self.bucket).key(&key);
        let result = self
            .send(
                "PutObject",
                STEP_TIMEOUT,
                put.content_md5(b64(&md5))
                    .body(ByteStream::from_static(BODY))
                    .send(),
            )
            .await;
        caps.content_md5 = self.record(
            &mut steps,
            "Content-MD5 header",
            result.map(drop),
            &mut keys,
            &key,
        );

        let key = format!("{base}/crc32c");
        let put = self.client.put_object().bucket(&self.bucket).key(&key);
        let result = self
            .send(
                "PutObject",
                STEP_TIMEOUT,
                put.checksum_crc32_c(b64(&crc32c(BODY).to_be_bytes()))
                    .body(ByteStream::from_static(BODY))
                    .send(),
            )
            .await;
        caps.checksum_headers = self.record(
            &mut steps,
            "x-amz-checksum-crc32c header",
            result.map(drop),
            &mut keys,
            &key,
        );

        let key = format!("{base}/acl");
        let put = self.client.put_object().bucket(&self.bucket).key(&key);
        let result = self
            .send(
                "PutObject",
                STEP_TIMEOUT,
                put.acl(ObjectCannedAcl::Private)
                    .body(ByteStream::from_static(BODY))
                    .send(),
            )
            .await;
        caps.acl = self.record(&mut steps, "canned ACL", result.map(drop), &mut keys, &key);

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
        let http = reqwest::Client::builder()
            .timeout(STEP_TIMEOUT)
            .build()
            .map_err(|e| e.to_string())?;
        let response = http
            .get(request.uri())
            .send()
            .await
            .map_err(|e| e.to_string())?;
        let status = response.status();
        let body = response.bytes().await.map_err(|e| e.to_string())?;
        if status.is_success() && body.as_ref() == BODY {
            Ok(())
        } else {
            Err(format!("a presigned GET answered {status}"))
        }
    }
}

/// An HTTPS request to the endpoint: any HTTP answer proves the TLS handshake.
async fn tls_check(endpoint: &str, host: &str, edit: &str) -> ProbeStep {
    let client = match reqwest::Client::builder().timeout(STEP_TIMEOUT).build() {
        Ok(client) => client,
        Err(e) => return ProbeStep::failed("TLS", true, Some(ErrorKind::Local), e.to_string()),
    };
    match client.head(endpoint).send().await {
        Ok(_) => ProbeStep::ok("TLS", true, format!("the certificate of {host} is valid")),
        Err(e) => {
            let mut why = e.to_string();
            let mut source = std::error::Error::source(&e);
            while let Some(inner) = source {
                why = format!("{why}: {inner}");
                source = inner.source();
            }
            ProbeStep::failed(
                "TLS",
                true,
                Some(ErrorKind::Unreachable),
                format!(
                    "the TLS handshake with {host} failed ({why}): if the server speaks plain \
                     HTTP, use an http:// endpoint; if its certificate is self-signed or expired, \
                     fix the certificate ({edit})"
                ),
            )
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
