//! One sync at a time per remote, within the app. A push (pusher.rs), a
//! background pass (passes.rs), Sync and a conflict's resolution each plan
//! from the vault's record of the remote and then call it; two at once on
//! the same remote would plan from the same record, and the slower one would
//! write back what the faster one had settled (a conflict resolved a moment
//! ago recorded again by a push planned before it). Each holds its remotes'
//! gates for the whole of its run; remotes apart never wait for each other.

use std::{
    collections::BTreeSet,
    sync::{Condvar, Mutex},
};

use crate::lock;

#[derive(Default)]
pub struct Gates {
    busy: Mutex<BTreeSet<String>>,
    freed: Condvar,
}

/// Gates held; dropped, they open.
pub struct Held<'a> {
    gates: &'a Gates,
    remotes: BTreeSet<String>,
}

impl Gates {
    /// Waits until none of `remotes` is busy, then holds them all (taken
    /// together, so two holders never wait on each other).
    pub fn hold(&self, remotes: impl IntoIterator<Item = String>) -> Held<'_> {
        let remotes: BTreeSet<String> = remotes.into_iter().collect();
        let mut busy = lock(&self.busy);
        while remotes.iter().any(|remote| busy.contains(remote)) {
            busy = self.freed.wait(busy).unwrap_or_else(|poisoned| poisoned.into_inner());
        }
        busy.extend(remotes.iter().cloned());
        Held { gates: self, remotes }
    }
}

impl Drop for Held<'_> {
    fn drop(&mut self) {
        let mut busy = lock(&self.gates.busy);
        for remote in &self.remotes {
            busy.remove(remote);
        }
        self.gates.freed.notify_all();
    }
}

#[cfg(test)]
mod tests {
    use std::{
        sync::{Arc, mpsc},
        time::Duration,
    };

    use super::*;

    #[test]
    fn a_remote_is_synced_by_one_holder_at_a_time_and_others_do_not_wait() {
        let gates = Arc::new(Gates::default());
        let held = gates.hold(["rl".to_owned()]);
        // Another remote: not held up.
        drop(gates.hold(["rt".to_owned()]));
        let (sender, got) = mpsc::channel();
        let waiting = {
            let gates = gates.clone();
            std::thread::spawn(move || {
                let _both = gates.hold(["rt".to_owned(), "rl".to_owned()]);
                sender.send(()).unwrap();
            })
        };
        assert!(got.recv_timeout(Duration::from_millis(300)).is_err(), "rl was taken twice");
        drop(held);
        got.recv_timeout(Duration::from_secs(5)).expect("the gate opened");
        waiting.join().unwrap();
        assert!(lock(&gates.busy).is_empty());
    }
}
