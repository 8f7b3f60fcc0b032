//! Provider presets: what `hoist profile add --provider P` fills in (endpoint, region, addressing
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
//! Every preset asks for `Content-MD5`, the original S3 integrity header: R2 lists it as
//! implemented, B2 accepts it while rejecting the flexible `x-amz-checksum-*` headers, Garage
//! checks it, and it is the only one Hoist's engine sends (no aws-chunked bodies or trailers).
//! CRC32C would be accepted by AWS (and by R2 only as a composite multipart checksum), so no
//! preset asks for [`ChecksumPolicy::Crc32c`] yet.

use crate::error::{Error, ErrorKind, Result};

/// The multipart minimum part size (except the last part) of every provider here: 5 MiB.
pub const MIN_PART_SIZE: u64 = 5 * 1024 * 1024;

/// A storage provider with a preset. `Generic` is any other S3-compatible server.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
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

/// Fills in the preset for `provider` from `input`. An explicit endpoint or region wins over the
/// preset's; a missing required value, a malformed endpoint, or a region / account id that is
/// not a plain hostname label is [`ErrorKind::InvalidInput`] with a message naming the flag.
pub fn resolve(provider: Provider, input: &PresetInput) -> Result<Resolved> {
    let endpoint = input.endpoint.as_deref().map(endpoint_url).transpose()?;
    let region = input
        .region
        .as_deref()
        .map(|r| label("--region", r))
        .transpose()?;
    let account_id = input
        .account_id
        .as_deref()
        .map(|a| label("--account-id", a))
        .transpose()?;
    if account_id.is_some() && provider != Provider::R2 {
        return Err(invalid(format!(
            "--account-id is only used with --provider r2, not with {provider}"
        )));
    }

    let base = Resolved {
        endpoint: None,
        region: String::new(),
        path_style: true,
        checksums: ChecksumPolicy::ContentMd5,
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
            let endpoint = match (endpoint, account_id) {
                (Some(endpoint), _) => endpoint,
                (None, Some(account)) => format!("https://{account}.r2.cloudflarestorage.com"),
                (None, None) => {
                    return Err(invalid(
                        "--account-id is required for R2: find it in the Cloudflare dashboard \
                         (it is the first part of the bucket's S3 API URL, \
                         https://ACCOUNT_ID.r2.cloudflarestorage.com); for a bucket in a \
                         jurisdiction pass --endpoint \
                         https://ACCOUNT_ID.eu.r2.cloudflarestorage.com instead",
                    ));
                }
            };
            if is_r2_host(&endpoint) && has_path(&endpoint) {
                return Err(invalid(format!(
                    "--endpoint {endpoint}: leave the bucket out of the R2 endpoint (use \
                     https://ACCOUNT_ID.r2.cloudflarestorage.com) and pass it as --bucket"
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
                    "--region is required for Spaces: the datacenter of the Space, e.g. nyc3, \
                     ams3, sfo3, sgp1, fra1 (the first part of its endpoint, \
                     REGION.digitaloceanspaces.com)",
                )
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
                    "--region is required for B2: the region in the bucket's endpoint \
                     s3.REGION.backblazeb2.com, e.g. us-west-004 (shown with the bucket in the \
                     Backblaze web console)",
                )
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
                    "--endpoint is required for {}: the server's S3 API URL, e.g. {example}",
                    provider.title()
                ))
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
fn label(flag: &str, value: &str) -> Result<String> {
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
            "{flag} {value:?} is not valid: use only letters, digits and hyphens (at most 63, \
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
            "--endpoint {value:?} is not valid: {why} (expected e.g. https://s3.example.com or \
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
mod tests {
    use super::*;

    fn input(region: Option<&str>, endpoint: Option<&str>, account: Option<&str>) -> PresetInput {
        PresetInput {
            region: region.map(str::to_owned),
            endpoint: endpoint.map(str::to_owned),
            account_id: account.map(str::to_owned),
        }
    }

    fn ok(provider: Provider, i: PresetInput) -> Resolved {
        match resolve(provider, &i) {
            Ok(r) => r,
            Err(e) => panic!("{provider} {i:?}: {e}"),
        }
    }

    fn err(provider: Provider, i: PresetInput) -> Error {
        match resolve(provider, &i) {
            Ok(r) => panic!("{provider} {i:?} resolved to {r:?}"),
            Err(e) => {
                assert_eq!(e.kind(), ErrorKind::InvalidInput, "{e}");
                e
            }
        }
    }

    fn endpoint(r: &Resolved) -> &str {
        r.endpoint.as_deref().expect("endpoint")
    }

    const ACCOUNT: &str = "023e105f4ecef8ad9ca31a8372d0c353";

    #[test]
    fn names_parse_back_case_insensitively_and_match_serde() {
        for p in Provider::ALL {
            assert_eq!(Provider::parse(p.name()), Some(p));
            assert_eq!(Provider::parse(&p.name().to_ascii_uppercase()), Some(p));
            assert_eq!(Provider::parse(&format!(" {} ", p.name())), Some(p));
            assert_eq!(
                serde_json::to_string(&p).unwrap(),
                format!("\"{}\"", p.name())
            );
            assert_eq!(p.to_string(), p.name());
        }
        assert_eq!(Provider::parse("R2"), Some(Provider::R2));
        assert_eq!(Provider::parse("MinIO"), Some(Provider::Minio));
        assert_eq!(Provider::parse("s3"), None);
        assert_eq!(Provider::parse(""), None);
        let names: Vec<_> = Provider::ALL.iter().map(|p| p.name()).collect();
        assert_eq!(
            names,
            [
                "aws", "r2", "spaces", "minio", "b2", "wasabi", "garage", "generic"
            ]
        );
    }

    #[test]
    fn aws_defaults_to_us_east_1_virtual_hosted() {
        let r = ok(Provider::Aws, input(None, None, None));
        assert_eq!(
            r,
            Resolved {
                endpoint: Some("https://s3.us-east-1.amazonaws.com".into()),
                region: "us-east-1".into(),
                path_style: false,
                checksums: ChecksumPolicy::ContentMd5,
                equal_part_sizes: false,
                min_part_size: 5 * 1024 * 1024,
            }
        );
        let r = ok(Provider::Aws, input(Some("eu-west-1"), None, None));
        assert_eq!(endpoint(&r), "https://s3.eu-west-1.amazonaws.com");
        assert_eq!(r.region, "eu-west-1");
    }

    #[test]
    fn aws_china_regions_use_the_cn_domain() {
        let r = ok(Provider::Aws, input(Some("cn-north-1"), None, None));
        assert_eq!(endpoint(&r), "https://s3.cn-north-1.amazonaws.com.cn");
        let r = ok(Provider::Aws, input(Some("cn-northwest-1"), None, None));
        assert_eq!(endpoint(&r), "https://s3.cn-northwest-1.amazonaws.com.cn");
    }

    #[test]
    fn r2_builds_the_account_endpoint_with_region_auto_and_equal_parts() {
        let r = ok(Provider::R2, input(None, None, Some(ACCOUNT)));
        assert_eq!(
            r,
            Resolved {
                endpoint: Some(format!("https://{ACCOUNT}.r2.cloudflarestorage.com")),
                region: "auto".into(),
                path_style: true,
                checksums: ChecksumPolicy::ContentMd5,
                equal_part_sizes: true,
                min_part_size: 5 * 1024 * 1024,
            }
        );
    }

    #[test]
    fn r2_requires_an_account_id_unless_an_endpoint_is_given() {
        let e = err(Provider::R2, input(None, None, None));
        assert!(
            e.message().starts_with(
                "--account-id is required for R2: find it in the Cloudflare dashboard"
            ),
            "{e}"
        );
        // A jurisdiction endpoint carries the account id itself.
        let eu = format!("https://{ACCOUNT}.eu.r2.cloudflarestorage.com");
        let r = ok(Provider::R2, input(None, Some(&eu), None));
        assert_eq!(endpoint(&r), eu);
        assert_eq!(r.region, "auto");
        assert!(r.equal_part_sizes);
    }

    #[test]
    fn r2_endpoint_with_the_bucket_in_it_is_refused() {
        let e = err(
            Provider::R2,
            input(
                None,
                Some(&format!(
                    "https://{ACCOUNT}.r2.cloudflarestorage.com/photos"
                )),
                None,
            ),
        );
        assert!(e.message().contains("--bucket"), "{e}");
        // A trailing slash alone is not a bucket.
        let r = ok(
            Provider::R2,
            input(
                None,
                Some(&format!("https://{ACCOUNT}.r2.cloudflarestorage.com/")),
                None,
            ),
        );
        assert_eq!(
            endpoint(&r),
            format!("https://{ACCOUNT}.r2.cloudflarestorage.com")
        );
    }

    #[test]
    fn spaces_uses_the_region_slug() {
        let r = ok(Provider::Spaces, input(Some("nyc3"), None, None));
        assert_eq!(endpoint(&r), "https://nyc3.digitaloceanspaces.com");
        assert_eq!(r.region, "nyc3");
        assert!(!r.path_style);
        assert!(!r.equal_part_sizes);
        let r = ok(Provider::Spaces, input(Some("fra1"), None, None));
        assert_eq!(endpoint(&r), "https://fra1.digitaloceanspaces.com");
        let e = err(Provider::Spaces, input(None, None, None));
        assert!(
            e.message().starts_with("--region is required for Spaces"),
            "{e}"
        );
    }

    #[test]
    fn minio_needs_an_endpoint_and_defaults_to_us_east_1_path_style() {
        let e = err(Provider::Minio, input(None, None, None));
        assert!(
            e.message().starts_with("--endpoint is required for MinIO"),
            "{e}"
        );
        let r = ok(
            Provider::Minio,
            input(None, Some("http://127.0.0.1:9000"), None),
        );
        assert_eq!(endpoint(&r), "http://127.0.0.1:9000");
        assert_eq!(r.region, "us-east-1");
        assert!(r.path_style);
    }

    #[test]
    fn b2_uses_the_s3_region_endpoint() {
        let r = ok(Provider::B2, input(Some("us-west-004"), None, None));
        assert_eq!(endpoint(&r), "https://s3.us-west-004.backblazeb2.com");
        assert_eq!(r.region, "us-west-004");
        assert_eq!(r.checksums, ChecksumPolicy::ContentMd5);
        let r = ok(Provider::B2, input(Some("eu-central-003"), None, None));
        assert_eq!(endpoint(&r), "https://s3.eu-central-003.backblazeb2.com");
        let e = err(Provider::B2, input(None, None, None));
        assert!(
            e.message().starts_with("--region is required for B2"),
            "{e}"
        );
    }

    #[test]
    fn wasabi_us_east_1_is_the_bare_service_url() {
        let r = ok(Provider::Wasabi, input(None, None, None));
        assert_eq!(endpoint(&r), "https://s3.wasabisys.com");
        assert_eq!(r.region, "us-east-1");
        assert!(r.path_style);
        let r = ok(Provider::Wasabi, input(Some("us-east-1"), None, None));
        assert_eq!(endpoint(&r), "https://s3.wasabisys.com");
        let r = ok(Provider::Wasabi, input(Some("eu-central-1"), None, None));
        assert_eq!(endpoint(&r), "https://s3.eu-central-1.wasabisys.com");
        assert_eq!(r.region, "eu-central-1");
        let r = ok(Provider::Wasabi, input(Some("ap-southeast-2"), None, None));
        assert_eq!(endpoint(&r), "https://s3.ap-southeast-2.wasabisys.com");
    }

    #[test]
    fn garage_needs_an_endpoint_and_defaults_to_region_garage() {
        let e = err(Provider::Garage, input(None, None, None));
        assert!(
            e.message().starts_with("--endpoint is required for Garage"),
            "{e}"
        );
        let r = ok(
            Provider::Garage,
            input(None, Some("http://127.0.0.1:3900"), None),
        );
        assert_eq!(endpoint(&r), "http://127.0.0.1:3900");
        assert_eq!(r.region, "garage");
        assert!(r.path_style);
    }

    #[test]
    fn generic_needs_an_endpoint_and_defaults_to_us_east_1_path_style() {
        let e = err(Provider::Generic, input(None, None, None));
        assert!(e.message().starts_with("--endpoint is required"), "{e}");
        let r = ok(
            Provider::Generic,
            input(None, Some("https://storage.example.net"), None),
        );
        assert_eq!(endpoint(&r), "https://storage.example.net");
        assert_eq!(r.region, "us-east-1");
        assert!(r.path_style);
    }

    #[test]
    fn every_preset_sends_content_md5_and_5_mib_parts_and_only_r2_needs_equal_parts() {
        for p in Provider::ALL {
            let r = ok(
                p,
                PresetInput {
                    region: Some("nyc3".into()),
                    endpoint: Some("https://s3.example.com".into()),
                    account_id: None,
                },
            );
            assert_eq!(r.checksums, ChecksumPolicy::ContentMd5, "{p}");
            assert_eq!(r.min_part_size, MIN_PART_SIZE, "{p}");
            assert_eq!(r.equal_part_sizes, p == Provider::R2, "{p}");
            assert!(r.endpoint.is_some(), "{p}");
        }
    }

    #[test]
    fn an_explicit_endpoint_wins_over_every_preset() {
        let custom = "https://s3.dualstack.example.org:8443/base";
        for p in Provider::ALL {
            let r = ok(p, input(Some("us-west-004"), Some(custom), None));
            assert_eq!(endpoint(&r), custom, "{p}");
            assert_eq!(r.region, "us-west-004", "{p}");
        }
        // Also when the provider would build it from an account id.
        let r = ok(
            Provider::R2,
            input(None, Some("https://r2.example.net"), Some(ACCOUNT)),
        );
        assert_eq!(endpoint(&r), "https://r2.example.net");
    }

    #[test]
    fn an_explicit_region_wins_over_every_default() {
        for p in [
            Provider::Aws,
            Provider::R2,
            Provider::Minio,
            Provider::Wasabi,
            Provider::Garage,
            Provider::Generic,
        ] {
            let r = ok(
                p,
                input(Some("eu-west-2"), Some("http://10.0.0.5:9000"), None),
            );
            assert_eq!(r.region, "eu-west-2", "{p}");
        }
        let r = ok(Provider::R2, input(Some("us-east-1"), None, Some(ACCOUNT)));
        assert_eq!(r.region, "us-east-1");
        assert_eq!(
            endpoint(&r),
            format!("https://{ACCOUNT}.r2.cloudflarestorage.com")
        );
        let r = ok(
            Provider::Garage,
            input(Some("us-east-1"), Some("http://g:3900"), None),
        );
        assert_eq!(r.region, "us-east-1");
        // The region shapes the preset's endpoint.
        let r = ok(Provider::Aws, input(Some("ap-south-1"), None, None));
        assert_eq!(endpoint(&r), "https://s3.ap-south-1.amazonaws.com");
    }

    #[test]
    fn regions_and_account_ids_must_be_plain_labels() {
        let bad = [
            "",
            "   ",
            "nyc3.evil.com",
            "us-east-1/../x",
            "a b",
            "x?y=1",
            "x#y",
            "user@host",
            "host:80",
            "-nyc3",
            "nyc3-",
            "ñyc3",
            "ny\nc3",
            &"a".repeat(64),
        ];
        for value in bad {
            let e = err(Provider::Spaces, input(Some(value), None, None));
            assert!(e.message().starts_with("--region"), "{value:?}: {e}");
            let e = err(Provider::R2, input(None, None, Some(value)));
            assert!(e.message().starts_with("--account-id"), "{value:?}: {e}");
        }
        // Surrounding whitespace (a pasted value) is trimmed; 63 characters are fine.
        let r = ok(Provider::Spaces, input(Some(" sgp1 "), None, None));
        assert_eq!(endpoint(&r), "https://sgp1.digitaloceanspaces.com");
        assert_eq!(r.region, "sgp1");
        let long = "a".repeat(63);
        let r = ok(Provider::B2, input(Some(&long), None, None));
        assert_eq!(r.region, long);
        // A region is validated even when an explicit endpoint makes it unused in the URL.
        let e = err(
            Provider::Minio,
            input(Some("x.y"), Some("http://127.0.0.1:9000"), None),
        );
        assert!(e.message().starts_with("--region"), "{e}");
    }

    #[test]
    fn account_id_is_refused_for_other_providers() {
        let e = err(Provider::Aws, input(None, None, Some(ACCOUNT)));
        assert!(e.message().contains("only used with --provider r2"), "{e}");
    }

    #[test]
    fn endpoints_must_be_http_urls() {
        let bad = [
            "",
            "s3.example.com",
            "ftp://s3.example.com",
            "https://",
            "https:///path",
            "https://user:secret@s3.example.com",
            "https://s3.example.com?x=1",
            "https://s3.example.com/#frag",
            "https://s3 .example.com",
            "https://s3.example.com:0",
            "https://s3.example.com:65536",
            "https://s3.example.com:",
            "https://s3.example.com:9000:1",
            "https://s3..example.com",
            "https://s3.exa_mple.com",
            "https://bücher.example",
            "https://[::1",
            "https://[zz::1]",
            "https://[::1]x",
            "javascript:alert(1)",
        ];
        for value in bad {
            let e = err(Provider::Generic, input(None, Some(value), None));
            assert!(e.message().starts_with("--endpoint"), "{value:?}: {e}");
        }
    }

    #[test]
    fn endpoints_are_normalised() {
        let cases = [
            ("http://127.0.0.1:9000", "http://127.0.0.1:9000"),
            ("HTTPS://S3.Example.com/", "https://S3.Example.com"),
            (" https://s3.example.com// ", "https://s3.example.com"),
            ("http://[::1]:3900", "http://[::1]:3900"),
            ("http://[fd00::5]", "http://[fd00::5]"),
            ("http://localhost:65535", "http://localhost:65535"),
            (
                "https://x.supabase.co/storage/v1/s3/",
                "https://x.supabase.co/storage/v1/s3",
            ),
        ];
        for (given, expected) in cases {
            let r = ok(Provider::Generic, input(None, Some(given), None));
            assert_eq!(endpoint(&r), expected, "{given:?}");
        }
    }
}
