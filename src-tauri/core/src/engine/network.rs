//! The offline gate. When a request finds its endpoint unreachable, the job does not spend its
//! retry budget: it waits here. One task per endpoint probes, backing off from half a second to
//! 3 s with jitter: a TCP connect first (no TLS, no request: cheap enough to repeat), then,
//! once that connects, one HEAD (any answer at all, even 403, means the endpoint is back). The
//! other waiters queue behind it and go on as soon as it reports the endpoint reachable. A
//! network change the OS reports (NetworkManager's `StateChanged` on the system bus: a laptop
//! rejoining Wi-Fi) probes at once.
//!
//! It also holds transfers back while NetworkManager says the connection is metered and the
//! user asked for that (the `pause_on_metered` setting): the scheduler asks
//! [`Network::hold_for_metered`] each tick.

use crate::event::Event;
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::broadcast;

mod network_changes;

const PROBE_TIMEOUT: Duration = Duration::from_secs(5);
const CONNECT_TIMEOUT: Duration = Duration::from_secs(2);
const FIRST_PROBE_DELAY: Duration = Duration::from_millis(500);
/// Was 30 s: after a 30 s outage the next probe came up to 16 s after the endpoint returned
/// (21.3 s measured from the return to the first resumed request). A connect every 3 s at most
/// costs one SYN.
const MAX_PROBE_DELAY: Duration = Duration::from_secs(3);

#[derive(Default)]
struct Endpoint {
    /// Serializes probing: only the holder probes.
    probe: tokio::sync::Mutex<()>,
    /// Bumped each time a probe finds the endpoint reachable.
    epoch: AtomicUsize,
}

pub struct Network {
    endpoints: Mutex<HashMap<String, Arc<Endpoint>>>,
    offline_waiters: AtomicUsize,
    client: reqwest::Client,
    events: broadcast::Sender<Event>,
    /// What NetworkManager says; the listener starts with the first offline wait, or the first
    /// question about a metered connection.
    heard: Arc<network_changes::Heard>,
    listening: std::sync::Once,
    /// Transfers are held back: the connection is metered and the user asked.
    held_for_metered: AtomicBool,
}

impl Network {
    pub fn new(events: broadcast::Sender<Event>) -> Network {
        let client = crate::http::client(PROBE_TIMEOUT).unwrap_or_default();
        Network {
            endpoints: Mutex::new(HashMap::new()),
            offline_waiters: AtomicUsize::new(0),
            client,
            events,
            heard: Arc::default(),
            listening: std::sync::Once::new(),
            held_for_metered: AtomicBool::new(false),
        }
    }

    fn listen(&self) {
        self.listening
            .call_once(|| network_changes::listen(Arc::clone(&self.heard)));
    }

    /// Whether new transfers must wait, and running ones stop, because the connection is
    /// metered: only when `pause_on_metered` (the setting) is on. Until NetworkManager was
    /// asked once (a few milliseconds after the first call) nothing starts, so a metered
    /// connection sends nothing at all. Tells listeners when the hold starts or ends.
    pub fn hold_for_metered(&self, pause_on_metered: bool) -> bool {
        if pause_on_metered {
            self.listen();
            if !self.heard.ready.load(Ordering::SeqCst) {
                return true;
            }
        }
        let hold = pause_on_metered && self.heard.metered.load(Ordering::SeqCst);
        if self.held_for_metered.swap(hold, Ordering::SeqCst) != hold {
            if hold {
                tracing::warn!("the connection is metered: transfers wait (pause_on_metered)");
            } else {
                tracing::info!(
                    "transfers go on: the connection is not metered, or the setting is off"
                );
            }
            let _ = self.events.send(Event::MeteredHold { held: hold });
        }
        hold
    }

    /// True while [`Network::hold_for_metered`] holds transfers back.
    pub fn held_for_metered(&self) -> bool {
        self.held_for_metered.load(Ordering::SeqCst)
    }

    /// False while any job waits for its endpoint.
    pub fn online(&self) -> bool {
        self.offline_waiters.load(Ordering::SeqCst) == 0
    }

    fn endpoint(&self, url: &str) -> Arc<Endpoint> {
        let mut map = self.endpoints.lock().unwrap_or_else(|p| p.into_inner());
        map.entry(url.to_string()).or_default().clone()
    }

    /// A snapshot to pass to [`Network::wait_until_reachable`] after the request fails, so a
    /// probe that succeeded while the request was in flight is not waited for again.
    pub fn epoch(&self, url: &str) -> usize {
        self.endpoint(url).epoch.load(Ordering::SeqCst)
    }

    /// Waits until `url` answers again. Returns at once if another waiter's probe succeeded
    /// after `seen_epoch`.
    pub async fn wait_until_reachable(&self, url: &str, seen_epoch: usize) {
        let endpoint = self.endpoint(url);
        if self.offline_waiters.fetch_add(1, Ordering::SeqCst) == 0 {
            tracing::warn!(
                endpoint = url,
                "endpoint unreachable: waiting for the network"
            );
            let _ = self.events.send(Event::Network { online: false });
        }
        let _waiter = WaiterGuard(self);
        self.listen();
        let _probing = endpoint.probe.lock().await;
        if endpoint.epoch.load(Ordering::SeqCst) != seen_epoch {
            return;
        }
        let mut delay = FIRST_PROBE_DELAY;
        loop {
            let pause = delay.mul_f64(0.5 + rand::random::<f64>() / 2.0);
            tokio::select! {
                _ = tokio::time::sleep(pause) => {}
                _ = self.heard.changed.notified() => {
                    tracing::info!(endpoint = url, "the network changed: probing at once");
                }
            }
            if self.probe(url).await {
                endpoint.epoch.fetch_add(1, Ordering::SeqCst);
                tracing::info!(endpoint = url, "endpoint reachable again");
                return;
            }
            delay = (delay * 2).min(MAX_PROBE_DELAY);
        }
    }

    /// Any HTTP answer means reachable; so does a refused certificate: the endpoint is there,
    /// and the request that waits will fail with a clear message instead of waiting forever.
    async fn probe(&self, url: &str) -> bool {
        // Through a proxy the endpoint itself may not take connections from here: then the
        // HEAD (which goes through the proxy, as every request does) is the whole probe.
        if let Some(address) = socket_address(url).filter(|_| !behind_a_proxy()) {
            let connect = tokio::net::TcpStream::connect(address.as_str());
            match tokio::time::timeout(CONNECT_TIMEOUT, connect).await {
                Ok(Ok(_)) => {}
                Ok(Err(e)) => {
                    tracing::debug!(endpoint = url, error = %e, "probe: no connection");
                    return false;
                }
                Err(_) => return false,
            }
        }
        match self.client.head(url).send().await {
            Ok(_) => true,
            Err(e) if crate::http::certificate_problem(&e).is_some() => true,
            Err(e) => {
                tracing::debug!(endpoint = url, error = %crate::http::describe(e), "probe failed");
                false
            }
        }
    }
}

/// Whether requests go through a proxy (the variables reqwest honours).
fn behind_a_proxy() -> bool {
    [
        "HTTPS_PROXY",
        "https_proxy",
        "HTTP_PROXY",
        "http_proxy",
        "ALL_PROXY",
        "all_proxy",
    ]
    .iter()
    .any(|var| std::env::var_os(var).is_some_and(|v| !v.is_empty()))
}

/// `host:port` of an endpoint URL, for the probe's connect (the URL's port, else its scheme's).
fn socket_address(url: &str) -> Option<String> {
    let parsed = reqwest::Url::parse(url).ok()?;
    let host = parsed.host_str()?;
    let port = parsed.port_or_known_default()?;
    Some(if host.contains(':') && !host.starts_with('[') {
        format!("[{host}]:{port}")
    } else {
        format!("{host}:{port}")
    })
}

struct WaiterGuard<'a>(&'a Network);

impl Drop for WaiterGuard<'_> {
    fn drop(&mut self) {
        if self.0.offline_waiters.fetch_sub(1, Ordering::SeqCst) == 1 {
            let _ = self.0.events.send(Event::Network { online: true });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::socket_address;

    #[test]
    fn the_probe_connects_to_the_endpoints_host_and_port() {
        let at = |url: &str| socket_address(url);
        assert_eq!(
            at("https://s3.eu-west-1.amazonaws.com").as_deref(),
            Some("s3.eu-west-1.amazonaws.com:443")
        );
        assert_eq!(
            at("http://127.0.0.1:3900").as_deref(),
            Some("127.0.0.1:3900")
        );
        assert_eq!(
            at("http://[::1]:9000/bucket").as_deref(),
            Some("[::1]:9000")
        );
        assert_eq!(at("not a url"), None);
    }
}
