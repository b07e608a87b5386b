//! Runloop (docs/platforms.md, "Runloop"): one listing of at most 5,000 with
//! no cursor, writes as POSTs carrying `x-request-id`, no versions and no
//! values ever returned. Updates and deletes by name, the routes the OpenAPI
//! spec and the SDKs document (`POST /v1/secrets/{name}`, `…/{name}/delete`). No metadata.

use reqwest::Method;
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};

use super::{
    Deleted, Failure, Kind, Listing, Metadata, RemoteError, RemoteResult, RemoteSecret, SecretsApi,
    http::{Http, Reply, Request, found},
};

pub(crate) const LIST_LIMIT: usize = 5000;

pub(crate) struct Runloop {
    http: Http,
}

#[derive(Deserialize)]
struct SecretView {
    id: String,
    name: String,
    update_time_ms: i64,
}

impl From<SecretView> for RemoteSecret {
    fn from(view: SecretView) -> Self {
        RemoteSecret::new(view.id, view.name, view.update_time_ms.to_string())
    }
}

#[derive(Deserialize)]
struct SecretListView {
    secrets: Vec<SecretView>,
    has_more: bool,
    #[serde(default)]
    total_count: Option<u64>,
}

#[derive(Serialize)]
struct Create<'a> {
    name: &'a str,
    value: &'a str,
}

#[derive(Serialize)]
struct Update<'a> {
    value: &'a str,
}

fn secret(reply: Reply) -> RemoteResult<RemoteSecret> {
    Ok(reply.json::<SecretView>("a Runloop secret")?.into())
}

impl Runloop {
    pub fn new(http: Http) -> Self {
        Self { http }
    }
}

impl SecretsApi for Runloop {
    fn kind(&self) -> Kind {
        Kind::Runloop
    }

    fn list(&self) -> RemoteResult<Listing> {
        let limit = LIST_LIMIT.to_string();
        let url = self.http.url(&["v1", "secrets"], &[("limit", &limit)]);
        let list: SecretListView =
            self.http.send(&Request::new(Method::GET, url))?.json("the Runloop listing")?;
        Ok(Listing {
            secrets: list.secrets.into_iter().map(Into::into).collect(),
            complete: !list.has_more,
            total: list.total_count,
            folders: Vec::new(),
        })
    }

    fn get(&self, name: &str) -> RemoteResult<Option<RemoteSecret>> {
        let url = self.http.url(&["v1", "secrets", name], &[]);
        found(self.http.send(&Request::new(Method::GET, url)))?.map(secret).transpose()
    }

    /// Runloop holds no metadata.
    fn create(
        &self,
        name: &str,
        value: &SecretString,
        _meta: &Metadata,
        request_id: &str,
        replay: bool,
    ) -> RemoteResult<RemoteSecret> {
        let url = self.http.url(&["v1", "secrets"], &[]);
        let request = Request::new(Method::POST, url)
            .json(&Create { name, value: value.expose_secret() })
            .request_id(request_id)
            .secret(value)
            .maybe_applied(replay);
        match self.http.call(&request, secret, || self.get(name)) {
            // Runloop answers a duplicate name with a plain 400.
            Err(err) if err.kind == Failure::Rejected && self.get(name)?.is_some() => {
                Err(RemoteError::new(Failure::Conflict, format!("{name} already exists on Runloop")))
            }
            other => other,
        }
    }

    /// By name, the route the OpenAPI spec documents (`POST /v1/secrets/{name}`).
    fn update(
        &self,
        target: &RemoteSecret,
        value: &SecretString,
        _meta: &Metadata,
        _expected: Option<&str>,
        request_id: &str,
    ) -> RemoteResult<RemoteSecret> {
        let url = self.http.url(&["v1", "secrets", &target.name], &[]);
        let request = Request::new(Method::POST, url)
            .json(&Update { value: value.expose_secret() })
            .request_id(request_id)
            .secret(value);
        self.http.call(&request, secret, || Ok(None))
    }

    /// By name (`POST /v1/secrets/{name}/delete`, as the spec documents). A
    /// 404 counts as done only once a look confirms the name is gone.
    fn delete(&self, target: &RemoteSecret, request_id: &str) -> RemoteResult<Deleted> {
        let url = self.http.url(&["v1", "secrets", &target.name, "delete"], &[]);
        match found(self.http.send(&Request::new(Method::POST, url).request_id(request_id)))? {
            Some(_) => Ok(Deleted::default()),
            None if self.get(&target.name)?.is_none() => Ok(Deleted::default()),
            None => Err(RemoteError::new(
                Failure::BadReply,
                format!("Runloop said {} was not found, yet still lists it", target.name),
            )),
        }
    }

    fn ping(&self) -> RemoteResult<()> {
        let url = self.http.url(&["v1", "secrets"], &[("limit", "1")]);
        self.http.send(&Request::new(Method::GET, url))?.json::<SecretListView>("the Runloop listing")?;
        Ok(())
    }
}
