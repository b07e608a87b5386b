//! Approvals remembered in the unlocked vault (crate::approval decides when).

use super::{UnlockedVault, immediate};
use crate::{
    Error, Result,
    approval::{Grant, Program, Subject},
    vault::{
        audit::{self, Action},
        grants,
    },
};

impl UnlockedVault {
    /// Whether `program`, as it hashes now, was allowed `subject` always.
    pub fn granted(&self, program: &Program, subject: &Subject) -> Result<bool> {
        grants::granted(&self.vault.conn, &self.key, program, subject)
    }

    /// Allows `program` `subject` always (until its binary changes).
    pub fn grant(&self, program: &Program, subject: &Subject) -> Result<Grant> {
        // Called where the vault is shared (`&self`): rusqlite's unchecked
        // transaction, which fails if one is already open on the connection.
        let tx =
            rusqlite::Transaction::new_unchecked(&self.vault.conn, rusqlite::TransactionBehavior::Immediate)?;
        let grant = grants::put(&tx, &self.key, program, subject)?;
        tx.commit()?;
        Ok(grant)
    }

    /// Logs the user's answer to `program`'s question about `subject`.
    pub fn record_approval(&self, program: &Program, subject: &Subject, answer: &str) -> Result<()> {
        let detail = format!("{answer}: {}", program.describe());
        audit::record(&self.vault.conn, Action::Approve, Some(subject.name().as_str()), Some(&detail))
    }

    /// The grants remembered, each checked.
    pub fn grants(&self) -> Result<Vec<Grant>> {
        grants::all(&self.vault.conn, &self.key)
    }

    /// Forgets grant `id`: its program is asked again.
    pub fn revoke_grant(&mut self, id: i64) -> Result<Grant> {
        let tx = immediate(&mut self.vault.conn)?;
        let grant =
            grants::all(&tx, &self.key)?.into_iter().find(|grant| grant.id == id).ok_or_else(|| {
                Error::invalid("grant", format!("there is no grant {id} (`keyhaven grants ls` lists them)"))
            })?;
        grants::remove(&tx, id)?;
        let detail = format!("revoked: {}", grant.program);
        audit::record(&tx, Action::Approve, None, Some(&format!("{detail} for {}", grant.subject)))?;
        tx.commit()?;
        Ok(grant)
    }
}
