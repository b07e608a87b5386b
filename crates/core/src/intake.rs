//! Runtype intake: a service's form of the secrets it still needs. Keyhaven
//! offers the vault's secret of the same name for each item, submits what the
//! user chose with each item's version as `expectedVersion`, and keeps the
//! submitted values in the vault too, so the vault stays the source of truth.
//! A 409 means the form changed meanwhile: it is fetched again and the caller
//! shows what changed; nothing is submitted twice without the user.

use jiff::Timestamp;
use secrecy::{ExposeSecret, SecretString};
use serde::Serialize;

use crate::{
    Result, SecretName, UnlockedVault, Vault,
    link::{self, Intake},
    remote::{
        Failure, RemoteConfig, RemoteError,
        runtype::{Manifest, ManifestItem, Runtype, Source, SubmitValue},
    },
    secret::SecretFields,
    text,
    vault::Access,
};

/// An item's status when nothing more is needed.
pub const CONFIGURED: &str = "configured";

/// The API's `source` for a link's intake.
pub fn source(intake: &Intake) -> Source {
    Source {
        kind: intake.source.as_str().to_owned(),
        key: intake.key.clone(),
        keys: (!intake.keys.is_empty()).then(|| intake.keys.clone()),
        product_id: intake.product_id.clone(),
        description: None,
    }
}

/// Items still to configure that a live secret of the same name could fill.
pub fn fillable<'a>(vault: &Vault, manifest: &'a Manifest) -> Vec<&'a ManifestItem> {
    let in_vault =
        |item: &ManifestItem| SecretName::parse(&item.secret_key).is_ok_and(|name| vault.meta(&name).is_ok());
    manifest.items.iter().filter(|item| item.status != CONFIGURED && in_vault(item)).collect()
}

/// The vault's value for an item (recorded in the audit log as a copy out).
pub fn value_from_vault(vault: &mut UnlockedVault, item: &ManifestItem) -> Result<SecretString> {
    vault.reveal(&SecretName::parse(&item.secret_key)?, Access::Copy)
}

/// The vault's values for the items `ids` of `form`, as `(item id, value)`.
pub fn values_from_vault(
    vault: &mut UnlockedVault,
    form: &Manifest,
    ids: &[String],
) -> Result<Vec<(String, SecretString)>> {
    ids.iter()
        .map(|id| {
            let item = form.items.iter().find(|item| &item.item_id == id).ok_or_else(|| {
                crate::Error::invalid(format!("item {}", text::printable(id)), "the form has no such item")
            })?;
            Ok((id.clone(), value_from_vault(vault, item)?))
        })
        .collect()
}

/// What a submit came to, for a host to show.
#[derive(Debug)]
pub struct Outcome {
    /// The form as it is now.
    pub form: Manifest,
    /// How many values were submitted (0 when the form had changed).
    pub submitted: usize,
    /// With nothing submitted: what changed in the form since it was shown.
    pub changes: Vec<String>,
    /// Names the vault cannot hold, so not kept there.
    pub skipped: Vec<String>,
    /// Submitted but refused by the form (its refreshed status is not
    /// `configured`: `invalid`, too short, a wrong prefix…), so the vault's
    /// value was left as it was: `(key, the form's status)`.
    pub not_kept: Vec<(String, String)>,
}

/// Both hosts' submit: `values` against `form` (the form as the user saw it)
/// for `request`, then, when accepted and `keep`, the values kept in the vault.
pub fn submit_and_keep(
    vault: &mut UnlockedVault,
    request: &Intake,
    form: &Manifest,
    values: &[(String, SecretString)],
    keep: bool,
) -> Result<Outcome> {
    if values.is_empty() {
        return Err(crate::Error::invalid("intake", "nothing to submit: fill an item first"));
    }
    let api = vault.connect_runtype(&request.remote)?;
    let return_url = request.return_url.as_ref().map(|url| url.as_str());
    let submitted = submit(&api, &source(request), form, values, return_url)
        .map_err(|err| crate::Error::from(err).at_remote(&request.remote))?;
    Ok(match submitted {
        Submitted::Done(now) => {
            let (accepted, not_kept) = accepted(form, &now, values);
            let skipped = if keep { keep_in_vault(vault, form, &accepted)? } else { Vec::new() };
            Outcome { form: now, submitted: values.len(), changes: Vec::new(), skipped, not_kept }
        }
        Submitted::Changed { manifest, changes } => {
            Outcome { form: manifest, submitted: 0, changes, skipped: Vec::new(), not_kept: Vec::new() }
        }
    })
}

/// An item's id and the value typed or taken for it.
pub type ItemValue = (String, SecretString);

/// The submitted values the refreshed form `now` reports configured (only
/// those may replace the vault's), and the rest as `(key, status)`: a value
/// the service refused as invalid must not take the place of a good one.
pub fn accepted(
    form: &Manifest,
    now: &Manifest,
    values: &[ItemValue],
) -> (Vec<ItemValue>, Vec<(String, String)>) {
    let mut accepted = Vec::new();
    let mut refused = Vec::new();
    for (item_id, value) in values {
        let key = form.items.iter().find(|item| &item.item_id == item_id).map(|item| item.secret_key.clone());
        match now.items.iter().find(|item| &item.item_id == item_id) {
            Some(item) if item.status == CONFIGURED => accepted.push((item_id.clone(), value.clone())),
            found => refused.push((
                key.unwrap_or_else(|| item_id.clone()),
                found
                    .map_or_else(|| "no longer in the form".to_owned(), |item| text::printable(&item.status)),
            )),
        }
    }
    (accepted, refused)
}

/// What a submit came to.
#[derive(Debug)]
pub enum Submitted {
    /// Accepted; the manifest as it is now.
    Done(Manifest),
    /// Refused as stale (409): the manifest fetched again, and what changed.
    Changed { manifest: Manifest, changes: Vec<String> },
}

/// Submits `values` (item id → value) against `manifest`, each with the
/// item's version as `expectedVersion`.
pub fn submit(
    api: &Runtype,
    source: &Source,
    manifest: &Manifest,
    values: &[(String, SecretString)],
    return_url: Option<&str>,
) -> std::result::Result<Submitted, RemoteError> {
    let mut items = Vec::with_capacity(values.len());
    for (item_id, value) in values {
        let item =
            manifest.items.iter().find(|item| &item.item_id == item_id).ok_or_else(|| {
                RemoteError::new(Failure::Rejected, format!("the form has no item {item_id}"))
            })?;
        items.push(SubmitValue {
            item_id: item.item_id.clone(),
            key: item.secret_key.clone(),
            value: value.clone(),
            expected_version: item.version,
        });
    }
    match api.intake_submit(source, &items, return_url) {
        Ok(result) if !result.success => Err(RemoteError::new(
            Failure::Rejected,
            "Runtype did not accept the values (its reply says success: false); nothing was kept in the vault",
        )),
        Ok(result) => {
            // The reply may not rename what was sent: values are kept under the
            // names the user saw, so a reply that disagrees is refused whole.
            for sent in &items {
                let renamed = result.manifest.items.iter().find(|item| item.item_id == sent.item_id);
                if let Some(item) = renamed.filter(|item| item.secret_key != sent.key) {
                    return Err(RemoteError::new(
                        Failure::BadReply,
                        format!(
                            "the reply names item {} {}, but it was submitted as {}; nothing was kept in the vault",
                            text::printable(&sent.item_id),
                            text::printable(&item.secret_key),
                            sent.key
                        ),
                    ));
                }
            }
            Ok(Submitted::Done(result.manifest))
        }
        Err(err) if err.kind == Failure::Conflict => {
            let fresh = api.intake_manifest(source, return_url)?;
            // A retry after a lost answer meets its own first attempt: every
            // item sent is configured, exactly one version past the one sent.
            if items.iter().all(|sent| landed(sent, &fresh)) {
                return Ok(Submitted::Done(fresh));
            }
            let changes = changes(manifest, &fresh);
            Ok(Submitted::Changed { manifest: fresh, changes })
        }
        Err(err) => Err(err),
    }
}

/// Whether `fresh` shows `sent` as this submit left it.
fn landed(sent: &SubmitValue, fresh: &Manifest) -> bool {
    let next = sent.expected_version.map_or(1, |version| version + 1);
    fresh
        .items
        .iter()
        .any(|item| item.item_id == sent.item_id && item.status == CONFIGURED && item.version == Some(next))
}

/// What differs between two versions of a form, item by item.
pub fn changes(before: &Manifest, after: &Manifest) -> Vec<String> {
    let mut out = Vec::new();
    for item in &after.items {
        match before.items.iter().find(|old| old.item_id == item.item_id) {
            None => out.push(format!("{}: new in the form", item.secret_key)),
            Some(old) if old.status != item.status => {
                out.push(format!("{}: {} → {}", item.secret_key, old.status, item.status))
            }
            Some(old) if old.version != item.version => out.push(format!(
                "{}: changed by someone else (version {} → {})",
                item.secret_key,
                old.version.map_or("none".into(), |v| v.to_string()),
                item.version.map_or("none".into(), |v| v.to_string()),
            )),
            Some(_) => {}
        }
    }
    for old in before.items.iter().filter(|old| !after.items.iter().any(|item| item.item_id == old.item_id)) {
        out.push(format!("{}: no longer in the form", old.secret_key));
    }
    out
}

/// Keeps submitted values in the vault: a new secret, or a new version when
/// the vault's differs. Names the vault cannot hold are skipped and returned.
/// `form` is the form as shown and submitted, never the server's reply: the
/// names come from what the user saw.
pub fn keep_in_vault(
    vault: &mut UnlockedVault,
    form: &Manifest,
    values: &[(String, SecretString)],
) -> Result<Vec<String>> {
    let mut skipped = Vec::new();
    for (item_id, value) in values {
        let Some(item) = form.items.iter().find(|item| &item.item_id == item_id) else { continue };
        let Ok(name) = SecretName::parse(&item.secret_key) else {
            skipped.push(item.secret_key.clone());
            continue;
        };
        // Compared without an audit entry: nothing is shown to anyone.
        match vault.meta(&name).and_then(|meta| vault.value_at(&name, meta.version)) {
            Ok(current) if current.expose_secret() == value.expose_secret() => {}
            Ok(_) => {
                vault.rotate(&name, value)?;
            }
            Err(crate::Error::NotFound { .. }) => {
                let fields =
                    SecretFields { description: item.description.clone(), ..SecretFields::default() };
                vault.set(&name, value, &fields)?;
            }
            Err(err) => return Err(err),
        }
    }
    Ok(skipped)
}

/// Where a form sends the user next.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "lowercase")]
pub enum Next {
    /// The form's `returnUrl`: back to the service.
    Return,
    /// The form's handoff: where the service continues.
    Handoff,
}

/// A URL the form offers, and whether Keyhaven may open it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Destination {
    pub next: Next,
    pub url: String,
    /// https (http on loopback) on the remote's own site; other URLs are
    /// shown for the user to check, never opened.
    pub openable: bool,
    /// Set when a handoff expired: it is shown with its expiry, not offered.
    pub expired: Option<Timestamp>,
}

/// The form's return URL and handoff, each vetted against `remote` at `now`.
pub fn destinations(manifest: &Manifest, remote: &RemoteConfig, now: Timestamp) -> Vec<Destination> {
    let mut out = Vec::new();
    let mut add = |next, url: &str, expired: Option<Timestamp>| {
        let openable = expired.is_none() && link::may_open(url, remote);
        out.push(Destination { next, url: url.to_owned(), openable, expired });
    };
    if let Some(url) = &manifest.return_url {
        add(Next::Return, url, None);
    }
    if let Some(handoff) = &manifest.handoff {
        // An expiry Keyhaven cannot read counts as expired: never offered blind.
        let expired = handoff.expires_at.as_deref().map(|at| at.parse::<Timestamp>().unwrap_or(now));
        add(Next::Handoff, &handoff.url, expired.filter(|at| *at <= now));
    }
    out
}
