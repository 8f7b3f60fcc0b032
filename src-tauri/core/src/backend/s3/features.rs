//! The S3 part of a connection test that only S3 has: which optional headers the server
//! accepts (Content-MD5, a CRC32C checksum header, a canned ACL), each tried with one PUT of a
//! scratch object. The rest of the test goes through the [`crate::backend::Backend`] trait (see
//! [`crate::destinations::checks`]).

use super::S3Backend;
use crate::connection::{Feature, FeatureCheck};
use crate::digest::{Checksum, ChecksumAlgorithm};
use crate::error::{Error, ErrorKind, Result};
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::ObjectCannedAcl;
use md5::{Digest, Md5};
use std::time::Duration;

const STEP_TIMEOUT: Duration = Duration::from_secs(30);
const BODY: &[u8] = b"Hoist connection test: this object is deleted right away.";

type Put = aws_sdk_s3::operation::put_object::builders::PutObjectFluentBuilder;

/// The CRC32C of `bytes`, as the engine computes it.
fn crc32c(bytes: &[u8]) -> u32 {
    Checksum::of(ChecksumAlgorithm::Crc32c, bytes).value as u32
}

fn b64(bytes: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

impl S3Backend {
    /// One PUT per feature under `scratch`; each scratch key is returned for clean-up.
    pub(super) async fn try_features(&self, scratch: &str) -> Vec<FeatureCheck> {
        let md5: [u8; 16] = Md5::digest(BODY).into();
        let mut checks = Vec::new();
        for feature in [Feature::ContentMd5, Feature::ChecksumHeaders, Feature::Acl] {
            let name = match feature {
                Feature::ContentMd5 => "md5",
                Feature::ChecksumHeaders => "crc32c",
                Feature::Acl => "acl",
            };
            let key = format!("{scratch}{name}");
            let put = self.client.put_object().bucket(&self.bucket).key(&key);
            let put: Put = match feature {
                Feature::ContentMd5 => put.content_md5(b64(&md5)),
                Feature::ChecksumHeaders => put.checksum_crc32_c(b64(&crc32c(BODY).to_be_bytes())),
                Feature::Acl => put.acl(ObjectCannedAcl::Private),
            };
            let sent = put.body(ByteStream::from_static(BODY)).send();
            let mut result: Result<()> = self.send("PutObject", STEP_TIMEOUT, sent).await.map(drop);
            if feature == Feature::ChecksumHeaders && result.is_ok() {
                result = self.refuses_a_wrong_crc32c(&key).await;
            }
            checks.push(FeatureCheck {
                feature,
                result,
                key,
            });
        }
        checks
    }

    /// Uploads with CRC32C rely on the server checking it: a PUT whose CRC32C is wrong must be
    /// refused (AWS: 400 BadDigest; Garage: InvalidDigest), else the header is only accepted.
    async fn refuses_a_wrong_crc32c(&self, key: &str) -> Result<()> {
        let wrong = crc32c(BODY) ^ 1;
        let sent = self
            .client
            .put_object()
            .bucket(&self.bucket)
            .key(key)
            .checksum_crc32_c(b64(&wrong.to_be_bytes()))
            .body(ByteStream::from_static(BODY))
            .send();
        match self.answer("PutObject", STEP_TIMEOUT, sent).await? {
            Err(e) if e.raw_response().is_some_and(|r| r.status().as_u16() == 400) => Ok(()),
            Err(e) => Err(self.classify("PutObject", false, e)),
            Ok(_) => Err(Error::new(
                ErrorKind::Protocol,
                "the server stored a body whose x-amz-checksum-crc32c was wrong: it does not check it",
            )),
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
