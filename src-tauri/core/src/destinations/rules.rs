//! What makes a destination valid: the one rule, applied to every destination before it is
//! saved, whether it was added from the window's form, a command's flags or an AWS profile, or
//! changed by an edit. [`resolve`] turns what the user gave ([`NewDestination`]) into a
//! destination (the provider's preset filled in); [`check`] holds every rule on the result.

use super::NewDestination;
use crate::error::{Error, ErrorKind, Result};
use crate::model::{Destination, DestinationId, DestinationKind, new_id};
use crate::presets::{self, PresetInput};

fn invalid(message: String) -> Error {
    Error::new(ErrorKind::InvalidInput, message)
}

/// A value the user left blank counts as not given.
fn given(value: Option<String>) -> Option<String> {
    value.map(|v| v.trim().to_owned()).filter(|v| !v.is_empty())
}

/// The destination `new` describes, with a fresh id, checked by [`check`]. A folder destination
/// takes no connection settings; an S3 one gets its endpoint, region and addressing from the
/// provider's preset (or from what was given: no endpoint means AWS).
pub fn resolve(new: NewDestination) -> Result<Destination> {
    let endpoint = given(new.endpoint);
    let region = given(new.region);
    let account_id = given(new.account_id);
    let mut destination = Destination {
        id: DestinationId(new_id()),
        name: new.name.trim().to_owned(),
        kind: DestinationKind::S3,
        endpoint: None,
        region: String::new(),
        bucket: new.bucket.trim().to_owned(),
        path_style: new.path_style,
        prefix: new.prefix,
        folder: None,
        builtin: false,
        provider: new.provider,
        options: new.options,
        capabilities: None,
    };
    if let Some(folder) = new.folder {
        let given: Vec<&str> = [
            ("a provider", new.provider.is_some()),
            ("an endpoint", endpoint.is_some()),
            ("a region", region.is_some()),
            ("an account id", account_id.is_some()),
            ("a bucket", !destination.bucket.is_empty()),
        ]
        .into_iter()
        .filter_map(|(what, set)| set.then_some(what))
        .collect();
        if !given.is_empty() {
            return Err(invalid(format!(
                "a folder destination has a folder and a prefix, not {}",
                given.join(" or ")
            )));
        }
        destination.kind = DestinationKind::Local;
        destination.folder = Some(folder);
        destination.path_style = false;
        check(&destination)?;
        return Ok(destination);
    }
    let input = PresetInput {
        region,
        endpoint,
        account_id,
    };
    let (endpoint, region, path_style) = presets::connection(new.provider, &input, new.path_style)?;
    destination.endpoint = endpoint;
    destination.region = region;
    destination.path_style = path_style;
    check(&destination)?;
    Ok(destination)
}

/// Every rule a saved destination keeps: a name; a folder destination's absolute folder and
/// nothing of S3; an S3 destination's region (a hostname label: it is put into host names),
/// endpoint (an http(s) URL with a host, as presets check it) and bucket (none, or a name
/// without spaces or slashes: an upload may name the bucket instead); valid upload options.
pub fn check(destination: &Destination) -> Result<()> {
    check_name(&destination.name)?;
    match destination.kind {
        DestinationKind::Local => {
            let Some(folder) = &destination.folder else {
                return Err(invalid("a folder destination needs its folder".into()));
            };
            if !folder.is_absolute() {
                return Err(invalid(format!(
                    "the folder must be an absolute path, not '{}'",
                    folder.display()
                )));
            }
            if destination.endpoint.is_some() || !destination.bucket.is_empty() {
                return Err(invalid(
                    "a folder destination has no endpoint or bucket".into(),
                ));
            }
        }
        DestinationKind::S3 => {
            if destination.folder.is_some() {
                return Err(invalid(format!(
                    "'{}' is an S3 destination: only folder destinations have a folder",
                    destination.name
                )));
            }
            if presets::check_region(&destination.region)? != destination.region {
                return Err(invalid(format!(
                    "the region '{}' has spaces around it",
                    destination.region
                )));
            }
            if let Some(endpoint) = &destination.endpoint {
                presets::check_endpoint(endpoint)?;
            }
            let bucket = &destination.bucket;
            if bucket.trim() != bucket || bucket.contains(['/', ' ']) {
                return Err(invalid(format!(
                    "the bucket '{bucket}' is not a bucket name (no spaces or slashes)"
                )));
            }
        }
    }
    destination.options.validate()
}

/// A destination's name: not blank, no control characters (it is shown in lists and typed in
/// commands).
pub fn check_name(name: &str) -> Result<()> {
    if name.trim().is_empty() || name.chars().any(char::is_control) {
        return Err(invalid(
            "the destination's name must not be empty or contain control characters".into(),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::presets::Provider;
    use std::path::PathBuf;

    fn s3(provider: Option<Provider>) -> NewDestination {
        NewDestination {
            name: "d".into(),
            provider,
            bucket: "b".into(),
            ..Default::default()
        }
    }

    #[test]
    fn an_aws_profiles_endpoint_and_region_were_saved_unchecked() {
        // import-aws built its destination by hand and skipped the preset's checks.
        let bad_region = NewDestination {
            region: Some("us-east-1.evil.example/x".into()),
            ..s3(None)
        };
        assert!(
            resolve(bad_region)
                .unwrap_err()
                .message()
                .contains("region")
        );
        let bad_endpoint = NewDestination {
            endpoint: Some("http://user:pw@host".into()),
            ..s3(None)
        };
        assert!(
            resolve(bad_endpoint)
                .unwrap_err()
                .message()
                .contains("endpoint")
        );
    }

    #[test]
    fn a_preset_filled_in_what_was_left_blank() {
        let garage = NewDestination {
            endpoint: Some(" http://127.0.0.1:3900/ ".into()),
            region: Some("  ".into()),
            ..s3(Some(Provider::Garage))
        };
        let d = resolve(garage).unwrap();
        assert_eq!(d.endpoint.as_deref(), Some("http://127.0.0.1:3900"));
        assert_eq!(d.region, "garage");
        assert!(d.path_style);
        assert_eq!(d.kind, DestinationKind::S3);
    }

    #[test]
    fn a_folder_destination_refused_s3_settings_and_a_relative_folder() {
        let with_bucket = NewDestination {
            folder: Some(PathBuf::from("/srv/up")),
            ..s3(None)
        };
        assert!(
            resolve(with_bucket)
                .unwrap_err()
                .message()
                .contains("not a bucket")
        );
        let relative = NewDestination {
            name: "d".into(),
            folder: Some(PathBuf::from("up")),
            ..Default::default()
        };
        assert!(
            resolve(relative)
                .unwrap_err()
                .message()
                .contains("absolute")
        );
    }

    #[test]
    fn a_region_with_spaces_around_it_was_not_saved() {
        // An edit stored the region as typed; it is signed into every request.
        let mut d = resolve(s3(None)).unwrap();
        d.region = " us-east-1".into();
        assert!(check(&d).unwrap_err().message().contains("spaces"));
    }

    #[test]
    fn a_bucket_with_a_slash_and_a_blank_name_were_refused() {
        let slash = NewDestination {
            bucket: "a/b".into(),
            ..s3(None)
        };
        assert!(resolve(slash).unwrap_err().message().contains("bucket"));
        let blank = NewDestination {
            name: " ".into(),
            ..s3(None)
        };
        assert!(resolve(blank).unwrap_err().message().contains("name"));
    }
}
