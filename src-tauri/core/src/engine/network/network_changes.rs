//! The OS's word that the network changed: NetworkManager's `StateChanged` signal on the system
//! bus (connecting, connected, disconnected: a laptop rejoining Wi-Fi), heard on a thread of its
//! own with zbus's blocking API. Without a system bus or NetworkManager nothing is heard, and
//! the gate's timer alone brings jobs back (within a few seconds).

use std::sync::Arc;
use tokio::sync::Notify;

const INTERFACE: &str = "org.freedesktop.NetworkManager";

/// Starts listening; each change wakes whoever waits on `changed`.
pub fn listen(changed: Arc<Notify>) {
    let started = std::thread::Builder::new()
        .name("hoist-network-changes".into())
        .spawn(move || {
            if let Err(e) = run(&changed) {
                tracing::debug!(error = %e, "not hearing network changes from NetworkManager");
            }
        });
    if let Err(e) = started {
        tracing::debug!(error = %e, "cannot start the network-change listener");
    }
}

fn run(changed: &Notify) -> zbus::Result<()> {
    let bus = zbus::blocking::Connection::system()?;
    let rule = zbus::MatchRule::builder()
        .msg_type(zbus::message::Type::Signal)
        .interface(INTERFACE)?
        .member("StateChanged")?
        .build();
    let signals = zbus::blocking::MessageIterator::for_match_rule(rule, &bus, Some(16))?;
    tracing::info!("listening for NetworkManager's state changes");
    for signal in signals {
        let state: Option<u32> = signal.ok().and_then(|m| m.body().deserialize().ok());
        tracing::info!(?state, "NetworkManager reports a network change");
        changed.notify_waiters();
    }
    Ok(())
}
