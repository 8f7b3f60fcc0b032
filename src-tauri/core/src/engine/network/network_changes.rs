//! What NetworkManager says of the network, heard on the system bus on a thread of its own with
//! zbus's blocking API:
//! - that it changed (`StateChanged`: connecting, connected, disconnected: a laptop rejoining
//!   Wi-Fi), which probes an unreachable endpoint at once;
//! - whether the connection is metered (its `Metered` property, read at the start, and again on
//!   each `PropertiesChanged` and `StateChanged`), which holds transfers back when the user asked.
//!
//! Without a system bus or NetworkManager nothing is heard: the gate's timer alone brings jobs
//! back (within a few seconds), and the connection counts as not metered.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use tokio::sync::Notify;

const SERVICE: &str = "org.freedesktop.NetworkManager";
const PATH: &str = "/org/freedesktop/NetworkManager";
const PROPERTIES: &str = "org.freedesktop.DBus.Properties";

/// NetworkManager's `NMMetered` values that mean metered: `YES` (1) and `GUESS_YES` (3, a phone's
/// hotspot or a mobile broadband modem). `UNKNOWN` (0), `NO` (2) and `GUESS_NO` (4) do not.
fn means_metered(value: u32) -> bool {
    matches!(value, 1 | 3)
}

/// What the listener keeps up to date.
#[derive(Default)]
pub struct Heard {
    /// Woken on each change NetworkManager reports.
    pub changed: Notify,
    /// Whether NetworkManager says the connection is metered.
    pub metered: AtomicBool,
    /// `metered` was read once, or cannot be (no system bus, no NetworkManager).
    pub ready: AtomicBool,
}

/// Starts listening; a listener that cannot start says why in the debug log.
pub fn listen(heard: Arc<Heard>) {
    let listener = Arc::clone(&heard);
    let started = std::thread::Builder::new()
        .name("hoist-network-changes".into())
        .spawn(move || {
            if let Err(e) = run(&listener) {
                tracing::debug!(error = %e, "not hearing network changes from NetworkManager");
            }
            listener.ready.store(true, Ordering::SeqCst);
        });
    if let Err(e) = started {
        tracing::debug!(error = %e, "cannot start the network-change listener");
        heard.ready.store(true, Ordering::SeqCst);
    }
}

fn run(heard: &Heard) -> zbus::Result<()> {
    let bus = zbus::blocking::Connection::system()?;
    // Every signal on NetworkManager's object: its StateChanged and the properties' changes.
    let rule = zbus::MatchRule::builder()
        .msg_type(zbus::message::Type::Signal)
        .path(PATH)?
        .build();
    let signals = zbus::blocking::MessageIterator::for_match_rule(rule, &bus, Some(16))?;
    read_metered(&bus, heard);
    heard.ready.store(true, Ordering::SeqCst);
    tracing::info!("listening for NetworkManager's state changes");
    for signal in signals {
        let Ok(signal) = signal else { continue };
        let header = signal.header();
        let member = header.member().map(|m| m.as_str()).unwrap_or_default();
        let interface = header.interface().map(|i| i.as_str()).unwrap_or_default();
        match (interface, member) {
            (SERVICE, "StateChanged") => {
                let state: Option<u32> = signal.body().deserialize().ok();
                tracing::info!(?state, "NetworkManager reports a network change");
                read_metered(&bus, heard);
                heard.changed.notify_waiters();
            }
            (PROPERTIES, "PropertiesChanged") => read_metered(&bus, heard),
            _ => {}
        }
    }
    Ok(())
}

/// Reads `Metered` and keeps it; a NetworkManager that does not have it is not metered.
fn read_metered(bus: &zbus::blocking::Connection, heard: &Heard) {
    let value = bus
        .call_method(
            Some(SERVICE),
            PATH,
            Some(PROPERTIES),
            "Get",
            &(SERVICE, "Metered"),
        )
        .and_then(|reply| reply.body().deserialize::<zbus::zvariant::OwnedValue>())
        .ok()
        .and_then(|value| u32::try_from(value).ok());
    let metered = value.is_some_and(means_metered);
    if heard.metered.swap(metered, Ordering::SeqCst) != metered {
        tracing::info!(?value, metered, "NetworkManager's connection metered state");
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_guessed_metered_connection_counts_as_metered_and_an_unknown_one_does_not() {
        let metered: Vec<u32> = (0..=5).filter(|v| super::means_metered(*v)).collect();
        assert_eq!(metered, [1, 3], "YES and GUESS_YES only");
    }
}
