//! Remotes: the hosted secrets APIs Keyhaven syncs with, and OpenBao (or
//! HashiCorp Vault) KV version 2. One trait, [`SecretsApi`], over four
//! dialects (docs/platforms.md), each mapped onto one
//! model: [`RemoteSecret`] metadata with an opaque change marker, and writes that
//! never return values. [`Capabilities`] says what a dialect can do.

mod http;
pub mod key;
mod openbao;
mod runloop;
pub(crate) mod runtools;
pub mod runtype;

use std::{fmt, str::FromStr, time::Duration};

use reqwest::Url;
use secrecy::{ExposeSecret, SecretString};
use serde::Serialize;

pub use http::{RetryPolicy, install_tls};
pub use key::{KeyAge, check_token, check_token_for};

use crate::{Error, Result};

/// The four dialects.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    Runloop,
    Runtype,
    Runtools,
    /// OpenBao or HashiCorp Vault, KV version 2 (`vault` is taken as its name too).
    Openbao,
}

impl Kind {
    pub const ALL: [Kind; 4] = [Kind::Runloop, Kind::Runtype, Kind::Runtools, Kind::Openbao];
    /// The hosted platforms (the emulator stands in for each).
    pub const HOSTED: [Kind; 3] = [Kind::Runloop, Kind::Runtype, Kind::Runtools];

    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Runloop => "runloop",
            Kind::Runtype => "runtype",
            Kind::Runtools => "runtools",
            Kind::Openbao => "openbao",
        }
    }

    /// Whether a change marker recorded for this kind says the secret was
    /// revoked there (only Runtype revokes).
    pub fn revoked_marker(self, marker: &str) -> bool {
        self == Kind::Runtype && runtype::marker_is_revoked(marker)
    }

    pub fn capabilities(self) -> Capabilities {
        match self {
            Kind::Runloop => Capabilities {
                can_reveal: false,
                versions: false,
                conditional_writes: false,
                list_limit: Some(runloop::LIST_LIMIT),
            },
            Kind::Runtype => {
                Capabilities { can_reveal: false, versions: true, conditional_writes: true, list_limit: None }
            }
            Kind::Runtools => Capabilities {
                can_reveal: true,
                versions: false,
                conditional_writes: false,
                list_limit: None,
            },
            Kind::Openbao => Capabilities {
                can_reveal: true,
                versions: true,
                conditional_writes: true,
                list_limit: Some(openbao::LIST_LIMIT),
            },
        }
    }

    /// The service's own API, used when no URL is given.
    pub fn default_url(self) -> &'static str {
        match self {
            Kind::Runloop => "https://api.runloop.ai",
            Kind::Runtype => "https://api.runtype.com",
            Kind::Runtools => "https://tools.runtools.ai",
            // Self-hosted: the address the `bao` CLI assumes without BAO_ADDR.
            Kind::Openbao => "https://127.0.0.1:8200",
        }
    }

    /// The name a local secret has on this remote. RunTools upper-cases names;
    /// the others keep them as they are.
    pub fn remote_name(self, local: &str) -> String {
        match self {
            Kind::Runtools => local.to_ascii_uppercase(),
            Kind::Runloop | Kind::Runtype | Kind::Openbao => local.to_owned(),
        }
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Kind {
    type Err = Error;
    fn from_str(text: &str) -> Result<Self> {
        if text == "vault" {
            return Ok(Kind::Openbao);
        }
        Kind::ALL.into_iter().find(|kind| kind.as_str() == text).ok_or_else(|| {
            Error::invalid("remote kind", "the kinds are runloop, runtype, runtools and openbao (or vault)")
        })
    }
}

/// What a dialect can do; the sync engine plans with it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Capabilities {
    /// Values can be read back (RunTools' reveal, where policy allows).
    pub can_reveal: bool,
    /// Each secret carries a version number.
    pub versions: bool,
    /// Writes can be made conditional on the version last seen.
    pub conditional_writes: bool,
    /// The most one listing can return; beyond it the rest cannot be seen.
    pub list_limit: Option<usize>,
}

/// RunTools keeps a user's private secrets apart from the org-wide ones.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "lowercase")]
pub enum Scope {
    User,
    Org,
}

impl Scope {
    pub fn as_str(self) -> &'static str {
        match self {
            Scope::User => "user",
            Scope::Org => "org",
        }
    }
}

impl FromStr for Scope {
    type Err = Error;
    fn from_str(text: &str) -> Result<Self> {
        match text {
            "user" => Ok(Scope::User),
            "org" => Ok(Scope::Org),
            _ => Err(Error::invalid("scope", "the scopes are user and org")),
        }
    }
}

/// How a remote is reached. The token is kept apart, encrypted in the vault.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct RemoteConfig {
    pub name: String,
    pub kind: Kind,
    pub url: String,
    /// RunTools only.
    pub scope: Option<Scope>,
    /// OpenBao only: where in the server the secrets live.
    pub kv: Option<KvLocation>,
}

/// Where an OpenBao remote's secrets live: `<mount>/data/<prefix>/<NAME>`,
/// in `namespace` where the server has namespaces; and how it logs in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct KvLocation {
    /// The KV version 2 engine's mount path, `secret` on a dev server.
    pub mount: String,
    /// The folder under it; empty for the mount's top.
    pub prefix: String,
    pub namespace: Option<String>,
    /// An AppRole login (at `auth/approle`): the role id, with the secret id
    /// kept as the remote's key. `None`: the key is a token.
    pub role_id: Option<String>,
}

impl KvLocation {
    /// Checks each part: path segments of letters, digits, `-`, `_` and `.`
    /// joined by `/`, never `.` or `..` (a part names a place on the server,
    /// never a way out of it), at most 256 characters.
    pub fn new(mount: &str, prefix: &str, namespace: Option<&str>) -> Result<Self> {
        let mount = checked_path("mount", mount, false)?;
        let prefix = checked_path("prefix", prefix, true)?;
        let namespace =
            namespace.map(|ns| checked_path("namespace", ns, true)).transpose()?.filter(|ns| !ns.is_empty());
        Ok(KvLocation { mount, prefix, namespace, role_id: None })
    }

    /// Logs in with AppRole as `role_id` (one path segment: letters, digits,
    /// `-`, `_`, `.`; it goes in a JSON body, never a URL).
    pub fn with_approle(mut self, role_id: &str) -> Result<Self> {
        let role_id = checked_path("AppRole role id", role_id, false)?;
        if role_id.contains('/') {
            return Err(Error::invalid("OpenBao AppRole role id", "a role id has no '/'"));
        }
        self.role_id = Some(role_id);
        Ok(self)
    }

    /// As stored: mount, prefix, namespace and role id on lines of their own
    /// (rows from before AppRole have three lines).
    pub(crate) fn to_stored(&self) -> String {
        let mut stored =
            format!("{}\n{}\n{}", self.mount, self.prefix, self.namespace.as_deref().unwrap_or(""));
        if let Some(role_id) = &self.role_id {
            stored.push('\n');
            stored.push_str(role_id);
        }
        stored
    }

    pub(crate) fn from_stored(text: &str) -> Result<Self> {
        let mut parts = text.split('\n');
        let (Some(mount), Some(prefix), Some(namespace), role_id, None) =
            (parts.next(), parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(Error::invalid(
                "a stored OpenBao location",
                "it is not mount, prefix, namespace and role id",
            ));
        };
        let location = KvLocation::new(mount, prefix, Some(namespace))?;
        role_id.map_or(Ok(location.clone()), |role_id| location.with_approle(role_id))
    }
}

/// `path` without its outer slashes, if each of its segments passes.
fn checked_path(what: &str, path: &str, may_be_empty: bool) -> Result<String> {
    let path = path.trim_matches('/');
    let segment_ok = |segment: &str| {
        !matches!(segment, "" | "." | "..")
            && segment.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
    };
    if path.len() <= 256 && ((may_be_empty && path.is_empty()) || path.split('/').all(segment_ok)) {
        Ok(path.to_owned())
    } else {
        Err(Error::invalid(
            format!("OpenBao {what}"),
            "give path segments of letters, digits, '-', '_' or '.', joined by '/' (such as secret or team/dev)",
        ))
    }
}

impl RemoteConfig {
    /// Checks the name and the URL: HTTPS, or HTTP on a loopback address only.
    pub fn new(name: &str, kind: Kind, url: &str, scope: Option<Scope>) -> Result<Self> {
        let name_ok = (1..=64).contains(&name.len())
            && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
        if !name_ok {
            return Err(Error::invalid(
                format!("remote name {name:?}"),
                "remote names are 1 to 64 letters, digits, '-' or '_'",
            ));
        }
        if scope.is_some() && kind != Kind::Runtools {
            return Err(Error::invalid("scope", "only RunTools remotes have a scope"));
        }
        let url = parse_base_url(url)?;
        let scope = match kind {
            Kind::Runtools => Some(scope.unwrap_or(Scope::User)),
            _ => None,
        };
        let kv = (kind == Kind::Openbao).then(|| KvLocation::new("secret", "", None)).transpose()?;
        Ok(Self { name: name.to_owned(), kind, url: url.to_string(), scope, kv })
    }

    /// Where an OpenBao remote's secrets live (only OpenBao remotes have this).
    pub fn with_kv(mut self, location: KvLocation) -> Result<Self> {
        if self.kind != Kind::Openbao {
            return Err(Error::invalid("mount and prefix", "only OpenBao remotes have a mount and prefix"));
        }
        self.kv = Some(location);
        Ok(self)
    }
}

fn parse_base_url(text: &str) -> Result<Url> {
    // The URL is not echoed: a token pasted into it would end up in the message.
    let invalid = |rule: &str| Error::invalid("remote URL", rule.to_owned());
    let url = Url::parse(text).map_err(|_| invalid("give an absolute URL such as https://api.runloop.ai"))?;
    if !url.username().is_empty() || url.password().is_some() {
        return Err(invalid("credentials do not belong in the URL; the token is asked for separately"));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(invalid("give the service's base URL, without a query or fragment"));
    }
    match url.scheme() {
        "https" => Ok(url),
        "http" if is_loopback(&url) => Ok(url),
        "http" => Err(invalid(
            "HTTPS is required; plain HTTP is allowed only on loopback (127.0.0.1, ::1, localhost)",
        )),
        _ => Err(invalid("the URL must start with https://")),
    }
}

fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        Some(url::Host::Domain(domain)) => domain.eq_ignore_ascii_case("localhost"),
        None => false,
    }
}

/// "live" or "test" for keys whose prefix says so (`rt_live_…`, `rt_test_…`).
pub fn token_mode(token: &SecretString) -> Option<&'static str> {
    let token = token.expose_secret();
    if token.starts_with("rt_live_") {
        Some("live")
    } else if token.starts_with("rt_test_") {
        Some("test")
    } else {
        None
    }
}

/// One secret as a remote lists it: metadata only.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RemoteSecret {
    /// The remote's handle for it: Runloop's and Runtype's id, RunTools' name.
    pub id: String,
    pub name: String,
    /// Moves whenever the remote value changes: Runloop's `update_time_ms`,
    /// Runtype's `version`, RunTools' `updated_at`.
    pub marker: String,
    /// What the remote holds besides the value, as it lists it.
    #[serde(skip_serializing_if = "Metadata::is_empty")]
    pub meta: Metadata,
    /// Revoked there (Runtype): it no longer works until given a new value.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub revoked: bool,
}

impl RemoteSecret {
    /// A listed secret with no metadata.
    pub fn new(id: impl Into<String>, name: impl Into<String>, marker: impl Into<String>) -> Self {
        RemoteSecret {
            id: id.into(),
            name: name.into(),
            marker: marker.into(),
            meta: Metadata::default(),
            revoked: false,
        }
    }
}

/// A secret's description and category (and its rotate-by date), which
/// travel with its value where the dialect holds them (OpenBao all three,
/// RunTools both, Runtype the description, Runloop neither). What this vault
/// lacks is left as the remote has it, so a rotation never resets the
/// remote's metadata.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Metadata {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub category: Option<String>,
    /// RunTools' `scope` (all, agents, tools, sandboxes): which of its
    /// runtimes see the secret. The vault keeps none, so a write sends the
    /// remote's back and never resets it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
    /// When the secret is due for rotation (OpenBao keeps it).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rotate_by: Option<jiff::civil::Date>,
}

impl Metadata {
    /// From a local secret's fields (empty is none).
    pub fn local(description: &str, category: &str, rotate_by: Option<jiff::civil::Date>) -> Self {
        let some = |text: &str| (!text.trim().is_empty()).then(|| text.to_owned());
        Metadata { description: some(description), category: some(category), scope: None, rotate_by }
    }

    pub fn is_empty(&self) -> bool {
        self.description.is_none() && self.category.is_none() && self.rotate_by.is_none()
    }

    /// Ours where we have it, else what `current` (the remote's) holds.
    pub fn or(&self, current: &Metadata) -> Metadata {
        Metadata {
            description: self.description.clone().or_else(|| current.description.clone()),
            category: self.category.clone().or_else(|| current.category.clone()),
            scope: self.scope.clone().or_else(|| current.scope.clone()),
            rotate_by: self.rotate_by.or(current.rotate_by),
        }
    }
}

/// A full listing. `complete` is false when the remote cut it short (Runloop
/// beyond 5,000): secrets it does not show may still exist.
#[derive(Debug, Clone, Default)]
pub struct Listing {
    pub secrets: Vec<RemoteSecret>,
    pub complete: bool,
    /// How many the remote says it holds in all, where it says (Runloop's
    /// `total_count`).
    pub total: Option<u64>,
    /// Folders below the one listed (OpenBao), never descended into: a
    /// secret's name has no `/`, so a folder's entries are no names here.
    pub folders: Vec<String>,
}

impl Listing {
    /// Everything the remote holds, as one reply (no cut, no folders).
    pub fn whole(secrets: Vec<RemoteSecret>) -> Self {
        Self { secrets, complete: true, total: None, folders: Vec::new() }
    }
}

/// Why a remote call failed, coarsely, for retry and sync decisions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Failure {
    /// No answer: connection refused, reset or timed out (after retries).
    Unreachable,
    /// The token was refused (401): revoked, expired or wrong.
    Auth,
    /// The token was accepted but may not do this (403).
    Forbidden,
    NotFound,
    /// Exists already, or changed since the version given (409, duplicate).
    Conflict,
    /// The remote refused the request as invalid (400, 422).
    Rejected,
    /// Still failing after retries (5xx, 429).
    Unavailable,
    /// The answer was not what the dialect documents.
    BadReply,
    /// The dialect cannot do this (e.g. reveal on Runloop).
    Unsupported,
}

impl Failure {
    pub fn as_str(self) -> &'static str {
        match self {
            Failure::Unreachable => "unreachable",
            Failure::Auth => "auth",
            Failure::Forbidden => "forbidden",
            Failure::NotFound => "not_found",
            Failure::Conflict => "conflict",
            Failure::Rejected => "rejected",
            Failure::Unavailable => "unavailable",
            Failure::BadReply => "bad_reply",
            Failure::Unsupported => "unsupported",
        }
    }
}

/// A failed remote call. The message holds what the remote said, with any
/// value that was sent cut out; never a token or value of ours.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{message}")]
pub struct RemoteError {
    pub kind: Failure,
    pub message: String,
    /// The dialect that answered, where the answer came from a remote: what
    /// a status means differs (a Runloop 403 is the account, not the key).
    pub dialect: Option<Kind>,
}

impl RemoteError {
    pub(crate) fn new(kind: Failure, message: impl Into<String>) -> Self {
        Self { kind, message: message.into(), dialect: None }
    }
}

pub type RemoteResult<T> = std::result::Result<T, RemoteError>;

/// One dialect's client. Every call may retry; writes are safe to retry.
/// What a delete's answer told beyond "done".
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Deleted {
    /// Runtype's `referenceCount`: references (`{{secret:NAME}}` in its
    /// tools) that still pointed at the secret. The service reports it only
    /// in the delete's answer, so it is known only once the secret is gone.
    pub references: Option<u64>,
}

pub trait SecretsApi: Send + Sync {
    fn kind(&self) -> Kind;

    fn capabilities(&self) -> Capabilities {
        self.kind().capabilities()
    }

    /// Every secret's metadata, in as few requests as the dialect allows.
    fn list(&self) -> RemoteResult<Listing>;

    /// One secret by its remote name.
    fn get(&self, name: &str) -> RemoteResult<Option<RemoteSecret>>;

    /// Creates `name` with `meta` where the dialect holds it. `request_id`
    /// is reused by every retry and replay, so a create that was applied but
    /// whose answer was lost is not made twice; `replay` says an earlier run
    /// may have applied it: look first.
    fn create(
        &self,
        name: &str,
        value: &SecretString,
        meta: &Metadata,
        request_id: &str,
        replay: bool,
    ) -> RemoteResult<RemoteSecret>;

    /// Gives `target` a new value, and `meta` where we have it (the rest of
    /// `target.meta` is kept). With `expected` (a marker) and a dialect with
    /// conditional writes, fails with [`Failure::Conflict`] if it moved since.
    fn update(
        &self,
        target: &RemoteSecret,
        value: &SecretString,
        meta: &Metadata,
        expected: Option<&str>,
        request_id: &str,
    ) -> RemoteResult<RemoteSecret>;

    /// Deletes `target`; already gone counts as done.
    fn delete(&self, target: &RemoteSecret, request_id: &str) -> RemoteResult<Deleted>;

    /// The value, where the dialect and its policy allow.
    fn reveal(&self, target: &RemoteSecret) -> RemoteResult<SecretString> {
        let _ = target;
        Err(RemoteError::new(Failure::Unsupported, format!("{} never returns secret values", self.kind())))
    }

    /// Checks reachability and the token with the cheapest authenticated call.
    fn ping(&self) -> RemoteResult<()>;

    /// When the token expires, where the service says (OpenBao's
    /// `lookup-self`); `None` where it does not, or the token never expires.
    fn key_expiry(&self) -> RemoteResult<Option<jiff::Timestamp>> {
        Ok(None)
    }

    /// Renews the key where the service can (a renewable OpenBao token):
    /// its new expiry, or `None` where it cannot be renewed.
    fn renew_key(&self) -> RemoteResult<Option<jiff::Timestamp>> {
        Ok(None)
    }

    /// What the key may do, where the service can say without a try
    /// (OpenBao's `capabilities-self`); `None` where only a try can tell.
    fn access(&self) -> RemoteResult<Option<Vec<OperationAccess>>> {
        Ok(None)
    }
}

/// Whether a remote's key may write, as far as a harmless call can tell.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum WriteAccess {
    /// The key was refused a write (403): read-only, or lacking the role.
    Refused,
    /// The server's policies allow it (OpenBao says so without a try).
    Allowed,
    /// A delete of a name that cannot exist was not refused. A service may
    /// check permission only on real writes, so this proves less than it hopes.
    NotRefused,
    /// The check said nothing either way.
    Unknown,
}

/// What `remote test` finds.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Check {
    pub capabilities: Capabilities,
    pub writes: WriteAccess,
    /// Each operation Keyhaven needs of this remote, and whether its key
    /// may do it, as far as calls that change nothing can tell.
    pub operations: Vec<OperationAccess>,
}

/// An operation Keyhaven needs of a remote (docs/sync.md, "What Keyhaven
/// needs of each remote": which need which).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum Operation {
    /// List secrets' metadata: every sync.
    List,
    /// Read one secret's metadata: replays and the look before a retried create.
    Read,
    /// Create and update (and, where the dialect has no separate
    /// permission, delete): every push.
    Write,
    /// Delete (OpenBao's soft delete): `--prune`, and a removal pushed.
    Delete,
    /// Fetch a value (RunTools only): pulls and the first sync's comparison.
    Reveal,
}

impl Operation {
    pub fn as_str(self) -> &'static str {
        match self {
            Operation::List => "list",
            Operation::Read => "read metadata",
            Operation::Write => "write",
            Operation::Delete => "delete",
            Operation::Reveal => "reveal",
        }
    }
}

/// Whether a remote's key may do one operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct OperationAccess {
    pub operation: Operation,
    pub access: WriteAccess,
}

/// Checks that the remote answers and accepts its key (an error otherwise),
/// then what the key may do, without changing anything. Where the service
/// says (OpenBao), its answer is taken. Elsewhere it lists, reads and
/// deletes (and reveals, where the API has it) a name that cannot exist, so
/// no probe secret is ever written and no value fetched; a key without the
/// permission is refused (403) all the same.
pub fn check(api: &dyn SecretsApi) -> RemoteResult<Check> {
    // Where the service says (and so checks the key), nothing is listed.
    if let Some(operations) = api.access()? {
        let writes = operations
            .iter()
            .find(|op| op.operation == Operation::Write)
            .map_or(WriteAccess::Unknown, |op| op.access);
        return Ok(Check { capabilities: api.capabilities(), writes, operations });
    }
    let listed = match api.list() {
        Ok(_) => WriteAccess::NotRefused,
        Err(err) if err.kind == Failure::Forbidden => WriteAccess::Refused,
        Err(err) => return Err(err),
    };
    let nonce = uuid::Uuid::new_v4().simple().to_string().to_ascii_uppercase();
    let probe_name = api.kind().remote_name(&format!("KEYHAVEN_CHECK_{nonce}"));
    let probe = RemoteSecret::new(probe_name.clone(), probe_name.clone(), "");
    let access = |result: RemoteResult<()>| match result {
        Ok(()) => WriteAccess::NotRefused,
        Err(err) if err.kind == Failure::Forbidden => WriteAccess::Refused,
        Err(err) if err.kind == Failure::NotFound => WriteAccess::NotRefused,
        Err(_) => WriteAccess::Unknown,
    };
    let read = access(api.get(&probe_name).map(drop));
    let writes = access(api.delete(&probe, &nonce).map(drop));
    let mut operations = vec![
        OperationAccess { operation: Operation::List, access: listed },
        OperationAccess { operation: Operation::Read, access: read },
        OperationAccess { operation: Operation::Write, access: writes },
    ];
    if api.capabilities().can_reveal {
        // A name that cannot exist: nothing is fetched, only the refusal (or not) is seen.
        let revealed = access(api.reveal(&probe).map(drop));
        operations.push(OperationAccess { operation: Operation::Reveal, access: revealed });
    }
    Ok(Check { capabilities: api.capabilities(), writes, operations })
}

/// A client for `config` with `token`.
pub fn connect(
    config: &RemoteConfig,
    token: SecretString,
    policy: RetryPolicy,
) -> Result<Box<dyn SecretsApi>> {
    let http = |token| http_for(config, token, policy);
    Ok(match config.kind {
        Kind::Runloop => Box::new(runloop::Runloop::new(http(Some(token))?)),
        Kind::Runtype => Box::new(runtype::Runtype::new(http(Some(token))?)),
        Kind::Runtools => {
            Box::new(runtools::RunTools::new(http(Some(token))?, config.scope.unwrap_or(Scope::User)))
        }
        Kind::Openbao => {
            let location = config.kv.clone().map_or_else(|| KvLocation::new("secret", "", None), Ok)?;
            // With AppRole the key is the secret id: sent only to log in, never as a token.
            Box::new(match location.role_id {
                None => openbao::OpenBao::new(http(Some(token))?, location),
                Some(_) => openbao::OpenBao::approle(http(None)?, location, token),
            })
        }
    })
}

/// A Runtype client with the calls only Runtype has (check, setup-url, intake).
pub fn connect_runtype(
    config: &RemoteConfig,
    token: SecretString,
    policy: RetryPolicy,
) -> Result<runtype::Runtype> {
    if config.kind != Kind::Runtype {
        return Err(Error::invalid(format!("remote {}", config.name), "this needs a Runtype remote"));
    }
    Ok(runtype::Runtype::new(http_for(config, Some(token), policy)?))
}

fn http_for(config: &RemoteConfig, token: Option<SecretString>, policy: RetryPolicy) -> Result<http::Http> {
    let namespace = config.kv.as_ref().and_then(|kv| kv.namespace.as_deref());
    http::Http::new(parse_base_url(&config.url)?, token, config.kind, policy, namespace)
}

/// The default client timeouts and retries.
pub fn default_policy() -> RetryPolicy {
    RetryPolicy {
        attempts: 6,
        base_delay: Duration::from_millis(200),
        max_delay: Duration::from_secs(10),
        timeout: Duration::from_secs(30),
        deadline: Duration::from_secs(120),
    }
}

/// A push's timeouts: a change made here is sent at once, and a remote that
/// does not answer soon is left to the outbox, not waited for (see
/// `sync::PUSH_WAIT`).
pub fn push_policy() -> RetryPolicy {
    RetryPolicy {
        attempts: 2,
        base_delay: Duration::from_millis(200),
        max_delay: Duration::from_secs(1),
        timeout: Duration::from_secs(4),
        deadline: Duration::from_secs(8),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn https_is_required_except_on_loopback() {
        for ok in ["https://api.runloop.ai", "http://127.0.0.1:8080", "http://[::1]:9", "http://localhost:1"]
        {
            RemoteConfig::new("r", Kind::Runloop, ok, None).unwrap_or_else(|err| panic!("{ok}: {err}"));
        }
        for bad in ["http://api.runloop.ai", "http://10.0.0.1", "ftp://127.0.0.1", "api.runloop.ai", ""] {
            let err = RemoteConfig::new("r", Kind::Runloop, bad, None).unwrap_err().to_string();
            assert!(err.contains("remote URL"), "{bad}: {err}");
        }
        let err = RemoteConfig::new("r", Kind::Runloop, "https://u:p@api.runloop.ai", None).unwrap_err();
        assert!(err.to_string().contains("credentials"), "{err}");
        assert!(!err.to_string().contains(":p@"), "{err}");
    }

    #[test]
    fn each_kind_has_a_default_url_that_passes_its_own_check() {
        for kind in Kind::HOSTED {
            let config = RemoteConfig::new("r", kind, kind.default_url(), None).unwrap();
            assert!(config.url.starts_with("https://"), "{config:?}");
        }
    }

    #[test]
    fn names_scopes_and_token_modes() {
        assert!(RemoteConfig::new("bad name", Kind::Runloop, "https://x.dev", None).is_err());
        assert!(RemoteConfig::new("r", Kind::Runloop, "https://x.dev", Some(Scope::Org)).is_err());
        let tools = RemoteConfig::new("t", Kind::Runtools, "https://x.dev", None).unwrap();
        assert_eq!(tools.scope, Some(Scope::User));
        assert_eq!(token_mode(&"rt_live_abc".into()), Some("live"));
        assert_eq!(token_mode(&"rt_test_abc".into()), Some("test"));
        assert_eq!(token_mode(&"sk-abc".into()), None);
    }

    #[test]
    fn an_openbao_location_names_a_place_on_the_server_and_nothing_else() {
        let kv = KvLocation::new("/secret/", "team/dev", Some("eng")).unwrap();
        assert_eq!(
            (kv.mount.as_str(), kv.prefix.as_str(), kv.namespace.as_deref()),
            ("secret", "team/dev", Some("eng"))
        );
        assert_eq!(KvLocation::from_stored(&kv.to_stored()).unwrap(), kv);
        let top = KvLocation::new("kv", "", None).unwrap();
        assert_eq!(KvLocation::from_stored(&top.to_stored()).unwrap(), top);
        for (mount, prefix) in [
            ("", "x"),
            ("secret", "../sys"),
            ("secret", "a/./b"),
            ("sec ret", "x"),
            ("secret", "a?b"),
            ("secret", "a%2fb"),
        ] {
            assert!(KvLocation::new(mount, prefix, None).is_err(), "{mount:?} {prefix:?}");
        }
        assert!(KvLocation::new("secret", "x", Some("../root")).is_err());
        assert_eq!("vault".parse::<Kind>().unwrap(), Kind::Openbao);
        let runloop = RemoteConfig::new("r", Kind::Runloop, "https://x.dev", None).unwrap();
        assert!(runloop.with_kv(kv).is_err(), "only OpenBao remotes have a mount");
    }
}
