//! Runloop: the OpenAPI spec's five operations (docs/platforms.md) plus the Python SDK 3.0.0's
//! by-id routes. Names may repeat (the SDK says duplicate rejection is best
//! effort): by-name reads and updates act on the newest match, by-name delete
//! removes every match. Writes carrying `x-request-id` are idempotent: a retry
//! with the same id gets the first answer again.

use std::collections::HashMap;

use axum::{
    Json, Router,
    extract::{Path, Query, State},
    http::HeaderMap,
    routing::{get, post},
};
use rusqlite::{OptionalExtension, Row, Transaction, params};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::{ApiError, AppState, Dialect, body::RawBody, store};

const DEFAULT_LIMIT: i64 = 20;
const MAX_LIMIT: i64 = 5000;
const MAX_NAME_LEN: usize = 256;

pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/v1/secrets", post(create).get(list))
        .route("/v1/secrets/{name}", get(get_by_name).post(update_by_name))
        .route("/v1/secrets/{name}/delete", post(delete_by_name))
        .route("/v1/secrets/id/{id}", get(get_by_id))
        .route("/v1/secrets/id/{id}/update", post(update_by_id))
        .route("/v1/secrets/id/{id}/delete", post(delete_by_id))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CreateParams {
    name: String,
    value: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct UpdateParams {
    value: String,
}

/// The spec's `EmptyRecord`: no properties allowed.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct EmptyRecord {}

#[derive(Serialize)]
struct SecretView {
    id: String,
    name: String,
    create_time_ms: i64,
    update_time_ms: i64,
}

#[derive(Serialize)]
struct SecretListView {
    secrets: Vec<SecretView>,
    has_more: bool,
    total_count: i64,
}

const COLUMNS: &str = "id, name, create_time_ms, update_time_ms";

fn view(row: &Row<'_>) -> rusqlite::Result<SecretView> {
    Ok(SecretView {
        id: row.get(0)?,
        name: row.get(1)?,
        create_time_ms: row.get(2)?,
        update_time_ms: row.get(3)?,
    })
}

fn check_name(name: &str) -> Result<(), ApiError> {
    let mut chars = name.chars();
    let valid_start = chars.next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_');
    if !valid_start || !chars.all(|c| c.is_ascii_alphanumeric() || c == '_') || name.len() > MAX_NAME_LEN {
        return Err(ApiError::bad_request(
            Dialect::Runloop,
            "name must be a valid environment variable name (letters, digits and underscores, not starting with a digit)",
        ));
    }
    Ok(())
}

/// Replays the stored answer for a retried `x-request-id`, or runs `work` and
/// stores its answer.
fn idempotent(
    tx: &Transaction<'_>,
    headers: &HeaderMap,
    work: impl FnOnce(&Transaction<'_>) -> Result<SecretView, ApiError>,
) -> Result<Json<Value>, ApiError> {
    let request_id = headers.get("x-request-id").and_then(|v| v.to_str().ok()).filter(|id| !id.is_empty());
    if let Some(id) = request_id {
        let stored: Option<String> = tx
            .query_row("SELECT body FROM runloop_requests WHERE request_id = ?1", [id], |r| r.get(0))
            .optional()?;
        if let Some(body) = stored {
            return Ok(Json(serde_json::from_str(&body).unwrap_or(Value::Null)));
        }
    }
    let body = serde_json::to_value(work(tx)?).expect("views serialize");
    if let Some(id) = request_id {
        tx.execute(
            "INSERT INTO runloop_requests (request_id, status, body) VALUES (?1, 200, ?2)",
            params![id, body.to_string()],
        )?;
    }
    Ok(Json(body))
}

async fn create(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: RawBody,
) -> Result<Json<Value>, ApiError> {
    let params: CreateParams = body.json(&state, false)?;
    check_name(&params.name)?;
    let now = state.store.now_ms();
    state.db(|tx| {
        idempotent(tx, &headers, |tx| {
            let exists: bool =
                tx.query_row("SELECT EXISTS (SELECT 1 FROM runloop_secrets WHERE name = ?1)", [&params.name], |r| r.get(0))?;
            if exists {
                return Err(ApiError::bad_request(Dialect::Runloop, format!("secret {} already exists", params.name)));
            }
            let id = store::random_id("sec_");
            tx.execute(
                "INSERT INTO runloop_secrets (id, name, value, create_time_ms, update_time_ms) VALUES (?1, ?2, ?3, ?4, ?4)",
                params![id, params.name, params.value, now],
            )?;
            Ok(SecretView { id, name: params.name, create_time_ms: now, update_time_ms: now })
        })
    })
}

async fn list(
    State(state): State<AppState>,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Json<SecretListView>, ApiError> {
    // `limit` is an int32 in the spec: anything else is a 400; in range, it is clamped.
    let limit = match query.get("limit").map(|v| v.trim()) {
        None | Some("") => DEFAULT_LIMIT,
        Some(text) => i64::from(
            text.parse::<i32>()
                .map_err(|_| ApiError::bad_request(state.dialect, "limit must be a 32-bit integer"))?,
        )
        .clamp(0, MAX_LIMIT),
    };
    let limit = state.faults.get().list_limit.map_or(limit, |cap| limit.min(i64::from(cap)));
    state.db(|tx| {
        let total: i64 = tx.query_row("SELECT count(*) FROM runloop_secrets", [], |r| r.get(0))?;
        let mut stmt =
            tx.prepare_cached(&format!("SELECT {COLUMNS} FROM runloop_secrets ORDER BY seq LIMIT ?1"))?;
        let secrets = stmt.query_map([limit], view)?.collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(Json(SecretListView { has_more: total > secrets.len() as i64, secrets, total_count: total }))
    })
}

/// How a route names its secret: by name (the newest match) or by id.
enum Target {
    Name(String),
    Id(String),
}

impl Target {
    fn locate(&self, tx: &Transaction<'_>) -> Result<(i64, SecretView), ApiError> {
        let (filter, needle) = match self {
            Target::Name(name) => ("name = ?1 ORDER BY seq DESC LIMIT 1", name),
            Target::Id(id) => ("id = ?1", id),
        };
        tx.query_row(&format!("SELECT {COLUMNS}, seq FROM runloop_secrets WHERE {filter}"), [needle], |row| {
            Ok((row.get(4)?, view(row)?))
        })
        .optional()?
        .ok_or_else(|| ApiError::not_found(Dialect::Runloop, format!("secret {needle} not found")))
    }

    /// Deletes what the route addresses: every match of a name, or the one id.
    /// Returns the newest deleted row.
    fn delete(&self, tx: &Transaction<'_>) -> Result<SecretView, ApiError> {
        let (seq, newest) = self.locate(tx)?;
        match self {
            Target::Name(name) => tx.execute("DELETE FROM runloop_secrets WHERE name = ?1", [name])?,
            Target::Id(_) => tx.execute("DELETE FROM runloop_secrets WHERE seq = ?1", [seq])?,
        };
        Ok(newest)
    }
}

async fn read(state: AppState, target: Target) -> Result<Json<SecretView>, ApiError> {
    state.db(|tx| Ok(Json(target.locate(tx)?.1)))
}

async fn update(
    state: AppState,
    target: Target,
    headers: HeaderMap,
    body: RawBody,
) -> Result<Json<Value>, ApiError> {
    let params: UpdateParams = body.json(&state, false)?;
    let now = state.store.now_ms();
    state.db(|tx| {
        idempotent(tx, &headers, |tx| {
            let (seq, mut view) = target.locate(tx)?;
            tx.execute(
                "UPDATE runloop_secrets SET value = ?2, update_time_ms = ?3 WHERE seq = ?1",
                params![seq, params.value, now],
            )?;
            view.update_time_ms = now;
            Ok(view)
        })
    })
}

async fn delete(
    state: AppState,
    target: Target,
    headers: HeaderMap,
    body: RawBody,
) -> Result<Json<Value>, ApiError> {
    let _: EmptyRecord = body.json(&state, true)?;
    state.db(|tx| idempotent(tx, &headers, |tx| target.delete(tx)))
}

async fn get_by_name(
    State(state): State<AppState>,
    Path(name): Path<String>,
) -> Result<Json<SecretView>, ApiError> {
    read(state, Target::Name(name)).await
}

async fn get_by_id(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<SecretView>, ApiError> {
    read(state, Target::Id(id)).await
}

async fn update_by_name(
    State(state): State<AppState>,
    Path(name): Path<String>,
    headers: HeaderMap,
    body: RawBody,
) -> Result<Json<Value>, ApiError> {
    update(state, Target::Name(name), headers, body).await
}

async fn update_by_id(
    State(state): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: RawBody,
) -> Result<Json<Value>, ApiError> {
    update(state, Target::Id(id), headers, body).await
}

async fn delete_by_name(
    State(state): State<AppState>,
    Path(name): Path<String>,
    headers: HeaderMap,
    body: RawBody,
) -> Result<Json<Value>, ApiError> {
    delete(state, Target::Name(name), headers, body).await
}

async fn delete_by_id(
    State(state): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: RawBody,
) -> Result<Json<Value>, ApiError> {
    delete(state, Target::Id(id), headers, body).await
}

/// Every row, values included (admin state dump).
pub(crate) fn dump(tx: &Transaction<'_>) -> Result<Value, ApiError> {
    let mut stmt = tx.prepare(
        "SELECT id, name, value, create_time_ms, update_time_ms FROM runloop_secrets ORDER BY seq",
    )?;
    let rows = stmt
        .query_map([], |row| {
            Ok(serde_json::json!({
                "id": row.get::<_, String>(0)?,
                "name": row.get::<_, String>(1)?,
                "value": row.get::<_, String>(2)?,
                "create_time_ms": row.get::<_, i64>(3)?,
                "update_time_ms": row.get::<_, i64>(4)?,
            }))
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(Value::Array(rows))
}
