//! What wants rotating, for reminders (the tray's count, the app's daily
//! notification, `keyhaven ls --due`): secrets past or within a week of their
//! rotate-by date ([`Rotation`]) and remotes whose API key has expired, expires
//! soon or is past the age the platform advises ([`crate::remote::KeyAge`]).
//! Read without the key: names and dates only.

use jiff::civil::Date;

use crate::{
    Result, SecretName, Vault,
    secret::{DUE_WITHIN_DAYS, Rotation},
};

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Reminders {
    /// Secrets due, soonest date first.
    pub secrets: Vec<(SecretName, Rotation)>,
    /// Remotes whose key wants replacing: name, and why for a person.
    pub keys: Vec<(String, String)>,
}

impl Reminders {
    pub fn gather(vault: &Vault, today: Date) -> Result<Self> {
        let until = today.saturating_add(jiff::Span::new().days(DUE_WITHIN_DAYS));
        let secrets = vault
            .rotating_by(until)?
            .into_iter()
            .filter_map(|meta| meta.rotation(today).map(|rotation| (meta.name, rotation)))
            .collect();
        let keys = vault
            .remotes()?
            .into_iter()
            .filter_map(|remote| Some((remote.config.name, remote.key.warning?)))
            .collect();
        Ok(Reminders { secrets, keys })
    }

    /// Secrets and remote keys together: what the tray counts.
    pub fn count(&self) -> usize {
        self.secrets.len() + self.keys.len()
    }

    pub fn is_empty(&self) -> bool {
        self.count() == 0
    }

    /// One line each, secrets first: a notification's body.
    pub fn lines(&self) -> Vec<String> {
        let secrets = self.secrets.iter().map(|(name, rotation)| format!("{name}: {rotation}"));
        let keys = self.keys.iter().map(|(remote, why)| format!("remote {remote}: {why}"));
        secrets.chain(keys).collect()
    }

    /// "3 keys due for rotation": the tray's label, before its ellipsis.
    pub fn headline(&self) -> String {
        match self.count() {
            1 => "1 key due for rotation".to_owned(),
            count => format!("{count} keys due for rotation"),
        }
    }
}
