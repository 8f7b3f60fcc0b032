//! Reading the AWS CLI's shared files (`~/.aws/credentials`, `~/.aws/config`) and `AWS_*`
//! environment variables, for `hoist profile import-aws`. Pure: the caller reads the files and
//! the environment and hands their text over, so every rule is unit-tested.
//!
//! The files are parsed by the AWS SDK's own parser (`aws-runtime`'s `env_config`). On top of
//! it: a nested `s3 =` block may set `addressing_style` and `endpoint_url`, as may the
//! `[services NAME]` section a profile names with `services = NAME`; for the
//! profile in use (`AWS_PROFILE`, else `default`) the environment wins: `AWS_ACCESS_KEY_ID` /
//! `AWS_SECRET_ACCESS_KEY`, `AWS_REGION` over `AWS_DEFAULT_REGION`, `AWS_ENDPOINT_URL_S3` over
//! `AWS_ENDPOINT_URL`. Profiles without static keys (SSO, `credential_process`, assumed roles,
//! temporary keys with a session token) are reported with the reason they cannot be imported.

use crate::credentials::{AccessKey, Secret};
use aws_runtime::env_config::file::{EnvConfigFileKind, EnvConfigFiles};
use aws_runtime::env_config::property::PropertiesKey;
use aws_runtime::env_config::section::{EnvConfigSections, Profile};
use aws_runtime::env_config::source;
use aws_types::os_shim_internal::{Env, Fs};

/// One AWS profile, resolved.
#[derive(Debug, Clone)]
pub struct AwsProfile {
    pub name: String,
    /// The key pair, when the profile has a static one.
    pub key: Option<AccessKey>,
    pub region: Option<String>,
    pub endpoint: Option<String>,
    /// `s3.addressing_style = path`.
    pub path_style: bool,
    /// Why it cannot be imported, when it cannot.
    pub unusable: Option<String>,
}

/// The value of a sub-property in a nested block (`s3 =` followed by indented `key = value`
/// lines), which the SDK's parser keeps as the block's raw text. Keys are case-insensitive; a
/// comment after whitespace ends the value, as on property lines.
fn sub_property(block: Option<&str>, name: &str) -> Option<String> {
    block?.lines().find_map(|line| {
        let (key, value) = line.split_once('=')?;
        if !key.trim().eq_ignore_ascii_case(name) {
            return None;
        }
        let value = value.trim();
        let end = value
            .char_indices()
            .find(|&(i, c)| (c == '#' || c == ';') && value[..i].ends_with(char::is_whitespace))
            .map_or(value.len(), |(i, _)| i);
        Some(value[..end].trim().to_string()).filter(|v| !v.is_empty())
    })
}

/// Parses the two files with the AWS SDK's own shared-config parser (`aws-runtime`), which
/// follows the AWS rules: comments, continuation lines, case, `[default]` vs `[profile
/// default]`, the credentials file over the config file, `[sso-session]` and `[services]`.
fn parse(credentials: &str, config: &str) -> Result<EnvConfigSections, String> {
    let files = EnvConfigFiles::builder()
        .with_contents(EnvConfigFileKind::Config, config)
        .with_contents(EnvConfigFileKind::Credentials, credentials)
        .build();
    // From memory only: no file system, no environment (the caller applies AWS_* itself).
    let (env, fs) = (Env::from_slice(&[]), Fs::from_slice(&[]));
    let source =
        futures::executor::block_on(source::load(&env, &fs, &files)).map_err(|e| e.to_string())?;
    EnvConfigSections::parse(source).map_err(|e| e.to_string())
}

/// `endpoint_url` for S3 in a `[services NAME]` section (the profile's `services = NAME`).
fn services_endpoint(sections: &EnvConfigSections, services: &str) -> Option<String> {
    let key = PropertiesKey::builder()
        .section_key("services")
        .section_name(services)
        .property_name("s3")
        .sub_property_name("endpoint_url")
        .build()
        .ok()?;
    sections.other_sections().get(&key).cloned()
}

/// Resolves every profile of the two files plus the environment (`env` gives a variable's
/// value). Sorted by name. A file the AWS parser rejects is an error naming the line.
pub fn read_profiles(
    credentials: &str,
    config: &str,
    env: impl Fn(&str) -> Option<String>,
) -> Result<Vec<AwsProfile>, String> {
    let env = |name: &str| env(name).filter(|v| !v.trim().is_empty());
    let sections = parse(credentials, config)?;
    let mut names: Vec<String> = sections.profiles().map(str::to_string).collect();
    let active = env("AWS_PROFILE").unwrap_or_else(|| "default".into());
    if env("AWS_ACCESS_KEY_ID").is_some() {
        names.push(active.clone());
    }
    names.sort();
    names.dedup();
    let empty = Profile::new("", Default::default());
    let profiles = names
        .into_iter()
        .map(|name| {
            let profile = sections.get_profile(&name).unwrap_or(&empty);
            let get = |key: &str| {
                profile
                    .get(key)
                    .map(str::to_string)
                    .filter(|v| !v.is_empty())
            };
            let from_env = |vars: &[&str]| {
                if name != active {
                    return None;
                }
                vars.iter().find_map(|v| env(v))
            };
            let key_id = from_env(&["AWS_ACCESS_KEY_ID"]).or_else(|| get("aws_access_key_id"));
            let secret =
                from_env(&["AWS_SECRET_ACCESS_KEY"]).or_else(|| get("aws_secret_access_key"));
            let token = from_env(&["AWS_SESSION_TOKEN"]).or_else(|| get("aws_session_token"));
            let region = from_env(&["AWS_REGION", "AWS_DEFAULT_REGION"]).or_else(|| get("region"));
            let s3 = profile.get("s3");
            let endpoint = from_env(&["AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL"])
                .or_else(|| sub_property(s3, "endpoint_url"))
                .or_else(|| get("services").and_then(|s| services_endpoint(&sections, &s)))
                .or_else(|| get("endpoint_url"));
            let path_style = sub_property(s3, "addressing_style").is_some_and(|s| s == "path");
            let unusable = match (&key_id, &secret, &token) {
                (Some(_), Some(_), Some(_)) => Some(
                    "it has temporary keys (a session token), which would expire: create an \
                     access key for Hoist"
                        .to_string(),
                ),
                (Some(_), Some(_), None) => None,
                _ => Some(without_keys_reason(profile)),
            };
            let key = match (&key_id, &secret, &unusable) {
                (Some(id), Some(secret), None) => Some(AccessKey {
                    access_key_id: Secret::new(id.clone()),
                    secret_access_key: Secret::new(secret.clone()),
                }),
                _ => None,
            };
            AwsProfile {
                name,
                key,
                region,
                endpoint,
                path_style,
                unusable,
            }
        })
        .collect();
    Ok(profiles)
}

fn without_keys_reason(profile: &Profile) -> String {
    let has = |k: &str| profile.get(k).is_some();
    let how = if has("sso_session") || has("sso_start_url") {
        "it signs in with SSO"
    } else if has("credential_process") {
        "it gets its keys from credential_process"
    } else if has("role_arn") {
        "it assumes a role"
    } else {
        "it has no access key pair"
    };
    format!("{how}, and Hoist needs a static access key pair (its temporary keys would expire)")
}

/// An AWS profile as Hoist would import it: what `destination import-aws` prints and the
/// window's import list shows. It never holds the secret, and only the key id's last 4
/// characters.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, ts_rs::TS)]
pub struct AwsImport {
    pub aws_profile: String,
    /// The destination it becomes unless named otherwise: `aws` for `default`, else `aws-NAME`.
    pub destination: String,
    /// `…WXYZ`, when the profile has a key pair.
    pub key_tail: Option<String>,
    /// The profile's region, else `us-east-1`.
    pub region: String,
    /// None for AWS itself.
    pub endpoint: Option<String>,
    pub path_style: bool,
    /// Why it cannot be imported (SSO, a role, a session token, no keys), when it cannot.
    pub unusable: Option<String>,
}

/// The region an imported profile without one gets.
const DEFAULT_REGION: &str = "us-east-1";

/// The destination name an AWS profile gets: `aws` for `default`, else `aws-NAME`.
pub fn destination_name(aws_profile: &str) -> String {
    match aws_profile {
        "default" => "aws".into(),
        other => format!("aws-{other}"),
    }
}

impl AwsProfile {
    pub fn import(&self) -> AwsImport {
        let key_tail = self.key.as_ref().map(|key| {
            let id = key.access_key_id.expose();
            // By character: a key id is ASCII, but a damaged file must not panic.
            let tail: String = id
                .chars()
                .skip(id.chars().count().saturating_sub(4))
                .collect();
            format!("…{tail}")
        });
        AwsImport {
            aws_profile: self.name.clone(),
            destination: destination_name(&self.name),
            key_tail,
            region: self.region.clone().unwrap_or_else(|| DEFAULT_REGION.into()),
            endpoint: self.endpoint.clone(),
            path_style: self.path_style,
            unusable: match (&self.key, &self.unusable) {
                (_, Some(why)) => Some(why.clone()),
                (None, None) => Some("it has no keys".into()),
                (Some(_), None) => None,
            },
        }
    }
}

/// Which profiles an import takes: the ones named; else, as the AWS CLI picks one, the profile
/// in use (`active`: AWS_PROFILE) or `default`; with neither, every profile (`all` is then
/// true, and the profiles without keys are skipped rather than refused).
pub fn profiles_to_import(
    found: &[AwsProfile],
    named: &[String],
    all: bool,
    active: Option<&str>,
) -> (Vec<String>, bool) {
    let all =
        all || (named.is_empty() && active.is_none() && !found.iter().any(|p| p.name == "default"));
    let wanted = if all {
        found.iter().map(|p| p.name.clone()).collect()
    } else if named.is_empty() {
        vec![active.unwrap_or("default").to_string()]
    } else {
        named.to_vec()
    };
    (wanted, all)
}

#[cfg(test)]
mod tests {
    use super::*;

    const CREDENTIALS: &str = "\
# keys
[default]
aws_access_key_id = AKIDEFAULT
aws_secret_access_key = secret-default

[work]
aws_access_key_id=AKIWORK
aws_secret_access_key=secret-work
; a comment
[temp]
aws_access_key_id = ASIATEMP
aws_secret_access_key = secret-temp
aws_session_token = token
";

    const CONFIG: &str = "\
[default]
region = eu-west-1

[profile work] ; the header carries a comment
region = us-west-2 # and so does this value
s3 =
  addressing_style = path
  endpoint_url = https://minio.example.com
endpoint_url = https://ignored-for-s3.example.com

[profile sso]
sso_session = corp
sso_account_id = 123
region = us-east-1

[sso-session corp]
sso_start_url = https://corp.awsapps.com/start

[services local]
s3 =
  endpoint_url = http://localhost:9000
";

    fn none(_: &str) -> Option<String> {
        None
    }

    fn by_name(profiles: &[AwsProfile], name: &str) -> AwsProfile {
        profiles
            .iter()
            .find(|p| p.name == name)
            .unwrap_or_else(|| panic!("no profile {name} in {profiles:?}"))
            .clone()
    }

    fn names(profiles: &[AwsProfile]) -> Vec<&str> {
        profiles.iter().map(|p| p.name.as_str()).collect()
    }

    #[test]
    fn files_give_keys_regions_and_the_nested_s3_block() {
        let profiles = read_profiles(CREDENTIALS, CONFIG, none).unwrap();
        // [sso-session] and [services] sections are not profiles.
        assert_eq!(names(&profiles), ["default", "sso", "temp", "work"]);
        let default = by_name(&profiles, "default");
        assert_eq!(default.region.as_deref(), Some("eu-west-1"));
        assert_eq!(default.key.unwrap().access_key_id.expose(), "AKIDEFAULT");
        assert_eq!(default.endpoint, None);
        let work = by_name(&profiles, "work");
        assert!(work.path_style);
        assert_eq!(work.endpoint.as_deref(), Some("https://minio.example.com"));
        assert_eq!(work.key.unwrap().secret_access_key.expose(), "secret-work");
    }

    #[test]
    fn a_header_with_a_comment_merged_its_keys_into_the_profile_before() {
        let profiles = read_profiles(CREDENTIALS, CONFIG, none).unwrap();
        // The header `[profile work] ; ...` is recognised and the inline comment is not in
        // the value; `default` keeps its own region.
        assert_eq!(
            by_name(&profiles, "work").region.as_deref(),
            Some("us-west-2")
        );
        assert_eq!(
            by_name(&profiles, "default").region.as_deref(),
            Some("eu-west-1")
        );
    }

    #[test]
    fn aws_shared_config_rules() {
        let config = "\
[default]
region = from-plain-default
[profile default]
region = from-prefixed-default
[notprefixed]
region = ignored: config sections need the profile prefix
[profile Mixed]
REGION = upper-case-key
[profile svc]
services = local
[profile cont]
region = eu-
  central-1
[services local]
s3 =
  endpoint_url = http://127.0.0.1:9000
";
        let credentials = "\
[profile ignored]
aws_access_key_id = A
[Mixed]
aws_access_key_id = FROMCREDS
aws_secret_access_key = s
";
        let profiles = read_profiles(credentials, config, none).unwrap();
        assert_eq!(names(&profiles), ["Mixed", "cont", "default", "svc"]);
        // `[profile default]` wins over `[default]` in the config file.
        assert_eq!(
            by_name(&profiles, "default").region.as_deref(),
            Some("from-prefixed-default")
        );
        // Property names are case-insensitive, profile names are not.
        let mixed = by_name(&profiles, "Mixed");
        assert_eq!(mixed.region.as_deref(), Some("upper-case-key"));
        assert_eq!(mixed.key.unwrap().access_key_id.expose(), "FROMCREDS");
        // A continuation line joins the value with a newline (the SDK's rule).
        assert_eq!(
            by_name(&profiles, "cont").region.as_deref(),
            Some("eu-\ncentral-1")
        );
        assert_eq!(
            by_name(&profiles, "svc").endpoint.as_deref(),
            Some("http://127.0.0.1:9000")
        );
    }

    #[test]
    fn the_credentials_file_wins_over_the_config_file() {
        let config = "[profile p]\naws_access_key_id = CONFIGKEY\naws_secret_access_key = c\n";
        let credentials = "[p]\naws_access_key_id = CREDSKEY\naws_secret_access_key = k\n";
        let profiles = read_profiles(credentials, config, none).unwrap();
        let key = by_name(&profiles, "p").key.unwrap();
        assert_eq!(key.access_key_id.expose(), "CREDSKEY");
        assert_eq!(key.secret_access_key.expose(), "k");
    }

    #[test]
    fn a_file_the_parser_rejects_names_the_line() {
        let err = read_profiles("aws_access_key_id = before any section\n", "", none).unwrap_err();
        assert!(err.contains("line 1"), "{err}");
    }

    #[test]
    fn profiles_without_static_keys_say_why() {
        let profiles = read_profiles(CREDENTIALS, CONFIG, none).unwrap();
        let sso = by_name(&profiles, "sso");
        assert!(sso.key.is_none());
        assert!(sso.unusable.unwrap().contains("SSO"));
        let temp = by_name(&profiles, "temp");
        assert!(temp.key.is_none());
        assert!(temp.unusable.unwrap().contains("session token"));
    }

    #[test]
    fn the_environment_wins_for_the_active_profile_only() {
        let env = |name: &str| match name {
            "AWS_PROFILE" => Some("work".to_string()),
            "AWS_ACCESS_KEY_ID" => Some("AKIENV".to_string()),
            "AWS_SECRET_ACCESS_KEY" => Some("secret-env".to_string()),
            "AWS_DEFAULT_REGION" => Some("ap-south-1".to_string()),
            "AWS_REGION" => Some("ca-central-1".to_string()),
            "AWS_ENDPOINT_URL" => Some("https://generic.example.com".to_string()),
            _ => None,
        };
        let profiles = read_profiles(CREDENTIALS, CONFIG, env).unwrap();
        let work = by_name(&profiles, "work");
        assert_eq!(work.key.unwrap().access_key_id.expose(), "AKIENV");
        assert_eq!(work.region.as_deref(), Some("ca-central-1"));
        assert_eq!(
            work.endpoint.as_deref(),
            Some("https://generic.example.com")
        );
        let default = by_name(&profiles, "default");
        assert_eq!(default.key.unwrap().access_key_id.expose(), "AKIDEFAULT");
        assert_eq!(default.region.as_deref(), Some("eu-west-1"));
    }

    #[test]
    fn environment_keys_alone_make_a_default_profile() {
        let env = |name: &str| match name {
            "AWS_ACCESS_KEY_ID" => Some("AKIENV".to_string()),
            "AWS_SECRET_ACCESS_KEY" => Some("secret-env".to_string()),
            _ => None,
        };
        let profiles = read_profiles("", "", env).unwrap();
        assert_eq!(profiles.len(), 1);
        assert_eq!(profiles[0].name, "default");
        assert!(profiles[0].key.is_some());
        assert!(read_profiles("", "", none).unwrap().is_empty());
    }

    #[test]
    fn an_import_shows_the_key_ids_last_four_characters_and_never_the_secret() {
        let profiles = read_profiles(CREDENTIALS, CONFIG, none).unwrap();
        let work = by_name(&profiles, "work").import();
        assert_eq!(work.destination, "aws-work");
        assert_eq!(work.key_tail.as_deref(), Some("…WORK"));
        assert_eq!(work.region, "us-west-2");
        assert_eq!(work.endpoint.as_deref(), Some("https://minio.example.com"));
        assert!(work.path_style && work.unusable.is_none());
        let shown = serde_json::to_string(&work).unwrap();
        assert!(
            !shown.contains("secret-work") && !shown.contains("AKIWORK"),
            "{shown}"
        );
        let default = by_name(&profiles, "default").import();
        assert_eq!(default.destination, "aws");
        let sso = by_name(&profiles, "sso").import();
        assert!(sso.key_tail.is_none());
        assert!(sso.unusable.unwrap().contains("SSO"));
    }

    #[test]
    fn with_nothing_named_an_import_takes_the_profile_in_use_else_default_else_every_one() {
        let profiles = read_profiles(CREDENTIALS, CONFIG, none).unwrap();
        let named = |n: &[&str]| n.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(
            profiles_to_import(&profiles, &[], false, None),
            (named(&["default"]), false)
        );
        assert_eq!(
            profiles_to_import(&profiles, &[], false, Some("work")),
            (named(&["work"]), false)
        );
        assert_eq!(
            profiles_to_import(&profiles, &named(&["temp"]), false, Some("work")),
            (named(&["temp"]), false)
        );
        let without_default: Vec<AwsProfile> = profiles
            .iter()
            .filter(|p| p.name != "default")
            .cloned()
            .collect();
        let (every, all) = profiles_to_import(&without_default, &[], false, None);
        assert!(all);
        assert_eq!(every, names(&without_default));
    }
}
