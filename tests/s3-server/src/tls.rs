//! HTTPS in front of a [`crate::TestS3`]: a TLS listener on 127.0.0.1 whose connections are
//! decrypted and passed byte for byte to the plain server, with a certificate for 127.0.0.1
//! and `localhost` issued by a CA made for this front alone. Tests trust that CA through the
//! platform's mechanism (e.g. `SSL_CERT_FILE` pointing at [`TlsFront::ca_pem`]) or leave it
//! untrusted to see how a refused certificate is reported.

use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, KeyPair, SanType};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;
use tokio::net::{TcpListener, TcpStream};
use tokio_rustls::TlsAcceptor;
use tokio_util::sync::CancellationToken;

/// A TLS front; stops accepting when dropped.
pub struct TlsFront {
    port: u16,
    ca_pem: String,
    stop: CancellationToken,
}

impl TlsFront {
    /// Starts a front for the plain server on 127.0.0.1:`target_port`, on the current runtime.
    ///
    /// # Panics
    /// If the certificates cannot be made or the socket cannot be bound.
    pub async fn start(target_port: u16) -> TlsFront {
        let (ca_pem, config) = certificates().expect("test certificates");
        let acceptor = TlsAcceptor::from(Arc::new(config));
        let listener = TcpListener::bind(SocketAddr::from((Ipv4Addr::LOCALHOST, 0)))
            .await
            .expect("bind the TLS front");
        let port = listener.local_addr().expect("bound address").port();
        let stop = CancellationToken::new();
        let stopped = stop.clone();
        tokio::spawn(async move {
            loop {
                tokio::select! {
                    () = stopped.cancelled() => break,
                    accepted = listener.accept() => {
                        let Ok((stream, _)) = accepted else { continue };
                        tokio::spawn(relay(acceptor.clone(), stream, target_port, stopped.clone()));
                    }
                }
            }
        });
        TlsFront { port, ca_pem, stop }
    }

    /// "https://127.0.0.1:PORT"
    pub fn endpoint(&self) -> String {
        format!("https://127.0.0.1:{}", self.port)
    }

    /// The issuing CA's certificate (PEM), to trust or not.
    pub fn ca_pem(&self) -> &str {
        &self.ca_pem
    }
}

impl Drop for TlsFront {
    fn drop(&mut self) {
        self.stop.cancel();
    }
}

async fn relay(acceptor: TlsAcceptor, stream: TcpStream, target: u16, stop: CancellationToken) {
    // A client that refuses the certificate ends the handshake here: nothing to relay.
    let Ok(mut tls) = acceptor.accept(stream).await else {
        return;
    };
    let Ok(mut plain) = TcpStream::connect((Ipv4Addr::LOCALHOST, target)).await else {
        return;
    };
    tokio::select! {
        _ = tokio::io::copy_bidirectional(&mut tls, &mut plain) => {}
        () = stop.cancelled() => {}
    }
}

/// A fresh CA (PEM) and a server config whose certificate that CA issued.
fn certificates() -> Result<(String, rustls::ServerConfig), Box<dyn std::error::Error>> {
    let ca_key = KeyPair::generate()?;
    let mut ca_params = CertificateParams::new(Vec::<String>::new())?;
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params.distinguished_name.push(
        DnType::CommonName,
        format!("hoist-test-s3 CA {:016x}", rand::random::<u64>()),
    );
    let ca = ca_params.self_signed(&ca_key)?;

    let leaf_key = KeyPair::generate()?;
    let mut leaf_params = CertificateParams::new(Vec::<String>::new())?;
    leaf_params.subject_alt_names = vec![
        SanType::IpAddress(IpAddr::V4(Ipv4Addr::LOCALHOST)),
        SanType::DnsName("localhost".try_into()?),
    ];
    leaf_params
        .distinguished_name
        .push(DnType::CommonName, "127.0.0.1");
    let leaf = leaf_params.signed_by(&leaf_key, &ca, &ca_key)?;

    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(leaf_key.serialize_der()));
    let chain: Vec<CertificateDer<'static>> = vec![leaf.der().clone()];
    let config = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()?
    .with_no_client_auth()
    .with_single_cert(chain, key)?;
    Ok((ca.pem(), config))
}
