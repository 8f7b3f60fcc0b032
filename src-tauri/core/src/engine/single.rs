//! Files up to the multipart threshold: one PUT with Content-MD5. An answer whose ETag is the
//! MD5 of the bytes sent proves what the server stored; only an answer without one (an
//! SSE-KMS object's ETag is no MD5, some servers give none) is verified by a HEAD.

use super::{JobContext, Step, is_md5_etag, stat};
use crate::backend::{PartBody, digest_range};
use crate::error::{Error, ErrorKind, Result};
use crate::model::Fingerprint;

pub(crate) async fn put(ctx: &JobContext, fingerprint: Fingerprint) -> Result<Step> {
    let key = ctx.job.key.as_str();
    let path = &ctx.job.path;
    let size = fingerprint.size;
    let (info, digest) = ctx
        .call("uploading", || async move {
            let digest = digest_range(path, 0, size).await?;
            let body = PartBody {
                path: path.clone(),
                offset: 0,
                length: size,
                progress: ctx.counters.start(0),
            };
            let info = ctx.backend.put_object(key, body, digest).await?;
            Ok((info, digest))
        })
        .await?;
    let proven = match info.etag.as_deref().filter(|e| is_md5_etag(e)) {
        Some(etag) if etag != digest.md5_hex() => {
            return Err(Error::new(
                ErrorKind::Protocol,
                format!("the server stored other bytes for {key} (ETag {etag})"),
            ));
        }
        Some(_) => true,
        None => false,
    };
    ctx.counters.finish(0, size);
    if stat(path).await? != fingerprint {
        return Ok(Step::Again(format!(
            "{} changed while it was uploaded",
            path.display()
        )));
    }
    if !proven {
        ctx.verify(size, &digest.md5_hex()).await?;
    }
    Ok(Step::Done)
}
