//! Reading the AWS CLI's shared files (`~/.aws/credentials`, `~/.aws/config`) and `AWS_*`
//! environment variables, for `hoist profile import-aws`. Pure: the caller reads the files and
//! the environment and hands their text over, so every rule is unit-tested.
//!
//! The rules follow the AWS CLI's: `[default]` and `[profile NAME]` in config, `[NAME]` in
//! credentials; a nested `s3 =` block may set `addressing_style` and `endpoint_url`; for the
//! profile in use (`AWS_PROFILE`, else `default`) the environment wins: `AWS_ACCESS_KEY_ID` /
//! `AWS_SECRET_ACCESS_KEY`, `AWS_REGION` over `AWS_DEFAULT_REGION`, `AWS_ENDPOINT_URL_S3` over
//! `AWS_ENDPOINT_URL`. Profiles without static keys (SSO, `credential_process`, assumed roles,
//! temporary keys with a session token) are reported with the reason they cannot be imported.

use crate::credentials::{AccessKey, Secret};
use std::collections::BTreeMap;

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

/// `section -> key -> value`; nested blocks as `key.subkey` (e.g. `s3.addressing_style`).
type Sections = BTreeMap<String, BTreeMap<String, String>>;

/// Parses the INI dialect of the AWS shared files. `section_name` maps a header (without the
/// brackets) to the profile name it defines, or `None` for sections that define none.
fn parse(text: &str, section_name: impl Fn(&str) -> Option<String>) -> Sections {
    let mut sections = Sections::new();
    let mut current: Option<String> = None;
    let mut nested: Option<String> = None;
    for raw in text.lines() {
        let trimmed = raw.trim();
        if trimmed.is_empty() || trimmed.starts_with('#') || trimmed.starts_with(';') {
            continue;
        }
        if trimmed.starts_with('[') && trimmed.ends_with(']') {
            current = section_name(trimmed[1..trimmed.len() - 1].trim());
            nested = None;
            continue;
        }
        let Some(section) = &current else {
            continue;
        };
        let Some((key, value)) = trimmed.split_once('=') else {
            continue;
        };
        let (key, value) = (key.trim().to_ascii_lowercase(), value.trim().to_string());
        let indented = raw.starts_with([' ', '\t']);
        let entries = sections.entry(section.clone()).or_default();
        match (&nested, indented) {
            (Some(block), true) => {
                entries.insert(format!("{block}.{key}"), value);
            }
            _ if value.is_empty() => nested = Some(key),
            _ => {
                nested = None;
                entries.insert(key, value);
            }
        }
    }
    sections
}

fn config_section(header: &str) -> Option<String> {
    if header == "default" {
        return Some("default".into());
    }
    header
        .strip_prefix("profile")
        .filter(|rest| rest.starts_with(char::is_whitespace))
        .map(|rest| rest.trim().to_string())
}

/// Resolves every profile of the two files plus the environment (`env` gives a variable's
/// value). Sorted by name.
pub fn read_profiles(
    credentials: &str,
    config: &str,
    env: impl Fn(&str) -> Option<String>,
) -> Vec<AwsProfile> {
    let env = |name: &str| env(name).filter(|v| !v.trim().is_empty());
    let credentials = parse(credentials, |h| Some(h.to_string()));
    let config = parse(config, config_section);
    let mut names: Vec<String> = credentials.keys().chain(config.keys()).cloned().collect();
    let active = env("AWS_PROFILE").unwrap_or_else(|| "default".into());
    if env("AWS_ACCESS_KEY_ID").is_some() {
        names.push(active.clone());
    }
    names.sort();
    names.dedup();
    let empty = BTreeMap::new();
    names
        .into_iter()
        .map(|name| {
            let creds = credentials.get(&name).unwrap_or(&empty);
            let conf = config.get(&name).unwrap_or(&empty);
            // The credentials file wins over config for keys, as in the AWS CLI.
            let get = |key: &str| creds.get(key).or_else(|| conf.get(key)).cloned();
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
            let endpoint = from_env(&["AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL"])
                .or_else(|| get("s3.endpoint_url"))
                .or_else(|| get("endpoint_url"));
            let path_style = get("s3.addressing_style").is_some_and(|s| s == "path");
            let unusable = match (&key_id, &secret, &token) {
                (Some(_), Some(_), Some(_)) => Some(
                    "it has temporary keys (a session token), which would expire: create an \
                     access key for Hoist"
                        .to_string(),
                ),
                (Some(_), Some(_), None) => None,
                _ => Some(without_keys_reason(conf)),
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
        .collect()
}

fn without_keys_reason(conf: &BTreeMap<String, String>) -> String {
    let has = |k: &str| conf.contains_key(k);
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

[profile work]
region = us-west-2
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

    #[test]
    fn files_give_keys_regions_and_the_nested_s3_block() {
        let profiles = read_profiles(CREDENTIALS, CONFIG, none);
        let names: Vec<&str> = profiles.iter().map(|p| p.name.as_str()).collect();
        assert_eq!(names, ["default", "sso", "temp", "work"]);
        let default = by_name(&profiles, "default");
        assert_eq!(default.region.as_deref(), Some("eu-west-1"));
        assert_eq!(default.key.unwrap().access_key_id.expose(), "AKIDEFAULT");
        assert_eq!(default.endpoint, None);
        let work = by_name(&profiles, "work");
        assert!(work.path_style);
        assert_eq!(work.endpoint.as_deref(), Some("https://minio.example.com"));
        assert_eq!(work.region.as_deref(), Some("us-west-2"));
        assert_eq!(work.key.unwrap().secret_access_key.expose(), "secret-work");
    }

    #[test]
    fn profiles_without_static_keys_say_why() {
        let profiles = read_profiles(CREDENTIALS, CONFIG, none);
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
        let profiles = read_profiles(CREDENTIALS, CONFIG, env);
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
        let profiles = read_profiles("", "", env);
        assert_eq!(profiles.len(), 1);
        assert_eq!(profiles[0].name, "default");
        assert!(profiles[0].key.is_some());
        assert!(read_profiles("", "", none).is_empty());
    }
}
