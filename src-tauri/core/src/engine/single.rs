//! Files up to the multipart threshold: one PUT with the integrity value the server checks
//! (CRC32C where it checks that, else Content-MD5). An answer that echoes that CRC32C, or
//! whose ETag is the MD5 of the bytes sent, proves what the server stored; only an answer with
//! neither (an SSE-KMS object's ETag is no MD5, some servers give none) is verified by a HEAD.

use super::job::{JobContext, Step, stat};
use crate::backend::{Digests, PartBody, SMALL_BODY, digest_range, is_md5_etag, read_small};
use crate::digest::ObjectChecksum;
use crate::error::{Error, ErrorKind, Result};
use crate::model::Fingerprint;

pub(crate) async fn put(ctx: &JobContext, fingerprint: Fingerprint) -> Result<Step> {
    let key = ctx.job.key.as_str();
    let path = &ctx.job.path;
    let size = fingerprint.size;
    let (info, digest) = ctx
        .call("uploading", || async move {
            let digests = Digests::sent_with(ctx.backend.upload_checksum());
            let (digest, bytes) = match size <= SMALL_BODY {
                true => {
                    let (digest, bytes) = read_small(path, size, digests).await?;
                    (digest, Some(bytes))
                }
                false => (digest_range(path, 0, size, digests).await?, None),
            };
            let body = PartBody {
                path: path.clone(),
                offset: 0,
                length: size,
                progress: ctx.counters.start(0),
                bytes,
            };
            let info = ctx.backend.put_object(key, body, digest).await?;
            Ok((info, digest))
        })
        .await?;
    let other_bytes = |what: String| {
        Err(Error::new(
            ErrorKind::Protocol,
            format!("the server stored other bytes for {key} ({what})"),
        ))
    };
    let mut proven = false;
    if let Some(md5) = digest.md5_hex()
        && let Some(etag) = info.etag.as_deref().filter(|e| is_md5_etag(e))
    {
        if etag != md5 {
            return other_bytes(format!("ETag {etag}"));
        }
        proven = true;
    }
    if let (Some(sent), Some(ObjectChecksum::Full(stored))) = (digest.crc32c, info.checksum)
        && stored.algorithm == sent.algorithm
    {
        if stored != sent {
            return other_bytes(format!("{stored}, the file has {sent}"));
        }
        proven = true;
    }
    ctx.counters.finish(0, size);
    if stat(path).await? != fingerprint {
        return Ok(Step::Again(format!(
            "{} changed while it was uploaded",
            path.display()
        )));
    }
    if !proven {
        ctx.verify(size, digest.md5_hex().as_deref()).await?;
    }
    Ok(Step::Done)
}
