//! hoist-test-s3 against aws-sdk-s3, one test binary: fault actions, multipart rules,
//! listings and auth; `large` is `#[ignore]` (run it with `--ignored`).

mod common;

mod faults;
mod large;
mod multipart;
mod sdk;
