//! Test-only routes under `/_emulator/` (served only with `--admin`): faults,
//! the full state (values included, for assertions), request counts, reset,
//! Runtype intake manifests, revocation and tool references, the RunTools reveal switch and
//! per-secret org reveal policy, and
//! API tokens (add, make read-only, give an expiry, revoke).

use axum::{
    Json, Router,
    extract::{Path, State},
    routing::{get, post, put},
};
use serde_json::{Value, json};

use crate::{
    ApiError, AppState,
    body::RawBody,
    faults::FaultConfig,
    runloop, runtools, runtype,
    store::{MODE, Mode},
};

/// Every admin route works on production's data, or with `?mode=test` on the
/// sandbox's (what `rt_test_` keys see).
pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/_emulator/faults", get(get_faults).put(put_faults).delete(clear_faults))
        .route("/_emulator/state", get(state_dump))
        .route("/_emulator/stats", get(stats))
        .route("/_emulator/reset", post(reset))
        .route("/_emulator/runtype/manifests", post(add_manifests))
        .route("/_emulator/runtype/secrets/{key}/revoke", post(revoke))
        .route("/_emulator/runtype/secrets/{key}/references", put(set_references))
        .route("/_emulator/runtools/reveal", put(set_reveal_policy))
        .route("/_emulator/runtools/secrets/{name}/reveal", put(set_members_reveal))
        .route("/_emulator/tokens", post(put_token))
        .route("/_emulator/tokens/{token}/revoke", post(revoke_token))
        .layer(axum::middleware::from_fn(in_mode))
}

async fn in_mode(request: axum::extract::Request, next: axum::middleware::Next) -> axum::response::Response {
    let test = request.uri().query().is_some_and(|query| query.split('&').any(|pair| pair == "mode=test"));
    let mode = if test { Mode::Test } else { Mode::Live };
    MODE.scope(mode, next.run(request)).await
}

async fn get_faults(State(state): State<AppState>) -> Json<FaultConfig> {
    Json(state.faults.get())
}

async fn put_faults(State(state): State<AppState>, body: RawBody) -> Result<Json<FaultConfig>, ApiError> {
    let config: FaultConfig = body.json(&state, false)?;
    config.validate().map_err(|message| ApiError::bad_request(state.dialect, message))?;
    state.faults.set(config.clone());
    Ok(Json(config))
}

async fn clear_faults(State(state): State<AppState>) -> Json<FaultConfig> {
    state.faults.set(FaultConfig::default());
    Json(FaultConfig::default())
}

async fn state_dump(State(state): State<AppState>) -> Result<Json<Value>, ApiError> {
    state.db(|tx| {
        Ok(Json(json!({
            "runloop": runloop::dump(tx)?,
            "runtype": runtype::dump(tx)?,
            "runtools": runtools::dump(tx)?,
        })))
    })
}

async fn stats(State(state): State<AppState>) -> Json<Value> {
    Json(json!({ "requests": state.faults.requests() }))
}

async fn reset(State(state): State<AppState>) -> Result<Json<Value>, ApiError> {
    state.store.reset().map_err(|err| ApiError { dialect: state.dialect, ..err })?;
    state.faults.set(FaultConfig::default());
    state.faults.reset_requests();
    Ok(Json(json!({ "reset": true })))
}

async fn add_manifests(State(state): State<AppState>, body: RawBody) -> Result<Json<Value>, ApiError> {
    let text = std::str::from_utf8(&body.0)
        .map_err(|_| ApiError::bad_request(state.dialect, "body is not UTF-8"))?;
    let count = runtype::load_manifests(&state.store, text)
        .map_err(|message| ApiError::bad_request(state.dialect, message))?;
    Ok(Json(json!({ "loaded": count })))
}

async fn revoke(State(state): State<AppState>, Path(key): Path<String>) -> Result<Json<Value>, ApiError> {
    let dialect = state.dialect;
    state.db(|tx| {
        let changed = tx.execute("UPDATE runtype_secrets SET status = 'revoked' WHERE key = ?1", [&key])?;
        if changed == 0 {
            return Err(ApiError::not_found(dialect, format!("no Runtype secret {key}")));
        }
        Ok(Json(json!({ "revoked": key })))
    })
}

/// How many of a Runtype secret's `{{secret:KEY}}` references its tools
/// hold: `{"count": n}`, reported by its delete.
async fn set_references(
    State(state): State<AppState>,
    Path(key): Path<String>,
    body: RawBody,
) -> Result<Json<Value>, ApiError> {
    #[derive(serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    struct References {
        count: u32,
    }
    let references: References = body.json(&state, false)?;
    let dialect = state.dialect;
    state.db(|tx| match runtype::set_references(tx, &key, references.count)? {
        true => Ok(Json(json!({ "key": key, "count": references.count }))),
        false => Err(ApiError::not_found(dialect, format!("no Runtype secret {key}"))),
    })
}

async fn set_reveal_policy(State(state): State<AppState>, body: RawBody) -> Result<Json<Value>, ApiError> {
    #[derive(serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Policy {
        deny: bool,
    }
    let policy: Policy = body.json(&state, false)?;
    state.db(|tx| {
        tx.execute(
            "INSERT OR REPLACE INTO settings (key, value) VALUES ('runtools_deny_reveal', ?1)",
            [if policy.deny { "1" } else { "0" }],
        )?;
        Ok(Json(json!({ "deny": policy.deny })))
    })
}

/// An org-wide secret's own reveal policy: `{"members": bool}` lets org
/// members reveal it (not only admins).
async fn set_members_reveal(
    State(state): State<AppState>,
    Path(name): Path<String>,
    body: RawBody,
) -> Result<Json<Value>, ApiError> {
    #[derive(serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Policy {
        members: bool,
    }
    let policy: Policy = body.json(&state, false)?;
    let dialect = state.dialect;
    state.db(|tx| match runtools::set_members_reveal(tx, &name, policy.members)? {
        Some(name) => Ok(Json(json!({ "name": name, "members": policy.members }))),
        None => Err(ApiError::not_found(dialect, format!("no org-wide RunTools secret {name}"))),
    })
}

/// Adds a token, or changes one: `{"token", "admin"?, "read_only"?, "expires_at"?}`
/// (`expires_at` in Unix milliseconds; past means expired now).
async fn put_token(State(state): State<AppState>, body: RawBody) -> Result<Json<Value>, ApiError> {
    #[derive(serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    struct NewToken {
        token: String,
        #[serde(default)]
        admin: bool,
        #[serde(default)]
        read_only: bool,
        expires_at: Option<i64>,
    }
    let new: NewToken = body.json(&state, false)?;
    if new.token.is_empty() {
        return Err(ApiError::bad_request(state.dialect, "token must not be empty"));
    }
    state.users.put(&new.token, new.admin, new.read_only, new.expires_at);
    Ok(Json(json!({ "read_only": new.read_only, "expires_at": new.expires_at })))
}

async fn revoke_token(
    State(state): State<AppState>,
    Path(token): Path<String>,
) -> Result<Json<Value>, ApiError> {
    if state.users.revoke(&token) {
        Ok(Json(json!({ "revoked": true })))
    } else {
        Err(ApiError::not_found(state.dialect, "no such token"))
    }
}
