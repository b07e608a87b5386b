//! The window's questions for the services the app hosts (the SSH agent,
//! the Secret Service): "Allow PROGRAM to …?" put by core's approvals
//! through [`WindowPrompt`], and the unlock screen shown when a request
//! needs the vault ([`wait_for_unlock`]). Either unanswered in time (30 s;
//! a program's read of an item, 20 s) fails that request, never hangs the
//! client.

use std::{
    collections::BTreeMap,
    sync::{
        Mutex,
        atomic::{AtomicU32, Ordering},
        mpsc,
    },
    time::Duration,
};

use keyhaven_core::approval::{ANSWER_WITHIN, Decision, Prompt, Question};
use serde::{Deserialize, Serialize};
use tauri::{AppHandle, Emitter as _, Manager as _};
use ts_rs::TS;

use crate::{AppState, lock, notify, tray};

/// Emitted with an [`ApprovalQuestion`] when a program asks to use a key or read an item.
pub const APPROVAL_ASKED: &str = "approval-asked";
/// Emitted with the question's id once it is answered or has timed out.
pub const APPROVAL_CLOSED: &str = "approval-closed";

/// A question for the window: "Allow ssh (/usr/bin/ssh) to use the SSH key DEPLOY_KEY?"
#[derive(Debug, Clone, Serialize, TS)]
pub struct ApprovalQuestion {
    pub id: u32,
    /// The executable's file name, and its path (shown: a name is the author's choice).
    pub program: String,
    pub path: String,
    pub pid: i32,
    /// What it asks to do: "use the SSH key DEPLOY_KEY", "read the item “GitHub CLI”".
    pub subject: String,
}

/// The window's answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum Answer {
    Deny,
    Once,
    UntilLock,
    Always,
}

impl From<Answer> for Decision {
    fn from(answer: Answer) -> Self {
        match answer {
            Answer::Deny => Decision::Deny,
            Answer::Once => Decision::Once,
            Answer::UntilLock => Decision::UntilLock,
            Answer::Always => Decision::Always,
        }
    }
}

/// The questions waiting for the window, each with where its answer goes.
#[derive(Default)]
pub struct Questions {
    waiting: Mutex<BTreeMap<u32, (ApprovalQuestion, mpsc::SyncSender<Decision>)>>,
    next: AtomicU32,
}

impl Questions {
    /// Questions waiting for an answer, oldest first (a window opened late shows them).
    pub fn pending(&self) -> Vec<ApprovalQuestion> {
        lock(&self.waiting).values().map(|(question, _)| question.clone()).collect()
    }

    /// The window's answer to question `id`; false when it is no longer asked.
    pub fn answer(&self, id: u32, answer: Answer) -> bool {
        match lock(&self.waiting).remove(&id) {
            Some((_, reply)) => reply.try_send(answer.into()).is_ok(),
            None => false,
        }
    }
}

/// Asks in the main window, shown for it; unanswered `within`, denied.
pub struct WindowPrompt {
    pub app: AppHandle,
    pub within: Duration,
}

impl Prompt for WindowPrompt {
    fn ask(&self, question: &Question<'_>) -> Decision {
        let questions = &self.app.state::<AppState>().questions;
        let id = questions.next.fetch_add(1, Ordering::Relaxed);
        let program = question.program;
        let asked = ApprovalQuestion {
            id,
            program: program
                .exe
                .file_name()
                .map_or_else(String::new, |name| name.to_string_lossy().into_owned()),
            path: program.exe_text(),
            pid: program.pid,
            subject: question.subject.describe(),
        };
        let (reply, answer) = mpsc::sync_channel(1);
        lock(&questions.waiting).insert(id, (asked.clone(), reply));
        tray::show_main(&self.app);
        let _ = self.app.emit(APPROVAL_ASKED, &asked);
        let decision = answer.recv_timeout(self.within).unwrap_or(Decision::Deny);
        lock(&questions.waiting).remove(&id);
        let _ = self.app.emit(APPROVAL_CLOSED, id);
        decision
    }
}

/// Shows the window (its lock screen) saying `why`, and waits at most
/// [`ANSWER_WITHIN`] for the vault to be unlocked; true once it is. Called
/// on a blocking thread.
pub fn wait_for_unlock(app: &AppHandle, why: &str) -> bool {
    let state = app.state::<AppState>();
    notify::show(app, format!("{why}. Unlock Keyhaven to let it."));
    tray::show_main(app);
    let deadline = std::time::Instant::now() + ANSWER_WITHIN;
    while std::time::Instant::now() < deadline {
        if state.session().is_unlocked() {
            return true;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    false
}
