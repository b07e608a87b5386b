//! Each service's way of presenting a key:
//! Runloop `Authorization: Bearer T`; Runtype also a bare `Authorization: T`;
//! RunTools also `X-API-Key: T`. Anything else is a 401 in that dialect's shape.
//! Tokens can be added, revoked and given an expiry through the admin routes
//! (revoked or expired: 401), and made read-only (writes: 403).

use std::{collections::HashMap, sync::RwLock};

use axum::{
    extract::{Request, State},
    http::{HeaderMap, StatusCode, header},
    middleware::Next,
    response::{IntoResponse, Response},
};

use crate::{
    ApiError, AppState, Dialect,
    store::{MODE, Mode},
};

/// Who is calling: one org, one user per token.
#[derive(Debug, Clone)]
pub(crate) struct Caller {
    pub user_id: String,
    /// A RunTools org admin.
    pub admin: bool,
}

/// One accepted token and what it may do.
#[derive(Debug, Clone)]
pub(crate) struct Token {
    pub caller: Caller,
    pub revoked: bool,
    /// Unix milliseconds after which it is refused.
    pub expires_ms: Option<i64>,
    /// Reads only: any write gets 403.
    pub read_only: bool,
}

impl Token {
    pub fn new(caller: Caller) -> Self {
        Token { caller, revoked: false, expires_ms: None, read_only: false }
    }
}

pub(crate) struct Users(RwLock<HashMap<String, Token>>);

impl Users {
    pub fn new(tokens: &[String], admin_tokens: &[String]) -> Self {
        let mut users = HashMap::new();
        for (index, token) in tokens.iter().enumerate() {
            let caller = Caller { user_id: format!("user_{}", index + 1), admin: false };
            users.insert(token.clone(), Token::new(caller));
        }
        for (index, token) in admin_tokens.iter().enumerate() {
            let caller = Caller { user_id: format!("admin_{}", index + 1), admin: true };
            users.insert(token.clone(), Token::new(caller));
        }
        Users(RwLock::new(users))
    }

    fn get(&self, token: &str) -> Option<Token> {
        self.0.read().unwrap_or_else(|p| p.into_inner()).get(token).cloned()
    }

    /// Adds `token` (a new user, or `admin`), or replaces what it may do.
    pub fn put(&self, token: &str, admin: bool, read_only: bool, expires_ms: Option<i64>) {
        let mut users = self.0.write().unwrap_or_else(|p| p.into_inner());
        let caller = match users.get(token) {
            Some(known) => known.caller.clone(),
            None => {
                let user_id = format!("{}_{}", if admin { "admin" } else { "user" }, users.len() + 1);
                Caller { user_id, admin }
            }
        };
        users.insert(token.to_owned(), Token { caller, revoked: false, expires_ms, read_only });
    }

    /// Refuses `token` from now on; false if it was never known.
    pub fn revoke(&self, token: &str) -> bool {
        let mut users = self.0.write().unwrap_or_else(|p| p.into_inner());
        users.get_mut(token).map(|known| known.revoked = true).is_some()
    }
}

/// Writes are every method but GET, except the Runtype calls that only ask.
fn is_write(request: &Request) -> bool {
    let path = request.uri().path();
    request.method() != axum::http::Method::GET
        && request.method() != axum::http::Method::HEAD
        && !matches!(path, "/v1/secrets/check" | "/v1/secrets/setup-url")
}

fn presented_token(dialect: Dialect, headers: &HeaderMap) -> Option<&str> {
    let authorization = headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()).map(str::trim);
    let bearer = authorization.and_then(|v| v.strip_prefix("Bearer ")).map(str::trim);
    match dialect {
        Dialect::Runloop => bearer,
        Dialect::Runtype => bearer.or(authorization),
        Dialect::RunTools => {
            bearer.or_else(|| headers.get("x-api-key").and_then(|v| v.to_str().ok()).map(str::trim))
        }
    }
}

pub(crate) async fn require_token(
    State(state): State<AppState>,
    mut request: Request,
    next: Next,
) -> Response {
    let presented = presented_token(state.dialect, request.headers());
    let mode = presented.map_or(Mode::Live, Mode::of_token);
    let token = presented.and_then(|token| state.users.get(token));
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |elapsed| i64::try_from(elapsed.as_millis()).unwrap_or(i64::MAX));
    let refuse = |status, message| ApiError::new(state.dialect, status, message).into_response();
    match token {
        None => refuse(StatusCode::UNAUTHORIZED, "missing or invalid API key"),
        Some(token) if token.revoked => refuse(StatusCode::UNAUTHORIZED, "this API key was revoked"),
        Some(token) if token.expires_ms.is_some_and(|at| at <= now) => {
            refuse(StatusCode::UNAUTHORIZED, "this API key has expired")
        }
        Some(token) if token.read_only && is_write(&request) => {
            refuse(StatusCode::FORBIDDEN, "this API key is read-only")
        }
        Some(token) => {
            request.extensions_mut().insert(token.caller);
            MODE.scope(mode, next.run(request)).await
        }
    }
}
