//! HTTP for the adapters: rustls, timeouts, and bounded retries with
//! exponential backoff and jitter on 429 (honouring Retry-After), 408, 5xx and
//! connection failures. A failure after which the request may have been
//! applied (a lost answer, a 5xx) is "ambiguous": before the next attempt the
//! caller's `check` looks whether the write landed, so it is not made twice.

use std::{io::Read, time::Duration};

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
const MAX_REPLY_BYTES: u64 = 32 * 1024 * 1024;
/// The longest Retry-After we wait for; a longer one fails the call instead.
const MAX_RETRY_AFTER: Duration = Duration::from_secs(60);

#[derive(Debug, Clone, Copy)]
pub struct RetryPolicy {
    /// Tries per call, the first included.
    pub attempts: u32,
    /// Backoff before the second try; doubles each time, with jitter.
    pub base_delay: Duration,
    pub max_delay: Duration,
    /// For one whole request.
    pub timeout: Duration,
}

/// One request, rebuilt for every attempt.
pub(crate) struct Request<'a> {
    pub method: Method,
    pub url: Url,
    /// JSON; may hold a value, so it is wiped on drop.
    pub body: Option<Zeroizing<Vec<u8>>>,
    /// Runloop's idempotency key, the same on every attempt.
    pub request_id: Option<&'a str>,
    /// The value sent, cut out of any error message the remote echoes it in.
    pub secret: Option<&'a SecretString>,
    /// An earlier run sent this write and never saw the answer: check first.
    pub maybe_applied: bool,
}

impl<'a> Request<'a> {
    pub fn new(method: Method, url: Url) -> Self {
        Self { method, url, body: None, request_id: None, secret: None, maybe_applied: false }
    }

    pub fn json(mut self, body: &impl serde::Serialize) -> Self {
        self.body = Some(Zeroizing::new(serde_json::to_vec(body).expect("request bodies serialise")));
        self
    }

    pub fn request_id(mut self, id: &'a str) -> Self {
        self.request_id = Some(id);
        self
    }

    pub fn secret(mut self, value: &'a SecretString) -> Self {
        self.secret = Some(value);
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
    token: SecretString,
}

/// How one attempt ended, when it did not succeed.
enum Attempt {
    /// Not applied; try again after the given wait (or the backoff).
    Retry { ambiguous: bool, wait: Option<Duration>, error: RemoteError },
    /// Final: retrying cannot help.
    Fail(RemoteError),
}

impl Http {
    pub fn new(base: Url, token: SecretString, kind: Kind, policy: RetryPolicy) -> Result<Self> {
        let mut auth = HeaderValue::from_str(&format!("Bearer {}", token.expose_secret())).map_err(|_| {
            Error::invalid(format!("{kind} token"), "tokens are printable ASCII without spaces")
        })?;
        auth.set_sensitive(true);
        let mut headers = HeaderMap::new();
        headers.insert(AUTHORIZATION, auth);
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
        Ok(Self { client, base, policy, token })
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
            if attempt >= self.policy.attempts {
                return Err(error);
            }
            let backoff = self.backoff(attempt);
            tracing::debug!(%error, attempt, "retrying {} {}", request.method, request.url.path());
            std::thread::sleep(wait.map_or(backoff, |wait| wait.max(backoff / 4)));
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
        let error = self.error(status, &body, request.secret);
        Err(match status {
            StatusCode::TOO_MANY_REQUESTS => match retry_after {
                Some(wait) if wait > MAX_RETRY_AFTER => Attempt::Fail(error),
                wait => Attempt::Retry { ambiguous: false, wait, error },
            },
            StatusCode::REQUEST_TIMEOUT => Attempt::Retry { ambiguous: true, wait: retry_after, error },
            status if status.is_server_error() => {
                Attempt::Retry { ambiguous: true, wait: retry_after, error }
            }
            _ => Attempt::Fail(error),
        })
    }

    fn host(&self) -> String {
        self.base.host_str().unwrap_or("the remote").to_owned()
    }

    /// A clear error from a refusal: the dialect's message, with our token and
    /// the value sent cut out in case the remote echoes them.
    fn error(&self, status: StatusCode, body: &[u8], secret: Option<&SecretString>) -> RemoteError {
        let kind = match status {
            StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN => Failure::Auth,
            StatusCode::NOT_FOUND => Failure::NotFound,
            StatusCode::CONFLICT => Failure::Conflict,
            StatusCode::BAD_REQUEST | StatusCode::UNPROCESSABLE_ENTITY | StatusCode::PAYLOAD_TOO_LARGE => {
                Failure::Rejected
            }
            _ => Failure::Unavailable,
        };
        let mut message = remote_message(body);
        for hidden in [Some(&self.token), secret].into_iter().flatten() {
            let hidden = hidden.expose_secret();
            if !hidden.is_empty() {
                message = message.replace(hidden, "[hidden]");
            }
        }
        let reason = status.canonical_reason().unwrap_or("error");
        let text = if message.is_empty() {
            format!("HTTP {} {reason}", status.as_u16())
        } else {
            format!("HTTP {} {reason}: {message}", status.as_u16())
        };
        RemoteError::new(kind, text)
    }
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
        return Err(RemoteError::new(Failure::BadReply, "the answer is larger than 32 MiB"));
    }
    Ok(body)
}

/// The message of the three dialects' error bodies (`{message}`, `{error:
/// "…"}`, `{error: {message}}`), else the start of the text; printable only.
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
    text.chars().filter(|c| !c.is_control()).take(300).collect()
}

/// `retry-after-ms`, or `Retry-After` in seconds or as an HTTP date.
fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    if let Some(ms) = headers.get("retry-after-ms").and_then(|v| v.to_str().ok()?.trim().parse::<f64>().ok())
    {
        return (ms.is_finite() && ms >= 0.0).then(|| Duration::from_secs_f64(ms / 1000.0));
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
    fn error_messages_of_each_dialect() {
        assert_eq!(remote_message(br#"{"code":"bad","message":"name taken"}"#), "name taken");
        assert_eq!(remote_message(br#"{"error":"version conflict"}"#), "version conflict");
        assert_eq!(remote_message(br#"{"error":{"code":"x","message":"no such"}}"#), "no such");
        assert_eq!(remote_message(b"plain\x07 text"), "plain text");
    }

    #[test]
    fn echoed_tokens_and_values_are_cut_out() {
        let policy = super::super::default_policy();
        let http =
            Http::new(Url::parse("http://127.0.0.1:1").unwrap(), "tok-123".into(), Kind::Runloop, policy)
                .unwrap();
        let value = SecretString::from("hunter2-value");
        let err = http.error(
            StatusCode::BAD_REQUEST,
            br#"{"message":"bad value hunter2-value for tok-123"}"#,
            Some(&value),
        );
        assert_eq!(err.kind, Failure::Rejected);
        assert_eq!(err.message, "HTTP 400 Bad Request: bad value [hidden] for [hidden]");
    }
}
