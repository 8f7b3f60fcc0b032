//! What a connection test found, step by step: the report the CLI prints and the window shows.
//! The test itself is [`crate::destinations::checks`]; each backend contributes its reachability
//! steps (DNS, TCP, TLS for S3; the folder for a local destination) and, for S3, which optional
//! headers its server accepts ([`FeatureCheck`]).

use crate::error::ErrorKind;
use crate::error::Result;
use crate::options::Capabilities;
use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum StepOutcome {
    Ok,
    Failed,
    /// Not run, because an earlier step that it needs failed.
    Skipped,
}

/// One check and what it found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct ConnectionStep {
    /// e.g. "DNS", "credentials and bucket", "multipart upload".
    pub name: String,
    pub outcome: StepOutcome,
    /// What was found, or what went wrong and how to fix it.
    pub detail: String,
    /// Whether the destination cannot work while this step fails (later steps are skipped).
    pub blocking: bool,
    /// The error kind behind a failure (`wrong_region`, `bad_credentials`, ...).
    pub error: Option<String>,
}

/// The whole test of one destination.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct ConnectionReport {
    pub destination: String,
    pub steps: Vec<ConnectionStep>,
    /// What the server accepts; `None` when the test stopped before the capability checks.
    pub capabilities: Option<Capabilities>,
}

impl ConnectionReport {
    /// True when no blocking step failed: uploads can work.
    pub fn usable(&self) -> bool {
        !self
            .steps
            .iter()
            .any(|s| s.blocking && s.outcome != StepOutcome::Ok)
    }
}

impl ConnectionStep {
    pub fn ok(name: &str, blocking: bool, detail: impl Into<String>) -> ConnectionStep {
        ConnectionStep {
            name: name.into(),
            outcome: StepOutcome::Ok,
            detail: detail.into(),
            blocking,
            error: None,
        }
    }

    pub fn failed(
        name: &str,
        blocking: bool,
        kind: Option<ErrorKind>,
        detail: impl Into<String>,
    ) -> ConnectionStep {
        ConnectionStep {
            name: name.into(),
            outcome: StepOutcome::Failed,
            detail: detail.into(),
            blocking,
            error: kind.map(|k| k.code().to_string()),
        }
    }

    pub fn skipped(name: &str, blocking: bool) -> ConnectionStep {
        ConnectionStep {
            name: name.into(),
            outcome: StepOutcome::Skipped,
            detail: "not tried: an earlier step failed".into(),
            blocking,
            error: None,
        }
    }
}

/// An optional request header a server may refuse; tried once on a scratch object.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Feature {
    ContentMd5,
    ChecksumHeaders,
    Acl,
}

impl Feature {
    /// The step's name in the report.
    pub fn step_name(self) -> &'static str {
        match self {
            Feature::ContentMd5 => "Content-MD5 header",
            Feature::ChecksumHeaders => "x-amz-checksum-crc32c header",
            Feature::Acl => "canned ACL",
        }
    }
}

/// One tried feature: what the server said, and the scratch object written when it accepted.
#[derive(Debug)]
pub struct FeatureCheck {
    pub feature: Feature,
    pub result: Result<()>,
    pub key: String,
}
