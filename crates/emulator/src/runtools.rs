//! RunTools: upsert by normalised name, metadata reads, reveal under policy,
//! delete; every secret is user-private (owned by the caller's token) or
//! org-wide (written by org admins). Bodies are `{data: …}`.
//!
//! The reveal policy, as the documents put it: a user-private value is
//! revealed only to its owner (anyone else: 403); an org-wide value to an org
//! admin, or to a member where that secret's org policy allows it (set per
//! secret through the admin route; off by default). An admin may address
//! another user's copy with `?user_id=` on list, get and delete.

use std::collections::HashMap;

use axum::{
    Extension, Json, Router,
    extract::{Path, Query, State},
    routing::{get, post},
};
use rusqlite::{OptionalExtension, Row, Transaction, params};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::{
    ApiError, AppState, Dialect,
    auth::Caller,
    body::RawBody,
    store::{self, iso},
};

const ORG: &str = "org";
const SCOPES: &[&str] = &["all", "agents", "tools", "sandboxes"];
const CATEGORIES: &[&str] = &["provider", "tool", "custom"];

pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/v1/secrets", get(list).post(upsert))
        .route("/v1/secrets/{name}", get(get_one).delete(remove))
        .route("/v1/secrets/{name}/reveal", post(reveal))
}

fn bad(message: impl Into<String>) -> ApiError {
    ApiError::bad_request(Dialect::RunTools, message)
}

/// Trim, uppercase, anything but `[A-Z0-9_]` becomes `_`; at least 2 characters.
fn normalise(name: &str) -> Result<String, ApiError> {
    let normalised: String = name
        .trim()
        .chars()
        .map(|c| c.to_ascii_uppercase())
        .map(|c| if c.is_ascii_alphanumeric() || c == '_' { c } else { '_' })
        .collect();
    if normalised.chars().count() < 2 {
        return Err(bad("secret name must be at least 2 characters"));
    }
    if normalised.len() > 256 {
        return Err(bad("secret name must be at most 256 characters"));
    }
    Ok(normalised)
}

fn flag(query: &HashMap<String, String>, name: &str) -> Result<bool, ApiError> {
    match query.get(name).map(String::as_str) {
        None | Some("false") | Some("0") => Ok(false),
        Some("true") | Some("1") | Some("") => Ok(true),
        Some(_) => Err(bad(format!("{name} must be true or false"))),
    }
}

/// The (normalised name, owner) a by-name route addresses: the org copy
/// with `orgWide`, another user's with the admin-only `user_id`, else the
/// caller's own.
fn address(
    caller: &Caller,
    name: &str,
    query: &HashMap<String, String>,
    needs_admin: bool,
) -> Result<(String, String), ApiError> {
    let org_wide = flag(query, "orgWide")?;
    let owner = match query.get("user_id") {
        Some(_) if !caller.admin => {
            return Err(ApiError::forbidden(Dialect::RunTools, "user_id needs an org admin"));
        }
        Some(_) if org_wide => return Err(bad("user_id and orgWide address different copies")),
        Some(user) => user.clone(),
        None => owner(caller, org_wide, needs_admin)?,
    };
    Ok((normalise(name)?, owner))
}

/// The owner a request addresses: the org copy (admins only for writes and
/// reveals) or the caller's own.
fn owner(caller: &Caller, org_wide: bool, needs_admin: bool) -> Result<String, ApiError> {
    if !org_wide {
        return Ok(caller.user_id.clone());
    }
    if needs_admin && !caller.admin {
        return Err(ApiError::forbidden(Dialect::RunTools, "org-wide secrets need an org admin"));
    }
    Ok(ORG.to_owned())
}

#[derive(Serialize)]
struct Record {
    id: String,
    name: String,
    scope: String,
    category: String,
    description: Option<String>,
    org_wide: bool,
    created_by: String,
    created_at: String,
    updated_at: String,
    last_rotated_at: String,
}

const COLUMNS: &str =
    "id, name, scope, category, description, owner, created_by, created_ms, updated_ms, last_rotated_ms";

fn record(row: &Row<'_>) -> rusqlite::Result<Record> {
    Ok(Record {
        id: row.get(0)?,
        name: row.get(1)?,
        scope: row.get(2)?,
        category: row.get(3)?,
        description: row.get(4)?,
        org_wide: row.get::<_, String>(5)? == ORG,
        created_by: row.get(6)?,
        created_at: iso(row.get(7)?),
        updated_at: iso(row.get(8)?),
        last_rotated_at: iso(row.get(9)?),
    })
}

async fn list(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Json<Value>, ApiError> {
    let all = flag(&query, "all")?;
    if (all || query.contains_key("user_id")) && !caller.admin {
        return Err(ApiError::forbidden(
            Dialect::RunTools,
            "listing other users' secrets needs an org admin",
        ));
    }
    let scope = query.get("secretScope").map(String::as_str);
    if scope.is_some_and(|s| s != "user" && s != "org") {
        return Err(bad("secretScope must be user or org"));
    }
    let category = query.get("category").cloned();
    let user = query.get("user_id").cloned().unwrap_or_else(|| caller.user_id.clone());
    state.db(|tx| {
        let mut stmt = tx.prepare_cached(&format!(
            "SELECT {COLUMNS} FROM runtools_secrets ORDER BY updated_ms DESC, seq DESC"
        ))?;
        let rows = stmt
            .query_map([], |row| Ok((row.get::<_, String>(5)?, record(row)?)))?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        let data: Vec<Record> = rows
            .into_iter()
            .filter(|(owner, _)| match scope {
                Some("org") => owner == ORG,
                Some(_) => owner == &user,
                None => all || owner == ORG || owner == &user,
            })
            .map(|(_, record)| record)
            .filter(|record| category.as_ref().is_none_or(|c| &record.category == c))
            .collect();
        Ok(Json(json!({ "data": data })))
    })
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct UpsertBody {
    name: String,
    value: String,
    scope: Option<String>,
    category: Option<String>,
    description: Option<String>,
    org_wide: Option<bool>,
}

async fn upsert(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Query(query): Query<HashMap<String, String>>,
    body: RawBody,
) -> Result<Json<Value>, ApiError> {
    let body: UpsertBody = body.json(&state, false)?;
    // The org copy is asked for in the body or, as on the other routes, the query.
    let org_wide = body.org_wide.unwrap_or(false) || flag(&query, "orgWide")?;
    let name = normalise(&body.name)?;
    if body.value.is_empty() {
        return Err(bad("value must not be empty"));
    }
    let scope = body.scope.unwrap_or_else(|| "all".into());
    if !SCOPES.contains(&scope.as_str()) {
        return Err(bad("scope must be all, agents, tools or sandboxes"));
    }
    let category = body.category.unwrap_or_else(|| "provider".into());
    if !CATEGORIES.contains(&category.as_str()) {
        return Err(bad("category must be provider, tool or custom"));
    }
    let owner = owner(&caller, org_wide, true)?;
    let now = state.store.now_ms();
    state.db(|tx| {
        let existing: Option<String> = tx
            .query_row("SELECT id FROM runtools_secrets WHERE name = ?1 AND owner = ?2", params![name, owner], |r| r.get(0))
            .optional()?;
        let id = match &existing {
            Some(id) => {
                tx.execute(
                    "UPDATE runtools_secrets SET value = ?2, scope = ?3, category = ?4, description = ?5,
                        updated_ms = ?6, last_rotated_ms = ?6 WHERE id = ?1",
                    params![id, body.value, scope, category, body.description, now],
                )?;
                id.clone()
            }
            None => {
                let id = store::random_id("sec_");
                tx.execute(
                    "INSERT INTO runtools_secrets (id, name, owner, value, scope, category, description, created_by,
                        created_ms, updated_ms, last_rotated_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?9, ?9)",
                    params![id, name, owner, body.value, scope, category, body.description, caller.user_id, now],
                )?;
                id
            }
        };
        Ok(Json(json!({ "data": { "id": id, "name": name, "created": existing.is_none() } })))
    })
}

fn find(tx: &Transaction<'_>, name: &str, owner: &str) -> Result<Record, ApiError> {
    tx.query_row(
        &format!("SELECT {COLUMNS} FROM runtools_secrets WHERE name = ?1 AND owner = ?2"),
        params![name, owner],
        record,
    )
    .optional()?
    .ok_or_else(|| missing(name))
}

fn missing(name: &str) -> ApiError {
    ApiError::not_found(Dialect::RunTools, format!("secret {name} not found"))
}

async fn get_one(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(name): Path<String>,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Json<Value>, ApiError> {
    let (name, owner) = address(&caller, &name, &query, false)?;
    state.db(|tx| Ok(Json(json!({ "data": find(tx, &name, &owner)? }))))
}

async fn reveal(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(name): Path<String>,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Json<Value>, ApiError> {
    let (name, owner) = address(&caller, &name, &query, false)?;
    if owner != ORG && owner != caller.user_id {
        return Err(ApiError::forbidden(
            Dialect::RunTools,
            "a user-private secret is revealed only to its owner",
        ));
    }
    state.db(|tx| {
        if store::setting(tx, "runtools_deny_reveal")?.as_deref() == Some("1") {
            return Err(ApiError::forbidden(
                Dialect::RunTools,
                "revealing secret values is disabled by org policy",
            ));
        }
        let found: Option<(String, bool)> = tx
            .query_row(
                "SELECT value, EXISTS (SELECT 1 FROM runtools_reveal_policy p WHERE p.secret_id = s.id AND p.members)
                 FROM runtools_secrets s WHERE name = ?1 AND owner = ?2",
                params![name, owner],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?;
        let (value, members_may) = found.ok_or_else(|| missing(&name))?;
        if owner == ORG && !caller.admin && !members_may {
            return Err(ApiError::forbidden(
                Dialect::RunTools,
                "this org-wide secret's policy lets only org admins reveal it",
            ));
        }
        tracing::info!(secret = %name, "secret.revealed");
        Ok(Json(json!({ "data": { "name": name, "value": value } })))
    })
}

async fn remove(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(name): Path<String>,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Json<Value>, ApiError> {
    let (name, owner) = address(&caller, &name, &query, true)?;
    state.db(|tx| {
        tx.execute(
            "DELETE FROM runtools_reveal_policy WHERE secret_id IN
                (SELECT id FROM runtools_secrets WHERE name = ?1 AND owner = ?2)",
            params![name, owner],
        )?;
        let deleted =
            tx.execute("DELETE FROM runtools_secrets WHERE name = ?1 AND owner = ?2", params![name, owner])?;
        if deleted == 0 {
            return Err(missing(&name));
        }
        Ok(Json(json!({ "data": { "success": true } })))
    })
}

/// Sets whether org members (not only admins) may reveal the org-wide
/// secret `name` (admin route); `None` when there is no such org secret.
pub(crate) fn set_members_reveal(
    tx: &Transaction<'_>,
    name: &str,
    members: bool,
) -> Result<Option<String>, ApiError> {
    let name = normalise(name)?;
    let id: Option<String> = tx
        .query_row(
            "SELECT id FROM runtools_secrets WHERE name = ?1 AND owner = ?2",
            params![name, ORG],
            |r| r.get(0),
        )
        .optional()?;
    let Some(id) = id else { return Ok(None) };
    tx.execute(
        "INSERT OR REPLACE INTO runtools_reveal_policy (secret_id, members) VALUES (?1, ?2)",
        params![id, members],
    )?;
    Ok(Some(name))
}

/// Every row, values included (admin state dump).
pub(crate) fn dump(tx: &Transaction<'_>) -> Result<Value, ApiError> {
    let mut stmt = tx.prepare(
        "SELECT id, name, owner, value, category, scope, description FROM runtools_secrets ORDER BY seq",
    )?;
    let rows = stmt
        .query_map([], |row| {
            Ok(json!({
                "id": row.get::<_, String>(0)?,
                "name": row.get::<_, String>(1)?,
                "owner": row.get::<_, String>(2)?,
                "value": row.get::<_, String>(3)?,
                "category": row.get::<_, String>(4)?,
                "scope": row.get::<_, String>(5)?,
                "description": row.get::<_, Option<String>>(6)?,
            }))
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(Value::Array(rows))
}
