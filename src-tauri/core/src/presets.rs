//! Provider presets: what `hoist destination add --provider P` fills in (endpoint, region, addressing
//! style, integrity header, multipart constraints), checked against each provider's documentation.
//!
//! A pure module: no I/O, no network. [`resolve`] turns a [`Provider`] and what the user typed
//! ([`PresetInput`]) into a [`Resolved`] destination. An endpoint or region given explicitly always
//! wins over the preset's; every value that ends up in a URL is validated first, so a region or
//! account id cannot inject a host, path or query into it.
//!
//! # Where each rule comes from
//!
//! Checked on 2026-11-22 against stored copies of these pages; providers change their documents,
//! so re-check before relying on a detail not covered by a test.
//!
//! - **AWS** (`aws`): regional endpoint `https://s3.<region>.amazonaws.com`, both addressing
//!   styles accepted, virtual-hosted style is the one AWS recommends ("Amazon S3 endpoints and
//!   quotas", <https://docs.aws.amazon.com/general/latest/gr/s3.html>; "Virtual hosting of
//!   general purpose buckets",
//!   <https://docs.aws.amazon.com/AmazonS3/latest/userguide/VirtualHosting.html>).
//!   The China regions (`cn-north-1`, `cn-northwest-1`) use the `amazonaws.com.cn` domain
//!   (<https://docs.amazonaws.cn/en_us/AmazonS3/latest/userguide/VirtualHosting.html>). Parts are
//!   5 MiB to 5 GiB, at most 10,000 ("Amazon S3 multipart upload limits",
//!   <https://docs.aws.amazon.com/AmazonS3/latest/userguide/qfacts.html>).
//! - **Cloudflare R2** (`r2`): "S3 API compatibility",
//!   <https://developers.cloudflare.com/r2/api/s3/api/>: endpoint
//!   `https://<ACCOUNT_ID>.r2.cloudflarestorage.com`; the region is `auto` (an empty region and
//!   `us-east-1` alias to it); `Content-MD5` is implemented on PutObject, CreateMultipartUpload
//!   and UploadPart; of the flexible checksums only CRC-64/NVME (full object) and
//!   CRC32/CRC32C/SHA-1/SHA-256 (composite) are listed. The R2 SDK examples warn that newer AWS
//!   SDK default checksum behaviour "could be incompatible with R2" and recommend
//!   `WhenRequired` (<https://developers.cloudflare.com/r2/examples/aws/aws-sdk-rust/>), which is
//!   what Hoist's S3 backend uses. "Multipart upload"
//!   (<https://developers.cloudflare.com/r2/objects/multipart-objects/>): parts at least 5 MiB,
//!   at most 5 GiB, **all parts but the last the same size**, the last not larger. Buckets in a
//!   jurisdiction need `https://<ACCOUNT_ID>.<eu|fedramp>.r2.cloudflarestorage.com` ("Data
//!   location", <https://developers.cloudflare.com/r2/reference/data-location/>): pass it as
//!   `--endpoint`, which is why `--account-id` is only required when no endpoint is given.
//!   Both addressing styles work (the docs show path-style and virtual-hosted presigned URLs);
//!   the preset uses path style.
//! - **DigitalOcean Spaces** (`spaces`): "Spaces API Reference",
//!   <https://docs.digitalocean.com/reference/api/spaces/>: endpoint
//!   `${REGION}.digitaloceanspaces.com`, SigV4 credential scope `.../${REGION_SLUG}/s3/...`, so
//!   the region is the datacenter slug. Slugs with Spaces ("Spaces Availability",
//!   <https://docs.digitalocean.com/products/spaces/details/availability/>): nyc3, ams3, sfo2,
//!   sfo3, sgp1, lon1, fra1, tor1, blr1, syd1, atl1. "Spaces Limits"
//!   (<https://docs.digitalocean.com/products/spaces/details/limits/>): path-style and
//!   virtual-hosted requests both work for the API; wildcard TLS certificates do not match bucket
//!   names containing a period; parts at least 5 MiB except the last, at most 10,000 (that
//!   paragraph of the page as quoted in pglombardo/PasswordPusher#1895); unfinished multipart
//!   uploads are deleted after 30 days.
//! - **MinIO** (`minio`): self-hosted, so no default endpoint. A MinIO maintainer's answer
//!   (<https://github.com/minio/minio/discussions/15997>): the region is `us-east-1` "unless you
//!   override it when you start MinIO", and clients should use path style.
//! - **Backblaze B2** (`b2`): "Introduction to the S3-Compatible API",
//!   <https://www.backblaze.com/apidocs/introduction-to-the-s3-compatible-api>: the bucket's
//!   endpoint is `s3.<region>.backblazeb2.com` with a region like `us-west-004`, one region per
//!   account. "Call the S3-Compatible API"
//!   (<https://www.backblaze.com/docs/cloud-storage-call-the-s3-compatible-api>): HTTPS only, both
//!   `bucket.s3.<region>.backblazeb2.com` and `s3.<region>.backblazeb2.com/bucket` are valid. The
//!   `x-amz-checksum-*` and `x-amz-sdk-checksum-algorithm` headers are listed as unsupported
//!   ("S3-Compatible API", Unsupported Features,
//!   <https://www.backblaze.com/docs/cloud-storage-s3-compatible-api>) and are answered 400
//!   `InvalidArgument: Unsupported header ...` (e.g. stonith404/pingvin-share#798,
//!   home-assistant/core#143995); `Content-MD5` is accepted.
//! - **Wasabi** (`wasabi`): "Service URLs for Wasabi's Storage Regions",
//!   <https://docs.wasabi.com/docs/service-urls-for-wasabis-storage-regions>:
//!   `s3.<region>.wasabisys.com`, except US East 1, whose service URL is `s3.wasabisys.com`
//!   (`s3.us-east-1.wasabisys.com` is an alias). "Host Designation"
//!   (<https://docs.wasabi.com/docs/rest-api-introduction>): both styles are supported and
//!   Wasabi recommends path style.
//! - **Garage** (`garage`): self-hosted, so no default endpoint. "Configuration file format"
//!   (`doc/book/reference-manual/configuration.md` in the Garage repository, published under
//!   <https://garagehq.deuxfleurs.fr/>): requests must be signed for the `s3_region` of
//!   `garage.toml` (others fail with `AuthorizationHeaderMalformed`); its example configuration
//!   uses `s3_region = "garage"`, and "Integrations"
//!   (<https://garagehq.deuxfleurs.fr/connect/index.html>) says the region "is often set just
//!   to garage" and to force path style. Path-style is always enabled, virtual-hosted only with
//!   `root_domain` configured ("S3 Compatibility status",
//!   <https://garagehq.deuxfleurs.fr/reference_manual/s3_compatibility.html>). `"garage"` is a
//!   convention, not a built-in default: pass the `s3_region` of your `garage.toml`. Garage
//!   documents no minimum part size; the S3 5 MiB is used.
//! - **Generic** (`generic`): any other S3-compatible server; endpoint required, `us-east-1`
//!   (the S3 default) and path style, which self-hosted servers support without wildcard DNS.
//!
//! Integrity headers (sent as headers with values computed before sending; no aws-chunked bodies
//! or trailers, which R2, B2 and Garage reject in some variant): AWS checks
//! `x-amz-checksum-crc32c` ("Checking object integrity" in the S3 user guide), Garage 2.5 does
//! too (measured here: a wrong one is answered 400 InvalidDigest, and the composite checksum
//! of a multipart upload is kept), so those presets ask for [`ChecksumPolicy::Crc32c`], which
//! costs a few hundredths of a CPU-second per GiB where MD5 costs ~1.7 s. The others ask for
//! `Content-MD5`, the original S3 header: R2 lists it as implemented (CRC32C only as a
//! composite multipart checksum), B2 accepts it while rejecting the flexible
//! `x-amz-checksum-*` headers. A connection test replaces the preset's choice with what it
//! finds (CRC32C wherever the server refuses a wrong one).

use crate::error::{Error, ErrorKind, Fix, Result};

/// The multipart minimum part size (except the last part) of every provider here: 5 MiB.
pub const MIN_PART_SIZE: u64 = 5 * 1024 * 1024;

/// A storage provider with a preset. `Generic` is any other S3-compatible server.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum Provider {
    Aws,
    R2,
    Spaces,
    Minio,
    B2,
    Wasabi,
    Garage,
    Generic,
}

impl Provider {
    pub const ALL: [Provider; 8] = [
        Provider::Aws,
        Provider::R2,
        Provider::Spaces,
        Provider::Minio,
        Provider::B2,
        Provider::Wasabi,
        Provider::Garage,
        Provider::Generic,
    ];

    /// The name `--provider` takes (and the serde form): `aws`, `r2`, `spaces`, ...
    pub fn name(self) -> &'static str {
        match self {
            Provider::Aws => "aws",
            Provider::R2 => "r2",
            Provider::Spaces => "spaces",
            Provider::Minio => "minio",
            Provider::B2 => "b2",
            Provider::Wasabi => "wasabi",
            Provider::Garage => "garage",
            Provider::Generic => "generic",
        }
    }

    /// The inverse of [`Provider::name`], ignoring ASCII case and surrounding whitespace.
    pub fn parse(s: &str) -> Option<Provider> {
        let s = s.trim();
        Provider::ALL
            .into_iter()
            .find(|p| p.name().eq_ignore_ascii_case(s))
    }

    /// The provider's name as people write it, for messages.
    fn title(self) -> &'static str {
        match self {
            Provider::Aws => "AWS S3",
            Provider::R2 => "R2",
            Provider::Spaces => "Spaces",
            Provider::Minio => "MinIO",
            Provider::B2 => "B2",
            Provider::Wasabi => "Wasabi",
            Provider::Garage => "Garage",
            Provider::Generic => "a generic S3 server",
        }
    }
}

impl std::fmt::Display for Provider {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// What the user gave on the command line / in the form.
#[derive(Debug, Clone, Default)]
pub struct PresetInput {
    pub region: Option<String>,
    pub endpoint: Option<String>,
    pub account_id: Option<String>,
}

/// What a preset resolves to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resolved {
    /// The S3 API URL, normalised (lower-case scheme, no trailing `/`). Always `Some` from
    /// [`resolve`]: AWS gets its explicit regional URL too.
    pub endpoint: Option<String>,
    /// The region requests are signed for.
    pub region: String,
    /// Address buckets as `ENDPOINT/BUCKET` instead of `BUCKET.ENDPOINT`.
    pub path_style: bool,
    /// The integrity header to send with each PUT and part.
    pub checksums: ChecksumPolicy,
    /// All parts but the last must have the same size (R2).
    pub equal_part_sizes: bool,
    /// The smallest part (except the last) the provider accepts, in bytes.
    pub min_part_size: u64,
}

/// Which integrity header to send with uploaded bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChecksumPolicy {
    /// `Content-MD5` on every PutObject and UploadPart.
    ContentMd5,
    /// `x-amz-checksum-crc32c` (not accepted by B2; composite-only on R2).
    Crc32c,
    /// No integrity header.
    None,
}

/// The integrity header a destination made from `provider`'s preset sends with its bytes
/// until a connection test says what the server checks. Every provider here accepts
/// `Content-MD5`; AWS and Garage check CRC32C.
pub fn checksum_policy(provider: Provider) -> ChecksumPolicy {
    match provider {
        Provider::Aws | Provider::Garage => ChecksumPolicy::Crc32c,
        Provider::R2
        | Provider::Spaces
        | Provider::Minio
        | Provider::B2
        | Provider::Wasabi
        | Provider::Generic => ChecksumPolicy::ContentMd5,
    }
}

/// A new destination's endpoint, region and addressing from what the user gave, the one rule
/// for the CLI and the window: the provider's preset when one is named; otherwise the endpoint
/// as given (checked like a preset's; none means AWS) and the region (default `us-east-1`).
pub fn connection(
    provider: Option<Provider>,
    input: &PresetInput,
    path_style: bool,
) -> Result<(Option<String>, String, bool)> {
    if let Some(provider) = provider {
        let preset = resolve(provider, input)?;
        return Ok((
            preset.endpoint,
            preset.region,
            preset.path_style || path_style,
        ));
    }
    if input.account_id.is_some() {
        return Err(invalid(
            "an account id is only used with the r2 provider".to_owned(),
        ));
    }
    let endpoint = input.endpoint.as_deref().map(endpoint_url).transpose()?;
    let region = match input.region.as_deref() {
        Some(region) => label("the region", region)?,
        None => "us-east-1".to_owned(),
    };
    Ok((endpoint, region, path_style))
}

/// Checks an endpoint URL the way presets do (see [`resolve`]); returns it normalised.
pub fn check_endpoint(value: &str) -> Result<String> {
    endpoint_url(value)
}

/// Checks a region the way presets do: one hostname label (it is put into host names).
pub fn check_region(value: &str) -> Result<String> {
    label("the region", value)
}

/// Fills in the preset for `provider` from `input`. An explicit endpoint or region wins over the
/// preset's; a missing required value, a malformed endpoint, or a region / account id that is
/// not a plain hostname label is [`ErrorKind::InvalidInput`] with a message naming the flag.
pub fn resolve(provider: Provider, input: &PresetInput) -> Result<Resolved> {
    let endpoint = input.endpoint.as_deref().map(endpoint_url).transpose()?;
    let region = input
        .region
        .as_deref()
        .map(|r| label("the region", r))
        .transpose()?;
    let account_id = input
        .account_id
        .as_deref()
        .map(|a| label("the account id", a))
        .transpose()?;
    if account_id.is_some() && provider != Provider::R2 {
        return Err(invalid(format!(
            "the account id is only used with the r2 provider, not with {provider}"
        )));
    }

    let base = Resolved {
        endpoint: None,
        region: String::new(),
        path_style: true,
        checksums: checksum_policy(provider),
        equal_part_sizes: false,
        min_part_size: MIN_PART_SIZE,
    };
    let resolved = match provider {
        Provider::Aws => {
            let region = region.unwrap_or_else(|| "us-east-1".to_owned());
            // The China regions live under their own domain.
            let domain = if region.starts_with("cn-") {
                "amazonaws.com.cn"
            } else {
                "amazonaws.com"
            };
            Resolved {
                endpoint: Some(endpoint.unwrap_or_else(|| format!("https://s3.{region}.{domain}"))),
                region,
                path_style: false,
                ..base
            }
        }
        Provider::R2 => {
            let endpoint =
                match (endpoint, account_id) {
                    (Some(endpoint), _) => endpoint,
                    (None, Some(account)) => format!("https://{account}.r2.cloudflarestorage.com"),
                    (None, None) => {
                        return Err(invalid(
                        "the account id is required for R2: find it in the Cloudflare dashboard \
                         (it is the first part of the bucket's S3 API URL, \
                         https://ACCOUNT_ID.r2.cloudflarestorage.com); for a bucket in a \
                         jurisdiction set the endpoint to \
                         https://ACCOUNT_ID.eu.r2.cloudflarestorage.com instead",
                    )
                    .with_fix(Fix::Give { setting: "account-id" }));
                    }
                };
            if is_r2_host(&endpoint) && has_path(&endpoint) {
                return Err(invalid(format!(
                    "the endpoint {endpoint}: leave the bucket out of the R2 endpoint (use \
                     https://ACCOUNT_ID.r2.cloudflarestorage.com) and give it as the bucket"
                )));
            }
            Resolved {
                endpoint: Some(endpoint),
                region: region.unwrap_or_else(|| "auto".to_owned()),
                path_style: true,
                equal_part_sizes: true,
                ..base
            }
        }
        Provider::Spaces => {
            let region = region.ok_or_else(|| {
                invalid(
                    "the region is required for Spaces: the datacenter of the Space, e.g. nyc3, \
                     ams3, sfo3, sgp1, fra1 (the first part of its endpoint, \
                     REGION.digitaloceanspaces.com)",
                )
                .with_fix(Fix::Give { setting: "region" })
            })?;
            Resolved {
                endpoint: Some(
                    endpoint.unwrap_or_else(|| format!("https://{region}.digitaloceanspaces.com")),
                ),
                region,
                path_style: false,
                ..base
            }
        }
        Provider::B2 => {
            let region = region.ok_or_else(|| {
                invalid(
                    "the region is required for B2: the region in the bucket's endpoint \
                     s3.REGION.backblazeb2.com, e.g. us-west-004 (shown with the bucket in the \
                     Backblaze web console)",
                )
                .with_fix(Fix::Give { setting: "region" })
            })?;
            Resolved {
                endpoint: Some(
                    endpoint.unwrap_or_else(|| format!("https://s3.{region}.backblazeb2.com")),
                ),
                region,
                path_style: false,
                ..base
            }
        }
        Provider::Wasabi => {
            let region = region.unwrap_or_else(|| "us-east-1".to_owned());
            let default = if region == "us-east-1" {
                "https://s3.wasabisys.com".to_owned()
            } else {
                format!("https://s3.{region}.wasabisys.com")
            };
            Resolved {
                endpoint: Some(endpoint.unwrap_or(default)),
                region,
                path_style: true,
                ..base
            }
        }
        Provider::Minio | Provider::Garage | Provider::Generic => {
            let (example, default_region) = match provider {
                Provider::Minio => ("http://127.0.0.1:9000", "us-east-1"),
                Provider::Garage => ("http://127.0.0.1:3900", "garage"),
                _ => ("https://s3.example.com", "us-east-1"),
            };
            let endpoint = endpoint.ok_or_else(|| {
                invalid(format!(
                    "the endpoint is required for {}: the server's S3 API URL, e.g. {example}",
                    provider.title()
                ))
                .with_fix(Fix::Give {
                    setting: "endpoint",
                })
            })?;
            Resolved {
                endpoint: Some(endpoint),
                region: region.unwrap_or_else(|| default_region.to_owned()),
                path_style: true,
                ..base
            }
        }
    };
    Ok(resolved)
}

fn invalid(message: impl Into<String>) -> Error {
    Error::new(ErrorKind::InvalidInput, message)
}

/// A region or account id: one hostname label (1 to 63 ASCII letters, digits and hyphens, not
/// starting or ending with a hyphen), so it can be put into a host name safely.
fn label(setting: &str, value: &str) -> Result<String> {
    let v = value.trim();
    let ok = !v.is_empty()
        && v.len() <= 63
        && v.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
        && !v.starts_with('-')
        && !v.ends_with('-');
    if ok {
        Ok(v.to_owned())
    } else {
        Err(invalid(format!(
            "{setting} {value:?} is not valid: use only letters, digits and hyphens (at most 63, \
             not starting or ending with a hyphen)"
        )))
    }
}

/// Checks an endpoint: `http` or `https`, a host (name, IPv4 or bracketed IPv6) with an optional
/// port, an optional path; no user info, query or fragment. Returns it with a lower-case scheme
/// and without trailing slashes.
fn endpoint_url(value: &str) -> Result<String> {
    let v = value.trim();
    let bad = |why: &str| {
        invalid(format!(
            "the endpoint {value:?} is not valid: {why} (expected e.g. https://s3.example.com or \
             http://127.0.0.1:9000)"
        ))
    };
    let (scheme, rest) = match v.split_once("://") {
        Some((s, rest)) if s.eq_ignore_ascii_case("https") => ("https", rest),
        Some((s, rest)) if s.eq_ignore_ascii_case("http") => ("http", rest),
        _ => return Err(bad("it must start with http:// or https://")),
    };
    if !v.is_ascii()
        || v.bytes()
            .any(|b| b.is_ascii_whitespace() || b.is_ascii_control())
    {
        return Err(bad(
            "it must be ASCII without spaces (write international names in punycode)",
        ));
    }
    if rest.contains(['?', '#']) {
        return Err(bad("it must not have a query or fragment"));
    }
    let (authority, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    if authority.contains('@') {
        return Err(bad(
            "it must not contain a user name or password (keys are asked for separately)",
        ));
    }
    let (host, port) = if let Some(inner) = authority.strip_prefix('[') {
        let (addr, after) = inner
            .split_once(']')
            .ok_or_else(|| bad("an IPv6 address must be closed with ]"))?;
        let addr_ok = !addr.is_empty()
            && addr.contains(':')
            && addr
                .bytes()
                .all(|b| b.is_ascii_hexdigit() || b == b':' || b == b'.');
        if !addr_ok {
            return Err(bad("the IPv6 address is malformed"));
        }
        match after {
            "" => (addr, None),
            _ => match after.strip_prefix(':') {
                Some(port) => (addr, Some(port)),
                None => return Err(bad("unexpected text after the IPv6 address")),
            },
        }
    } else {
        match authority.split_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (authority, None),
        }
    };
    if host.is_empty() {
        return Err(bad("it has no host"));
    }
    if !authority.starts_with('[') {
        let host_ok = host
            .split('.')
            .all(|l| !l.is_empty() && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-'));
        if !host_ok {
            return Err(bad("the host name is malformed"));
        }
    }
    if let Some(port) = port {
        let port_ok = !port.is_empty()
            && port.bytes().all(|b| b.is_ascii_digit())
            && port.parse::<u16>().is_ok_and(|p| p != 0);
        if !port_ok {
            return Err(bad("the port must be a number from 1 to 65535"));
        }
    }
    Ok(format!(
        "{scheme}://{authority}{}",
        path.trim_end_matches('/')
    ))
}

fn host_of(url: &str) -> &str {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    let authority = rest.split('/').next().unwrap_or(rest);
    authority.split(':').next().unwrap_or(authority)
}

fn is_r2_host(url: &str) -> bool {
    host_of(url)
        .to_ascii_lowercase()
        .ends_with(".r2.cloudflarestorage.com")
}

fn has_path(url: &str) -> bool {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    rest.contains('/')
}

#[cfg(test)]
mod tests;
