//! The first steps of a connection test ([`super::S3Backend`]'s `reachability`): is the endpoint's host known (DNS), does anything
//! listen there (TCP), and, for `https://`, does the TLS handshake succeed. Each has its own
//! message, which the S3 error an SDK request would give could not tell apart.

use crate::connection::ConnectionStep;
use crate::error::ErrorKind;
use std::time::Duration;

const TLS_TIMEOUT: Duration = Duration::from_secs(30);

/// DNS, TCP and (for https) TLS, each with its own message.
pub(super) async fn reachability(endpoint: &str) -> Vec<ConnectionStep> {
    let url = match reqwest::Url::parse(endpoint) {
        Ok(url) => url,
        Err(e) => {
            return vec![ConnectionStep::failed(
                "endpoint",
                true,
                Some(ErrorKind::InvalidInput),
                format!("'{endpoint}' is not a URL ({e}): fix the destination's endpoint"),
            )];
        }
    };
    // An IPv6 host comes in brackets ("[::1]"), which name resolution does not take.
    let host = url
        .host_str()
        .unwrap_or_default()
        .trim_start_matches('[')
        .trim_end_matches(']')
        .to_string();
    let port = url.port_or_known_default().unwrap_or(443);
    let mut steps = Vec::new();
    let lookup = tokio::time::timeout(
        Duration::from_secs(10),
        tokio::net::lookup_host((host.as_str(), port)),
    )
    .await;
    let addrs: Vec<std::net::SocketAddr> = match lookup {
        Ok(Ok(addrs)) => addrs.collect(),
        Ok(Err(e)) => {
            steps.push(ConnectionStep::failed(
                "DNS",
                true,
                Some(ErrorKind::Unreachable),
                format!(
                    "cannot resolve '{host}' ({e}): check the host name in the destination's \
                     endpoint and this computer's DNS and network"
                ),
            ));
            return steps;
        }
        Err(_) => {
            steps.push(ConnectionStep::failed(
                "DNS",
                true,
                Some(ErrorKind::Unreachable),
                format!("resolving '{host}' took over 10 s: check this computer's DNS"),
            ));
            return steps;
        }
    };
    let found = match (host.parse::<std::net::IpAddr>(), addrs.first()) {
        (Ok(_), _) => format!("{host} is an IP address: nothing to resolve"),
        (Err(_), Some(addr)) => format!("{host} resolves to {}", addr.ip()),
        (Err(_), None) => format!("{host} resolves to no address"),
    };
    steps.push(ConnectionStep::ok("DNS", true, found));
    let connected = match addrs.first() {
        Some(addr) => tokio::time::timeout(
            Duration::from_secs(10),
            tokio::net::TcpStream::connect(addr),
        )
        .await
        .map_err(|_| "no answer within 10 s".to_string())
        .and_then(|r| r.map_err(|e| e.to_string())),
        None => Err("the name has no address".into()),
    };
    if let Err(why) = connected {
        steps.push(ConnectionStep::failed(
            "connection",
            true,
            Some(ErrorKind::Unreachable),
            format!(
                "nothing answers at {host}:{port} ({why}): check the port in the destination's \
                 endpoint, that the server runs, and firewalls"
            ),
        ));
        return steps;
    }
    steps.push(ConnectionStep::ok(
        "connection",
        true,
        format!("{host}:{port} accepts connections"),
    ));
    if url.scheme() == "https" {
        steps.push(tls_check(endpoint, &host).await);
    }
    steps
}

/// An HTTPS request to the endpoint: any HTTP answer proves the TLS handshake.
async fn tls_check(endpoint: &str, host: &str) -> ConnectionStep {
    let client = match crate::http::client(TLS_TIMEOUT) {
        Ok(client) => client,
        Err(e) => {
            let why = crate::http::describe(e);
            return ConnectionStep::failed("TLS", true, Some(ErrorKind::Local), why);
        }
    };
    match client.head(endpoint).send().await {
        Ok(_) => ConnectionStep::ok("TLS", true, format!("the certificate of {host} is trusted")),
        Err(e) => match crate::http::certificate_problem(&e) {
            Some(problem) => ConnectionStep::failed(
                "TLS",
                true,
                Some(ErrorKind::UntrustedCertificate),
                crate::http::untrusted_message(host, &problem),
            ),
            None => {
                let why = crate::http::describe(e);
                ConnectionStep::failed(
                    "TLS",
                    true,
                    Some(ErrorKind::Unreachable),
                    format!(
                        "the TLS handshake with {host} failed ({why}): if the server speaks \
                         plain HTTP, make the destination's endpoint an http:// URL"
                    ),
                )
            }
        },
    }
}
