//! `keyhaven://` links, which a web dashboard hands to the app or a user
//! pastes into `keyhaven open-link`. A link is hostile until proven otherwise,
//! so reading one has two steps, both pure:
//!
//! 1. [`parse`]: the syntax. Known actions and parameters only, each once,
//!    bounded lengths, valid percent-encoding and UTF-8, valid secret names.
//! 2. [`vet`]: against this vault's remotes. The remote must already be
//!    configured (a link never adds one, so a token never goes anywhere new);
//!    a return URL must be https on the remote's own site (http only when the
//!    remote itself is on loopback); an expired link is refused with its expiry.
//!
//! A link never reveals, copies or submits by itself: the caller shows what
//! it asks and the user confirms.
//!
//! The format (docs/app.md, "Links"):
//! - `keyhaven://open?name=SECRET`
//! - `keyhaven://check?remote=R&keys=A,B`
//! - `keyhaven://intake?remote=R&source=manual|secret|product&key=K&keys=A,B&productId=P&returnUrl=URL`
//!
//! Every action also takes `expires=RFC 3339 time`.

use std::collections::BTreeMap;

use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use url::Url;

use crate::{SecretName, remote::RemoteConfig};

pub const SCHEME: &str = "keyhaven";
/// The longest link read at all.
pub const MAX_LINK: usize = 4096;
/// The longest single parameter value (URLs included).
const MAX_VALUE: usize = 2048;
/// Remote names, product ids and keys of the remote's own naming.
const MAX_WORD: usize = 256;
/// At most this many keys in one link.
const MAX_KEYS: usize = 100;

/// Why a link was refused. Messages name the rule, never echo a whole link.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LinkError {
    #[error("not a keyhaven:// link")]
    Scheme,
    #[error(
        "keyhaven:NAME is a reference, for .env files and templates (`keyhaven run`, `inject`, `read`), not a link"
    )]
    Reference,
    #[error("the link is longer than {MAX_LINK} characters")]
    TooLong,
    #[error("the link is malformed: {0}")]
    Malformed(String),
    #[error("unknown action {0:?}: the actions are open, check and intake")]
    UnknownAction(String),
    #[error("unknown parameter {0:?} for {1}")]
    UnknownParameter(String, &'static str),
    #[error("the parameter {0} is given twice")]
    Repeated(String),
    #[error("the parameter {0} is missing")]
    Missing(&'static str),
    #[error("the parameter {0} is invalid: {1}")]
    Invalid(&'static str, String),
    #[error("this link expired at {0}")]
    Expired(Timestamp),
    #[error("no remote named {0:?} is configured here; a link never adds one")]
    UnknownRemote(String),
    #[error("the return URL must be {0}")]
    ReturnUrl(String),
    #[error("intake needs a Runtype remote; {0} is {1}")]
    NotRuntype(String, String),
}

/// Where an intake's items come from (Runtype's `source.type`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "lowercase")]
pub enum SourceKind {
    Manual,
    Secret,
    Product,
}

impl SourceKind {
    pub fn as_str(self) -> &'static str {
        match self {
            SourceKind::Manual => "manual",
            SourceKind::Secret => "secret",
            SourceKind::Product => "product",
        }
    }
}

/// An intake request; the app's UI sends it back to fetch and submit the
/// form, so it is vetted again there.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct Intake {
    pub remote: String,
    pub source: SourceKind,
    pub key: Option<String>,
    pub keys: Vec<String>,
    pub product_id: Option<String>,
    pub return_url: Option<Url>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(tag = "action", rename_all = "lowercase")]
pub enum Action {
    /// Show one secret (its metadata; a value only if the user asks).
    Open { name: SecretName },
    /// Ask a remote which of `keys` it has.
    Check { remote: String, keys: Vec<String> },
    /// Show a remote's intake form.
    Intake(Intake),
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Link {
    #[serde(flatten)]
    pub action: Action,
    pub expires: Option<Timestamp>,
}

impl Link {
    /// The remote the link names, if any.
    pub fn remote(&self) -> Option<&str> {
        match &self.action {
            Action::Open { .. } => None,
            Action::Check { remote, .. } => Some(remote),
            Action::Intake(intake) => Some(&intake.remote),
        }
    }
}

/// Reads a link's syntax. Never panics, whatever the input.
pub fn parse(text: &str) -> Result<Link, LinkError> {
    let text = text.trim();
    if text.len() > MAX_LINK {
        return Err(LinkError::TooLong);
    }
    let prefix = format!("{SCHEME}://");
    if !text.get(..prefix.len()).is_some_and(|head| head.eq_ignore_ascii_case(&prefix)) {
        let reference =
            text.get(..SCHEME.len() + 1).is_some_and(|head| head.eq_ignore_ascii_case("keyhaven:"));
        return Err(if reference { LinkError::Reference } else { LinkError::Scheme });
    }
    let rest = &text[prefix.len()..];
    if rest.contains('#') {
        return Err(LinkError::Malformed("fragments are not part of the format".into()));
    }
    let (action, query) = rest.split_once('?').unwrap_or((rest, ""));
    let action = action.strip_suffix('/').unwrap_or(action);
    let mut params = Params::read(query)?;
    let (action, name) = match action {
        "open" => {
            let name = params.required("name")?;
            let name = SecretName::parse(&name).map_err(|err| LinkError::Invalid("name", err.to_string()))?;
            (Action::Open { name }, "open")
        }
        "check" => {
            let remote = word("remote", params.required("remote")?)?;
            let keys = keys("keys", &params.required("keys")?)?;
            (Action::Check { remote, keys }, "check")
        }
        "intake" => (Action::Intake(intake(&mut params)?), "intake"),
        other => return Err(LinkError::UnknownAction(shorten(other))),
    };
    let expires = params
        .take("expires")
        .map(|text| {
            text.parse::<Timestamp>()
                .map_err(|_| LinkError::Invalid("expires", "not an RFC 3339 time".into()))
        })
        .transpose()?;
    params.finish(name)?;
    Ok(Link { action, expires })
}

fn intake(params: &mut Params) -> Result<Intake, LinkError> {
    let remote = word("remote", params.required("remote")?)?;
    let source = match params.required("source")?.as_str() {
        "manual" => SourceKind::Manual,
        "secret" => SourceKind::Secret,
        "product" => SourceKind::Product,
        _ => return Err(LinkError::Invalid("source", "one of manual, secret, product".into())),
    };
    let key = params.take("key").map(|key| word("key", key)).transpose()?;
    let keys = params.take("keys").map(|text| keys("keys", &text)).transpose()?.unwrap_or_default();
    let product_id = params.take("productId").map(|id| word("productId", id)).transpose()?;
    let return_url = params.take("returnUrl").map(|text| absolute_url(&text)).transpose()?;
    match source {
        SourceKind::Product if product_id.is_none() => return Err(LinkError::Missing("productId")),
        // A manual source may name no key (Runtype's intake page's own example has none).
        SourceKind::Secret if key.is_none() && keys.is_empty() => return Err(LinkError::Missing("key")),
        _ => {}
    }
    Ok(Intake { remote, source, key, keys, product_id, return_url })
}

/// Checks a parsed link against the configured remotes, at `now`.
pub fn vet(link: &Link, remotes: &[RemoteConfig], now: Timestamp) -> Result<(), LinkError> {
    if let Some(expires) = link.expires
        && expires <= now
    {
        return Err(LinkError::Expired(expires));
    }
    let Some(name) = link.remote() else { return Ok(()) };
    let remote = remotes
        .iter()
        .find(|remote| remote.name == name)
        .ok_or_else(|| LinkError::UnknownRemote(name.to_owned()))?;
    if let Action::Intake(intake) = &link.action {
        if remote.kind != crate::remote::Kind::Runtype {
            return Err(LinkError::NotRuntype(remote.name.clone(), remote.kind.to_string()));
        }
        if let Some(url) = &intake.return_url {
            let site = remote_site(remote);
            if !site.as_ref().is_some_and(|site| site.admits(url)) {
                let wanted = site.map_or_else(|| "on the remote's site".to_owned(), |site| site.describe());
                return Err(LinkError::ReturnUrl(wanted));
            }
        }
    }
    Ok(())
}

/// Whether a URL a remote handed back (a manifest's return or handoff URL)
/// may be opened in the browser: https (http on loopback) on the remote's
/// own site. Others are shown to the user, never opened.
pub fn may_open(url: &str, remote: &RemoteConfig) -> bool {
    let (Ok(url), Some(site)) = (Url::parse(url), remote_site(remote)) else { return false };
    site.admits(&url)
}

/// The remote's site: its registrable domain (api.runtype.com → runtype.com,
/// by the public suffix list), or its exact host when that is an address or
/// loopback.
struct Site {
    domain: String,
    exact: bool,
    loopback: bool,
}

fn remote_site(remote: &RemoteConfig) -> Option<Site> {
    let url = Url::parse(&remote.url).ok()?;
    let loopback = match url.host()? {
        url::Host::Ipv4(ip) => ip.is_loopback(),
        url::Host::Ipv6(ip) => ip.is_loopback(),
        url::Host::Domain(host) => host.eq_ignore_ascii_case("localhost"),
    };
    let host = url.host_str()?.to_ascii_lowercase();
    match url.host()? {
        url::Host::Domain(_) if !loopback => {
            let domain = psl::domain_str(&host).unwrap_or(&host).to_owned();
            Some(Site { domain, exact: false, loopback })
        }
        _ => Some(Site { domain: host, exact: true, loopback }),
    }
}

impl Site {
    fn admits(&self, url: &Url) -> bool {
        let scheme_ok = url.scheme() == "https" || (self.loopback && url.scheme() == "http");
        let Some(host) = url.host_str().map(str::to_ascii_lowercase) else { return false };
        let host_ok = if self.exact {
            host == self.domain
        } else {
            host == self.domain || host.strip_suffix(&self.domain).is_some_and(|head| head.ends_with('.'))
        };
        scheme_ok && host_ok && url.username().is_empty() && url.password().is_none()
    }

    fn describe(&self) -> String {
        if self.exact {
            format!("on {} (the remote's host)", self.domain)
        } else {
            format!("https on {} or its subdomains (the remote's site)", self.domain)
        }
    }
}

/// The query's parameters, each taken once by the action that knows it.
struct Params(BTreeMap<String, String>);

impl Params {
    fn read(query: &str) -> Result<Self, LinkError> {
        let mut out = BTreeMap::new();
        for pair in query.split('&').filter(|pair| !pair.is_empty()) {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            let key = decode(key)?;
            let value = decode(value)?;
            if value.len() > MAX_VALUE {
                return Err(LinkError::Invalid(
                    static_name(&key),
                    format!("longer than {MAX_VALUE} characters"),
                ));
            }
            if out.insert(key.clone(), value).is_some() {
                return Err(LinkError::Repeated(shorten(&key)));
            }
        }
        Ok(Params(out))
    }

    fn take(&mut self, key: &str) -> Option<String> {
        self.0.remove(key)
    }

    fn required(&mut self, key: &'static str) -> Result<String, LinkError> {
        self.take(key).filter(|value| !value.is_empty()).ok_or(LinkError::Missing(key))
    }

    /// Anything left over is a parameter this action does not know.
    fn finish(self, action: &'static str) -> Result<(), LinkError> {
        match self.0.into_keys().next() {
            Some(key) => Err(LinkError::UnknownParameter(shorten(&key), action)),
            None => Ok(()),
        }
    }
}

/// Percent-decoding, with `+` as a space; invalid escapes or UTF-8 refuse the link.
fn decode(text: &str) -> Result<String, LinkError> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' => {
                let hex = text.get(i + 1..i + 3).filter(|hex| hex.bytes().all(|b| b.is_ascii_hexdigit()));
                let byte = hex
                    .and_then(|hex| u8::from_str_radix(hex, 16).ok())
                    .ok_or_else(|| LinkError::Malformed("a bad %-escape".into()))?;
                out.push(byte);
                i += 3;
            }
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            byte => {
                out.push(byte);
                i += 1;
            }
        }
    }
    let text = String::from_utf8(out).map_err(|_| LinkError::Malformed("not UTF-8 once decoded".into()))?;
    if text.chars().any(char::is_control) {
        return Err(LinkError::Malformed("control characters".into()));
    }
    Ok(text)
}

/// A remote name, key or product id: bounded, no spaces or separators.
fn word(what: &'static str, text: String) -> Result<String, LinkError> {
    let ok = (1..=MAX_WORD).contains(&text.len())
        && text.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.' | ':'));
    if ok {
        Ok(text)
    } else {
        Err(LinkError::Invalid(what, format!("1 to {MAX_WORD} of A-Z a-z 0-9 _ - . :")))
    }
}

fn keys(what: &'static str, text: &str) -> Result<Vec<String>, LinkError> {
    let keys: Vec<String> =
        text.split(',').map(|key| word(what, key.trim().to_owned())).collect::<Result<_, _>>()?;
    if keys.len() > MAX_KEYS {
        return Err(LinkError::Invalid(what, format!("at most {MAX_KEYS} keys")));
    }
    Ok(keys)
}

/// A return URL as the link gives it: absolute, http(s), no credentials.
/// Whether it is on the remote's site is [`vet`]'s question.
/// A return URL as a link or the CLI's `--return-url` gives it: absolute,
/// http(s), no credentials (`vet` then checks it is on the remote's site).
pub fn absolute_url(text: &str) -> Result<Url, LinkError> {
    let url = Url::parse(text).map_err(|_| LinkError::Invalid("returnUrl", "not an absolute URL".into()))?;
    if !matches!(url.scheme(), "https" | "http") {
        return Err(LinkError::Invalid("returnUrl", "only https URLs".into()));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(LinkError::Invalid("returnUrl", "no credentials in URLs".into()));
    }
    Ok(url)
}

fn static_name(key: &str) -> &'static str {
    ["name", "remote", "keys", "key", "source", "productId", "returnUrl", "expires"]
        .into_iter()
        .find(|known| *known == key)
        .unwrap_or("(unknown)")
}

/// A piece of hostile input, cut short for an error message.
fn shorten(text: &str) -> String {
    let mut out: String = text.chars().filter(|c| !c.is_control()).take(40).collect();
    if text.chars().count() > 40 {
        out.push('…');
    }
    out
}
