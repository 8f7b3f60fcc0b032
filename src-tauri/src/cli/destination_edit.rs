//! `hoist destination edit` and `hoist destination import-aws`, and the upload-option flags that
//! `destination add` shares with `destination edit`.

use clap::Args;
use hoist_core::aws_import;
use hoist_core::options::{IfExists, UploadOptions};
use hoist_core::{Core, DestinationChanges, EndpointChange, Error, ErrorKind, Result};
use std::process::ExitCode;

/// Per-destination upload options.
#[derive(Debug, Args, Default)]
pub struct OptionFlags {
    /// How keys are made, e.g. '{prefix}{path}' (the default), '{prefix}{date}/{name}',
    /// '{uuid}-{name}'. Placeholders: {prefix} {path} {dir} {name} {stem} {ext} {date} {year}
    /// {month} {day} {time} {uuid} {batch}; `default` restores the default.
    #[arg(long, value_name = "TEMPLATE")]
    key_template: Option<String>,
    /// `auto` sets Content-Type from the file name (the default); `off` leaves it generic
    /// (application/octet-stream).
    #[arg(long, value_parser = ["auto", "off"])]
    content_type: Option<String>,
    /// A canned ACL (e.g. private, public-read), where the provider supports ACLs; `none` clears.
    #[arg(long)]
    acl: Option<String>,
    /// A storage class (e.g. STANDARD_IA, GLACIER_IR), where the provider has them; `none` clears.
    #[arg(long)]
    storage_class: Option<String>,
    /// The Cache-Control header objects get (e.g. 'max-age=3600'); `none` clears.
    #[arg(long)]
    cache_control: Option<String>,
    /// What uploads do when the key already holds an object: overwrite (default), skip, rename.
    #[arg(long, value_parser = parse_if_exists)]
    if_exists: Option<IfExists>,
}

impl OptionFlags {
    fn is_empty(&self) -> bool {
        self.key_template.is_none()
            && self.content_type.is_none()
            && self.acl.is_none()
            && self.storage_class.is_none()
            && self.cache_control.is_none()
            && self.if_exists.is_none()
    }

    /// `options` with these flags applied.
    pub fn apply(&self, mut options: UploadOptions) -> UploadOptions {
        let clearable = |value: &Option<String>, current: Option<String>, none: &str| match value {
            Some(v) if v == none => None,
            Some(v) => Some(v.clone()),
            None => current,
        };
        options.key_template = clearable(&self.key_template, options.key_template, "default");
        options.acl = clearable(&self.acl, options.acl, "none");
        options.storage_class = clearable(&self.storage_class, options.storage_class, "none");
        options.cache_control = clearable(&self.cache_control, options.cache_control, "none");
        if let Some(mode) = &self.content_type {
            options.detect_content_type = mode == "auto";
        }
        if let Some(if_exists) = self.if_exists {
            options.if_exists = if_exists;
        }
        options
    }
}

pub fn parse_if_exists(text: &str) -> std::result::Result<IfExists, String> {
    IfExists::parse(text).ok_or_else(|| format!("'{text}' is not one of overwrite, skip, rename"))
}

#[derive(Debug, Args)]
pub struct EditArgs {
    name: String,
    /// A new name.
    #[arg(long)]
    rename: Option<String>,
    /// The S3 endpoint URL (`aws` for AWS's own).
    #[arg(long)]
    endpoint: Option<String>,
    /// The region the requests are signed for (e.g. eu-west-1; `auto` for R2).
    #[arg(long)]
    region: Option<String>,
    /// The bucket new uploads go to (queued ones keep theirs).
    #[arg(long)]
    bucket: Option<String>,
    /// Address buckets as ENDPOINT/BUCKET (true) or BUCKET.ENDPOINT (false).
    #[arg(long, value_name = "true|false")]
    path_style: Option<bool>,
    /// The folder every key goes under ("backups" gives backups/NAME; "" none).
    #[arg(long)]
    prefix: Option<String>,
    /// A folder destination's folder.
    #[arg(long)]
    folder: Option<std::path::PathBuf>,
    /// Replace the access key pair (from AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY, or asked).
    #[arg(long)]
    keys: bool,
    #[command(flatten)]
    options: OptionFlags,
}

pub fn edit(core: &Core, args: EditArgs) -> Result<ExitCode> {
    let current = core.destination(&args.name)?;
    let changes = DestinationChanges {
        rename: args.rename,
        endpoint: args.endpoint.map(|e| {
            if e.eq_ignore_ascii_case("aws") {
                EndpointChange::Aws
            } else {
                EndpointChange::Url(e)
            }
        }),
        region: args.region,
        bucket: args.bucket,
        path_style: args.path_style,
        prefix: args.prefix,
        folder: args.folder.map(|f| std::path::absolute(&f).unwrap_or(f)),
        options: (!args.options.is_empty()).then(|| args.options.apply(current.options.clone())),
        key: if args.keys {
            Some(super::access_key::read_access_key()?)
        } else {
            None
        },
    };
    let saved = core.edit_destination(&args.name, changes)?;
    println!("saved destination '{}'", saved.name);
    Ok(ExitCode::SUCCESS)
}

#[derive(Debug, Args)]
pub struct ImportArgs {
    /// The AWS profile(s) to import (default: AWS_PROFILE, else `default`; with neither,
    /// every profile that has keys).
    #[arg(long = "aws-profile", value_name = "NAME", conflicts_with = "all")]
    aws_profiles: Vec<String>,
    /// Import every AWS profile that has an access key pair.
    #[arg(long)]
    all: bool,
    /// The Hoist destination name (one AWS profile only; default `aws`, or `aws-NAME`).
    #[arg(long, conflicts_with = "all")]
    name: Option<String>,
    /// The bucket uploads go to (AWS profiles name none; `hoist upload --bucket` works too).
    #[arg(long)]
    bucket: Option<String>,
    /// Show what would be imported, and change nothing.
    #[arg(long)]
    dry_run: bool,
}

pub fn import_aws(core: &Core, args: ImportArgs) -> Result<ExitCode> {
    let found = core.aws_profiles()?;
    if found.is_empty() {
        return Err(Error::new(
            ErrorKind::NotFound,
            "no AWS profiles found: neither ~/.aws/credentials, ~/.aws/config nor \
             AWS_ACCESS_KEY_ID is set up",
        ));
    }
    let active = std::env::var("AWS_PROFILE").ok().filter(|p| !p.is_empty());
    let (wanted, all) =
        aws_import::profiles_to_import(&found, &args.aws_profiles, args.all, active.as_deref());
    if all && !args.all {
        let with_keys: Vec<&str> = found
            .iter()
            .filter(|p| p.key.is_some())
            .map(|p| p.name.as_str())
            .collect();
        println!(
            "no AWS profile 'default' and AWS_PROFILE is not set: importing every profile \
             with keys ({})",
            if with_keys.is_empty() {
                "none has any".to_string()
            } else {
                with_keys.join(", ")
            }
        );
    }
    if args.name.is_some() && wanted.len() != 1 {
        return Err(Error::new(
            ErrorKind::InvalidInput,
            "--name works with one AWS profile only",
        ));
    }
    let mut failures = 0;
    for aws_name in &wanted {
        let Some(aws) = found.iter().find(|p| &p.name == aws_name) else {
            let known: Vec<&str> = found.iter().map(|p| p.name.as_str()).collect();
            eprintln!(
                "no AWS profile '{aws_name}' (found: {}): skipped",
                known.join(", ")
            );
            failures += 1;
            continue;
        };
        let shown = aws.import();
        let name = args.name.clone().unwrap_or(shown.destination);
        if let Some(why) = &shown.unusable {
            if all {
                println!("skipped AWS profile '{aws_name}': {why}");
            } else {
                eprintln!("cannot import AWS profile '{aws_name}': {why}");
                failures += 1;
            }
            continue;
        }
        let bucket = args.bucket.clone().unwrap_or_default();
        println!(
            "{} AWS profile '{aws_name}' as '{name}': key {}, region {}, endpoint {}, bucket {}",
            if args.dry_run {
                "would import"
            } else {
                "importing"
            },
            shown.key_tail.unwrap_or_default(),
            shown.region,
            shown.endpoint.as_deref().unwrap_or("AWS"),
            if bucket.is_empty() { "(none)" } else { &bucket },
        );
        if args.dry_run {
            continue;
        }
        if let Err(e) = core.import_aws_profile(aws, Some(name), bucket) {
            eprintln!("could not import '{aws_name}': {e}");
            failures += 1;
        }
    }
    if !args.dry_run && args.bucket.is_none() && failures < wanted.len() {
        println!(
            "AWS profiles name no bucket: upload with `hoist upload --bucket B`, or set one with \
             `hoist destination edit NAME --bucket B`"
        );
    }
    Ok(if failures == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}
