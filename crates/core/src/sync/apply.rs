//! Runs the remote calls of a plan on a few threads: loopback answers in
//! well under a millisecond, but backoffs and real networks do not, so calls
//! overlap. Results come back to the caller's thread, which alone writes the
//! vault. Once the remote is unreachable, or the sync is cancelled, the
//! remaining calls are not sent (their writes stay in the outbox).

use std::sync::{
    Mutex,
    atomic::{AtomicBool, Ordering},
    mpsc,
};

use secrecy::SecretString;

use super::{CANCELLED, Cancel};
use crate::remote::{Deleted, Failure, Metadata, RemoteError, RemoteResult, RemoteSecret, SecretsApi};

/// Calls in flight at once.
const WORKERS: usize = 8;

/// One remote call.
pub(crate) enum Job {
    Create {
        name: String,
        value: SecretString,
        meta: Metadata,
        request_id: String,
        replay: bool,
    },
    Update {
        target: RemoteSecret,
        value: SecretString,
        meta: Metadata,
        expected: Option<String>,
        request_id: String,
    },
    Delete {
        target: RemoteSecret,
        request_id: String,
    },
    Reveal {
        target: RemoteSecret,
    },
}

pub(crate) enum Outcome {
    Written(RemoteSecret),
    Deleted(Deleted),
    Revealed(SecretString),
}

fn run(api: &dyn SecretsApi, job: &Job) -> RemoteResult<Outcome> {
    match job {
        Job::Create { name, value, meta, request_id, replay } => {
            api.create(name, value, meta, request_id, *replay).map(Outcome::Written)
        }
        Job::Update { target, value, meta, expected, request_id } => {
            api.update(target, value, meta, expected.as_deref(), request_id).map(Outcome::Written)
        }
        Job::Delete { target, request_id } => api.delete(target, request_id).map(Outcome::Deleted),
        Job::Reveal { target } => api.reveal(target).map(Outcome::Revealed),
    }
}

/// Runs `jobs` (tagged with the caller's index) and hands each result to
/// `done` on this thread, in completion order.
pub(crate) fn execute(
    api: &dyn SecretsApi,
    jobs: Vec<(usize, Job)>,
    cancel: &Cancel,
    mut done: impl FnMut(usize, RemoteResult<Outcome>),
) {
    let queue = Mutex::new(jobs.into_iter());
    let offline = AtomicBool::new(false);
    let (sender, receiver) = mpsc::channel();
    std::thread::scope(|scope| {
        for _ in 0..WORKERS {
            let sender = sender.clone();
            let (queue, offline) = (&queue, &offline);
            scope.spawn(move || {
                loop {
                    let next = queue.lock().unwrap_or_else(|p| p.into_inner()).next();
                    let Some((index, job)) = next else { break };
                    let result = if cancel.is_cancelled() {
                        Err(RemoteError::new(Failure::Unreachable, format!("not sent: {CANCELLED}")))
                    } else if offline.load(Ordering::Relaxed) {
                        Err(RemoteError::new(Failure::Unreachable, "not sent: the remote stopped answering"))
                    } else {
                        run(api, &job)
                    };
                    if result.as_ref().is_err_and(|err| err.kind == Failure::Unreachable) {
                        offline.store(true, Ordering::Relaxed);
                    }
                    if sender.send((index, result)).is_err() {
                        break;
                    }
                }
            });
        }
        drop(sender);
        for (index, result) in receiver {
            done(index, result);
        }
    });
}
