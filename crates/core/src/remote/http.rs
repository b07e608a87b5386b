//! HTTP for the adapters: rustls, timeouts, and bounded retries with
//! exponential backoff and jitter on 429 (honouring Retry-After), 408, 5xx and
//! connection failures. A failure after which the request may have been
//! applied (a lost answer, a 5xx) is "ambiguous": before the next attempt the
//! caller's `check` looks whether the write landed, so it is not made twice.
//! A remote cannot stall us: every wait it asks for is capped, each call has
//! an overall deadline, and no header value can make us panic.

use std::{
    io::Read,
    time::{Duration, Instant},
};

use rand::Rng;
use reqwest::{
    Method, StatusCode,
    blocking::{Client, Response},
    header::{AUTHORIZATION, HeaderMap, HeaderValue, RETRY_AFTER},
};
use secrecy::{ExposeSecret, SecretString};
use url::Url;
use zeroize::Zeroizing;

use super::{Failure, Kind, RemoteError, RemoteResult};
use crate::{Error, Result};

/// Replies larger than this are refused (a listing of 5,000 is about 1 MiB).
const MAX_REPLY_BYTES: u64 = 16 * 1024 * 1024;
/// The longest Retry-After we wait for (429 or 5xx); a longer one fails the
/// call at once instead.
const MAX_RETRY_AFTER: Duration = Duration::from_secs(60);
/// No run of this many bytes of a value or token sent may appear in an error
/// message, in whatever encoding the remote echoed it.
const ECHO_RUN: usize = 8;
/// What an error says instead of a remote's message that repeats what was sent.
const WITHHELD: &str = "(its message repeated part of what was sent, so it is not shown)";

#[derive(Debug, Clone, Copy)]
pub struct RetryPolicy {
    /// Tries per call, the first included.
    pub attempts: u32,
    /// Backoff before the second try; doubles each time, with jitter.
    pub base_delay: Duration,
    pub max_delay: Duration,
    /// For one whole request.
    pub timeout: Duration,
    /// For one call with all its retries and waits: no retry starts after it.
    pub deadline: Duration,
}

/// One request, rebuilt for every attempt.
pub(crate) struct Request<'a> {
    pub method: Method,
    pub url: Url,
    /// JSON; may hold a value, so it is wiped on drop.
    pub body: Option<Zeroizing<Vec<u8>>>,
    /// Runloop's idempotency key, the same on every attempt.
    pub request_id: Option<&'a str>,
    /// The values sent, cut out of any error message the remote echoes them in.
    pub secrets: Vec<&'a SecretString>,
    /// An earlier run sent this write and never saw the answer: check first.
    pub maybe_applied: bool,
}

impl<'a> Request<'a> {
    pub fn new(method: Method, url: Url) -> Self {
        Self { method, url, body: None, request_id: None, secrets: Vec::new(), maybe_applied: false }
    }

    pub fn json(mut self, body: &impl serde::Serialize) -> Self {
        self.body = Some(Zeroizing::new(serde_json::to_vec(body).expect("request bodies serialise")));
        self
    }

    pub fn request_id(mut self, id: &'a str) -> Self {
        self.request_id = Some(id);
        self
    }

    /// A value this request carries (call once per value).
    pub fn secret(mut self, value: &'a SecretString) -> Self {
        self.secrets.push(value);
        self
    }

    pub fn maybe_applied(mut self, maybe: bool) -> Self {
        self.maybe_applied = maybe;
        self
    }
}

/// A 2xx answer; the body is wiped on drop (a reveal carries a value).
pub(crate) struct Reply {
    pub status: StatusCode,
    pub body: Zeroizing<Vec<u8>>,
}

impl Reply {
    /// Decodes the body; anything else than the documented shape is a bad
    /// reply. serde's own message is left out: it can quote the body.
    pub fn json<T: serde::de::DeserializeOwned>(&self, what: &str) -> RemoteResult<T> {
        serde_json::from_slice(&self.body).map_err(|err| {
            let problem = match err.classify() {
                serde_json::error::Category::Data => "not the documented shape",
                _ => "not valid JSON",
            };
            RemoteError::new(
                Failure::BadReply,
                format!(
                    "unexpected answer to {what} (HTTP {}): {problem} at line {}, column {}",
                    self.status.as_u16(),
                    err.line(),
                    err.column()
                ),
            )
        })
    }
}

pub(crate) struct Http {
    client: Client,
    base: Url,
    policy: RetryPolicy,
    /// `None` for a client that sends no token (OpenBao's AppRole login).
    token: Option<SecretString>,
    kind: Kind,
    namespace: Option<String>,
}

/// Makes rustls' ring provider this process's default, which reqwest's clients
/// use: reqwest is built without one of its own (see the workspace manifest).
/// Harmless to call again; a client built before any call panics.
pub fn install_tls() {
    // Err means a provider is already installed: the one we want, or a test's.
    let _ = rustls::crypto::ring::default_provider().install_default();
}

/// How one attempt ended, when it did not succeed.
enum Attempt {
    /// Not applied; try again after the given wait (or the backoff).
    Retry { ambiguous: bool, wait: Option<Duration>, error: RemoteError },
    /// Final: retrying cannot help.
    Fail(RemoteError),
}

impl Http {
    /// `namespace`: OpenBao's and Vault's `X-Vault-Namespace` (checked by `KvLocation`).
    pub fn new(
        base: Url,
        token: Option<SecretString>,
        kind: Kind,
        policy: RetryPolicy,
        namespace: Option<&str>,
    ) -> Result<Self> {
        install_tls();
        let mut headers = HeaderMap::new();
        if let Some(token) = &token {
            let mut auth =
                HeaderValue::from_str(&format!("Bearer {}", token.expose_secret())).map_err(|_| {
                    Error::invalid(format!("{kind} token"), "tokens are printable ASCII without spaces")
                })?;
            auth.set_sensitive(true);
            headers.insert(AUTHORIZATION, auth);
        }
        if let Some(namespace) = namespace {
            let value = HeaderValue::from_str(namespace)
                .map_err(|_| Error::invalid("OpenBao namespace", "letters, digits, '-', '_', '.' and '/'"))?;
            headers.insert("x-vault-namespace", value);
        }
        let client = Client::builder()
            .user_agent(concat!("keyhaven/", env!("CARGO_PKG_VERSION")))
            .default_headers(headers)
            .timeout(policy.timeout)
            .connect_timeout(policy.timeout.min(Duration::from_secs(10)))
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|err| {
                Error::Remote(RemoteError::new(Failure::Unreachable, format!("HTTP client: {err}")))
            })?;
        Ok(Self { client, base, policy, token, kind, namespace: namespace.map(str::to_owned) })
    }

    /// A client for the same server that sends `token` (OpenBao's AppRole
    /// login hands one out).
    pub fn with_token(&self, token: SecretString) -> Result<Self> {
        Self::new(self.base.clone(), Some(token), self.kind, self.policy, self.namespace.as_deref())
    }

    /// `base/segments…?query`, each segment percent-encoded.
    pub fn url(&self, segments: &[&str], query: &[(&str, &str)]) -> Url {
        let mut url = self.base.clone();
        url.path_segments_mut().expect("http(s) URLs have a path").pop_if_empty().extend(segments);
        if !query.is_empty() {
            url.query_pairs_mut().extend_pairs(query);
        }
        url
    }

    /// Sends with retries; replays are harmless (reads, deletes, idempotent writes).
    pub fn send(&self, request: &Request<'_>) -> RemoteResult<Reply> {
        self.call(request, Ok, || Ok(None))
    }

    /// Sends with retries and decodes with `parse`. After an ambiguous failure,
    /// `check` runs before the next attempt (and before giving up on a refusal
    /// that the lost attempt may have caused): `Some` means the write landed.
    pub fn call<T>(
        &self,
        request: &Request<'_>,
        parse: impl Fn(Reply) -> RemoteResult<T>,
        check: impl Fn() -> RemoteResult<Option<T>>,
    ) -> RemoteResult<T> {
        let mut ambiguous = request.maybe_applied;
        let mut attempt = 1;
        let started = Instant::now();
        loop {
            if ambiguous && let Some(done) = check()? {
                return Ok(done);
            }
            let (error, wait) = match self.attempt(request) {
                Ok(reply) => return parse(reply),
                Err(Attempt::Fail(error)) => {
                    if ambiguous && let Some(done) = check()? {
                        return Ok(done);
                    }
                    return Err(error);
                }
                Err(Attempt::Retry { ambiguous: maybe_applied, wait, error }) => {
                    ambiguous |= maybe_applied;
                    (error, wait)
                }
            };
            let backoff = self.backoff(attempt);
            let pause = wait.map_or(backoff, |wait| wait.max(backoff / 4));
            if attempt >= self.policy.attempts || started.elapsed() + pause > self.policy.deadline {
                return Err(error);
            }
            tracing::debug!(%error, attempt, "retrying {} {}", request.method, request.url.path());
            std::thread::sleep(pause);
            attempt += 1;
        }
    }

    /// Exponential, capped, with "equal jitter": half fixed, half random.
    fn backoff(&self, attempt: u32) -> Duration {
        let exp =
            self.policy.base_delay.saturating_mul(1 << (attempt - 1).min(16)).min(self.policy.max_delay);
        let half = exp / 2;
        half + half.mul_f64(rand::thread_rng().gen_range(0.0..=1.0))
    }

    fn attempt(&self, request: &Request<'_>) -> Result<Reply, Attempt> {
        let mut builder = self.client.request(request.method.clone(), request.url.clone());
        if let Some(body) = &request.body {
            builder = builder.header("content-type", "application/json").body(body.to_vec());
        }
        if let Some(id) = request.request_id {
            builder = builder.header("x-request-id", id);
        }
        let response = builder.send().map_err(|err| {
            // A connection that never opened carried nothing; anything later may have.
            let ambiguous = !err.is_connect();
            let what = if err.is_timeout() { "timed out" } else { "no answer" };
            Attempt::Retry {
                ambiguous,
                wait: None,
                error: RemoteError::new(Failure::Unreachable, format!("{what} from {}", self.host())),
            }
        })?;
        let status = response.status();
        let retry_after = retry_after(response.headers());
        let body =
            read_body(response).map_err(|error| Attempt::Retry { ambiguous: true, wait: None, error })?;
        tracing::debug!(method = %request.method, path = request.url.path(), %status, "remote answered");
        if status.is_success() {
            return Ok(Reply { status, body });
        }
        let error = self.error(status, &body, &request.secrets);
        let retry = |ambiguous: bool| match retry_after {
            Some(wait) if wait > MAX_RETRY_AFTER => Attempt::Fail(RemoteError::new(
                error.kind,
                format!("{} (it asked to wait more than {} s)", error.message, MAX_RETRY_AFTER.as_secs()),
            )),
            wait => Attempt::Retry { ambiguous, wait, error: error.clone() },
        };
        Err(match status {
            StatusCode::TOO_MANY_REQUESTS => retry(false),
            StatusCode::REQUEST_TIMEOUT => retry(true),
            status if status.is_server_error() => retry(true),
            _ => Attempt::Fail(error),
        })
    }

    fn host(&self) -> String {
        self.base.host_str().unwrap_or("the remote").to_owned()
    }

    /// A clear error from a refusal: the dialect's message, with our token and
    /// the values sent cut out in case the remote echoes them. They are cut
    /// from the raw body, in each form a server may echo them (as sent,
    /// JSON-escaped, URL-encoded), and again from the decoded message; then
    /// the final message is decoded every way a server may have encoded it
    /// (`\u` escapes, JSON inside JSON, percent-encoding in either case, HTML
    /// entities), and if any run of [`ECHO_RUN`] bytes of a value or the token
    /// shows in any of those, the remote's message is withheld whole.
    fn error(&self, status: StatusCode, body: &[u8], secrets: &[&SecretString]) -> RemoteError {
        let kind = match status {
            StatusCode::UNAUTHORIZED => Failure::Auth,
            StatusCode::FORBIDDEN => Failure::Forbidden,
            StatusCode::NOT_FOUND => Failure::NotFound,
            StatusCode::CONFLICT => Failure::Conflict,
            StatusCode::BAD_REQUEST | StatusCode::UNPROCESSABLE_ENTITY | StatusCode::PAYLOAD_TOO_LARGE => {
                Failure::Rejected
            }
            _ => Failure::Unavailable,
        };
        let hidden: Vec<&SecretString> = self.token.iter().chain(secrets.iter().copied()).collect();
        let body = Zeroizing::new(scrub(String::from_utf8_lossy(body).into_owned(), &hidden));
        let mut message = scrub(remote_message(body.as_bytes()), &hidden);
        if echoes(&message, &hidden) {
            message = WITHHELD.to_owned();
        }
        let reason = status.canonical_reason().unwrap_or("error");
        let text = if message.is_empty() {
            format!("HTTP {} {reason}", status.as_u16())
        } else {
            format!("HTTP {} {reason}: {message}", status.as_u16())
        };
        // Runloop documents its 403 as the account lacking the devbox capability.
        let text = if self.kind == Kind::Runloop && kind == Failure::Forbidden {
            format!("{text} (Runloop: the account lacks the devbox capability)")
        } else {
            text
        };
        RemoteError { dialect: Some(self.kind), ..RemoteError::new(kind, text) }
    }
}

/// `text` with every one of `hidden`, in each form it may be echoed in, replaced.
fn scrub(mut text: String, hidden: &[&SecretString]) -> String {
    for secret in hidden {
        let value = secret.expose_secret();
        if value.is_empty() {
            continue;
        }
        let json = Zeroizing::new(serde_json::to_string(value).expect("strings serialise"));
        let json = &json[1..json.len() - 1];
        let url: Zeroizing<String> =
            Zeroizing::new(url::form_urlencoded::byte_serialize(value.as_bytes()).collect());
        let path = Zeroizing::new(url.replace('+', "%20"));
        for form in [value, json, url.as_str(), path.as_str()] {
            if text.contains(form) {
                text = text.replace(form, "[hidden]");
            }
        }
    }
    text
}

/// Whether `text`, or any decoding of it, holds a run of [`ECHO_RUN`] bytes
/// of one of `hidden` (or all of one shorter than that).
fn echoes(text: &str, hidden: &[&SecretString]) -> bool {
    let decoded = decodings(text);
    hidden.iter().any(|secret| {
        let value = secret.expose_secret().as_bytes();
        if value.is_empty() {
            return false;
        }
        if value.len() < ECHO_RUN {
            return decoded.iter().any(|text| contains(text.as_bytes(), value));
        }
        let runs: std::collections::HashSet<&[u8]> = value.windows(ECHO_RUN).collect();
        decoded.iter().any(|text| text.as_bytes().windows(ECHO_RUN).any(|run| runs.contains(run)))
    })
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|window| window == needle)
}

/// `text` and what it decodes to, each way a server may have encoded an echo,
/// applied again on each result (JSON inside JSON), a few rounds deep.
fn decodings(text: &str) -> Vec<Zeroizing<String>> {
    let mut all = vec![Zeroizing::new(text.to_owned())];
    let mut at = 0;
    while at < all.len() && all.len() < 32 {
        let current = all[at].clone();
        for decoded in [json_unescape(&current), percent_decode(&current), html_unescape(&current)] {
            if *decoded != *current && !all.iter().any(|known| **known == *decoded) {
                all.push(decoded);
            }
        }
        at += 1;
    }
    all
}

/// JSON string escapes undone (`\"`, `\\`, `\/`, `\n`…, `\uXXXX` with
/// surrogate pairs); anything malformed is left as it is.
fn json_unescape(text: &str) -> Zeroizing<String> {
    let mut out = Zeroizing::new(String::with_capacity(text.len()));
    let mut chars = text.chars().peekable();
    let hex4 = |chars: &mut std::iter::Peekable<std::str::Chars<'_>>| -> Option<u32> {
        let digits: String = chars.clone().take(4).collect();
        let code = (digits.len() == 4).then(|| u32::from_str_radix(&digits, 16).ok()).flatten()?;
        chars.nth(3);
        Some(code)
    };
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('n') => out.push('\n'),
            Some('r') => out.push('\r'),
            Some('t') => out.push('\t'),
            Some('b') => out.push('\u{8}'),
            Some('f') => out.push('\u{c}'),
            Some('u') => match hex4(&mut chars) {
                Some(high @ 0xd800..=0xdbff) => {
                    let mut rest = chars.clone();
                    let low = (rest.next() == Some('\\') && rest.next() == Some('u'))
                        .then(|| hex4(&mut rest))
                        .flatten()
                        .filter(|low| (0xdc00..=0xdfff).contains(low));
                    match low {
                        Some(low) => {
                            chars = rest;
                            let code = 0x10000 + ((high - 0xd800) << 10) + (low - 0xdc00);
                            out.push(char::from_u32(code).unwrap_or('\u{fffd}'));
                        }
                        None => out.push('\u{fffd}'),
                    }
                }
                Some(code) => out.push(char::from_u32(code).unwrap_or('\u{fffd}')),
                None => out.push_str("\\u"),
            },
            Some(other) => out.push(other),
            None => out.push('\\'),
        }
    }
    out
}

/// Percent-encoding undone, in either case of hex digits, `+` as a space.
fn percent_decode(text: &str) -> Zeroizing<String> {
    let bytes = Zeroizing::new(text.replace('+', " ").into_bytes());
    let mut out = Zeroizing::new(Vec::with_capacity(bytes.len()));
    let mut at = 0;
    while at < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        match (bytes[at], bytes.get(at + 1).copied().and_then(hex), bytes.get(at + 2).copied().and_then(hex))
        {
            (b'%', Some(high), Some(low)) => {
                out.push((high * 16 + low) as u8);
                at += 3;
            }
            (byte, ..) => {
                out.push(byte);
                at += 1;
            }
        }
    }
    Zeroizing::new(String::from_utf8_lossy(&out).into_owned())
}

/// The HTML entities a server may escape an echo with.
fn html_unescape(text: &str) -> Zeroizing<String> {
    let mut out = Zeroizing::new(String::with_capacity(text.len()));
    let mut rest = text;
    while let Some(at) = rest.find('&') {
        out.push_str(&rest[..at]);
        rest = &rest[at..];
        let end = rest[..rest.len().min(12)].find(';');
        let entity = end.map(|end| &rest[1..end]);
        let decoded = entity.and_then(|entity| match entity {
            "lt" => Some('<'),
            "gt" => Some('>'),
            "amp" => Some('&'),
            "quot" => Some('"'),
            "apos" => Some('\''),
            _ => entity
                .strip_prefix("#x")
                .or_else(|| entity.strip_prefix("#X"))
                .map(|hex| u32::from_str_radix(hex, 16))
                .or_else(|| entity.strip_prefix('#').map(str::parse::<u32>))
                .and_then(|code| char::from_u32(code.ok()?)),
        });
        match (decoded, end) {
            (Some(c), Some(end)) => {
                out.push(c);
                rest = &rest[end + 1..];
            }
            _ => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// A 404 as `None`: "not there" is an answer here, not a failure.
pub(crate) fn found<T>(result: RemoteResult<T>) -> RemoteResult<Option<T>> {
    match result {
        Ok(value) => Ok(Some(value)),
        Err(err) if err.kind == Failure::NotFound => Ok(None),
        Err(err) => Err(err),
    }
}

fn read_body(response: Response) -> RemoteResult<Zeroizing<Vec<u8>>> {
    let mut body = Zeroizing::new(Vec::new());
    response
        .take(MAX_REPLY_BYTES + 1)
        .read_to_end(&mut body)
        .map_err(|err| RemoteError::new(Failure::Unreachable, format!("the answer broke off: {err}")))?;
    if body.len() as u64 > MAX_REPLY_BYTES {
        return Err(RemoteError::new(Failure::BadReply, "the answer is larger than 16 MiB"));
    }
    Ok(body)
}

/// The message of the three dialects' error bodies (`{message}`, `{error:
/// "…"}`, `{error: {message}}`), else the start of the text; printable only
/// (no escape sequences, bounded).
fn remote_message(body: &[u8]) -> String {
    let json: Option<serde_json::Value> = serde_json::from_slice(body).ok();
    let text = json
        .as_ref()
        .and_then(|json| {
            json.get("message")
                .or_else(|| json.get("error").filter(|e| e.is_string()))
                .or_else(|| json.pointer("/error/message"))
                .and_then(|m| m.as_str())
                .map(str::to_owned)
        })
        .unwrap_or_else(|| String::from_utf8_lossy(body).into_owned());
    crate::text::printable(&text)
}

/// `retry-after-ms`, or `Retry-After` in seconds or as an HTTP date. A wait
/// too large to represent comes back as `Duration::MAX` (refused by the cap).
fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    if let Some(ms) = headers.get("retry-after-ms").and_then(|v| v.to_str().ok()?.trim().parse::<f64>().ok())
    {
        if ms.is_nan() || ms < 0.0 {
            return None;
        }
        return Some(Duration::try_from_secs_f64(ms / 1000.0).unwrap_or(Duration::MAX));
    }
    let text = headers.get(RETRY_AFTER)?.to_str().ok()?.trim();
    if let Ok(seconds) = text.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let at = jiff::fmt::rfc2822::parse(text).ok()?.timestamp();
    let wait = at.as_millisecond() - jiff::Timestamp::now().as_millisecond();
    Some(Duration::from_millis(wait.max(0).unsigned_abs()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_in_seconds_dates_and_milliseconds() {
        let mut headers = HeaderMap::new();
        headers.insert(RETRY_AFTER, HeaderValue::from_static("3"));
        assert_eq!(retry_after(&headers), Some(Duration::from_secs(3)));
        headers.insert(RETRY_AFTER, HeaderValue::from_static("Sun, 06 Nov 1994 08:49:37 GMT"));
        assert_eq!(retry_after(&headers), Some(Duration::ZERO));
        headers.insert("retry-after-ms", HeaderValue::from_static("250"));
        assert_eq!(retry_after(&headers), Some(Duration::from_millis(250)));
        headers.clear();
        headers.insert(RETRY_AFTER, HeaderValue::from_static("soon"));
        assert_eq!(retry_after(&headers), None);
    }

    #[test]
    fn no_retry_after_value_can_panic() {
        for hostile in ["1e30", "1e308", "inf", "NaN", "-5", "18446744073709551615000"] {
            let mut headers = HeaderMap::new();
            headers.insert("retry-after-ms", HeaderValue::from_str(hostile).unwrap());
            let wait = retry_after(&headers);
            assert!(
                wait.is_none() || wait == Some(Duration::MAX) || wait < Some(MAX_RETRY_AFTER),
                "{hostile}"
            );
        }
        let mut headers = HeaderMap::new();
        headers.insert(RETRY_AFTER, HeaderValue::from_static("18446744073709551615"));
        assert!(retry_after(&headers) > Some(MAX_RETRY_AFTER));
    }

    #[test]
    fn error_messages_of_each_dialect() {
        assert_eq!(remote_message(br#"{"code":"bad","message":"name taken"}"#), "name taken");
        assert_eq!(remote_message(br#"{"error":"version conflict"}"#), "version conflict");
        assert_eq!(remote_message(br#"{"error":{"code":"x","message":"no such"}}"#), "no such");
        assert_eq!(remote_message(b"plain\x07 text"), "plain text");
    }

    #[test]
    fn echoed_tokens_and_values_are_cut_out() {
        let policy = super::super::default_policy();
        let http = Http::new(
            Url::parse("http://127.0.0.1:1").unwrap(),
            Some("tok-123".into()),
            Kind::Runloop,
            policy,
            None,
        )
        .unwrap();
        let value = SecretString::from("hunter2-value");
        let err = http.error(
            StatusCode::BAD_REQUEST,
            br#"{"message":"bad value hunter2-value for tok-123"}"#,
            &[&value],
        );
        assert_eq!(err.kind, Failure::Rejected);
        assert_eq!(err.message, "HTTP 400 Bad Request: bad value [hidden] for [hidden]");
    }

    #[test]
    fn long_multi_line_and_encoded_echoes_of_every_value_are_cut_out() {
        let http = Http::new(
            Url::parse("http://127.0.0.1:1").unwrap(),
            Some("tok-123".into()),
            Kind::Runtype,
            super::super::default_policy(),
            None,
        )
        .unwrap();
        // Multi-line, with quotes and a backslash; past the 300 characters shown.
        let first = SecretString::from(format!("{}-----BEGIN KEY-----\nline \"two\"\\end", "p".repeat(290)));
        let second = SecretString::from("second value&x=1/é".to_owned());
        let quoted = serde_json::to_string(first.expose_secret()).unwrap();
        let json_first = &quoted[1..quoted.len() - 1];
        let url_second: String =
            url::form_urlencoded::byte_serialize(second.expose_secret().as_bytes()).collect();
        let body =
            format!(r#"{{"message":"got {json_first} and {url_second} and {}"}}"#, second.expose_secret());
        let err = http.error(StatusCode::BAD_REQUEST, body.as_bytes(), &[&first, &second]);
        for piece in ["BEGIN KEY", "line", "second value", "second+value", "pppppppppp"] {
            assert!(!err.message.contains(piece), "{piece} in {}", err.message);
        }
        assert_eq!(err.message, "HTTP 400 Bad Request: got [hidden] and [hidden] and [hidden]");
        // Not JSON at all: the raw text is scrubbed the same way.
        let err = http.error(
            StatusCode::BAD_GATEWAY,
            format!("oops {}", first.expose_secret()).as_bytes(),
            &[&first],
        );
        assert_eq!(err.message, "HTTP 502 Bad Gateway: oops [hidden]");
    }

    #[test]
    fn echoes_in_any_encoding_or_in_part_never_reach_a_message() {
        let http = Http::new(
            Url::parse("http://127.0.0.1:1").unwrap(),
            Some("tok-abcdefgh-123".into()),
            Kind::Runloop,
            super::super::default_policy(),
            None,
        )
        .unwrap();
        let value = SecretString::from("<a&b>\"quoted\"/sk-live-0123456789abcdef".to_owned());
        let go = r#"{"message":"bad value \u003ca\u0026b\u003e\"quoted\"/sk-live-0123456789abcdef"}"#;
        let python = r#"{"message":"bad value \u003c\u0061\u0026\u0062\u003e\u0022\u0071uoted\u0022/\u0073k-live-0123456789abcdef"}"#;
        let nested = r#"{"message":"bad body: {\"value\":\"\\u003ca\\u0026b\\u003e\\\"quoted\\\"\\/sk-live-0123456789abcdef\"}"}"#;
        let prefix = r#"{"error":"value sk-live-01234... too long"}"#;
        let percent = r#"{"error":{"message":"bad %3ca%26b%3e%22quoted%22/sk-live-0123456789abcdef"}}"#;
        let html = r#"{"message":"bad &lt;a&amp;b&gt;&quot;quoted&quot;/sk-live-0123456789abcdef"}"#;
        let token = r#"{"message":"token tok-abcdefgh-1 is not valid"}"#;
        for body in [go, python, nested, prefix, percent, html, token] {
            let err = http.error(StatusCode::BAD_REQUEST, body.as_bytes(), &[&value]);
            assert!(
                err.message.ends_with(WITHHELD) || err.message.contains("[hidden]"),
                "{body}: {}",
                err.message
            );
            for piece in ["sk-live", "quoted", "abcdefgh"] {
                assert!(!err.message.contains(piece), "{body}: {}", err.message);
            }
        }
        // A message that quotes nothing sent is shown as it is.
        let err = http.error(StatusCode::BAD_REQUEST, br#"{"message":"name must be upper case"}"#, &[&value]);
        assert_eq!(err.message, "HTTP 400 Bad Request: name must be upper case");
    }
}
