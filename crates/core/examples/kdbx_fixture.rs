//! Writes a KeePassXC-style database for `make bench` (scripts/bench_import.py):
//! KDBX 4 with Argon2d at KeePassXC's defaults (64 MiB, 2 lanes here), N
//! entries in one group, each with a protected password. keepassxc-cli 2.7
//! itself only makes AES-KDF files.
//!
//! Usage: kdbx_fixture OUT.kdbx PASSWORD N ITERATIONS

use keepass::{
    Database, DatabaseKey,
    config::{DatabaseConfig, KdfConfig},
    db::{Entry, Group, Value},
};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [out, password, count, iterations] = &args[..] else {
        panic!("usage: kdbx_fixture OUT.kdbx PASSWORD N ITERATIONS");
    };
    let mut config = DatabaseConfig::default();
    if let KdfConfig::Argon2 { iterations: rounds, memory, parallelism, .. } = &mut config.kdf_config {
        (*rounds, *memory, *parallelism) = (iterations.parse().unwrap(), 64 << 20, 2);
    }
    let mut db = Database::new(config);
    let mut group = Group::new("Services");
    for i in 0..count.parse::<usize>().unwrap() {
        let mut entry = Entry::new();
        let mut set = |key: &str, value: Value| {
            entry.fields.insert(key.to_owned(), value);
        };
        set("Title", Value::Unprotected(format!("Service {i}")));
        set("UserName", Value::Unprotected(format!("user{i}")));
        set("URL", Value::Unprotected(format!("https://s{i}.example")));
        set("Password", Value::Protected(format!("pw-{i:05}").into_bytes().into()));
        group.entries.push(entry);
    }
    db.root.groups.push(group);
    let mut file = std::fs::File::create(out).unwrap();
    db.save(&mut file, DatabaseKey::new().with_password(password)).unwrap();
}
