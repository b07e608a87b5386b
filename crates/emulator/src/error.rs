//! Each dialect's error body:
//! - Runloop (shape undocumented; the SDK keeps the raw body): `{"code", "message"}`
//! - Runtype: `{"error": "<message>"}` (what the SDK overlay reads)
//! - RunTools: `{"error": {"code", "message"}}`

use axum::{
    extract::State,
    http::{HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};
use serde_json::json;

use crate::{AppState, Dialect};

#[derive(Debug)]
pub struct ApiError {
    pub dialect: Dialect,
    pub status: StatusCode,
    pub message: String,
    pub retry_after_s: Option<u64>,
}

impl ApiError {
    pub fn new(dialect: Dialect, status: StatusCode, message: impl Into<String>) -> Self {
        Self { dialect, status, message: message.into(), retry_after_s: None }
    }

    pub fn bad_request(dialect: Dialect, message: impl Into<String>) -> Self {
        Self::new(dialect, StatusCode::BAD_REQUEST, message)
    }

    pub fn not_found(dialect: Dialect, message: impl Into<String>) -> Self {
        Self::new(dialect, StatusCode::NOT_FOUND, message)
    }

    pub fn conflict(dialect: Dialect, message: impl Into<String>) -> Self {
        Self::new(dialect, StatusCode::CONFLICT, message)
    }

    pub fn forbidden(dialect: Dialect, message: impl Into<String>) -> Self {
        Self::new(dialect, StatusCode::FORBIDDEN, message)
    }

    pub fn internal(dialect: Dialect, message: impl Into<String>) -> Self {
        Self::new(dialect, StatusCode::INTERNAL_SERVER_ERROR, message)
    }

    fn code(&self) -> &'static str {
        match self.status.as_u16() {
            400 => "bad_request",
            401 => "unauthorized",
            403 => "forbidden",
            404 => "not_found",
            405 => "method_not_allowed",
            409 => "conflict",
            429 => "rate_limited",
            500 => "internal_error",
            _ if self.status.is_server_error() => "unavailable",
            _ => "error",
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = match self.dialect {
            Dialect::Runloop => json!({ "code": self.code(), "message": self.message }),
            Dialect::Runtype => json!({ "error": self.message }),
            Dialect::RunTools => json!({ "error": { "code": self.code(), "message": self.message } }),
        };
        let mut response = (self.status, axum::Json(body)).into_response();
        if let Some(seconds) = self.retry_after_s {
            response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        response
    }
}

impl From<rusqlite::Error> for ApiError {
    fn from(err: rusqlite::Error) -> Self {
        // `AppState::db` stamps the listener's dialect on every error it returns.
        tracing::error!("state database: {err}");
        ApiError::internal(Dialect::Runloop, "the emulator's state database failed")
    }
}

pub(crate) async fn not_found(State(state): State<AppState>) -> ApiError {
    ApiError::not_found(state.dialect, "no such route")
}

pub(crate) async fn method_not_allowed(State(state): State<AppState>) -> ApiError {
    ApiError::new(state.dialect, StatusCode::METHOD_NOT_ALLOWED, "method not allowed on this route")
}
