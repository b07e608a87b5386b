//! What any client may send: random frames, and random bodies behind valid
//! message types, never panic the agent (a panic hook counts them, in any of
//! its tasks) or stop it: after every case it still lists the vault's key to
//! a well-formed request (proptest; `PROPTEST_CASES` raises the count).

use std::{
    io::{Read as _, Write as _},
    os::unix::net::UnixStream,
    path::PathBuf,
    time::Duration,
};

use keyhaven_agent::{Agent, Confirm};
use keyhaven_core::{
    KdfParams, SecretName, Vault,
    secret::SecretFields,
    ssh::{KeyType, NewKey},
};
use proptest::prelude::*;
use secrecy::SecretString;

/// A vault with one key, its agent serving on a socket in a runtime of its own.
struct Served {
    socket: PathBuf,
    _dir: tempfile::TempDir,
    _runtime: tokio::runtime::Runtime,
}

static PANICKED: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

fn serve() -> Served {
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        PANICKED.store(true, std::sync::atomic::Ordering::SeqCst);
        previous(info);
    }));
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("vault.sqlite");
    let mut vault =
        Vault::create(&path, &SecretString::from("fuzz passphrase"), KdfParams::custom(8, 1).unwrap())
            .unwrap();
    let key = NewKey::generate(KeyType::Ed25519, "fuzz@keyhaven").unwrap();
    vault
        .add_ssh_key(&SecretName::parse("FUZZ_KEY").unwrap(), &key, &SecretFields::default(), "test")
        .unwrap();
    let socket = dir.path().join("run").join("agent.sock");
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let listener = runtime.block_on(async { keyhaven_agent::bind(&socket) }).unwrap();
    let host = std::sync::Arc::new(keyhaven_agent::Held::new(Some(vault), None));
    runtime.spawn(Agent::new(&path, host, Confirm::Never).serve(listener));
    Served { socket, _dir: dir, _runtime: runtime }
}

/// Sends `bytes`, closes the writing half, reads whatever comes back.
fn send(socket: &PathBuf, bytes: &[u8]) {
    let mut stream = UnixStream::connect(socket).unwrap();
    stream.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    stream.set_write_timeout(Some(Duration::from_secs(5))).unwrap();
    let _ = stream.write_all(bytes);
    let _ = stream.shutdown(std::net::Shutdown::Write);
    let _ = stream.read_to_end(&mut Vec::new());
}

/// SSH_AGENTC_REQUEST_IDENTITIES answered with one key.
fn still_lists(socket: &PathBuf) -> bool {
    let mut stream = UnixStream::connect(socket).unwrap();
    stream.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    stream.write_all(&[0, 0, 0, 1, 11]).unwrap();
    let mut header = [0u8; 9];
    // Length, SSH_AGENT_IDENTITIES_ANSWER (12), then the number of keys.
    stream.read_exact(&mut header).is_ok() && header[4] == 12 && header[5..9] == [0, 0, 0, 1]
}

/// A frame: a length prefix (right, or off by a little) and a body that
/// starts with a real message type more often than not.
fn frame() -> impl Strategy<Value = Vec<u8>> {
    let message_type = prop_oneof![
        Just(11u8), // request identities
        Just(13u8), // sign
        Just(17u8), // add identity
        Just(18u8), // remove identity
        Just(22u8), // lock
        Just(27u8), // extension (session-bind, query)
        any::<u8>(),
    ];
    (message_type, proptest::collection::vec(any::<u8>(), 0..512), -3i64..=3).prop_map(
        |(kind, body, skew)| {
            let length = (body.len() as i64 + 1 + skew).max(0) as u32;
            let mut framed = length.to_be_bytes().to_vec();
            framed.push(kind);
            framed.extend(body);
            framed
        },
    )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn no_frame_stops_the_agent(frames in proptest::collection::vec(frame(), 1..4)) {
        let served = SERVED.with(|served| served.socket.clone());
        for frame in &frames {
            send(&served, frame);
        }
        prop_assert!(still_lists(&served));
        prop_assert!(!PANICKED.load(std::sync::atomic::Ordering::SeqCst), "a frame panicked the agent");
    }
}

thread_local! {
    static SERVED: Served = serve();
}
