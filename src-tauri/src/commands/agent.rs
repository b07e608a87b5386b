//! The SSH agent's questions and grants: what the window answers, and the
//! programs allowed always (listed and revoked in Settings).

use keyhaven_core::approval::Grant;
use tauri::State;

use super::session;
use crate::{
    AppState,
    asking::{Answer, ApprovalQuestion},
    error::CommandResult,
    ssh_agent::AgentStatus,
};

/// Whether the agent runs, and at which socket.
#[tauri::command(async)]
pub fn agent_status(state: State<'_, AppState>) -> AgentStatus {
    state.ssh_agent.status()
}

/// The questions waiting for an answer (a window shown late asks them too).
#[tauri::command(async)]
pub fn pending_approvals(state: State<'_, AppState>) -> Vec<ApprovalQuestion> {
    state.questions.pending()
}

/// Answers question `id`; false when it was answered or timed out already.
#[tauri::command(async)]
pub fn answer_approval(state: State<'_, AppState>, id: u32, answer: Answer) -> bool {
    state.touch();
    state.questions.answer(id, answer)
}

/// The programs allowed always (unlocked: each grant's tag is checked).
#[tauri::command(async)]
pub fn list_grants(state: State<'_, AppState>) -> CommandResult<Vec<Grant>> {
    Ok(session(&state).unlocked()?.grants()?)
}

/// Forgets grant `id`: its program is asked again. The grants left.
#[tauri::command(async)]
pub fn revoke_grant(state: State<'_, AppState>, id: u32) -> CommandResult<Vec<Grant>> {
    let mut session = session(&state);
    let vault = session.unlocked()?;
    vault.revoke_grant(id.into())?;
    Ok(vault.grants()?)
}

#[cfg(test)]
include!(concat!(env!("OUT_DIR"), "/commands/agent.rs"));
