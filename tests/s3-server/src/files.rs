//! Request bodies to files: streaming writes with MD5/CRC32C, integrity checks, helpers.
//!
//! A body is written through a 1 MiB buffer while its MD5 (always) and CRC32C (when the client
//! sent one) are computed, then compared with `Content-MD5` / `x-amz-checksum-crc32c` (header
//! or aws-chunked trailer): a mismatch is 400 BadDigest and the file is removed.

use std::io;
use std::path::{Path, PathBuf};

use bytes::Bytes;
use futures_util::{Stream, StreamExt};
use md5::{Digest, Md5};
use s3s::{S3Error, S3ErrorCode, S3Result, StdError, s3_error};
use tokio::io::{AsyncWriteExt, BufWriter};

/// Integrity values the client sent with a body.
#[derive(Debug, Default)]
pub(crate) struct Expected {
    pub md5: Option<[u8; 16]>,
    pub crc32c: Option<u32>,
    /// aws-chunked bodies may carry `x-amz-checksum-crc32c` as a trailer.
    pub trailers: Option<s3s::TrailingHeaders>,
}

/// A body written to disk.
pub(crate) struct Written {
    pub path: PathBuf,
    pub size: u64,
    pub md5: [u8; 16],
    pub crc32c: u32,
}

/// Streams a body to `path`, then checks the integrity values the client sent; the file is
/// removed when anything fails.
pub(crate) async fn write_verified(
    path: PathBuf,
    body: Option<s3s::dto::StreamingBlob>,
    expected: Expected,
) -> S3Result<Written> {
    let want_crc = expected.crc32c.is_some() || expected.trailers.is_some();
    let written = match write_file(&path, body, want_crc).await {
        Ok(w) => w,
        Err(e) => {
            remove_file(&path);
            return Err(e);
        }
    };
    let trailer_crc = match (&expected.crc32c, &expected.trailers) {
        (None, Some(trailers)) => match trailers
            .read(|h| h.get("x-amz-checksum-crc32c").cloned())
            .flatten()
        {
            Some(v) => Some(
                parse_crc32c(v.to_str().unwrap_or(""))
                    .inspect_err(|_| remove_file(&written.path))?,
            ),
            None => None,
        },
        _ => None,
    };
    if expected.md5.is_some_and(|m| m != written.md5) {
        remove_file(&written.path);
        return Err(s3_error!(
            BadDigest,
            "The Content-MD5 you specified did not match what we received."
        ));
    }
    if expected
        .crc32c
        .or(trailer_crc)
        .is_some_and(|c| c != written.crc32c)
    {
        remove_file(&written.path);
        return Err(s3_error!(
            BadDigest,
            "The CRC32C you specified did not match the calculated checksum."
        ));
    }
    Ok(written)
}

/// Writes a body to `path`, computing its MD5 (and its CRC32C when `crc` is set).
async fn write_file<S>(path: &Path, body: Option<S>, crc: bool) -> S3Result<Written>
where
    S: Stream<Item = Result<Bytes, StdError>> + Unpin,
{
    let file = tokio::fs::File::create(path)
        .await
        .map_err(S3Error::internal_error)?;
    let mut out = BufWriter::with_capacity(1 << 20, file);
    let mut md5 = Md5::new();
    let mut crc32c = 0u32;
    let mut size = 0u64;
    if let Some(mut body) = body {
        while let Some(chunk) = body.next().await {
            let chunk = chunk.map_err(body_error)?;
            md5.update(&chunk);
            if crc {
                crc32c = crc32c::crc32c_append(crc32c, &chunk);
            }
            size += chunk.len() as u64;
            out.write_all(&chunk)
                .await
                .map_err(S3Error::internal_error)?;
        }
    }
    out.flush().await.map_err(S3Error::internal_error)?;
    Ok(Written {
        path: path.to_owned(),
        size,
        md5: md5.finalize().into(),
        crc32c,
    })
}

/// Maps a failure while reading a request body (s3s wraps signature checks around it).
fn body_error(e: StdError) -> S3Error {
    let text = e.to_string();
    if text.contains("Sha256Mismatch") {
        let code =
            S3ErrorCode::from_bytes(b"XAmzContentSHA256Mismatch").unwrap_or(S3ErrorCode::BadDigest);
        let mut err = S3Error::with_source(code, e);
        err.set_message(
            "The provided 'x-amz-content-sha256' header does not match what was computed.",
        );
        err.set_status_code(http::StatusCode::BAD_REQUEST);
        return err;
    }
    let code = if text.contains("Signature") {
        S3ErrorCode::SignatureDoesNotMatch
    } else {
        S3ErrorCode::IncompleteBody
    };
    S3Error::with_source(code, e)
}

/// Reads and discards a body, so that an early error answer reaches the client.
pub(crate) async fn drain(body: Option<s3s::dto::StreamingBlob>) {
    if let Some(mut body) = body {
        while let Some(Ok(_)) = body.next().await {}
    }
}

pub(crate) fn concat_files(dest: &Path, sources: &[PathBuf]) -> io::Result<()> {
    let mut out = std::fs::File::create(dest)?;
    for source in sources {
        io::copy(&mut std::fs::File::open(source)?, &mut out)?;
    }
    Ok(())
}

pub(crate) fn remove_file(path: &Path) {
    let _ = std::fs::remove_file(path);
}

pub(crate) fn base64_encode(bytes: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

fn base64_decode(s: &str) -> Option<Vec<u8>> {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD
        .decode(s.trim())
        .ok()
}

/// Parses a `Content-MD5` value (base64 of 16 bytes).
pub(crate) fn parse_content_md5(s: &str) -> S3Result<[u8; 16]> {
    base64_decode(s)
        .and_then(|v| <[u8; 16]>::try_from(v).ok())
        .ok_or_else(|| s3_error!(InvalidDigest, "The Content-MD5 you specified was invalid."))
}

/// Parses an `x-amz-checksum-crc32c` value (base64 of the big-endian CRC).
pub(crate) fn parse_crc32c(s: &str) -> S3Result<u32> {
    base64_decode(s)
        .and_then(|v| <[u8; 4]>::try_from(v).ok())
        .map(u32::from_be_bytes)
        .ok_or_else(|| {
            s3_error!(
                InvalidRequest,
                "Value for x-amz-checksum-crc32c header is invalid."
            )
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digests_parse() {
        assert_eq!(
            parse_content_md5("1B2M2Y8AsgTpgAmY7PhCfg==").unwrap(),
            <[u8; 16]>::try_from(hex::decode("d41d8cd98f00b204e9800998ecf8427e").unwrap()).unwrap()
        );
        assert!(parse_content_md5("nope").is_err());
        assert_eq!(
            parse_crc32c(&base64_encode(&0xE306_9283u32.to_be_bytes())).unwrap(),
            0xE306_9283
        );
        assert_eq!(crc32c::crc32c(b"123456789"), 0xE306_9283);
    }
}
