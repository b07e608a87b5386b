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

use std::collections::BTreeMap;

use reqwest::Method;
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};

use super::{
    Deleted, Failure, Kind, KvLocation, Listing, Metadata, RemoteError, RemoteResult, RemoteSecret,
    SecretsApi,
    http::{Http, Request, found},
};

/// The one key of a KV entry that holds a Keyhaven value.
const VALUE_KEY: &str = "value";

/// The most entries one listing reads the metadata of. KV lists names only
/// and each entry's metadata is a request of its own, so a server's listing
/// must not decide how many requests a sync sends: beyond this the listing
/// is cut, the sync says so, and nothing unlisted is taken as deleted.
pub(crate) const LIST_LIMIT: usize = 5_000;

/// The server's words when a check-and-set write met another version.
const CAS_MISMATCH: &str = "check-and-set parameter did not match";

pub(crate) struct OpenBao {
    http: Http,
    location: KvLocation,
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

#[derive(Deserialize)]
struct EntryMetadata {
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
    pub fn new(http: Http, location: KvLocation) -> Self {
        Self { http, location }
    }

    /// `v1/<mount>/<area>/<prefix…>/<name>`, each part its own path segment.
    fn url(&self, area: &str, name: Option<&str>, query: &[(&str, &str)]) -> reqwest::Url {
        let mut segments: Vec<&str> = vec!["v1"];
        segments.extend(self.location.mount.split('/'));
        segments.push(area);
        segments.extend(self.location.prefix.split('/').filter(|part| !part.is_empty()));
        segments.extend(name);
        self.http.url(&segments, query)
    }

    /// Where `name` lives, as a person would type it for `bao kv get`.
    fn path(&self, name: &str) -> String {
        match self.location.prefix.as_str() {
            "" => format!("{}/{name}", self.location.mount),
            prefix => format!("{}/{prefix}/{name}", self.location.mount),
        }
    }

    /// A refusal worded for OpenBao: a 403 with a valid token is the
    /// policy's, and names the path; with a token the server no longer
    /// knows, it is the token's (so the sync says to replace it); a failed
    /// check-and-set is a conflict.
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
            _ => err,
        }
    }

    /// `auth/token/lookup-self`: the token's own record; a 403 means the
    /// server no longer knows the token.
    fn lookup_self(&self) -> RemoteResult<super::http::Reply> {
        let url = self.http.url(&["v1", "auth", "token", "lookup-self"], &[]);
        self.http.send(&Request::new(Method::GET, url)).map_err(|err| match err.kind {
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
        found(self.http.send(&Request::new(Method::GET, url)))
            .map_err(|err| self.explain(err, Some(name), "read metadata"))?
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
            .http
            .send(&Request::new(Method::POST, url).json(&body).secret(value))
            .map_err(|err| self.explain(err, Some(name), "write"))?
            .json("an OpenBao write")?;
        let mut kept = known;
        if meta.or(&kept) != kept {
            let mut custom = self.metadata(name)?.and_then(|meta| meta.custom_metadata).unwrap_or_default();
            for (key, ours) in [("description", &meta.description), ("category", &meta.category)] {
                if let Some(ours) = ours {
                    custom.insert(key.to_owned(), ours.clone());
                }
            }
            let url = self.url("metadata", Some(name), &[]);
            self.http
                .send(&Request::new(Method::POST, url).json(&CustomMetadata { custom_metadata: &custom }))
                .map_err(|err| self.explain(err, Some(name), "write metadata"))?;
            kept = ours_in(&custom);
        }
        Ok(RemoteSecret { meta: kept, ..RemoteSecret::new(name, name, written.data.version.to_string()) })
    }
}

/// The listed names whose metadata is read (entries, not folders; at most
/// [`LIST_LIMIT`]), and how many entries were listed.
fn entries(keys: Vec<String>) -> (Vec<String>, usize) {
    let mut entries: Vec<String> = keys.into_iter().filter(|key| !key.ends_with('/')).collect();
    let total = entries.len();
    entries.truncate(LIST_LIMIT);
    (entries, total)
}

/// The description and category an entry's `custom_metadata` holds.
fn ours_in(custom: &BTreeMap<String, String>) -> Metadata {
    Metadata {
        description: custom.get("description").cloned(),
        category: custom.get("category").cloned(),
        scope: None,
    }
}

impl SecretsApi for OpenBao {
    fn kind(&self) -> Kind {
        Kind::Openbao
    }

    /// `LIST <mount>/metadata/<prefix>` (as `?list=true`), then each entry's
    /// metadata: KV lists names only. Folders (names ending in `/`) are not
    /// descended into. Entries whose latest version is deleted are not listed.
    fn list(&self) -> RemoteResult<Listing> {
        let url = self.url("metadata", None, &[("list", "true")]);
        let keys = found(self.http.send(&Request::new(Method::GET, url)))
            .map_err(|err| self.explain(err, None, "list"))?
            .map(|reply| reply.json::<Data<Keys>>("an OpenBao listing"))
            .transpose()?
            .map_or_else(Vec::new, |keys| keys.data.keys);
        let (names, total) = entries(keys);
        let mut secrets = Vec::with_capacity(names.len());
        for name in &names {
            if let Some(meta) = self.metadata(name)?.filter(|meta| !meta.is_gone()) {
                secrets.push(Self::secret(name, meta));
            }
        }
        Ok(Listing { secrets, complete: total <= LIST_LIMIT, total: Some(total as u64) })
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
        found(self.http.send(&Request::new(Method::DELETE, url)))
            .map_err(|err| self.explain(err, Some(&target.name), "delete"))
            .map(|_| Deleted::default())
    }

    fn reveal(&self, target: &RemoteSecret) -> RemoteResult<SecretString> {
        let url = self.url("data", Some(&target.name), &[]);
        let entry: Data<Entry> = self
            .http
            .send(&Request::new(Method::GET, url))
            .map_err(|err| self.explain(err, Some(&target.name), "read"))?
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

    fn key_expiry(&self) -> RemoteResult<Option<jiff::Timestamp>> {
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
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_listing_reads_at_most_the_limit_of_entries_and_never_a_folder() {
        let mut keys: Vec<String> = (0..LIST_LIMIT + 3).map(|i| format!("K{i}")).collect();
        keys.insert(7, "folder/".to_owned());
        keys.push("other/".to_owned());
        let (read, total) = entries(keys);
        assert_eq!((read.len(), total), (LIST_LIMIT, LIST_LIMIT + 3));
        assert!(read.iter().all(|name| !name.ends_with('/')));
        let (read, total) = entries(vec!["A".into(), "b/".into()]);
        assert_eq!((read, total), (vec!["A".to_owned()], 1));
    }
}
