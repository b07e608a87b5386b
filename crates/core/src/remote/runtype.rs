//! Runtype (docs/platforms.md, "Runtype"): `{data: …}` envelopes, ids for get/update/delete,
//! a `version` per secret and conditional updates with `expectedVersion`.
//! Also the Runtype-only calls: check, setup-url, intake manifest and submit.

use reqwest::Method;
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};

use super::{
    Deleted, Failure, Kind, Listing, Metadata, RemoteError, RemoteResult, RemoteSecret, SecretsApi,
    http::{Http, Reply, Request, found},
};

/// Runtype's documented value bounds, in characters.
const VALUE_CHARS: std::ops::RangeInclusive<usize> = 8..=10_000;

pub struct Runtype {
    http: Http,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Secret {
    id: String,
    key: String,
    version: i64,
    #[serde(default)]
    description: Option<String>,
    /// "active", or "revoked" (the SDK has no enum).
    #[serde(default)]
    status: Option<String>,
}

impl From<Secret> for RemoteSecret {
    /// A revocation changes the marker (`3:revoked`) though not the version,
    /// so a revoked secret never passes for in sync.
    fn from(secret: Secret) -> Self {
        let meta = Metadata { description: secret.description, ..Metadata::default() };
        let revoked = secret.status.as_deref().is_some_and(|status| status != "active");
        let marker = match &secret.status {
            Some(status) if revoked => format!("{}:{status}", secret.version),
            _ => secret.version.to_string(),
        };
        RemoteSecret { meta, revoked, ..RemoteSecret::new(secret.id, secret.key, marker) }
    }
}

/// Whether a Runtype change marker Keyhaven recorded says the secret was
/// revoked (`3:revoked`). Only for Runtype's markers: RunTools' are times,
/// which hold colons too ([`super::Kind::revoked_marker`] asks by kind).
pub(crate) fn marker_is_revoked(marker: &str) -> bool {
    marker.split_once(':').is_some_and(|(_, status)| status != "active")
}

/// The version a marker carries (`3` or `3:revoked`).
fn version_of(marker: &str) -> Option<i64> {
    marker.split(':').next()?.parse().ok()
}

/// `{success, deletedId, referenceCount}`, not wrapped in `data`.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct DeleteAnswer {
    #[serde(default)]
    reference_count: Option<u64>,
}

#[derive(Deserialize)]
struct Data<T> {
    data: T,
}

/// Runtype's description limit, in characters (RT-DOCS).
const DESCRIPTION_CHARS: usize = 500;

#[derive(Serialize)]
struct Create<'a> {
    key: &'a str,
    value: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    description: Option<&'a str>,
}

/// Fields left out are left as they are (a PUT of the value only keeps the description).
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Update<'a> {
    value: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    description: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    expected_version: Option<i64>,
}

/// Our description, where Runtype can hold it (too long: left out, not cut).
fn description(meta: &Metadata) -> Option<&str> {
    meta.description.as_deref().filter(|text| text.chars().count() <= DESCRIPTION_CHARS)
}

fn secret(reply: Reply) -> RemoteResult<RemoteSecret> {
    Ok(reply.json::<Data<Secret>>("a Runtype secret")?.data.into())
}

fn check_value(value: &SecretString) -> RemoteResult<()> {
    let chars = value.expose_secret().chars().count();
    if VALUE_CHARS.contains(&chars) {
        Ok(())
    } else {
        Err(RemoteError::new(Failure::Rejected, "Runtype accepts values of 8 to 10,000 characters"))
    }
}

/// `found` / `missing` / `revoked` keys.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct CheckResult {
    pub found: Vec<String>,
    pub missing: Vec<String>,
    pub revoked: Vec<String>,
}

/// Who the setup URL is for.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SetupContext {
    /// "product", "agent" or "tool".
    #[serde(rename = "type")]
    pub kind: String,
    pub id: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct SetupUrl {
    pub already_configured: Vec<String>,
    pub missing: Vec<String>,
    pub revoked: Vec<String>,
    pub url: Option<String>,
}

/// What an intake manifest is for. Statuses and types are open strings, as in the SDK.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Source {
    /// "manual", "secret" or "product".
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub keys: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub product_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Manifest {
    pub source: Source,
    pub title: String,
    #[serde(default)]
    pub description: Option<String>,
    pub items: Vec<ManifestItem>,
    /// "configured", "needs_configuration" or "invalid".
    pub configuration_status: String,
    pub pending_configuration_count: u32,
    #[serde(default)]
    pub return_url: Option<String>,
    #[serde(default)]
    pub handoff: Option<Handoff>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ManifestItem {
    pub item_id: String,
    pub secret_key: String,
    pub status: String,
    #[serde(default)]
    pub secret_id: Option<String>,
    #[serde(default)]
    pub display_name: Option<String>,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub required: Option<bool>,
    #[serde(default)]
    pub placeholder: Option<String>,
    #[serde(default)]
    pub help_text: Option<String>,
    #[serde(default)]
    pub docs_url: Option<String>,
    #[serde(default)]
    #[cfg_attr(feature = "ts", ts(type = "number | null"))]
    pub version: Option<i64>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Handoff {
    #[serde(rename = "type")]
    pub kind: String,
    pub url: String,
    #[serde(default)]
    pub expires_at: Option<String>,
}

/// One value to submit for a manifest item.
#[derive(Debug)]
pub struct SubmitValue {
    pub item_id: String,
    pub key: String,
    pub value: SecretString,
    pub expected_version: Option<i64>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SubmitItem<'a> {
    item_id: &'a str,
    key: &'a str,
    value: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    expected_version: Option<i64>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct SubmitResult {
    pub success: bool,
    pub manifest: Manifest,
}

impl Runtype {
    pub(crate) fn new(http: Http) -> Self {
        Self { http }
    }

    fn by_id(&self, id: &str) -> RemoteResult<Option<RemoteSecret>> {
        let url = self.http.url(&["v1", "secrets", id], &[]);
        found(self.http.send(&Request::new(Method::GET, url)))?.map(secret).transpose()
    }

    fn post<T: serde::de::DeserializeOwned>(
        &self,
        path: &[&str],
        body: &impl Serialize,
        what: &str,
    ) -> RemoteResult<T> {
        let url = self.http.url(path, &[]);
        self.http.send(&Request::new(Method::POST, url).json(body))?.json(what)
    }

    /// Which of `keys` exist, are missing or are revoked.
    pub fn check(&self, keys: &[String]) -> RemoteResult<CheckResult> {
        self.post(&["v1", "secrets", "check"], &serde_json::json!({ "keys": keys }), "check")
    }

    /// A dashboard URL where the missing `keys` can be filled in.
    pub fn setup_url(&self, keys: &[String], context: Option<&SetupContext>) -> RemoteResult<SetupUrl> {
        let mut body = serde_json::json!({ "keys": keys });
        if let Some(context) = context {
            body["context"] = serde_json::to_value(context).expect("plain struct");
        }
        self.post(&["v1", "secrets", "setup-url"], &body, "setup-url")
    }

    pub fn intake_manifest(&self, source: &Source, return_url: Option<&str>) -> RemoteResult<Manifest> {
        let mut body = serde_json::json!({ "source": source });
        if let Some(url) = return_url {
            body["returnUrl"] = url.into();
        }
        self.post(&["v1", "secrets", "intake", "manifest"], &body, "the intake manifest")
    }

    pub fn intake_submit(
        &self,
        source: &Source,
        values: &[SubmitValue],
        return_url: Option<&str>,
    ) -> RemoteResult<SubmitResult> {
        for value in values {
            check_value(&value.value)?;
        }
        let items: Vec<SubmitItem<'_>> = values
            .iter()
            .map(|v| SubmitItem {
                item_id: &v.item_id,
                key: &v.key,
                value: v.value.expose_secret(),
                expected_version: v.expected_version,
            })
            .collect();
        #[derive(Serialize)]
        #[serde(rename_all = "camelCase")]
        struct Submit<'a> {
            source: &'a Source,
            items: Vec<SubmitItem<'a>>,
            #[serde(skip_serializing_if = "Option::is_none")]
            return_url: Option<&'a str>,
        }
        let url = self.http.url(&["v1", "secrets", "intake", "submit"], &[]);
        let mut request = Request::new(Method::POST, url).json(&Submit { source, items, return_url });
        // Each submitted value is cut out of error messages.
        for value in values {
            request = request.secret(&value.value);
        }
        self.http.send(&request)?.json("the intake submit")
    }
}

impl SecretsApi for Runtype {
    fn kind(&self) -> Kind {
        Kind::Runtype
    }

    fn list(&self) -> RemoteResult<Listing> {
        let url = self.http.url(&["v1", "secrets"], &[]);
        let list: Data<Vec<Secret>> =
            self.http.send(&Request::new(Method::GET, url))?.json("the Runtype listing")?;
        Ok(Listing::whole(list.data.into_iter().map(Into::into).collect()))
    }

    /// Runtype addresses secrets by id only: a name is looked up in the listing.
    fn get(&self, name: &str) -> RemoteResult<Option<RemoteSecret>> {
        Ok(self.list()?.secrets.into_iter().find(|secret| secret.name == name))
    }

    fn create(
        &self,
        name: &str,
        value: &SecretString,
        meta: &Metadata,
        _request_id: &str,
        replay: bool,
    ) -> RemoteResult<RemoteSecret> {
        check_value(value)?;
        let url = self.http.url(&["v1", "secrets"], &[]);
        let request = Request::new(Method::POST, url)
            .json(&Create { key: name, value: value.expose_secret(), description: description(meta) })
            .secret(value)
            .maybe_applied(replay);
        // After a lost answer, a first version under this key is the one we made.
        let landed = || Ok(self.get(name)?.filter(|secret| secret.marker == "1"));
        self.http.call(&request, secret, landed)
    }

    fn update(
        &self,
        target: &RemoteSecret,
        value: &SecretString,
        meta: &Metadata,
        expected: Option<&str>,
        _request_id: &str,
    ) -> RemoteResult<RemoteSecret> {
        check_value(value)?;
        let expected_version = expected.and_then(version_of);
        let url = self.http.url(&["v1", "secrets", &target.id], &[]);
        let body = Update { value: value.expose_secret(), description: description(meta), expected_version };
        let request = Request::new(Method::PUT, url).json(&body).secret(value);
        // After a lost answer, the version right after the expected one is ours.
        let landed = || {
            let Some(expected) = expected_version else { return Ok(None) };
            Ok(self.by_id(&target.id)?.filter(|secret| secret.marker == (expected + 1).to_string()))
        };
        self.http.call(&request, secret, landed)
    }

    fn delete(&self, target: &RemoteSecret, _request_id: &str) -> RemoteResult<Deleted> {
        let url = self.http.url(&["v1", "secrets", &target.id], &[]);
        // Already gone counts as done. The count is only told, never acted
        // on: an answer without it (or with another shape) is still a delete.
        let Some(reply) = found(self.http.send(&Request::new(Method::DELETE, url)))? else {
            return Ok(Deleted::default());
        };
        let answer = reply.json::<DeleteAnswer>("a Runtype delete").ok();
        Ok(Deleted { references: answer.and_then(|answer| answer.reference_count) })
    }

    fn ping(&self) -> RemoteResult<()> {
        self.check(&[]).map(|_| ())
    }
}
