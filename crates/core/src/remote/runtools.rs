//! RunTools (docs/platforms.md, "RunTools"): upsert by name (names upper-cased by the server),
//! user or org scope, `updated_at` as the change marker, and the only reveal
//! of the three. The upsert answer has no timestamp, so a write reads the
//! secret back for its new marker.

use reqwest::Method;
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};

use super::{
    Deleted, Failure, Kind, Listing, Metadata, RemoteResult, RemoteSecret, Scope, SecretsApi,
    http::{Http, Request, found},
};

pub(crate) struct RunTools {
    http: Http,
    scope: Scope,
}

#[derive(Deserialize)]
struct Secret {
    name: String,
    updated_at: String,
    #[serde(default)]
    category: Option<String>,
    #[serde(default)]
    description: Option<String>,
    #[serde(default)]
    scope: Option<String>,
}

impl From<Secret> for RemoteSecret {
    fn from(secret: Secret) -> Self {
        let meta = Metadata {
            description: secret.description,
            category: secret.category,
            scope: secret.scope,
            rotate_by: None,
        };
        RemoteSecret { meta, ..RemoteSecret::new(secret.name.clone(), secret.name, secret.updated_at) }
    }
}

/// The categories RunTools takes; another local category is not sent.
const CATEGORIES: [&str; 3] = ["provider", "tool", "custom"];

/// Whether a local `category` is one RunTools takes (so it is sent).
pub(crate) fn takes_category(category: &str) -> bool {
    CATEGORIES.contains(&category.to_ascii_lowercase().as_str())
}

#[derive(Deserialize)]
struct Data<T> {
    data: T,
}

#[derive(Deserialize)]
struct Revealed {
    value: SecretString,
}

/// An upsert overwrites category, description and scope too: all are always
/// sent, ours or else the remote's, so a rotation resets none.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Upsert<'a> {
    name: &'a str,
    value: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    category: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    description: Option<&'a str>,
    /// The remote's own, sent back: an upsert would reset it to "all".
    #[serde(skip_serializing_if = "Option::is_none")]
    scope: Option<&'a str>,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    org_wide: bool,
}

impl RunTools {
    pub fn new(http: Http, scope: Scope) -> Self {
        Self { http, scope }
    }

    /// `?orgWide=true` for the org copy of a name.
    fn scope_query(&self) -> &'static [(&'static str, &'static str)] {
        match self.scope {
            Scope::Org => &[("orgWide", "true")],
            Scope::User => &[],
        }
    }

    /// `meta`: ours where we have it, else the remote's current.
    fn upsert(&self, name: &str, value: &SecretString, meta: &Metadata) -> RemoteResult<RemoteSecret> {
        let url = self.http.url(&["v1", "secrets"], &[]);
        let category = meta
            .category
            .as_deref()
            .map(str::to_ascii_lowercase)
            .filter(|category| CATEGORIES.contains(&category.as_str()));
        let body = Upsert {
            name,
            value: value.expose_secret(),
            category: category.as_deref(),
            description: meta.description.as_deref(),
            scope: meta.scope.as_deref(),
            org_wide: self.scope == Scope::Org,
        };
        // An upsert replays harmlessly: the same value lands again.
        self.http.send(&Request::new(Method::POST, url).json(&body).secret(value))?;
        self.get(name)?.ok_or_else(|| {
            super::RemoteError::new(
                Failure::BadReply,
                format!("RunTools accepted {name} but does not list it"),
            )
        })
    }
}

impl SecretsApi for RunTools {
    fn kind(&self) -> Kind {
        Kind::Runtools
    }

    fn list(&self) -> RemoteResult<Listing> {
        let url = self.http.url(&["v1", "secrets"], &[("secretScope", self.scope.as_str())]);
        let list: Data<Vec<Secret>> =
            self.http.send(&Request::new(Method::GET, url))?.json("the RunTools listing")?;
        Ok(Listing::whole(list.data.into_iter().map(Into::into).collect()))
    }

    fn get(&self, name: &str) -> RemoteResult<Option<RemoteSecret>> {
        let url = self.http.url(&["v1", "secrets", name], self.scope_query());
        found(self.http.send(&Request::new(Method::GET, url)))?
            .map(|reply| Ok(reply.json::<Data<Secret>>("a RunTools secret")?.data.into()))
            .transpose()
    }

    fn create(
        &self,
        name: &str,
        value: &SecretString,
        meta: &Metadata,
        _request_id: &str,
        _replay: bool,
    ) -> RemoteResult<RemoteSecret> {
        self.upsert(name, value, meta)
    }

    fn update(
        &self,
        target: &RemoteSecret,
        value: &SecretString,
        meta: &Metadata,
        _expected: Option<&str>,
        _request_id: &str,
    ) -> RemoteResult<RemoteSecret> {
        // A local category RunTools does not take keeps the remote's.
        let ours = Metadata {
            category: meta.category.clone().filter(|c| CATEGORIES.contains(&c.to_ascii_lowercase().as_str())),
            ..meta.clone()
        };
        self.upsert(&target.name, value, &ours.or(&target.meta))
    }

    fn delete(&self, target: &RemoteSecret, _request_id: &str) -> RemoteResult<Deleted> {
        let url = self.http.url(&["v1", "secrets", &target.name], self.scope_query());
        // Already gone counts as done.
        found(self.http.send(&Request::new(Method::DELETE, url))).map(|_| Deleted::default())
    }

    fn reveal(&self, target: &RemoteSecret) -> RemoteResult<SecretString> {
        let url = self.http.url(&["v1", "secrets", &target.name, "reveal"], self.scope_query());
        let revealed: Data<Revealed> =
            self.http.send(&Request::new(Method::POST, url))?.json("a RunTools reveal")?;
        Ok(revealed.data.value)
    }

    fn ping(&self) -> RemoteResult<()> {
        self.list().map(|_| ())
    }
}
