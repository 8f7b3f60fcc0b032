//! The offline gate. When a request finds its endpoint unreachable, the job does not spend its
//! retry budget: it waits here. One task per endpoint probes (a cheap HTTP request: any answer
//! at all, even 403, means the endpoint is back), backing off from half a second to 30 s with jitter; the
//! other waiters queue behind it and go on as soon as it reports the endpoint reachable.

use crate::event::Event;
use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::broadcast;

const PROBE_TIMEOUT: Duration = Duration::from_secs(5);
const FIRST_PROBE_DELAY: Duration = Duration::from_millis(500);
const MAX_PROBE_DELAY: Duration = Duration::from_secs(30);

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
}

impl Network {
    pub fn new(events: broadcast::Sender<Event>) -> Network {
        let client = crate::http::client(PROBE_TIMEOUT).unwrap_or_default();
        Network {
            endpoints: Mutex::new(HashMap::new()),
            offline_waiters: AtomicUsize::new(0),
            client,
            events,
        }
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
        let _probing = endpoint.probe.lock().await;
        if endpoint.epoch.load(Ordering::SeqCst) != seen_epoch {
            return;
        }
        let mut delay = FIRST_PROBE_DELAY;
        loop {
            tokio::time::sleep(delay.mul_f64(0.5 + rand::random::<f64>() / 2.0)).await;
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

struct WaiterGuard<'a>(&'a Network);

impl Drop for WaiterGuard<'_> {
    fn drop(&mut self) {
        if self.0.offline_waiters.fetch_sub(1, Ordering::SeqCst) == 1 {
            let _ = self.0.events.send(Event::Network { online: true });
        }
    }
}
