//! The app hosting Keyhaven's SSH agent (Settings, "SSH agent"; off by
//! default): the agent `keyhaven ssh-agent` serves (crates/agent), at the
//! default socket, over the app's own session. While the vault is locked a
//! signature shows the unlock screen; a program's first use of a key asks in
//! the window (the approvals of `keyhaven_core::approval`). Either question
//! unanswered within 30 s fails that request, never hangs the client.

use std::{
    collections::BTreeMap,
    path::PathBuf,
    sync::{
        Arc, Mutex,
        atomic::{AtomicU32, Ordering},
        mpsc,
    },
};

use keyhaven_agent::{Agent, Confirm, Host};
use keyhaven_core::{
    UnlockedVault,
    approval::{ANSWER_WITHIN, Approvals, Decision, Prompt, Question},
};
use serde::{Deserialize, Serialize};
use tauri::{AppHandle, Emitter as _, Manager as _};
use ts_rs::TS;

use crate::{AppState, lock, notify, tray};

/// Emitted with an [`ApprovalQuestion`] when a program asks to use a key.
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
    /// What it asks to do: "use the SSH key DEPLOY_KEY".
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

/// Whether the agent runs, where, and why not.
#[derive(Debug, Clone, Serialize, TS)]
pub struct AgentStatus {
    pub running: bool,
    /// The socket, for `SSH_AUTH_SOCK`.
    pub socket: Option<String>,
}

struct Running {
    socket: PathBuf,
    task: tauri::async_runtime::JoinHandle<()>,
    approvals: Arc<Approvals>,
}

/// The agent while it runs, and the questions waiting for the window.
#[derive(Default)]
pub struct Service {
    running: Mutex<Option<Running>>,
    questions: Mutex<BTreeMap<u32, (ApprovalQuestion, mpsc::SyncSender<Decision>)>>,
    next: AtomicU32,
}

impl Service {
    /// Serves the agent at the default socket; an error says why not (no
    /// runtime directory, another agent live there).
    pub fn start(&self, app: &AppHandle) -> Result<PathBuf, String> {
        if let Some(running) = lock(&self.running).as_ref() {
            return Ok(running.socket.clone());
        }
        let socket = keyhaven_agent::default_socket()
            .ok_or("XDG_RUNTIME_DIR is not set, so the agent has no place for its socket")?;
        let vault_path = app.state::<AppState>().session().path().to_owned();
        let approvals = Arc::new(Approvals::new(Box::new(WindowPrompt(app.clone()))));
        let host = Arc::new(AppHost(app.clone()));
        let agent = Agent::new(&vault_path, host, Confirm::Ask(approvals.clone()));
        // Bound here, in the runtime's context (tokio's listener needs one), so
        // an error is the caller's; waiting on a spawned task instead can
        // starve it when the caller is itself on a runtime worker.
        let handle = tauri::async_runtime::handle();
        let listener = {
            let _entered = handle.inner().enter();
            keyhaven_agent::bind(&socket)
        }
        .map_err(|err| format!("cannot serve the agent at {}: {err}", socket.display()))?;
        let task = tauri::async_runtime::spawn(async move {
            if let Err(err) = agent.serve(listener).await {
                tracing::warn!("ssh agent stopped: {err}");
            }
        });
        tracing::info!("ssh agent serving at {}", socket.display());
        *lock(&self.running) = Some(Running { socket: socket.clone(), task, approvals });
        Ok(socket)
    }

    /// Stops serving and removes the socket.
    pub fn stop(&self) {
        if let Some(running) = lock(&self.running).take() {
            running.task.abort();
            let _ = std::fs::remove_file(&running.socket);
        }
    }

    /// The vault locked: what was allowed until lock is asked again.
    pub fn locked(&self) {
        if let Some(running) = lock(&self.running).as_ref() {
            running.approvals.lock();
        }
    }

    pub fn status(&self) -> AgentStatus {
        let running = lock(&self.running);
        AgentStatus {
            running: running.is_some(),
            socket: running.as_ref().map(|running| running.socket.display().to_string()),
        }
    }

    /// Questions waiting for an answer, oldest first (a window opened late shows them).
    pub fn pending(&self) -> Vec<ApprovalQuestion> {
        lock(&self.questions).values().map(|(question, _)| question.clone()).collect()
    }

    /// The window's answer to question `id`; false when it is no longer asked.
    pub fn answer(&self, id: u32, answer: Answer) -> bool {
        match lock(&self.questions).remove(&id) {
            Some((_, reply)) => reply.try_send(answer.into()).is_ok(),
            None => false,
        }
    }
}

/// The app's session as the agent's host.
struct AppHost(AppHandle);

impl Host for AppHost {
    fn with_vault(&self, step: &mut dyn FnMut(&UnlockedVault)) -> bool {
        let state = self.0.state::<AppState>();
        let mut session = state.session();
        session.unlocked().map(|vault| step(vault)).is_ok()
    }

    fn unlock(&self, why: &str) -> bool {
        let state = self.0.state::<AppState>();
        notify::show(&self.0, format!("{why}. Unlock Keyhaven to let it."));
        tray::show_main(&self.0);
        let deadline = std::time::Instant::now() + ANSWER_WITHIN;
        while std::time::Instant::now() < deadline {
            if state.session().is_unlocked() {
                return true;
            }
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
        false
    }
}

/// Asks in the main window, shown for it.
struct WindowPrompt(AppHandle);

impl Prompt for WindowPrompt {
    fn ask(&self, question: &Question<'_>) -> Decision {
        let service = &self.0.state::<AppState>().ssh_agent;
        let id = service.next.fetch_add(1, Ordering::Relaxed);
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
        lock(&service.questions).insert(id, (asked.clone(), reply));
        tray::show_main(&self.0);
        let _ = self.0.emit(APPROVAL_ASKED, &asked);
        let decision = answer.recv_timeout(ANSWER_WITHIN).unwrap_or(Decision::Deny);
        lock(&service.questions).remove(&id);
        let _ = self.0.emit(APPROVAL_CLOSED, id);
        decision
    }
}
