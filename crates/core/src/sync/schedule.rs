//! When the app's background passes sync each remote: every `interval` after
//! a pass that reached it; after a failure, sooner than never and later each
//! time (exponential backoff with jitter, up to a cap) so a remote that is
//! down or refusing its key is not hammered. Each remote has its own clock:
//! one failing never delays another. Pure (the caller gives the time and the
//! jitter), so it is tested without waiting.

use std::{
    collections::HashMap,
    time::{Duration, Instant},
};

/// The first retry after a failure; it doubles with each failure in a row.
pub const BACKOFF_FIRST: Duration = Duration::from_secs(30);
/// No retry waits longer than this, whatever the interval.
pub const BACKOFF_CAP: Duration = Duration::from_secs(30 * 60);

#[derive(Debug, Clone)]
pub struct Schedule {
    interval: Duration,
    remotes: HashMap<String, Slot>,
}

#[derive(Debug, Clone, Copy)]
struct Slot {
    next: Instant,
    failures: u32,
    /// Asked for by an event since its pass began: due again when it ends.
    again: bool,
}

impl Slot {
    fn new(next: Instant) -> Self {
        Slot { next, failures: 0, again: false }
    }
}

impl Schedule {
    /// Passes every `interval` (the setting; `Duration::ZERO`: off).
    pub fn new(interval: Duration) -> Self {
        Schedule { interval, remotes: HashMap::new() }
    }

    pub fn set_interval(&mut self, interval: Duration, now: Instant) {
        if interval != self.interval {
            self.interval = interval;
            // A remote backing off keeps its wait; one an event made due stays due.
            for slot in self.remotes.values_mut().filter(|slot| slot.failures == 0 && !slot.again) {
                slot.next = now + interval;
            }
        }
    }

    pub fn is_off(&self) -> bool {
        self.interval.is_zero()
    }

    /// The remotes due at `now`, of `remotes` (the vault's, by name). A
    /// remote seen for the first time waits one interval (its first sync is
    /// the user's); remotes gone from the vault are forgotten.
    pub fn due(&mut self, remotes: &[String], now: Instant) -> Vec<String> {
        self.remotes.retain(|name, _| remotes.contains(name));
        if self.is_off() {
            return Vec::new();
        }
        let interval = self.interval;
        remotes
            .iter()
            .filter(|name| {
                self.remotes.entry((*name).clone()).or_insert(Slot::new(now + interval)).next <= now
            })
            .cloned()
            .collect()
    }

    /// Every remote due now: at unlock, at wake from sleep, when the
    /// network comes back. A backoff gives way too (these are rare, and a
    /// remote unreached while the network was down is worth trying at once);
    /// its count of failures stays, so a remote still down backs off further.
    /// A remote whose pass is under way is due again when it ends.
    pub fn all_now(&mut self, remotes: &[String], now: Instant) {
        for name in remotes {
            let slot = self.remotes.entry(name.clone()).or_insert(Slot::new(now));
            slot.next = now;
            slot.again = true;
        }
    }

    /// A pass at `remote` begins (it was due).
    pub fn begin(&mut self, remote: &str) {
        if let Some(slot) = self.remotes.get_mut(remote) {
            slot.again = false;
        }
    }

    /// A pass at `remote` ended: reached (`ok`) or not. `jitter` in [0, 1)
    /// spreads retries by up to a fifth either way.
    pub fn record(&mut self, remote: &str, ok: bool, now: Instant, jitter: f64) {
        let slot = self.remotes.entry(remote.to_owned()).or_insert(Slot::new(now));
        if ok {
            slot.failures = 0;
            slot.next = now + self.interval;
        } else {
            slot.failures = slot.failures.saturating_add(1);
            let doubled = BACKOFF_FIRST.saturating_mul(1 << (slot.failures - 1).min(16));
            slot.next = now + doubled.min(BACKOFF_CAP).mul_f64(0.8 + 0.4 * jitter.clamp(0.0, 1.0));
        }
        if std::mem::take(&mut slot.again) {
            slot.next = now;
        }
    }

    /// When `remote` is next due.
    pub fn next(&self, remote: &str) -> Option<Instant> {
        (!self.is_off()).then(|| self.remotes.get(remote).map(|slot| slot.next)).flatten()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MINUTE: Duration = Duration::from_secs(60);

    fn names(list: &[&str]) -> Vec<String> {
        list.iter().map(|name| (*name).to_owned()).collect()
    }

    #[test]
    fn each_remote_is_due_every_interval_and_a_new_one_waits_one() {
        let start = Instant::now();
        let mut schedule = Schedule::new(5 * MINUTE);
        let remotes = names(&["rl", "rt"]);
        assert!(schedule.due(&remotes, start).is_empty(), "a new remote's first sync is the user's");
        assert_eq!(schedule.due(&remotes, start + 5 * MINUTE), remotes);
        schedule.record("rl", true, start + 5 * MINUTE, 0.5);
        assert_eq!(schedule.due(&remotes, start + 6 * MINUTE), ["rt"]);
        assert_eq!(schedule.due(&remotes, start + 10 * MINUTE), ["rl", "rt"]);
    }

    #[test]
    fn failures_back_off_exponentially_with_jitter_up_to_a_cap_and_never_delay_another() {
        let start = Instant::now();
        let mut schedule = Schedule::new(5 * MINUTE);
        let remotes = names(&["down", "up"]);
        schedule.all_now(&remotes, start);
        schedule.begin("down");
        schedule.begin("up");
        let mut waits = Vec::new();
        let mut now = start;
        for _ in 0..10 {
            schedule.record("down", false, now, 0.5);
            let next = schedule.next("down").unwrap();
            waits.push((next - now).as_secs());
            now = next;
        }
        assert_eq!(waits, [30, 60, 120, 240, 480, 960, 1800, 1800, 1800, 1800]);
        // Jitter spreads a retry by up to a fifth either way.
        schedule.record("down", false, now, 0.0);
        assert_eq!((schedule.next("down").unwrap() - now).as_secs(), 1440);
        schedule.record("down", false, now, 1.0);
        assert_eq!((schedule.next("down").unwrap() - now).as_secs(), 2160);
        // The other remote keeps its own clock.
        schedule.record("up", true, start, 0.5);
        assert_eq!(schedule.next("up").unwrap() - start, 5 * MINUTE);
        // Reached again: back to the interval.
        schedule.record("down", true, now, 0.5);
        assert_eq!(schedule.next("down").unwrap() - now, 5 * MINUTE);
    }

    #[test]
    fn unlock_wake_and_network_make_every_remote_due_even_one_backing_off_and_off_means_never() {
        let start = Instant::now();
        let mut schedule = Schedule::new(5 * MINUTE);
        let remotes = names(&["rl", "rt"]);
        schedule.due(&remotes, start);
        schedule.record("rt", false, start, 0.5);
        let soon = start + Duration::from_secs(10);
        assert!(schedule.due(&remotes, soon).is_empty(), "rt backs off, rl waits its interval");
        schedule.all_now(&remotes, soon);
        assert_eq!(schedule.due(&remotes, soon), ["rl", "rt"]);
        // Still down: the backoff goes on from where it was (the second failure waits 60 s).
        schedule.begin("rt");
        schedule.record("rt", false, soon, 0.5);
        assert_eq!(schedule.next("rt").unwrap() - soon, Duration::from_secs(60));
        schedule.set_interval(Duration::ZERO, start);
        assert!(schedule.due(&remotes, start + 60 * MINUTE).is_empty());
        assert_eq!(schedule.next("rl"), None);
        // Removed from the vault: forgotten.
        schedule.set_interval(5 * MINUTE, start);
        schedule.due(&names(&["rl"]), start);
        assert_eq!(schedule.next("rt"), None);
    }

    #[test]
    fn a_new_interval_moves_each_clock_but_not_a_remote_an_event_made_due() {
        // The app starts with passes off until it reads its settings, which
        // it does once unlocked: the unlock's "now" must survive that.
        let start = Instant::now();
        let mut schedule = Schedule::new(Duration::ZERO);
        let remotes = names(&["rl"]);
        schedule.all_now(&remotes, start);
        schedule.set_interval(5 * MINUTE, start);
        assert_eq!(schedule.due(&remotes, start), ["rl"]);
        schedule.begin("rl");
        schedule.record("rl", true, start, 0.5);
        // A later change of the setting moves the next pass.
        schedule.set_interval(10 * MINUTE, start + MINUTE);
        assert_eq!(schedule.next("rl").unwrap() - start, 11 * MINUTE);
    }

    #[test]
    fn an_event_during_a_pass_makes_the_remote_due_again_when_it_ends() {
        let start = Instant::now();
        let mut schedule = Schedule::new(5 * MINUTE);
        let remotes = names(&["rl"]);
        schedule.all_now(&remotes, start);
        assert_eq!(schedule.due(&remotes, start), ["rl"]);
        schedule.begin("rl");
        // The network comes back while that pass runs (it may have met the network down).
        let during = start + Duration::from_secs(1);
        schedule.all_now(&remotes, during);
        let end = start + Duration::from_secs(2);
        schedule.record("rl", false, end, 0.5);
        assert_eq!(schedule.due(&remotes, end), ["rl"], "the event is not lost to the pass under way");
        schedule.begin("rl");
        schedule.record("rl", true, end, 0.5);
        assert_eq!(schedule.next("rl").unwrap() - end, 5 * MINUTE, "one pass per event");
    }
}
