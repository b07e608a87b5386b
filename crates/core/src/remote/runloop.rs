//! Runloop (API.md §1): one listing of at most 5,000 with no cursor, writes
//! as POSTs carrying `x-request-id`, no versions and no values ever returned.
//! By-id routes for updates and deletes, since names may repeat.

use reqwest::Method;
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};

use super::{
    Failure, Kind, Listing, RemoteError, RemoteResult, RemoteSecret, SecretsApi,
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
        RemoteSecret { id: view.id, name: view.name, marker: view.update_time_ms.to_string() }
    }
}

#[derive(Deserialize)]
struct SecretListView {
    secrets: Vec<SecretView>,
    has_more: bool,
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
        Ok(Listing { secrets: list.secrets.into_iter().map(Into::into).collect(), complete: !list.has_more })
    }

    fn get(&self, name: &str) -> RemoteResult<Option<RemoteSecret>> {
        let url = self.http.url(&["v1", "secrets", name], &[]);
        found(self.http.send(&Request::new(Method::GET, url)))?.map(secret).transpose()
    }

    fn create(
        &self,
        name: &str,
        value: &SecretString,
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

    fn update(
        &self,
        target: &RemoteSecret,
        value: &SecretString,
        _expected: Option<&str>,
        request_id: &str,
    ) -> RemoteResult<RemoteSecret> {
        let url = self.http.url(&["v1", "secrets", "id", &target.id, "update"], &[]);
        let request = Request::new(Method::POST, url)
            .json(&Update { value: value.expose_secret() })
            .request_id(request_id)
            .secret(value);
        self.http.call(&request, secret, || Ok(None))
    }

    fn delete(&self, target: &RemoteSecret, request_id: &str) -> RemoteResult<()> {
        let url = self.http.url(&["v1", "secrets", "id", &target.id, "delete"], &[]);
        // Already gone counts as done.
        found(self.http.send(&Request::new(Method::POST, url).request_id(request_id))).map(|_| ())
    }

    fn ping(&self) -> RemoteResult<()> {
        let url = self.http.url(&["v1", "secrets"], &[("limit", "1")]);
        self.http.send(&Request::new(Method::GET, url))?.json::<SecretListView>("the Runloop listing")?;
        Ok(())
    }
}
