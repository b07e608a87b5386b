//! SSH keys in the unlocked vault: storing a new key, reading one back to
//! sign with, and how the agent treats it.

use ssh_key::PrivateKey;

use super::{UnlockedVault, Write, immediate, next_version, write_version};
use crate::{
    Error, Result,
    secret::{SecretFields, SecretKind, SecretName},
    ssh::{self, NewKey, SshKeyInfo, SshKeySettings},
    vault::{
        audit::{self, Action},
        crypto, records, ssh_keys,
    },
};

impl UnlockedVault {
    /// Stores `key` as the SSH key `name`, offered by the agent. A live
    /// secret of that name is never replaced.
    pub fn add_ssh_key(
        &mut self,
        name: &SecretName,
        key: &NewKey,
        fields: &SecretFields,
        origin: &str,
    ) -> Result<SshKeyInfo> {
        fields.validate()?;
        let public = key.public_line()?;
        let value = key.private_text()?;
        let recipient = &self.vault.header.recipient;
        let integrity = &self.key;
        let tx = immediate(&mut self.vault.conn)?;
        let write = match records::any(&tx, name)? {
            Some(stored) if stored.meta.deleted.is_none() => {
                return Err(Error::AlreadyExists(name.to_string()));
            }
            Some(stored) => Write::next(stored, &tx, integrity)?,
            None => Write::Insert,
        };
        let sealed = crypto::seal_value(recipient, name, next_version(&write), &value);
        write_version(&tx, integrity, name, write, &sealed, origin, Some(fields), SecretKind::SshKey)?;
        let stored = records::live(&tx, name)?;
        let settings = SshKeySettings::default();
        ssh_keys::put(&tx, integrity, &stored, &public, &settings)?;
        audit::record(&tx, Action::SshKey, Some(name.as_str()), Some(origin))?;
        tx.commit()?;
        SshKeyInfo::from_public_line(name.clone(), &public, settings)
    }

    /// The private key `name` holds, to sign with: its row, its public half
    /// and its value each checked, and the value's public half the one listed.
    /// The signature itself is recorded by the caller ([`Self::record_signature`]).
    pub fn ssh_private_key(&self, name: &SecretName) -> Result<PrivateKey> {
        let stored = self.verified_live(name)?;
        let listed = ssh_keys::one(&self.vault.conn, name)?
            .filter(|_| stored.meta.kind == SecretKind::SshKey)
            .ok_or_else(|| Error::invalid(name.to_string(), "it is not an SSH key"))?;
        listed.verify(&self.key)?;
        let value = self.open_version(&stored, stored.meta.version)?;
        let key = ssh::parse_stored(name, &value)?;
        let public = ssh_key::PublicKey::from_openssh(&listed.public_key)
            .map_err(|err| Error::Tampered(format!("the public key of {name} ({err})")))?;
        if public.key_data() != key.public_key().key_data() {
            return Err(Error::Tampered(format!("the public key of {name} (it is not the private key's)")));
        }
        Ok(key)
    }

    /// Records a signature made with `name` (`detail`: who asked, for where).
    pub fn record_signature(&self, name: &SecretName, detail: &str) -> Result<()> {
        audit::record(&self.vault.conn, Action::Sign, Some(name.as_str()), Some(detail))
    }

    /// Changes how the agent treats `name` (`change` edits its settings;
    /// `what` says how, in the log).
    pub fn set_ssh_settings(
        &mut self,
        name: &SecretName,
        what: &str,
        change: impl FnOnce(&mut SshKeySettings),
    ) -> Result<SshKeyInfo> {
        let integrity = &self.key;
        let tx = immediate(&mut self.vault.conn)?;
        let stored = records::live(&tx, name)?;
        stored.verify(&tx, integrity)?;
        let listed = ssh_keys::one(&tx, name)?
            .filter(|_| stored.meta.kind == SecretKind::SshKey)
            .ok_or_else(|| Error::invalid(name.to_string(), "it is not an SSH key"))?;
        listed.verify(integrity)?;
        let mut settings = listed.settings;
        change(&mut settings);
        ssh::check_hosts(&settings.hosts)?;
        ssh_keys::put(&tx, integrity, &stored, &listed.public_key, &settings)?;
        audit::record(&tx, Action::Edit, Some(name.as_str()), Some(what))?;
        tx.commit()?;
        SshKeyInfo::from_public_line(name.clone(), &listed.public_key, settings)
    }
}
