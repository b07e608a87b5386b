//! OpenBao and HashiCorp Vault, KV version 2 (docs/platforms.md, "OpenBao"):
//! each secret is one KV entry, `<mount>/data/<prefix>/<NAME>`, holding one
//! key, `value`; its description and category are in the entry's
//! `custom_metadata`. The change marker is the entry's current version, and
//! every write is check-and-set against the version last seen, so a change
//! made on both sides is a conflict, never a silent overwrite. A delete is
//! KV's soft delete of the latest version (never `destroy`): the history stays
//! on the server. Both servers answer an unknown or expired token with 403
//! "permission denied", as they answer a path the token's policies do not
//! allow: a 403 is told apart by asking the server about the token itself.
//!
//! The key is a token, or an AppRole secret id that logs in for one: the
//! token that login hands out is used until half its lease has passed.
//! OpenBao lists a folder with each entry's metadata in pages
//! (`detailed-metadata`); HashiCorp Vault lists names only, so there each
//! entry's metadata is a request of its own.

use std::{
    collections::BTreeMap,
    sync::{Arc, Mutex, PoisonError},
    time::{Duration, Instant},
};

use reqwest::Method;
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};

use super::{
    Deleted, Failure, Kind, KvLocation, Listing, Metadata, Operation, OperationAccess, RemoteError,
    RemoteResult, RemoteSecret, SecretsApi, WriteAccess,
    http::{Http, Reply, Request, found},
};

/// The one key of a KV entry that holds a Keyhaven value.
const VALUE_KEY: &str = "value";

/// The `custom_metadata` key of a secret's rotate-by date (YYYY-MM-DD);
/// `description` and `category` are the others Keyhaven keeps there.
const ROTATE_BY: &str = "rotate_by";

/// The most entries one listing reads the metadata of. Where KV lists names
/// only, each entry's metadata is a request of its own, so a server's listing
/// must not decide how many requests a sync sends: beyond this the listing
/// is cut, the sync says so, and nothing unlisted is taken as deleted.
pub(crate) const LIST_LIMIT: usize = 5_000;

/// Entries asked for per page of a detailed listing: 5,000 entries in three
/// requests. A page of entries with ten versions each is about 4 MB, within
/// the 16 MiB a reply may be.
const PAGE: usize = 2_500;

/// The name whose permissions `remote test` asks about (policies are globs,
/// so any name under the prefix stands for all).
const PROBE: &str = "KEYHAVEN_CHECK";

/// The server's words when a check-and-set write met another version.
const CAS_MISMATCH: &str = "check-and-set parameter did not match";

pub(crate) struct OpenBao {
    location: KvLocation,
    login: Login,
}

/// How requests are authorized.
enum Login {
    /// The key is a token, sent with every request.
    Token(Arc<Http>),
    /// The key is an AppRole secret id, sent only to `auth/approle/login`.
    AppRole(Box<AppRole>),
}

struct AppRole {
    /// Sends no token: it logs in.
    anonymous: Http,
    role_id: String,
    secret_id: SecretString,
    session: Mutex<Option<Session>>,
}

/// A token an AppRole login handed out, and when to log in again.
struct Session {
    http: Arc<Http>,
    renew_at: Option<Instant>,
}

#[derive(Deserialize)]
struct Data<T> {
    data: T,
}

#[derive(Deserialize)]
struct Keys {
    #[serde(default)]
    keys: Vec<String>,
}

/// A page of `detailed-metadata`: names, and each entry's metadata (a
/// folder's is empty, so it reads as version 0).
#[derive(Deserialize)]
struct DetailedKeys {
    #[serde(default)]
    keys: Vec<String>,
    #[serde(default)]
    key_info: BTreeMap<String, EntryMetadata>,
}

#[derive(Deserialize)]
struct Authed<T> {
    auth: T,
}

/// An AppRole login's `auth`: the token, and for how long it holds.
#[derive(Deserialize)]
struct LoggedIn {
    client_token: SecretString,
    #[serde(default)]
    lease_duration: u64,
}

/// A renewal's `auth`, of which only the lease is read.
#[derive(Deserialize)]
struct Lease {
    #[serde(default)]
    lease_duration: u64,
}

#[derive(Serialize)]
struct AppRoleLogin<'a> {
    role_id: &'a str,
    secret_id: &'a str,
}

#[derive(Serialize)]
struct Paths<'a> {
    paths: Vec<&'a str>,
}

#[derive(Deserialize)]
struct EntryMetadata {
    #[serde(default)]
    current_version: u64,
    #[serde(default)]
    custom_metadata: Option<BTreeMap<String, String>>,
    #[serde(default)]
    versions: BTreeMap<String, VersionState>,
}

#[derive(Deserialize)]
struct VersionState {
    #[serde(default)]
    deletion_time: String,
    #[serde(default)]
    destroyed: bool,
}

impl EntryMetadata {
    /// The latest version was deleted or destroyed: the entry holds no value.
    fn is_gone(&self) -> bool {
        self.versions
            .get(&self.current_version.to_string())
            .is_none_or(|state| state.destroyed || !state.deletion_time.is_empty())
    }
}

/// `lookup-self`'s `data`, of which only the expiry is read (it also holds
/// the token itself, never kept).
#[derive(Deserialize)]
struct TokenInfo {
    expire_time: Option<String>,
}

#[derive(Deserialize)]
struct Written {
    version: u64,
}

/// A read's `data`: our one key, other keys left unread (a value is never
/// held anywhere but in a `SecretString`).
#[derive(Deserialize)]
struct Entry {
    data: Option<Values>,
}

#[derive(Deserialize)]
struct Values {
    value: Option<SecretString>,
}

#[derive(Serialize)]
struct Write<'a> {
    options: Cas,
    data: BTreeMap<&'static str, &'a str>,
}

#[derive(Serialize)]
struct Cas {
    cas: u64,
}

#[derive(Serialize)]
struct CustomMetadata<'a> {
    custom_metadata: &'a BTreeMap<String, String>,
}

impl OpenBao {
    /// With a token, sent with every request.
    pub fn new(http: Http, location: KvLocation) -> Self {
        Self { location, login: Login::Token(Arc::new(http)) }
    }

    /// With an AppRole secret id: `anonymous` sends no token, and logs in
    /// as `location.role_id` at the first request.
    pub fn approle(anonymous: Http, location: KvLocation, secret_id: SecretString) -> Self {
        let role_id = location.role_id.clone().unwrap_or_default();
        let login = AppRole { anonymous, role_id, secret_id, session: Mutex::new(None) };
        Self { location, login: Login::AppRole(Box::new(login)) }
    }

    /// The client that builds URLs (every client has the same base).
    fn base(&self) -> &Http {
        match &self.login {
            Login::Token(http) => http,
            Login::AppRole(login) => &login.anonymous,
        }
    }

    /// The client that sends the token: for AppRole, the session's, after a
    /// login when there is none yet or half its lease has passed.
    fn http(&self) -> RemoteResult<Arc<Http>> {
        let AppRole { anonymous, role_id, secret_id, session } = match &self.login {
            Login::Token(http) => return Ok(Arc::clone(http)),
            Login::AppRole(login) => login.as_ref(),
        };
        let mut session = session.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(current) = session.as_ref().filter(|s| s.renew_at.is_none_or(|at| Instant::now() < at)) {
            return Ok(Arc::clone(&current.http));
        }
        let url = anonymous.url(&["v1", "auth", "approle", "login"], &[]);
        let body = AppRoleLogin { role_id, secret_id: secret_id.expose_secret() };
        let started = Instant::now();
        let logged_in: Authed<LoggedIn> = anonymous
            .send(&Request::new(Method::POST, url).json(&body).secret(secret_id))
            .map_err(|err| match err.kind {
                Failure::Rejected | Failure::Forbidden | Failure::Auth => RemoteError {
                    kind: Failure::Auth,
                    message: format!(
                        "OpenBao refused the AppRole login ({}): the secret id expired, was used up or \
                         is wrong, or the role id is",
                        err.message
                    ),
                    ..err
                },
                _ => err,
            })?
            .json("an OpenBao AppRole login")?;
        let lease = logged_in.auth.lease_duration;
        let http = Arc::new(anonymous.with_token(logged_in.auth.client_token).map_err(|_| {
            RemoteError::new(Failure::BadReply, "OpenBao's AppRole login gave a token that cannot be sent")
        })?);
        let renew_at = (lease > 0).then(|| started + Duration::from_secs(lease / 2));
        *session = Some(Session { http: Arc::clone(&http), renew_at });
        Ok(http)
    }

    /// `v1/<mount>/<area>/<prefix…>/<name>`, each part its own path segment.
    fn url(&self, area: &str, name: Option<&str>, query: &[(&str, &str)]) -> reqwest::Url {
        self.base().url(&self.segments(area, name), query)
    }

    /// `<mount>/<area>/<prefix…>/<name>`: a URL's path after `v1`, and a
    /// policy's path.
    fn segments<'a>(&'a self, area: &'a str, name: Option<&'a str>) -> Vec<&'a str> {
        let mut segments: Vec<&str> = vec!["v1"];
        segments.extend(self.location.mount.split('/'));
        segments.push(area);
        segments.extend(self.location.prefix.split('/').filter(|part| !part.is_empty()));
        segments.extend(name);
        segments
    }

    /// Where `name` lives, as a person would type it for `bao kv get`
    /// (the folder itself for an empty name).
    fn path(&self, name: &str) -> String {
        let path = match self.location.prefix.as_str() {
            "" => format!("{}/{name}", self.location.mount),
            prefix => format!("{}/{prefix}/{name}", self.location.mount),
        };
        path.trim_end_matches('/').to_owned()
    }

    /// Sends with the token, a refusal worded by [`Self::explain`].
    fn send(&self, request: &Request<'_>, name: Option<&str>, what: &str) -> RemoteResult<Reply> {
        self.http()?.send(request).map_err(|err| self.explain(err, name, what))
    }

    /// A refusal worded for OpenBao: a 403 with a valid token is the
    /// policy's, and names the path; with a token the server no longer
    /// knows, it is the token's (so the sync says to replace it); a failed
    /// check-and-set is a conflict; a sealed server, or a standby one that
    /// does not forward, is unreachable until it serves again.
    fn explain(&self, err: RemoteError, name: Option<&str>, what: &str) -> RemoteError {
        match err.kind {
            Failure::Forbidden => match self.lookup_self() {
                Err(refused) if refused.kind == Failure::Auth => refused,
                _ => {
                    let path = name.map_or_else(|| self.path(""), |name| self.path(name));
                    RemoteError {
                        message: format!(
                            "permission denied on {path}: the token's policies do not allow it to {what} there"
                        ),
                        ..err
                    }
                }
            },
            Failure::Rejected if err.message.contains(CAS_MISMATCH) => RemoteError {
                kind: Failure::Conflict,
                message: format!(
                    "{} changed on the server since it was last seen here (check-and-set did not match)",
                    name.unwrap_or("the secret")
                ),
                ..err
            },
            Failure::Unavailable if ["sealed", "standby"].iter().any(|word| err.message.contains(word)) => {
                RemoteError { kind: Failure::Unreachable, ..err }
            }
            _ => err,
        }
    }

    /// `auth/token/lookup-self`: the token's own record; a 403 means the
    /// server no longer knows the token.
    fn lookup_self(&self) -> RemoteResult<Reply> {
        let url = self.base().url(&["v1", "auth", "token", "lookup-self"], &[]);
        self.http()?.send(&Request::new(Method::GET, url)).map_err(|err| match err.kind {
            Failure::Forbidden => RemoteError {
                kind: Failure::Auth,
                message: "OpenBao refused the token (permission denied on auth/token/lookup-self): it \
                          expired, was revoked or is wrong"
                    .to_owned(),
                ..err
            },
            _ => err,
        })
    }

    /// The entry's metadata, or `None` where there is no entry.
    fn metadata(&self, name: &str) -> RemoteResult<Option<EntryMetadata>> {
        let url = self.url("metadata", Some(name), &[]);
        found(self.send(&Request::new(Method::GET, url), Some(name), "read metadata"))?
            .map(|reply| Ok(reply.json::<Data<EntryMetadata>>("an OpenBao metadata read")?.data))
            .transpose()
    }

    fn secret(name: &str, meta: EntryMetadata) -> RemoteSecret {
        let custom = meta.custom_metadata.unwrap_or_default();
        RemoteSecret {
            meta: ours_in(&custom),
            ..RemoteSecret::new(name, name, meta.current_version.to_string())
        }
    }

    /// Writes `value` as the version after `cas`. `known` is the entry's
    /// description and category as last read; where ours changes them, the
    /// entry's `custom_metadata` is read and written back with ours merged in
    /// (other tools' keys stay).
    fn write(
        &self,
        name: &str,
        value: &SecretString,
        meta: &Metadata,
        cas: u64,
        known: Metadata,
    ) -> RemoteResult<RemoteSecret> {
        let body = Write { options: Cas { cas }, data: BTreeMap::from([(VALUE_KEY, value.expose_secret())]) };
        let url = self.url("data", Some(name), &[]);
        let written: Data<Written> = self
            .send(&Request::new(Method::POST, url).json(&body).secret(value), Some(name), "write")?
            .json("an OpenBao write")?;
        let mut kept = known;
        if meta.or(&kept) != kept {
            let mut custom = self.metadata(name)?.and_then(|meta| meta.custom_metadata).unwrap_or_default();
            let rotate_by = meta.rotate_by.map(|date| date.to_string());
            for (key, ours) in
                [("description", &meta.description), ("category", &meta.category), (ROTATE_BY, &rotate_by)]
            {
                if let Some(ours) = ours {
                    custom.insert(key.to_owned(), ours.clone());
                }
            }
            let url = self.url("metadata", Some(name), &[]);
            let body = CustomMetadata { custom_metadata: &custom };
            self.send(&Request::new(Method::POST, url).json(&body), Some(name), "write metadata")?;
            kept = ours_in(&custom);
        }
        Ok(RemoteSecret { meta: kept, ..RemoteSecret::new(name, name, written.data.version.to_string()) })
    }

    /// OpenBao's `detailed-metadata` listing: pages of names with each
    /// entry's metadata. A server without it (HashiCorp Vault, or a policy
    /// that does not grant the path) answers 404 or 403, and `None` says to
    /// list the other way. The pages must move forward, and at most
    /// [`LIST_LIMIT`] entries (and twice that in names, folders included)
    /// are read.
    fn list_detailed(&self) -> RemoteResult<Option<Listing>> {
        let (mut secrets, mut folders) = (Vec::new(), Vec::new());
        let (mut after, mut names, mut entries) = (String::new(), 0, 0);
        let limit = PAGE.to_string();
        loop {
            let mut query = vec![("list", "true"), ("limit", limit.as_str())];
            if !after.is_empty() {
                query.push(("after", after.as_str()));
            }
            let url = self.url("detailed-metadata", None, &query);
            let mut page = match self.http()?.send(&Request::new(Method::GET, url)) {
                Ok(reply) => reply.json::<Data<DetailedKeys>>("an OpenBao detailed listing")?.data,
                // Past the last page.
                Err(err) if err.kind == Failure::NotFound && !after.is_empty() => break,
                Err(err) if matches!(err.kind, Failure::NotFound | Failure::Forbidden) => return Ok(None),
                Err(err) => return Err(self.explain(err, None, "list")),
            };
            let (count, last) = (page.keys.len(), page.keys.last().cloned());
            for key in page.keys {
                names += 1;
                if entries == LIST_LIMIT || names > 2 * LIST_LIMIT {
                    return Ok(Some(Listing { secrets, complete: false, total: None, folders }));
                }
                if key.ends_with('/') {
                    folders.push(key);
                    continue;
                }
                entries += 1;
                // An entry without its metadata, or with no version, holds no value.
                if let Some(meta) = page.key_info.remove(&key).filter(|meta| !meta.is_gone()) {
                    secrets.push(Self::secret(&key, meta));
                }
            }
            match last {
                _ if count < PAGE => break,
                Some(last) if last > after => after = last,
                _ => {
                    return Err(RemoteError::new(
                        Failure::BadReply,
                        "OpenBao's detailed listing gave a page that does not move past the last one",
                    ));
                }
            }
        }
        Ok(Some(Listing { secrets, complete: true, total: Some(entries as u64), folders }))
    }

    /// `LIST <mount>/metadata/<prefix>` (as `?list=true`), then each entry's
    /// metadata, one request each.
    fn list_each(&self) -> RemoteResult<Listing> {
        let url = self.url("metadata", None, &[("list", "true")]);
        let keys = found(self.send(&Request::new(Method::GET, url), None, "list"))?
            .map(|reply| reply.json::<Data<Keys>>("an OpenBao listing"))
            .transpose()?
            .map_or_else(Vec::new, |keys| keys.data.keys);
        let (names, folders, total) = entries(keys);
        let mut secrets = Vec::with_capacity(names.len());
        for name in &names {
            if let Some(meta) = self.metadata(name)?.filter(|meta| !meta.is_gone()) {
                secrets.push(Self::secret(name, meta));
            }
        }
        Ok(Listing { secrets, complete: total <= LIST_LIMIT, total: Some(total as u64), folders })
    }
}

/// The listed names whose metadata is read (entries, not folders; at most
/// [`LIST_LIMIT`]), the folders (as many as there are entries to read at
/// most), and how many entries were listed.
fn entries(keys: Vec<String>) -> (Vec<String>, Vec<String>, usize) {
    let (mut folders, mut entries): (Vec<String>, Vec<String>) =
        keys.into_iter().partition(|key| key.ends_with('/'));
    let total = entries.len();
    entries.truncate(LIST_LIMIT);
    folders.truncate(LIST_LIMIT);
    (entries, folders, total)
}

/// The description, category and rotate-by date an entry's
/// `custom_metadata` holds (a date that is not one is left out).
fn ours_in(custom: &BTreeMap<String, String>) -> Metadata {
    Metadata {
        description: custom.get("description").cloned(),
        category: custom.get("category").cloned(),
        scope: None,
        rotate_by: custom.get(ROTATE_BY).and_then(|date| date.parse().ok()),
    }
}

impl SecretsApi for OpenBao {
    fn kind(&self) -> Kind {
        Kind::Openbao
    }

    /// The folder's entries with their metadata: in pages where the server
    /// has OpenBao's detailed listing, else name by name. Folders (names
    /// ending in `/`) are not descended into, but named: a name here has no
    /// `/`, and a folder below can be a remote of its own. Entries whose
    /// latest version is deleted are not listed.
    fn list(&self) -> RemoteResult<Listing> {
        match self.list_detailed()? {
            Some(listing) => Ok(listing),
            None => self.list_each(),
        }
    }

    fn get(&self, name: &str) -> RemoteResult<Option<RemoteSecret>> {
        Ok(self.metadata(name)?.filter(|meta| !meta.is_gone()).map(|meta| Self::secret(name, meta)))
    }

    /// Check-and-set against "no entry" (0), or against the deleted latest
    /// version of an entry removed earlier; an entry that holds a value is
    /// someone else's, and a conflict. A replay that finds its own write
    /// landed (same version count, our value) is not an error: the plan
    /// records it like any other remote secret.
    fn create(
        &self,
        name: &str,
        value: &SecretString,
        meta: &Metadata,
        _request_id: &str,
        _replay: bool,
    ) -> RemoteResult<RemoteSecret> {
        let (cas, known) = match self.metadata(name)? {
            None => (0, Metadata::default()),
            Some(current) if current.is_gone() => {
                (current.current_version, ours_in(&current.custom_metadata.unwrap_or_default()))
            }
            Some(_) => {
                return Err(RemoteError {
                    dialect: Some(Kind::Openbao),
                    ..RemoteError::new(
                        Failure::Conflict,
                        format!("{} exists already on the server", self.path(name)),
                    )
                });
            }
        };
        self.write(name, value, meta, cas, known)
    }

    fn update(
        &self,
        target: &RemoteSecret,
        value: &SecretString,
        meta: &Metadata,
        expected: Option<&str>,
        _request_id: &str,
    ) -> RemoteResult<RemoteSecret> {
        let marker = expected.unwrap_or(&target.marker);
        let cas = marker.parse::<u64>().map_err(|_| {
            RemoteError::new(Failure::BadReply, format!("{marker:?} is not an OpenBao version number"))
        })?;
        self.write(&target.name, value, meta, cas, target.meta.clone())
    }

    fn delete(&self, target: &RemoteSecret, _request_id: &str) -> RemoteResult<Deleted> {
        let url = self.url("data", Some(&target.name), &[]);
        found(self.send(&Request::new(Method::DELETE, url), Some(&target.name), "delete"))
            .map(|_| Deleted::default())
    }

    fn reveal(&self, target: &RemoteSecret) -> RemoteResult<SecretString> {
        let url = self.url("data", Some(&target.name), &[]);
        let entry: Data<Entry> = self
            .send(&Request::new(Method::GET, url), Some(&target.name), "read")?
            .json("an OpenBao read")?;
        match entry.data.data.and_then(|data| data.value) {
            Some(value) => Ok(value),
            None => Err(RemoteError::new(
                Failure::BadReply,
                format!(
                    "{} holds no text under the key {VALUE_KEY:?}: Keyhaven keeps one value per entry",
                    self.path(&target.name)
                ),
            )),
        }
    }

    fn ping(&self) -> RemoteResult<()> {
        self.lookup_self().map(drop)
    }

    /// The token's expiry; `None` for AppRole, whose tokens each last one login.
    fn key_expiry(&self) -> RemoteResult<Option<jiff::Timestamp>> {
        if matches!(self.login, Login::AppRole(_)) {
            return Ok(None);
        }
        let info: Data<TokenInfo> = self.lookup_self()?.json("OpenBao's lookup-self")?;
        info.data
            .expire_time
            .map(|text| {
                text.parse::<jiff::Timestamp>().map_err(|_| {
                    RemoteError::new(
                        Failure::BadReply,
                        "OpenBao's lookup-self gave an expiry that is not a time",
                    )
                })
            })
            .transpose()
    }

    /// `auth/token/renew-self`, for a token that can be renewed; an AppRole
    /// remote logs in anew instead, and a token that cannot be renewed (the
    /// server refuses, or gives no lease) gives `None`.
    fn renew_key(&self) -> RemoteResult<Option<jiff::Timestamp>> {
        let Login::Token(http) = &self.login else { return Ok(None) };
        let url = http.url(&["v1", "auth", "token", "renew-self"], &[]);
        let lease: Authed<Lease> =
            match http.send(&Request::new(Method::POST, url).json(&serde_json::json!({}))) {
                Ok(reply) => reply.json("OpenBao's renew-self")?,
                Err(err) if err.kind == Failure::Rejected => return Ok(None),
                Err(err) => return Err(self.explain(err, None, "renew itself")),
            };
        let lease = i64::try_from(lease.auth.lease_duration).unwrap_or(i64::MAX);
        Ok((lease > 0)
            .then(|| jiff::Timestamp::now().checked_add(jiff::SignedDuration::from_secs(lease)).ok())
            .flatten())
    }

    /// `sys/capabilities-self` for the folder and a name in it: what the
    /// token's policies allow, asked without trying anything.
    fn access(&self) -> RemoteResult<Option<Vec<OperationAccess>>> {
        let path = |area, name| self.segments(area, name)[1..].join("/");
        let paths = [
            path("detailed-metadata", None),
            path("metadata", None),
            path("metadata", Some(PROBE)),
            path("data", Some(PROBE)),
        ];
        let url = self.base().url(&["v1", "sys", "capabilities-self"], &[]);
        let body = Paths { paths: paths.iter().map(String::as_str).collect() };
        let granted: Data<BTreeMap<String, serde_json::Value>> = self
            .send(&Request::new(Method::POST, url).json(&body), None, "ask its capabilities")?
            .json("OpenBao's capabilities-self")?;
        let allows = |path: &String, wanted: &[&str]| {
            let have: Vec<&str> = granted
                .data
                .get(path)
                .and_then(|caps| caps.as_array())
                .map(|caps| caps.iter().filter_map(|cap| cap.as_str()).collect())
                .unwrap_or_default();
            have.contains(&"root") || (!have.contains(&"deny") && wanted.iter().all(|w| have.contains(w)))
        };
        let access = |allowed: bool| if allowed { WriteAccess::Allowed } else { WriteAccess::Refused };
        let [detailed, folder, entry, data] = &paths;
        Ok(Some(vec![
            OperationAccess {
                operation: Operation::List,
                access: access(allows(detailed, &["list"]) || allows(folder, &["list"])),
            },
            OperationAccess { operation: Operation::Read, access: access(allows(entry, &["read"])) },
            OperationAccess {
                operation: Operation::Write,
                access: access(allows(data, &["create", "update"])),
            },
            OperationAccess { operation: Operation::Delete, access: access(allows(data, &["delete"])) },
            OperationAccess { operation: Operation::Reveal, access: access(allows(data, &["read"])) },
        ]))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_listing_reads_at_most_the_limit_of_entries_and_never_a_folder() {
        let mut keys: Vec<String> = (0..LIST_LIMIT + 3).map(|i| format!("K{i}")).collect();
        keys.insert(7, "folder/".to_owned());
        keys.push("other/".to_owned());
        let (read, folders, total) = entries(keys);
        assert_eq!((read.len(), total), (LIST_LIMIT, LIST_LIMIT + 3));
        assert!(read.iter().all(|name| !name.ends_with('/')));
        assert_eq!(folders, ["folder/", "other/"]);
        let (read, folders, total) = entries(vec!["A".into(), "b/".into()]);
        assert_eq!((read, folders, total), (vec!["A".to_owned()], vec!["b/".to_owned()], 1));
    }
}
