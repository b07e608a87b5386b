//! Each service's way of presenting a key:
//! Runloop `Authorization: Bearer T`; Runtype also a bare `Authorization: T`;
//! RunTools also `X-API-Key: T`. Anything else is a 401 in that dialect's shape.

use std::collections::HashMap;

use axum::{
    extract::{Request, State},
    http::{HeaderMap, StatusCode, header},
    middleware::Next,
    response::{IntoResponse, Response},
};

use crate::{ApiError, AppState, Dialect};

/// Who is calling: one org, one user per token.
#[derive(Debug, Clone)]
pub(crate) struct Caller {
    pub user_id: String,
    /// A RunTools org admin.
    pub admin: bool,
}

pub(crate) struct Users(HashMap<String, Caller>);

impl Users {
    pub fn new(tokens: &[String], admin_tokens: &[String]) -> Self {
        let mut users = HashMap::new();
        for (index, token) in tokens.iter().enumerate() {
            users.insert(token.clone(), Caller { user_id: format!("user_{}", index + 1), admin: false });
        }
        for (index, token) in admin_tokens.iter().enumerate() {
            users.insert(token.clone(), Caller { user_id: format!("admin_{}", index + 1), admin: true });
        }
        Users(users)
    }
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
    let caller = presented_token(state.dialect, request.headers()).and_then(|token| state.users.0.get(token));
    match caller {
        Some(caller) => {
            request.extensions_mut().insert(caller.clone());
            next.run(request).await
        }
        None => ApiError::new(state.dialect, StatusCode::UNAUTHORIZED, "missing or invalid API key")
            .into_response(),
    }
}
