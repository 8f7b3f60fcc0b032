//! The bandwidth limits: one [`Throttle`] for uploads and one for downloads per [`crate::Core`]
//! ([`Throttles`]), each shared by every running file and part of its direction. It is a virtual-clock token bucket: each slice of bytes about to be
//! handed to the network reserves its airtime on one shared timeline and waits until its slot.
//! Reservations are served in order, so concurrent bodies share the rate evenly, and slices are
//! small ([`Throttle::slice`]: a twentieth of a second's worth, 1 to 64 KiB), so no body waits
//! long between bytes and the SDK's stalled-stream protection (which aborts a body that sends
//! nothing for its grace period) never fires. Up to [`BURST`] of unused time may be spent at
//! once after an idle spell. A limit of 0 means none: bodies then skip the throttle entirely.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How much unused airtime an idle link may spend at once.
pub const BURST: Duration = Duration::from_millis(250);
/// The lowest limit accepted, in bytes per second.
pub const MIN_LIMIT: u64 = 8 * 1024;
const MIN_SLICE: usize = 1024;
const MAX_SLICE: usize = 64 * 1024;

/// The upload limit and the download limit, each shared by every transfer of its direction.
#[derive(Debug, Clone, Default)]
pub struct Throttles {
    pub upload: Arc<Throttle>,
    pub download: Arc<Throttle>,
}

impl Throttles {
    pub fn new(upload: Option<u64>, download: Option<u64>) -> Throttles {
        Throttles {
            upload: Arc::new(Throttle::new(upload)),
            download: Arc::new(Throttle::new(download)),
        }
    }
}

#[derive(Debug, Default)]
pub struct Throttle {
    /// Bytes per second from the settings; 0 = unlimited.
    setting: AtomicU64,
    /// A limit for this run only (`--limit`), which beats the setting; 0 = none.
    run_override: AtomicU64,
    /// When the link is next free, on the shared timeline.
    next_free: Mutex<Option<Instant>>,
}

impl Throttle {
    pub fn new(setting: Option<u64>) -> Throttle {
        let throttle = Throttle::default();
        throttle.set_setting(setting);
        throttle
    }

    /// The limit in force, bytes per second; `None` when unlimited.
    pub fn limit(&self) -> Option<u64> {
        let run = self.run_override.load(Ordering::Relaxed);
        let rate = if run > 0 {
            run
        } else {
            self.setting.load(Ordering::Relaxed)
        };
        (rate > 0).then_some(rate)
    }

    /// The stored setting changed (by this process or, seen at a scheduler tick, another one).
    pub fn set_setting(&self, limit: Option<u64>) {
        self.setting.store(limit.unwrap_or(0), Ordering::Relaxed);
    }

    /// A limit for this process's run only, over the setting.
    pub fn set_run_override(&self, limit: Option<u64>) {
        self.run_override
            .store(limit.unwrap_or(0), Ordering::Relaxed);
    }

    /// The most bytes one reservation should take at the current limit.
    pub fn slice(&self) -> usize {
        match self.limit() {
            Some(rate) => usize::try_from(rate / 20)
                .unwrap_or(MAX_SLICE)
                .clamp(MIN_SLICE, MAX_SLICE),
            None => usize::MAX,
        }
    }

    /// Reserves airtime for `bytes` and returns how long to wait before sending them (zero when
    /// unlimited or within the burst).
    pub fn reserve(&self, bytes: usize) -> Duration {
        self.reserve_at(bytes, Instant::now())
    }

    fn reserve_at(&self, bytes: usize, now: Instant) -> Duration {
        let Some(rate) = self.limit() else {
            return Duration::ZERO;
        };
        let airtime = Duration::from_secs_f64(bytes as f64 / rate as f64);
        let mut next_free = self.next_free.lock().unwrap_or_else(|p| p.into_inner());
        let earliest = now.checked_sub(BURST).unwrap_or(now);
        let start = match *next_free {
            Some(t) if t > earliest => t,
            _ => earliest,
        };
        let end = start + airtime;
        *next_free = Some(end);
        end.saturating_duration_since(now)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const KIB: usize = 1024;

    /// Sends `total` bytes in slices from `consumers` round-robin, advancing a made-up clock by
    /// each wait; returns the elapsed time and each consumer's bytes at the halfway time.
    fn simulate(throttle: &Throttle, consumers: usize, total: usize) -> (Duration, Vec<usize>) {
        let t0 = Instant::now();
        let mut clocks = vec![t0; consumers];
        let mut sent = vec![0usize; consumers];
        let mut at_half = Vec::new();
        let mut left = total;
        let mut i = 0;
        while left > 0 {
            let n = throttle.slice().min(left);
            let wait = throttle.reserve_at(n, clocks[i]);
            clocks[i] += wait;
            sent[i] += n;
            left -= n;
            if at_half.is_empty() && left <= total / 2 {
                at_half = sent.clone();
            }
            i = (i + 1) % consumers;
        }
        let end = clocks.into_iter().max().unwrap();
        (end - t0, at_half)
    }

    #[test]
    fn the_rate_holds_over_a_window_minus_the_burst() {
        let throttle = Throttle::new(Some(100 * 1000));
        let (elapsed, _) = simulate(&throttle, 1, 1_000_000);
        // 1 MB at 100 kB/s is 10 s; the burst lets the first 250 ms go at once.
        let expected = Duration::from_secs(10) - BURST;
        let diff = elapsed.abs_diff(expected);
        assert!(diff < Duration::from_millis(60), "{elapsed:?}");
    }

    #[test]
    fn concurrent_bodies_share_the_rate_evenly() {
        let throttle = Throttle::new(Some(256 * KIB as u64));
        let (elapsed, at_half) = simulate(&throttle, 4, 4 * 1024 * KIB);
        let floor = Duration::from_secs(16) - BURST - Duration::from_millis(10);
        assert!(elapsed >= floor, "{elapsed:?}");
        let (min, max) = (at_half.iter().min().unwrap(), at_half.iter().max().unwrap());
        assert!(max - min <= throttle.slice(), "{at_half:?}");
    }

    #[test]
    fn slices_keep_waits_far_below_the_stall_grace() {
        // Twelve bodies (three files, four parts each) on a slow limit.
        let throttle = Throttle::new(Some(MIN_LIMIT));
        assert_eq!(throttle.slice(), MIN_SLICE);
        let now = Instant::now();
        let worst = (0..12)
            .map(|_| throttle.reserve_at(throttle.slice(), now))
            .max()
            .unwrap();
        assert!(worst < Duration::from_secs(2), "{worst:?}");
    }

    #[test]
    fn unlimited_never_waits_and_the_run_override_wins() {
        let throttle = Throttle::new(None);
        assert_eq!(throttle.slice(), usize::MAX);
        assert_eq!(throttle.reserve(usize::MAX / 2), Duration::ZERO);
        throttle.set_setting(Some(1_000_000));
        assert_eq!(throttle.limit(), Some(1_000_000));
        throttle.set_run_override(Some(50_000));
        assert_eq!(throttle.limit(), Some(50_000));
        throttle.set_setting(None);
        assert_eq!(throttle.limit(), Some(50_000));
        throttle.set_run_override(None);
        assert_eq!(throttle.limit(), None);
    }

    #[test]
    fn a_lower_limit_applies_to_the_next_reservation() {
        let throttle = Throttle::new(Some(1_000_000));
        let now = Instant::now();
        throttle.reserve_at(250_000, now); // the burst
        let fast = throttle.reserve_at(10_000, now);
        throttle.set_setting(Some(10_000));
        let slow = throttle.reserve_at(10_000, now);
        assert!(
            slow >= fast + Duration::from_millis(990),
            "{fast:?} {slow:?}"
        );
    }
}
