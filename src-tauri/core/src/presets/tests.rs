//! Unit tests of the presets: exact URLs per provider, required fields, precedence, validation.

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
            checksums: ChecksumPolicy::Crc32c,
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
        e.message()
            .starts_with("the account id is required for R2: find it in the Cloudflare dashboard"),
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
    assert!(e.message().contains("give it as the bucket"), "{e}");
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
        e.message().starts_with("the region is required for Spaces"),
        "{e}"
    );
}

#[test]
fn minio_needs_an_endpoint_and_defaults_to_us_east_1_path_style() {
    let e = err(Provider::Minio, input(None, None, None));
    assert!(
        e.message()
            .starts_with("the endpoint is required for MinIO"),
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
        e.message().starts_with("the region is required for B2"),
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
        e.message()
            .starts_with("the endpoint is required for Garage"),
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
    assert!(e.message().starts_with("the endpoint is required"), "{e}");
    let r = ok(
        Provider::Generic,
        input(None, Some("https://storage.example.net"), None),
    );
    assert_eq!(endpoint(&r), "https://storage.example.net");
    assert_eq!(r.region, "us-east-1");
    assert!(r.path_style);
}

#[test]
fn presets_send_crc32c_where_the_server_checks_it_5_mib_parts_and_only_r2_needs_equal_parts() {
    for p in Provider::ALL {
        let r = ok(
            p,
            PresetInput {
                region: Some("nyc3".into()),
                endpoint: Some("https://s3.example.com".into()),
                account_id: None,
            },
        );
        let checks_crc32c = matches!(p, Provider::Aws | Provider::Garage);
        let expected = match checks_crc32c {
            true => ChecksumPolicy::Crc32c,
            false => ChecksumPolicy::ContentMd5,
        };
        assert_eq!(r.checksums, expected, "{p}");
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
        assert!(e.message().starts_with("the region"), "{value:?}: {e}");
        let e = err(Provider::R2, input(None, None, Some(value)));
        assert!(e.message().starts_with("the account id"), "{value:?}: {e}");
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
    assert!(e.message().starts_with("the region"), "{e}");
}

#[test]
fn account_id_is_refused_for_other_providers() {
    let e = err(Provider::Aws, input(None, None, Some(ACCOUNT)));
    assert!(
        e.message().contains("only used with the r2 provider"),
        "{e}"
    );
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
        assert!(e.message().starts_with("the endpoint"), "{value:?}: {e}");
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

#[test]
fn a_destination_without_a_provider_is_checked_like_a_preset_for_cli_and_window() {
    let (endpoint, region, path_style) = connection(
        None,
        &input(None, Some("HTTP://127.0.0.1:9000/"), None),
        true,
    )
    .unwrap();
    assert_eq!(endpoint.as_deref(), Some("http://127.0.0.1:9000"));
    assert_eq!(region, "us-east-1");
    assert!(path_style);
    for bad in [
        "ftp://files.example.com",
        "https://user:pw@s3.example.com",
        "s3.example.com",
    ] {
        let e = connection(None, &input(None, Some(bad), None), false).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidInput, "{bad}");
    }
    assert!(connection(None, &input(Some("eu west"), None, None), false).is_err());
    assert!(connection(None, &input(None, None, Some("abc")), false).is_err());
    // With a provider it is the preset's answer.
    let (endpoint, _, _) = connection(
        Some(Provider::R2),
        &input(None, None, Some("abc123")),
        false,
    )
    .unwrap();
    assert_eq!(
        endpoint.as_deref(),
        Some("https://abc123.r2.cloudflarestorage.com")
    );
}
