//! `hoist-test-s3 [--port P] [--bucket B]...`: runs the test S3 server for scripts.
//!
//! Prints `endpoint=http://127.0.0.1:PORT` on one stdout line once it listens, then serves
//! until SIGINT or SIGTERM (its temp directory is removed on those; SIGKILL leaves it behind).
//! Credentials are the library's constants, echoed on stderr.

use std::io::Write as _;
use std::process::ExitCode;

use hoist_test_s3::{ACCESS_KEY, REGION, SECRET_KEY, TestS3};

const USAGE: &str = "usage: hoist-test-s3 [--port P] [--bucket B]...";

struct Args {
    port: u16,
    buckets: Vec<String>,
}

fn parse_args(mut args: impl Iterator<Item = String>) -> Result<Args, String> {
    let mut parsed = Args {
        port: 0,
        buckets: Vec::new(),
    };
    while let Some(arg) = args.next() {
        let (name, inline) = match arg.split_once('=') {
            Some((n, v)) => (n.to_owned(), Some(v.to_owned())),
            None => (arg, None),
        };
        let mut value = |name: &str| {
            inline
                .clone()
                .or_else(|| args.next())
                .ok_or(format!("{name} needs a value"))
        };
        match name.as_str() {
            "--port" => {
                let v = value("--port")?;
                parsed.port = v.parse().map_err(|_| format!("bad port: {v}"))?;
            }
            "--bucket" => parsed.buckets.push(value("--bucket")?),
            "-h" | "--help" => return Err(String::new()),
            other => return Err(format!("unknown argument: {other}")),
        }
    }
    Ok(parsed)
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let args = match parse_args(std::env::args().skip(1)) {
        Ok(a) => a,
        Err(e) => {
            if !e.is_empty() {
                eprintln!("hoist-test-s3: {e}");
            }
            eprintln!("{USAGE}");
            return if e.is_empty() {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(2)
            };
        }
    };
    let s3 = match TestS3::start_on_port(args.port).await {
        Ok(s3) => s3,
        Err(e) => {
            eprintln!("hoist-test-s3: cannot start on port {}: {e}", args.port);
            return ExitCode::FAILURE;
        }
    };
    for bucket in &args.buckets {
        s3.create_bucket(bucket);
    }
    eprintln!("hoist-test-s3: access_key={ACCESS_KEY} secret_key={SECRET_KEY} region={REGION}");
    let mut out = std::io::stdout().lock();
    if writeln!(out, "endpoint={}", s3.endpoint())
        .and_then(|()| out.flush())
        .is_err()
    {
        return ExitCode::FAILURE;
    }
    drop(out);

    let mut term = match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("hoist-test-s3: cannot watch SIGTERM: {e}");
            return ExitCode::FAILURE;
        }
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = term.recv() => {}
    }
    drop(s3);
    ExitCode::SUCCESS
}

#[cfg(test)]
mod tests {
    use super::parse_args;

    fn args(list: &[&str]) -> Result<super::Args, String> {
        parse_args(list.iter().map(|s| (*s).to_owned()))
    }

    #[test]
    fn parses_port_and_buckets() {
        let a = args(&["--port", "9000", "--bucket", "a", "--bucket=b"]).unwrap();
        assert_eq!(a.port, 9000);
        assert_eq!(a.buckets, ["a", "b"]);
        assert_eq!(args(&[]).unwrap().port, 0);
        assert!(args(&["--port"]).is_err());
        assert!(args(&["--port", "x"]).is_err());
        assert!(args(&["--what"]).is_err());
    }
}
