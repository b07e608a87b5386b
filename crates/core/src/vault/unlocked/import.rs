//! Many values in one transaction: an import writes all of its secrets or
//! none, later duplicates of a name winning.

use std::collections::HashMap;

use rayon::prelude::*;
use secrecy::SecretString;
use serde::Serialize;

use super::{UnlockedVault, Write, immediate, next_version, write_version};
use crate::{
    Error, Result,
    secret::{SecretFields, SecretKind, SecretName, validate_value},
    ssh::NewKey,
    vault::{
        audit::{self, Action},
        crypto, records, ssh_keys,
    },
};

/// One secret an import writes, with the metadata it brings.
pub struct Incoming {
    pub name: SecretName,
    pub value: SecretString,
    /// An SSH key's value is its private key, in OpenSSH's format or PEM.
    pub kind: SecretKind,
    /// `None` fields leave an overwritten secret's metadata as it was.
    pub fields: SecretFields,
}

impl From<(SecretName, SecretString)> for Incoming {
    fn from((name, value): (SecretName, SecretString)) -> Self {
        Incoming { name, value, kind: SecretKind::Text, fields: SecretFields::default() }
    }
}

/// What an import did, by name.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ImportReport {
    pub added: Vec<SecretName>,
    pub updated: Vec<SecretName>,
    /// Already present and left alone (no `overwrite`).
    pub skipped: Vec<SecretName>,
}

impl UnlockedVault {
    /// Imports many values in one transaction: all or nothing. Existing names
    /// are skipped unless `overwrite`, which rotates them. Later duplicates win.
    /// `progress` is told how many entries are done.
    pub fn import<E: Into<Incoming>>(
        &mut self,
        entries: Vec<E>,
        overwrite: bool,
        progress: &dyn Fn(usize),
    ) -> Result<ImportReport> {
        let mut entries = last_wins(entries.into_iter().map(Into::into).collect());
        // An SSH key comes in as the key pair it is: its value written in
        // OpenSSH's format, its public half beside it.
        let mut public_halves = HashMap::new();
        for entry in entries.iter_mut().filter(|entry| entry.kind == SecretKind::SshKey) {
            let key = NewKey::read(&entry.value, None).map_err(|err| {
                Error::invalid(entry.name.to_string(), format!("its SSH key is not read: {err}"))
            })?;
            entry.value = key.private_text()?;
            public_halves.insert(entry.name.clone(), key.public_line()?);
        }
        for entry in &mut entries {
            validate_value(&entry.name, &entry.value)?;
            entry.fields.validate()?;
            // A field the file leaves empty keeps what the secret has here (a
            // remote choosing by category would lose it otherwise).
            let given = |text: &mut Option<String>| {
                if text.as_deref().is_some_and(|text| text.trim().is_empty()) {
                    *text = None;
                }
            };
            given(&mut entry.fields.description);
            given(&mut entry.fields.category);
        }
        let recipient = &self.vault.header.recipient;
        let key = &self.key;
        let tx = immediate(&mut self.vault.conn)?;
        let mut report = ImportReport::default();
        let mut planned = Vec::with_capacity(entries.len());
        for mut entry in entries {
            let name = entry.name.clone();
            let name = &name;
            let write = match records::any(&tx, name)? {
                Some(stored) if stored.meta.deleted.is_none() && !overwrite => {
                    report.skipped.push(entry.name);
                    continue;
                }
                Some(stored) => {
                    if stored.meta.deleted.is_none() {
                        // A new version from a file is a new value: the
                        // description and category set here stay; only
                        // empty ones are filled from the file.
                        if !stored.meta.description.is_empty() {
                            entry.fields.description = None;
                        }
                        if !stored.meta.category.is_empty() {
                            entry.fields.category = None;
                        }
                        report.updated.push(name.clone());
                    } else {
                        report.added.push(name.clone());
                    }
                    Write::next(stored, &tx, key)?
                }
                None => {
                    report.added.push(name.clone());
                    Write::Insert
                }
            };
            planned.push((entry, write));
        }
        const BATCH: usize = 512;
        let mut done = report.skipped.len();
        let mut planned = planned.into_iter().peekable();
        while planned.peek().is_some() {
            let batch: Vec<_> = planned.by_ref().take(BATCH).collect();
            let sealed: Vec<Vec<u8>> = batch
                .par_iter()
                .map(|(entry, write)| {
                    crypto::seal_value(recipient, &entry.name, next_version(write), &entry.value)
                })
                .collect();
            for ((entry, write), sealed) in batch.into_iter().zip(sealed) {
                write_version(
                    &tx,
                    key,
                    &entry.name,
                    write,
                    &sealed,
                    "import",
                    Some(&entry.fields),
                    entry.kind,
                )?;
                if let Some(public) = public_halves.get(&entry.name) {
                    // A key replaced keeps how the agent treats it.
                    let settings =
                        ssh_keys::one(&tx, &entry.name)?.map(|kept| kept.settings).unwrap_or_default();
                    let stored = records::live(&tx, &entry.name)?;
                    ssh_keys::put(&tx, key, &stored, public, &settings)?;
                }
                done += 1;
            }
            progress(done);
        }
        let summary = format!(
            "{} added, {} updated, {} skipped",
            report.added.len(),
            report.updated.len(),
            report.skipped.len()
        );
        audit::record(&tx, Action::Import, None, Some(&summary))?;
        tx.commit()?;
        Ok(report)
    }
}

/// Keeps the last entry for each name, in first-seen order.
fn last_wins(entries: Vec<Incoming>) -> Vec<Incoming> {
    let mut index: HashMap<SecretName, usize> = HashMap::with_capacity(entries.len());
    let mut out: Vec<Incoming> = Vec::with_capacity(entries.len());
    for entry in entries {
        match index.get(&entry.name) {
            Some(&at) => out[at] = entry,
            None => {
                index.insert(entry.name.clone(), out.len());
                out.push(entry);
            }
        }
    }
    out
}
