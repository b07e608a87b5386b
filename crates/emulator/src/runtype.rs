//! Runtype: secrets by id with a `version` counter and `expectedVersion`
//! (409 on mismatch), check, intake manifests and submit, and setup-url.
//! Bodies are wrapped in `{data: …}` except delete's, as the SDK types say.
//!
//! Intake manifests are declared as JSON (`--intake FILE` or the admin route):
//! `{"manifests": [{"source": {"type", "key" | "productId"}, "title",
//! "description"?, "returnUrl"?, "handoff"?: {"url", "ttlSeconds"?},
//! "items": [{"itemId", "secretKey", "displayName"?, "description"?,
//! "required"?, "placeholder"?, "helpText"?, "docsUrl"?, "minLength"?,
//! "prefix"?}]}]}`. An item is `invalid` when its stored value breaks
//! `minLength` or `prefix`. A source with `keys` and no declared manifest gets
//! one item per key.

use axum::{
    Json, Router,
    extract::{Path, State},
    http::{HeaderMap, StatusCode, header},
    response::{IntoResponse, Response},
    routing::{get, post},
};
use rusqlite::{OptionalExtension, Row, Transaction, params};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::{
    ApiError, AppState, Dialect,
    body::RawBody,
    store::{Mode, Store, iso},
};

const KEY_LEN: std::ops::RangeInclusive<usize> = 2..=100;
const VALUE_LEN: std::ops::RangeInclusive<usize> = 8..=10_000;
const MAX_DESCRIPTION: usize = 500;
const DEFAULT_HANDOFF_TTL_S: i64 = 15 * 60;

pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/v1/secrets", get(list).post(create))
        .route("/v1/secrets/check", post(check))
        .route("/v1/secrets/setup-url", post(setup_url))
        .route("/v1/secrets/intake/manifest", post(manifest))
        .route("/v1/secrets/intake/submit", post(submit))
        .route("/v1/secrets/{id}", get(get_one).put(update).delete(remove))
}

fn bad(message: impl Into<String>) -> ApiError {
    ApiError::bad_request(Dialect::Runtype, message)
}

// ---- secrets -------------------------------------------------------------

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Secret {
    id: String,
    key: String,
    status: String,
    version: i64,
    created_at: String,
    updated_at: String,
    description: Option<String>,
    docs_url: Option<String>,
    end_user_id: Option<String>,
    product_tenant_id: Option<String>,
    last_rotated_at: Option<String>,
    phantom_token: Option<String>,
    value_preview: Option<String>,
}

const COLUMNS: &str = "id, key, status, version, created_ms, updated_ms, description, docs_url, end_user_id, \
                       product_tenant_id, last_rotated_ms, value";

fn secret(row: &Row<'_>) -> rusqlite::Result<Secret> {
    let value: Option<String> = row.get(11)?;
    Ok(Secret {
        id: row.get(0)?,
        key: row.get(1)?,
        status: row.get(2)?,
        version: row.get(3)?,
        created_at: iso(row.get(4)?),
        updated_at: iso(row.get(5)?),
        description: row.get(6)?,
        docs_url: row.get(7)?,
        end_user_id: row.get(8)?,
        product_tenant_id: row.get(9)?,
        last_rotated_at: row.get::<_, Option<i64>>(10)?.map(iso),
        phantom_token: None,
        value_preview: value.as_deref().map(preview),
    })
}

/// Masked, with the last four characters of long values (as the dashboard shows).
fn preview(value: &str) -> String {
    let count = value.chars().count();
    if count < 16 {
        return "************".into();
    }
    let tail: String = value.chars().skip(count - 4).collect();
    format!("************{tail}")
}

fn find(tx: &Transaction<'_>, column: &str, needle: &str) -> rusqlite::Result<Option<Secret>> {
    tx.query_row(&format!("SELECT {COLUMNS} FROM runtype_secrets WHERE {column} = ?1"), [needle], secret)
        .optional()
}

fn by_id(tx: &Transaction<'_>, id: &str) -> Result<Secret, ApiError> {
    find(tx, "id", id)?.ok_or_else(|| ApiError::not_found(Dialect::Runtype, format!("secret {id} not found")))
}

fn data(status: StatusCode, value: impl Serialize) -> Response {
    (status, Json(json!({ "data": value }))).into_response()
}

fn check_key(key: &str) -> Result<(), ApiError> {
    let mut chars = key.chars();
    let valid = chars.next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_');
    if !valid || !KEY_LEN.contains(&key.len()) {
        return Err(bad("key must be 2-100 letters, digits or underscores, not starting with a digit"));
    }
    Ok(())
}

fn check_value(value: &str) -> Result<(), ApiError> {
    if !VALUE_LEN.contains(&value.chars().count()) {
        return Err(bad("value must be 8-10000 characters"));
    }
    Ok(())
}

fn check_meta(description: Option<&str>, docs_url: Option<&str>) -> Result<(), ApiError> {
    if description.is_some_and(|d| d.chars().count() > MAX_DESCRIPTION) {
        return Err(bad("description must be at most 500 characters"));
    }
    if docs_url.is_some_and(|url| !url.starts_with("https://")) {
        return Err(bad("docsUrl must be an https URL"));
    }
    Ok(())
}

async fn list(State(state): State<AppState>) -> Result<Json<Value>, ApiError> {
    state.db(|tx| {
        let mut stmt = tx.prepare_cached(&format!("SELECT {COLUMNS} FROM runtype_secrets ORDER BY seq"))?;
        let secrets = stmt.query_map([], secret)?.collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(Json(json!({ "total": secrets.len(), "data": secrets })))
    })
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct CreateBody {
    key: String,
    value: Option<String>,
    description: Option<String>,
    docs_url: Option<String>,
    end_user_id: Option<String>,
    product_tenant_id: Option<String>,
}

async fn create(State(state): State<AppState>, body: RawBody) -> Result<Response, ApiError> {
    let body: CreateBody = body.json(&state, false)?;
    check_key(&body.key)?;
    if let Some(value) = &body.value {
        check_value(value)?;
    }
    check_meta(body.description.as_deref(), body.docs_url.as_deref())?;
    let now = state.store.now_ms();
    state.db(|tx| {
        if find(tx, "key", &body.key)?.is_some() {
            return Err(ApiError::conflict(Dialect::Runtype, format!("a secret with key {} already exists", body.key)));
        }
        let id = uuid::Uuid::new_v4().to_string();
        tx.execute(
            "INSERT INTO runtype_secrets (id, key, value, status, version, description, docs_url, end_user_id,
                 product_tenant_id, created_ms, updated_ms, last_rotated_ms)
             VALUES (?1, ?2, ?3, 'active', 1, ?4, ?5, ?6, ?7, ?8, ?8, NULL)",
            params![id, body.key, body.value, body.description, body.docs_url, body.end_user_id, body.product_tenant_id, now],
        )?;
        Ok(data(StatusCode::CREATED, by_id(tx, &id)?))
    })
}

async fn get_one(State(state): State<AppState>, Path(id): Path<String>) -> Result<Response, ApiError> {
    state.db(|tx| Ok(data(StatusCode::OK, by_id(tx, &id)?)))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct UpdateBody {
    value: Option<String>,
    description: Option<String>,
    docs_url: Option<String>,
    expected_version: Option<i64>,
}

fn version_conflict(key: &str, expected: i64, current: i64) -> ApiError {
    ApiError::conflict(
        Dialect::Runtype,
        format!("version conflict on {key}: expected version {expected}, current version is {current}"),
    )
}

/// Writes a value: a new version when it differs from the stored one.
fn write_value(tx: &Transaction<'_>, id: &str, value: &str, now: i64) -> rusqlite::Result<()> {
    tx.execute(
        "UPDATE runtype_secrets SET
            version = version + (value IS NOT ?2),
            last_rotated_ms = CASE WHEN value IS NOT ?2 THEN ?3 ELSE last_rotated_ms END,
            updated_ms = CASE WHEN value IS NOT ?2 THEN ?3 ELSE updated_ms END,
            status = 'active', value = ?2
         WHERE id = ?1",
        params![id, value, now],
    )?;
    Ok(())
}

/// Sets the description and docs link that are given, leaving the others.
fn write_meta(
    tx: &Transaction<'_>,
    id: &str,
    description: Option<&str>,
    docs_url: Option<&str>,
    now: i64,
) -> rusqlite::Result<()> {
    if description.is_some() || docs_url.is_some() {
        tx.execute(
            "UPDATE runtype_secrets SET description = coalesce(?2, description), docs_url = coalesce(?3, docs_url),
                updated_ms = ?4 WHERE id = ?1",
            params![id, description, docs_url, now],
        )?;
    }
    Ok(())
}

async fn update(
    State(state): State<AppState>,
    Path(id): Path<String>,
    body: RawBody,
) -> Result<Response, ApiError> {
    let body: UpdateBody = body.json(&state, false)?;
    if let Some(value) = &body.value {
        check_value(value)?;
    }
    check_meta(body.description.as_deref(), body.docs_url.as_deref())?;
    let now = state.store.now_ms();
    state.db(|tx| {
        let current = by_id(tx, &id)?;
        if let Some(expected) = body.expected_version.filter(|&v| v != current.version) {
            return Err(version_conflict(&current.key, expected, current.version));
        }
        if let Some(value) = &body.value {
            write_value(tx, &id, value, now)?;
        }
        write_meta(tx, &id, body.description.as_deref(), body.docs_url.as_deref(), now)?;
        Ok(data(StatusCode::OK, by_id(tx, &id)?))
    })
}

async fn remove(State(state): State<AppState>, Path(id): Path<String>) -> Result<Json<Value>, ApiError> {
    state.db(|tx| {
        let key = by_id(tx, &id)?.key;
        let references: i64 = tx
            .query_row("SELECT count FROM runtype_references WHERE key = ?1", [&key], |r| r.get(0))
            .optional()?
            .unwrap_or(0);
        tx.execute("DELETE FROM runtype_secrets WHERE id = ?1", [&id])?;
        Ok(Json(json!({ "success": true, "deletedId": id, "referenceCount": references })))
    })
}

// ---- check and setup-url -------------------------------------------------

#[derive(Clone, Copy, PartialEq)]
enum KeyState {
    Found,
    Missing,
    Revoked,
}

fn key_state(tx: &Transaction<'_>, key: &str) -> rusqlite::Result<KeyState> {
    let row: Option<(String, bool)> = tx
        .query_row("SELECT status, value IS NOT NULL FROM runtype_secrets WHERE key = ?1", [key], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
        .optional()?;
    Ok(match row {
        Some((status, _)) if status == "revoked" => KeyState::Revoked,
        Some((_, true)) => KeyState::Found,
        _ => KeyState::Missing,
    })
}

fn partition(tx: &Transaction<'_>, keys: &[String]) -> rusqlite::Result<[Vec<String>; 3]> {
    let mut out: [Vec<String>; 3] = Default::default();
    for key in keys {
        let slot = match key_state(tx, key)? {
            KeyState::Found => 0,
            KeyState::Missing => 1,
            KeyState::Revoked => 2,
        };
        out[slot].push(key.clone());
    }
    Ok(out)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CheckBody {
    keys: Vec<String>,
}

async fn check(State(state): State<AppState>, body: RawBody) -> Result<Json<Value>, ApiError> {
    let body: CheckBody = body.json(&state, false)?;
    state.db(|tx| {
        let [found, missing, revoked] = partition(tx, &body.keys)?;
        Ok(Json(json!({ "found": found, "missing": missing, "revoked": revoked })))
    })
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SetupContext {
    r#type: String,
    id: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SetupBody {
    keys: Vec<String>,
    context: Option<SetupContext>,
}

async fn setup_url(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: RawBody,
) -> Result<Json<Value>, ApiError> {
    let body: SetupBody = body.json(&state, false)?;
    if let Some(context) = &body.context
        && !["product", "agent", "tool"].contains(&context.r#type.as_str())
    {
        return Err(bad("context.type must be product, agent or tool"));
    }
    let origin = origin(&headers);
    state.db(|tx| {
        let [configured, missing, revoked] = partition(tx, &body.keys)?;
        let url = (!missing.is_empty() || !revoked.is_empty()).then(|| {
            let keys: Vec<&str> = missing.iter().chain(&revoked).map(String::as_str).collect();
            let mut url = format!("{origin}/dashboard/secrets/setup?keys={}", keys.join(","));
            if let Some(context) = &body.context {
                url.push_str(&format!("&contextType={}&contextId={}", context.r#type, encode(&context.id)));
            }
            url
        });
        Ok(Json(
            json!({ "alreadyConfigured": configured, "missing": missing, "revoked": revoked, "url": url }),
        ))
    })
}

/// This listener's own origin: dashboard and handoff links point back at it.
fn origin(headers: &HeaderMap) -> String {
    let host = headers.get(header::HOST).and_then(|v| v.to_str().ok()).unwrap_or("127.0.0.1");
    format!("http://{host}")
}

fn encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

// ---- intake --------------------------------------------------------------

#[derive(Deserialize, Serialize, Clone, Default)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct Source {
    r#type: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    key: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    keys: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    product_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    description: Option<String>,
}

impl Source {
    fn validate(&self) -> Result<(), ApiError> {
        if !["manual", "secret", "product"].contains(&self.r#type.as_str()) {
            return Err(bad("source.type must be manual, secret or product"));
        }
        Ok(())
    }

    /// What a declared manifest is filed under.
    fn lookup_key(&self) -> String {
        self.key.clone().or_else(|| self.product_id.clone()).unwrap_or_default()
    }
}

#[derive(Deserialize, Serialize, Clone)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct DeclaredItem {
    item_id: String,
    secret_key: String,
    display_name: Option<String>,
    description: Option<String>,
    required: Option<bool>,
    placeholder: Option<String>,
    help_text: Option<String>,
    docs_url: Option<String>,
    min_length: Option<usize>,
    prefix: Option<String>,
}

#[derive(Deserialize, Serialize, Clone)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct DeclaredHandoff {
    url: String,
    ttl_seconds: Option<i64>,
}

#[derive(Deserialize, Serialize, Clone)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct DeclaredManifest {
    source: Source,
    title: String,
    description: Option<String>,
    return_url: Option<String>,
    handoff: Option<DeclaredHandoff>,
    items: Vec<DeclaredItem>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ManifestFile {
    manifests: Vec<DeclaredManifest>,
}

/// Loads declared manifests (replacing any with the same source). Returns how many.
pub(crate) fn load_manifests(store: &Store, text: &str) -> Result<usize, String> {
    let file: ManifestFile =
        serde_json::from_str(text).map_err(|err| format!("invalid intake manifests: {err}"))?;
    for manifest in &file.manifests {
        manifest.source.validate().map_err(|err| err.message)?;
        if manifest.items.is_empty() {
            return Err(format!("manifest {:?} has no items", manifest.title));
        }
    }
    // Declared forms are served to production and sandbox keys alike.
    for mode in [Mode::Live, Mode::Test] {
        store
            .transaction_in(mode, |tx| {
                for manifest in &file.manifests {
                    tx.execute(
                        "INSERT OR REPLACE INTO runtype_manifests (source_type, source_key, body) VALUES (?1, ?2, ?3)",
                        params![manifest.source.r#type, manifest.source.lookup_key(), serde_json::to_string(manifest).expect("serializes")],
                    )?;
                }
                Ok(())
            })
            .map_err(|err| err.message)?;
    }
    Ok(file.manifests.len())
}

/// The declared manifest for `source`, or one made from its keys.
fn resolve(tx: &Transaction<'_>, source: &Source) -> Result<DeclaredManifest, ApiError> {
    let stored: Option<String> = tx
        .query_row(
            "SELECT body FROM runtype_manifests WHERE source_type = ?1 AND source_key = ?2",
            params![source.r#type, source.lookup_key()],
            |r| r.get(0),
        )
        .optional()?;
    if let Some(body) = stored {
        return serde_json::from_str(&body)
            .map_err(|_| ApiError::internal(Dialect::Runtype, "stored manifest is damaged"));
    }
    let keys: Vec<String> = match (&source.keys, &source.key) {
        (Some(keys), _) if !keys.is_empty() => keys.clone(),
        (_, Some(key)) if source.r#type == "secret" => vec![key.clone()],
        _ => return Err(ApiError::not_found(Dialect::Runtype, "no intake manifest for this source")),
    };
    Ok(DeclaredManifest {
        source: source.clone(),
        title: "Configure secrets".into(),
        description: None,
        return_url: None,
        handoff: None,
        items: keys
            .into_iter()
            .map(|key| DeclaredItem {
                item_id: key.clone(),
                secret_key: key,
                display_name: None,
                description: None,
                required: Some(true),
                placeholder: None,
                help_text: None,
                docs_url: None,
                min_length: None,
                prefix: None,
            })
            .collect(),
    })
}

/// The manifest as the API returns it, with live statuses.
fn render(
    tx: &Transaction<'_>,
    declared: &DeclaredManifest,
    source: &Source,
    return_url: Option<&str>,
    now: i64,
) -> Result<Value, ApiError> {
    let mut items = Vec::new();
    let (mut pending, mut any_invalid, mut required_missing) = (0, false, false);
    for item in &declared.items {
        let row: Option<(String, String, Option<String>, i64)> = tx
            .query_row(
                "SELECT id, status, value, version FROM runtype_secrets WHERE key = ?1",
                [&item.secret_key],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
            )
            .optional()?;
        let status = match &row {
            Some((_, status, Some(value), _)) if status != "revoked" => {
                let too_short = item.min_length.is_some_and(|min| value.chars().count() < min);
                let wrong_prefix = item.prefix.as_deref().is_some_and(|prefix| !value.starts_with(prefix));
                if too_short || wrong_prefix { "invalid" } else { "configured" }
            }
            _ => "needs_configuration",
        };
        if status != "configured" {
            pending += 1;
            any_invalid |= status == "invalid";
            required_missing |= item.required.unwrap_or(false);
        }
        let mut rendered = json!({ "itemId": item.item_id, "secretKey": item.secret_key, "status": status });
        let fields = rendered.as_object_mut().expect("object");
        if let Some((id, _, _, version)) = &row {
            fields.insert("secretId".into(), json!(id));
            fields.insert("version".into(), json!(version));
        }
        for (name, value) in [
            ("displayName", item.display_name.clone().map(Value::from)),
            ("description", item.description.clone().map(Value::from)),
            ("required", item.required.map(Value::from)),
            ("placeholder", item.placeholder.clone().map(Value::from)),
            ("helpText", item.help_text.clone().map(Value::from)),
            ("docsUrl", item.docs_url.clone().map(Value::from)),
        ] {
            if let Some(value) = value {
                fields.insert(name.into(), value);
            }
        }
        items.push(rendered);
    }
    let configuration_status = if any_invalid {
        "invalid"
    } else if required_missing {
        "needs_configuration"
    } else {
        "configured"
    };
    let mut manifest = json!({
        "source": source,
        "title": declared.title,
        "items": items,
        "configurationStatus": configuration_status,
        "pendingConfigurationCount": pending,
    });
    let fields = manifest.as_object_mut().expect("object");
    if let Some(description) = &declared.description {
        fields.insert("description".into(), json!(description));
    }
    if let Some(url) = return_url.map(str::to_owned).or_else(|| declared.return_url.clone()) {
        fields.insert("returnUrl".into(), json!(url));
    }
    if let Some(handoff) = &declared.handoff {
        let expires = now + 1000 * handoff.ttl_seconds.unwrap_or(DEFAULT_HANDOFF_TTL_S);
        fields.insert(
            "handoff".into(),
            json!({ "type": "url", "url": handoff.url, "expiresAt": iso(expires) }),
        );
    }
    Ok(manifest)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct ManifestBody {
    source: Source,
    return_url: Option<String>,
}

async fn manifest(State(state): State<AppState>, body: RawBody) -> Result<Json<Value>, ApiError> {
    let body: ManifestBody = body.json(&state, false)?;
    body.source.validate()?;
    let now = state.store.now_ms();
    state.db(|tx| {
        let declared = resolve(tx, &body.source)?;
        Ok(Json(render(tx, &declared, &body.source, body.return_url.as_deref(), now)?))
    })
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct SubmitItem {
    item_id: Option<String>,
    key: Option<String>,
    secret_id: Option<String>,
    value: Option<String>,
    expected_version: Option<i64>,
    /// Accepted (the SDK may send it) but not stored: Runtype records have no display name.
    #[allow(dead_code)]
    display_name: Option<String>,
    description: Option<String>,
    docs_url: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct SubmitBody {
    source: Source,
    items: Vec<SubmitItem>,
    return_url: Option<String>,
}

async fn submit(State(state): State<AppState>, body: RawBody) -> Result<Json<Value>, ApiError> {
    let body: SubmitBody = body.json(&state, false)?;
    body.source.validate()?;
    let now = state.store.now_ms();
    let refuse = state.faults.take_success_false();
    state.db(|tx| {
        let declared = resolve(tx, &body.source).map_err(|err| bad(err.message))?;
        if refuse {
            let manifest = render(tx, &declared, &body.source, body.return_url.as_deref(), now)?;
            return Ok(Json(json!({ "success": false, "manifest": manifest })));
        }
        // Resolve every item and check every expected version before writing anything.
        let mut writes = Vec::new();
        for item in &body.items {
            let key = if let Some(key) = &item.key {
                key.clone()
            } else if let Some(item_id) = &item.item_id {
                declared
                    .items
                    .iter()
                    .find(|declared| &declared.item_id == item_id)
                    .map(|declared| declared.secret_key.clone())
                    .ok_or_else(|| bad(format!("unknown itemId {item_id}")))?
            } else if let Some(secret_id) = &item.secret_id {
                by_id(tx, secret_id).map_err(|err| bad(err.message))?.key
            } else {
                return Err(bad("each item needs an itemId, key or secretId"));
            };
            check_key(&key)?;
            check_meta(item.description.as_deref(), item.docs_url.as_deref())?;
            let existing = find(tx, "key", &key)?;
            if let Some(expected) = item.expected_version {
                let current = existing.as_ref().map_or(0, |s| s.version);
                if current != expected {
                    return Err(version_conflict(&key, expected, current));
                }
            }
            if let Some(value) = &item.value {
                check_value(value)?;
            }
            writes.push((key, existing.map(|s| s.id), item));
        }
        for (key, existing, item) in writes {
            let id = match existing {
                Some(id) => id,
                None => {
                    let id = uuid::Uuid::new_v4().to_string();
                    tx.execute(
                        "INSERT INTO runtype_secrets (id, key, value, status, version, created_ms, updated_ms)
                         VALUES (?1, ?2, NULL, 'active', 0, ?3, ?3)",
                        params![id, key, now],
                    )?;
                    id
                }
            };
            if let Some(value) = &item.value {
                write_value(tx, &id, value, now)?;
            }
            write_meta(tx, &id, item.description.as_deref(), item.docs_url.as_deref(), now)?;
        }
        // Rows created without a value start at version 0; a first value makes them 1.
        let manifest = render(tx, &declared, &body.source, body.return_url.as_deref(), now)?;
        Ok(Json(json!({ "success": true, "manifest": manifest })))
    })
}

/// Sets how many tool references point at `key` (admin route); `false`
/// when there is no such secret.
pub(crate) fn set_references(tx: &Transaction<'_>, key: &str, count: u32) -> Result<bool, ApiError> {
    let known =
        tx.query_row("SELECT EXISTS (SELECT 1 FROM runtype_secrets WHERE key = ?1)", [key], |r| r.get(0))?;
    if known {
        tx.execute(
            "INSERT OR REPLACE INTO runtype_references (key, count) VALUES (?1, ?2)",
            params![key, count],
        )?;
    }
    Ok(known)
}

/// Every row, values included (admin state dump).
pub(crate) fn dump(tx: &Transaction<'_>) -> Result<Value, ApiError> {
    let mut stmt =
        tx.prepare("SELECT id, key, value, status, version, description FROM runtype_secrets ORDER BY seq")?;
    let rows = stmt
        .query_map([], |row| {
            Ok(json!({
                "id": row.get::<_, String>(0)?,
                "key": row.get::<_, String>(1)?,
                "value": row.get::<_, Option<String>>(2)?,
                "status": row.get::<_, String>(3)?,
                "version": row.get::<_, i64>(4)?,
                "description": row.get::<_, Option<String>>(5)?,
            }))
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(Value::Array(rows))
}
