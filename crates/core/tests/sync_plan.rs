//! Property tests of the sync planner against a model of both sides: random
//! histories of local and remote writes, removals and syncs. After every sync
//! no write made since the previous one is lost (a side that changed keeps
//! its value, the other side gets it or a conflict is recorded), and planning
//! again at once finds nothing left to do but the same conflicts and holds.

use std::collections::{BTreeMap, HashMap};

use keyhaven_core::{
    SecretName,
    remote::{Kind, RemoteSecret},
    sync::plan::{self, AcceptNew, Action, Base, Entry, Local, Options, Step},
};
use proptest::prelude::*;

const NAMES: [&str; 4] = ["A", "B", "C", "D"];

#[derive(Debug, Clone)]
enum Event {
    /// Set or rotate a local value.
    LocalWrite(usize, u8),
    LocalRemove(usize),
    /// Create or update on the remote (someone else's client).
    RemoteWrite(usize, u8),
    RemoteDelete(usize),
    Sync {
        prune: bool,
        pull: bool,
        can_reveal: bool,
    },
}

fn event() -> impl Strategy<Value = Event> {
    prop_oneof![
        (0..NAMES.len(), any::<u8>()).prop_map(|(n, v)| Event::LocalWrite(n, v)),
        (0..NAMES.len()).prop_map(Event::LocalRemove),
        (0..NAMES.len(), any::<u8>()).prop_map(|(n, v)| Event::RemoteWrite(n, v)),
        (0..NAMES.len()).prop_map(Event::RemoteDelete),
        (any::<bool>(), any::<bool>(), any::<bool>()).prop_map(|(prune, pull, can_reveal)| Event::Sync {
            prune,
            pull,
            can_reveal
        }),
    ]
}

#[derive(Debug, Clone)]
struct LocalSecret {
    /// Value of each version, version 1 first.
    versions: Vec<u8>,
    deleted: bool,
}

#[derive(Debug, Clone)]
struct RemoteRow {
    id: String,
    marker: u64,
    value: u8,
}

#[derive(Debug, Default)]
struct World {
    local: BTreeMap<String, LocalSecret>,
    remote: BTreeMap<String, RemoteRow>,
    base: BTreeMap<String, Base>,
    clock: u64,
}

impl World {
    fn tick(&mut self) -> u64 {
        self.clock += 1;
        self.clock
    }

    fn local_value(&self, name: &str) -> Option<u8> {
        self.local.get(name).filter(|s| !s.deleted).map(|s| *s.versions.last().unwrap())
    }

    fn remote_value(&self, name: &str) -> Option<u8> {
        self.remote.get(name).map(|r| r.value)
    }

    fn local_write(&mut self, name: &str, value: u8) {
        let secret =
            self.local.entry(name.into()).or_insert(LocalSecret { versions: vec![], deleted: false });
        secret.versions.push(value);
        secret.deleted = false;
    }

    fn remote_write(&mut self, name: &str, value: u8) -> RemoteSecret {
        let marker = self.tick();
        let row = self.remote.entry(name.into()).or_insert_with(|| RemoteRow {
            id: format!("id-{marker}"),
            marker,
            value,
        });
        row.marker = marker;
        row.value = value;
        remote_secret(name, row)
    }

    /// Paired as a sync pairs them (`plan::entries`).
    fn entries(&self) -> Vec<Entry> {
        let name = |text: &str| SecretName::parse(text).unwrap();
        let locals = self
            .local
            .iter()
            .map(|(n, s)| (name(n), Local { version: s.versions.len() as u32, deleted: s.deleted }))
            .collect();
        let bases = self.base.iter().map(|(n, base)| (name(n), base.clone())).collect();
        let remote = self.remote.iter().map(|(n, row)| remote_secret(n, row)).collect();
        let mut warnings = Vec::new();
        let entries = plan::entries(Kind::Runloop, locals, bases, &HashMap::new(), remote, &mut warnings);
        assert!(warnings.is_empty(), "{warnings:?}");
        entries
    }

    /// Applies a plan as the sync module does.
    fn apply(&mut self, steps: &[Step]) {
        for step in steps {
            let name = step.name.as_str();
            match &step.action {
                Action::Create { version, .. } | Action::Update { version, .. } => {
                    let value = self.local[name].versions[*version as usize - 1];
                    let written = self.remote_write(name, value);
                    self.base.insert(name.into(), Base::synced(&written, *version));
                }
                Action::DeleteRemote { .. } => {
                    self.remote.remove(name);
                    self.base.remove(name);
                }
                Action::DeleteLocal => {
                    self.local.get_mut(name).unwrap().deleted = true;
                    self.base.remove(name);
                }
                Action::Record { remote, local_version } => {
                    let base = Base::recorded(remote, *local_version);
                    self.base.insert(name.into(), base);
                }
                Action::Pull { remote } => {
                    let value = self.remote[name].value;
                    self.local_write(name, value);
                    let version = self.local[name].versions.len() as u32;
                    self.base.insert(name.into(), Base::synced(remote, version));
                }
                Action::Forget => {
                    self.base.remove(name);
                }
                // Made by the sync after the plan, never by the plan itself.
                Action::Link { remote, version } => {
                    self.base.insert(name.into(), Base::synced(remote, *version));
                }
                Action::Conflict { .. } | Action::Hold { .. } => {}
            }
        }
    }
}

fn remote_secret(name: &str, row: &RemoteRow) -> RemoteSecret {
    RemoteSecret::new(row.id.clone(), name, row.marker.to_string())
}

/// Which sides changed a name since its base.
fn changed(world: &World, name: &str) -> (bool, bool) {
    let base = world.base.get(name);
    let local = world.local.get(name);
    let local_changed = match (local, base) {
        (Some(s), Some(b)) if !s.deleted => Some(s.versions.len() as u32) != b.local_version,
        (Some(_), Some(b)) => b.local_version.is_some(),
        (None, Some(b)) => b.local_version.is_some(),
        (Some(s), None) => !s.deleted,
        (None, None) => false,
    };
    let remote_changed = match (world.remote.get(name), base) {
        (Some(r), Some(b)) => r.id != b.remote_id || r.marker.to_string() != b.marker,
        (None, Some(_)) => true,
        (Some(_), None) => true,
        (None, None) => false,
    };
    (local_changed, remote_changed)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn no_write_is_lost_and_a_second_plan_is_empty(history in proptest::collection::vec(event(), 1..40)) {
        let mut world = World::default();
        for event in history {
            match event {
                Event::LocalWrite(n, v) => world.local_write(NAMES[n], v),
                Event::LocalRemove(n) => {
                    if let Some(secret) = world.local.get_mut(NAMES[n]) {
                        secret.deleted = true;
                    }
                }
                Event::RemoteWrite(n, v) => {
                    world.remote_write(NAMES[n], v);
                }
                Event::RemoteDelete(n) => {
                    world.remote.remove(NAMES[n]);
                }
                Event::Sync { prune, pull, can_reveal } => {
                    let options =
                        Options { prune, pull, can_reveal, listing_complete: true, accept_new: Some(&AcceptNew::All) };
                    let before: Vec<_> = NAMES
                        .iter()
                        .map(|n| (changed(&world, n), world.local_value(n), world.remote_value(n)))
                        .collect();
                    let steps = plan::plan(&world.entries(), options);
                    world.apply(&steps);
                    for (name, ((local_changed, remote_changed), local, remote)) in NAMES.iter().zip(before) {
                        let conflict = steps.iter().any(|s| s.name.as_str() == *name
                            && matches!(s.action, Action::Conflict { .. }));
                        // A side that changed keeps what it had.
                        if local_changed {
                            prop_assert_eq!(world.local_value(name), local, "local write to {} lost", name);
                        }
                        if remote_changed {
                            prop_assert_eq!(world.remote_value(name), remote, "remote write to {} lost", name);
                        }
                        // A value written on one side only reaches the other.
                        if local_changed && !remote_changed && local.is_some() {
                            prop_assert_eq!(world.remote_value(name), local, "{} not pushed", name);
                        }
                        if remote_changed && !local_changed && remote.is_some() && pull && can_reveal {
                            prop_assert_eq!(world.local_value(name), remote, "{} not pulled", name);
                        }
                        if local_changed && remote_changed && local != remote {
                            prop_assert!(conflict || local.is_none() || remote.is_none(),
                                "{} changed on both sides without a conflict", name);
                        }
                    }
                    // Planning again at once: the same conflicts and holds, nothing else.
                    let again = plan::plan(&world.entries(), options);
                    let leftover: Vec<&Step> = steps
                        .iter()
                        .filter(|s| matches!(s.action, Action::Conflict { .. } | Action::Hold { .. }))
                        .collect();
                    prop_assert_eq!(again.iter().collect::<Vec<_>>(), leftover);
                }
            }
        }
    }
}
