//! The plain HTTP client for what is not an S3 call (the offline gate's probe, the connection
//! test's TLS check and presigned GET), and what a TLS failure means. One trust store for the
//! whole app: reqwest is built with the platform's roots (`rustls-native-certs`, which also reads
//! `SSL_CERT_FILE` / `SSL_CERT_DIR`), as the AWS SDK's client is, so a private CA the system
//! trusts is trusted by every request Hoist makes.

use std::error::Error as StdError;
use std::time::Duration;

/// A client with `timeout` for connecting and for the whole request.
pub fn client(timeout: Duration) -> reqwest::Result<reqwest::Client> {
    reqwest::Client::builder()
        .timeout(timeout)
        .connect_timeout(timeout)
        .build()
}

/// When the chain of `err` holds a certificate the TLS layer refused, what was wrong with it
/// (e.g. "UnknownIssuer").
pub fn certificate_problem(err: &(dyn StdError + 'static)) -> Option<String> {
    // Depth-first through sources and, for io::Errors (which hand out their inner error's
    // source, not the inner error itself), through the wrapped error too.
    let mut pending: Vec<&(dyn StdError + 'static)> = vec![err];
    while let Some(e) = pending.pop() {
        if let Some(found) = rustls_certificate_error(e) {
            return Some(found);
        }
        if let Some(inner) = e
            .downcast_ref::<std::io::Error>()
            .and_then(|io| io.get_ref())
        {
            pending.push(inner);
        }
        if let Some(source) = e.source() {
            pending.push(source);
        }
    }
    None
}

fn rustls_certificate_error(e: &(dyn StdError + 'static)) -> Option<String> {
    match e.downcast_ref::<rustls::Error>()? {
        rustls::Error::InvalidCertificate(why) => Some(format!("{why:?}")),
        _ => None,
    }
}

/// What to say when `host`'s certificate is refused.
pub fn untrusted_message(host: &str, problem: &str) -> String {
    format!(
        "the certificate of {host} is not trusted ({problem}): if the server uses a private \
         CA, add that CA to the system's trust store (update-ca-certificates, or SSL_CERT_FILE \
         pointing at a bundle that holds it); if the certificate expired or names another host, \
         fix it on the server"
    )
}

/// A reqwest error as text without its URL (a presigned URL carries the access key id and a
/// signature), with its sources.
pub fn describe(err: reqwest::Error) -> String {
    let err = err.without_url();
    let mut text = err.to_string();
    let mut source = err.source();
    while let Some(inner) = source {
        let part = inner.to_string();
        if !text.contains(&part) {
            text = format!("{text}: {part}");
        }
        source = inner.source();
    }
    text
}
