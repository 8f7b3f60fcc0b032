//! `hoist destination add|list|rm`. Secrets come from AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY or
//! a prompt, and go straight to the keychain through the core; they are never echoed.

use super::access_key;
use super::destination_edit::{self, EditArgs, ImportArgs, OptionFlags};
use super::output;
use clap::Subcommand;
use hoist_core::presets::Provider;
use hoist_core::{Core, NewDestination, Result};
use std::process::ExitCode;

#[derive(Debug, Subcommand)]
pub enum DestinationCommand {
    /// Add a destination: an S3-compatible bucket (--endpoint and --bucket) or a local folder
    /// (--folder). For S3, the access key pair is read from AWS_ACCESS_KEY_ID and
    /// AWS_SECRET_ACCESS_KEY when set, else asked for, and stored in the OS keychain.
    Add {
        name: String,
        /// e.g. https://s3.us-east-1.amazonaws.com, http://127.0.0.1:3900 (optional with
        /// --provider, which knows its provider's endpoint)
        #[arg(long, required_unless_present_any = ["folder", "provider"], requires = "bucket")]
        endpoint: Option<String>,
        /// The bucket uploads go to.
        #[arg(long, required_unless_present = "folder")]
        bucket: Option<String>,
        /// Upload into this folder instead of a bucket (a NAS mount, an external disk).
        #[arg(long, conflicts_with_all = ["endpoint", "bucket", "provider"])]
        folder: Option<std::path::PathBuf>,
        /// Fill endpoint, region and addressing from a preset: aws, r2, spaces, minio, b2,
        /// wasabi, garage, generic (see the README's Providers section).
        #[arg(long, value_parser = parse_provider)]
        provider: Option<Provider>,
        /// Cloudflare account id (R2 only).
        #[arg(long, requires = "provider")]
        account_id: Option<String>,
        /// Default us-east-1, or the provider's.
        #[arg(long)]
        region: Option<String>,
        /// Address buckets as ENDPOINT/BUCKET instead of BUCKET.ENDPOINT (MinIO, Garage).
        #[arg(long)]
        path_style: bool,
        /// The folder every key goes under: "backups" (or "backups/") gives backups/NAME.
        #[arg(long, default_value = "")]
        prefix: String,
        #[command(flatten)]
        options: OptionFlags,
    },
    /// Test a destination: reachability, credentials, bucket, and what the server accepts
    /// (remembered: uploads leave out what it rejects).
    Test {
        name: String,
        /// Print the report as JSON: each step with its outcome, and what the server accepts.
        #[arg(long)]
        json: bool,
    },
    /// Change a destination: its connection, prefix, upload options, or keys.
    Edit(EditArgs),
    /// Import destinations from the AWS CLI (~/.aws/credentials, ~/.aws/config, AWS_* variables);
    /// their keys go to the OS keychain.
    ImportAws(ImportArgs),
    /// List destinations.
    List {
        /// Print the destinations as a JSON list.
        #[arg(long)]
        json: bool,
    },
    /// Remove a destination and its keychain entry.
    Rm { name: String },
}

impl DestinationCommand {
    pub(super) fn json(&self) -> bool {
        matches!(
            self,
            DestinationCommand::Test { json: true, .. } | DestinationCommand::List { json: true }
        )
    }
}

pub async fn run(core: &Core, command: DestinationCommand) -> Result<ExitCode> {
    match command {
        DestinationCommand::Add {
            name,
            endpoint,
            bucket,
            folder,
            provider,
            account_id,
            region,
            path_style,
            prefix,
            options,
        } => {
            let folder = folder.map(|f| std::path::absolute(&f).unwrap_or(f));
            let new = NewDestination {
                name,
                provider,
                endpoint,
                region,
                account_id,
                bucket: bucket.unwrap_or_default(),
                path_style,
                prefix,
                folder,
                options: options.apply(Default::default()),
            };
            // Checked before the keys are asked for: a typo is reported without a prompt.
            hoist_core::destinations::rules::resolve(new.clone())?;
            let key = match new.folder {
                Some(_) => None,
                None => Some(access_key::read_access_key()?),
            };
            let destination = core.add_destination(new, key)?;
            match &destination.folder {
                Some(folder) => println!(
                    "added destination '{}' (folder {})",
                    destination.name,
                    folder.display()
                ),
                None => println!(
                    "added destination '{}' (s3://{}); its keys are in the OS keychain",
                    destination.name, destination.bucket
                ),
            }
        }
        DestinationCommand::Test { name, json } => return test(core, &name, json).await,
        DestinationCommand::Edit(args) => return destination_edit::edit(core, args),
        DestinationCommand::ImportAws(args) => return destination_edit::import_aws(core, args),
        DestinationCommand::List { json } => {
            output::print_destinations(&core.destinations()?, json)?
        }
        DestinationCommand::Rm { name } => {
            core.remove_destination(&name)?;
            println!("removed destination '{name}'");
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// `hoist destination test`: one line per step; exit 0 iff the destination is usable.
async fn test(core: &Core, name: &str, json: bool) -> Result<ExitCode> {
    use hoist_core::connection::StepOutcome;
    let report = core.test_destination(name).await?;
    if json {
        println!("{}", output::to_json(&report)?);
    } else {
        println!("testing '{}'", report.destination);
        for step in &report.steps {
            let mark = match step.outcome {
                StepOutcome::Ok => "ok  ",
                StepOutcome::Failed if step.blocking => "FAIL",
                StepOutcome::Failed => "no  ",
                StepOutcome::Skipped => "-   ",
            };
            println!("  {mark}  {:<30}  {}", step.name, step.detail);
        }
        if report.capabilities.is_some() {
            println!("what the server accepts is remembered for this destination");
        }
        println!(
            "{}",
            if report.usable() {
                "the destination works"
            } else {
                "the destination does not work yet: see FAIL above"
            }
        );
    }
    Ok(if report.usable() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

fn parse_provider(name: &str) -> std::result::Result<Provider, String> {
    Provider::parse(name).ok_or_else(|| {
        let known: Vec<&str> = Provider::ALL.iter().map(|p| p.name()).collect();
        format!("unknown provider '{name}'; known: {}", known.join(", "))
    })
}
