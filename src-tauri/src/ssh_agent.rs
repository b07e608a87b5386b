//! The app hosting Keyhaven's SSH agent (Settings, "SSH agent"; off by
//! default): the agent `keyhaven ssh-agent` serves (crates/agent), at the
//! default socket, over the app's own session. While the vault is locked a
//! signature shows the unlock screen; a program's first use of a key asks in
//! the window (`asking`, the approvals of `keyhaven_core::approval`). Either question
//! unanswered within 30 s fails that request, never hangs the client.

use std::{
    path::PathBuf,
    sync::{Arc, Mutex},
};

use keyhaven_agent::{Agent, Confirm, Host};
use keyhaven_core::{
    UnlockedVault,
    approval::{ANSWER_WITHIN, Approvals},
};
use serde::Serialize;
use tauri::{AppHandle, Manager as _};
use ts_rs::TS;

use crate::{
    AppState,
    asking::{WindowPrompt, wait_for_unlock},
    lock,
};

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

/// The agent while it runs.
#[derive(Default)]
pub struct Service {
    running: Mutex<Option<Running>>,
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
        let approvals =
            Arc::new(Approvals::new(Box::new(WindowPrompt { app: app.clone(), within: ANSWER_WITHIN })));
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
        wait_for_unlock(&self.0, why)
    }
}
