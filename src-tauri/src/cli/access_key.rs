//! The access key for a new or changed destination: from `AWS_ACCESS_KEY_ID` and
//! `AWS_SECRET_ACCESS_KEY`, or asked for in a terminal (the secret without echo). Shared by
//! `destination add` and `destination edit`.

use hoist_core::{AccessKey, Error, ErrorKind, Result, Secret};
use std::io::{BufRead, IsTerminal, Write};

pub(super) fn read_access_key() -> Result<AccessKey> {
    let from_env = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
    if let (Some(id), Some(secret)) = (
        from_env("AWS_ACCESS_KEY_ID"),
        from_env("AWS_SECRET_ACCESS_KEY"),
    ) {
        return Ok(AccessKey {
            access_key_id: Secret::new(id),
            secret_access_key: Secret::new(secret),
        });
    }
    if !std::io::stdin().is_terminal() {
        return Err(Error::new(
            ErrorKind::InvalidInput,
            "no credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or run in a terminal to be asked",
        ));
    }
    let io_error = |e: std::io::Error| {
        Error::new(
            ErrorKind::InvalidInput,
            format!("cannot read the credentials: {e}"),
        )
    };
    eprint!("Access key id: ");
    std::io::stderr().flush().map_err(io_error)?;
    let mut id = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut id)
        .map_err(io_error)?;
    let secret = rpassword::prompt_password("Secret access key: ").map_err(io_error)?;
    let (id, secret) = (id.trim().to_string(), secret.trim().to_string());
    if id.is_empty() || secret.is_empty() {
        return Err(Error::new(
            ErrorKind::InvalidInput,
            "the access key id and secret must not be empty",
        ));
    }
    Ok(AccessKey {
        access_key_id: Secret::new(id),
        secret_access_key: Secret::new(secret),
    })
}
