//! Request bodies: bounded, JSON, unknown fields refused, every failure a 400
//! in the listener's dialect (axum's own rejections are plain text).

use axum::{
    body::{Body, Bytes},
    extract::{FromRequest, Request},
};
use serde::de::DeserializeOwned;

use crate::{ApiError, AppState};

/// Larger bodies are refused; no dialect accepts values anywhere near this.
pub(crate) const LIMIT: usize = 256 * 1024;

/// The raw body, at most [`LIMIT`] bytes.
pub(crate) struct RawBody(pub Bytes);

impl FromRequest<AppState> for RawBody {
    type Rejection = ApiError;

    async fn from_request(request: Request<Body>, state: &AppState) -> Result<Self, ApiError> {
        axum::body::to_bytes(request.into_body(), LIMIT).await.map(RawBody).map_err(|_| {
            ApiError::bad_request(state.dialect, format!("request body is larger than {LIMIT} bytes"))
        })
    }
}

impl RawBody {
    /// Parses the body; an empty body counts as `{}` when `optional`.
    pub fn json<T: DeserializeOwned>(&self, state: &AppState, optional: bool) -> Result<T, ApiError> {
        let bytes: &[u8] =
            if optional && self.0.iter().all(u8::is_ascii_whitespace) { b"{}" } else { &self.0 };
        let parsed = serde_json::from_slice(bytes).map_err(|err| {
            let what =
                if err.is_syntax() || err.is_eof() { "malformed JSON" } else { "invalid request body" };
            ApiError::bad_request(state.dialect, format!("{what}: {err}"))
        })?;
        // serde reads a struct from an array of its fields too (`["v"]` as
        // `{"value": "v"}`); every body the services document is an object.
        if bytes.iter().find(|b| !b.is_ascii_whitespace()) != Some(&b'{') {
            return Err(ApiError::bad_request(
                state.dialect,
                "invalid request body: a JSON object is expected",
            ));
        }
        Ok(parsed)
    }
}
