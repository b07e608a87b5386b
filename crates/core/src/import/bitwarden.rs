//! Bitwarden's exports: the JSON one, plain or password-protected, and the
//! CSV one. A password-protected export (bitwarden.com/help/encrypted-export)
//! holds the plain JSON export as one EncString ("2.iv|data|mac": AES-256-CBC,
//! then HMAC-SHA256 over iv and data), under a key derived from the password
//! and the file's salt with PBKDF2-SHA256 or Argon2id and stretched by
//! HKDF-Expand into an encryption and a MAC key. The MAC is checked before
//! anything is decrypted; a wrong password fails it.

use std::collections::HashMap;

use base64::{Engine as _, engine::general_purpose::STANDARD as B64};
use hmac::{Hmac, Mac};
use secrecy::{ExposeSecret, SecretString};
use serde_json::Value;
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

use super::{Field, Item, Parsed, Problem, bad, csv_rows, flat::parse_json, text};

/// Argon2 memory above this (MiB) is refused: the file chooses it.
const MAX_ARGON2_MIB: u64 = 1024;
/// PBKDF2 iterations above this are refused (Bitwarden's default is 600,000).
const MAX_PBKDF2_ITERATIONS: u64 = 10_000_000;

pub fn json(bytes: &[u8], passphrase: Option<&SecretString>) -> Parsed<Vec<Item>> {
    let export = parse_json(bytes)?;
    match export.get("encrypted").and_then(Value::as_bool) {
        Some(false) | None => items(&export),
        Some(true) if export.get("passwordProtected").and_then(Value::as_bool) == Some(true) => {
            let passphrase = passphrase.ok_or(Problem::NeedsPassphrase)?;
            let plain = decrypt_export(&export, passphrase)?;
            items(&parse_json(&plain)?)
        }
        Some(true) => Err(bad(
            "it is an \"account restricted\" encrypted export, which only the Bitwarden account that made it \
             can read. Export again from Bitwarden choosing \"File password protected\" (or plain .json)",
        )),
    }
}

fn items(export: &Value) -> Parsed<Vec<Item>> {
    let names = |key: &str| -> HashMap<String, String> {
        export
            .get(key)
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(|entry| Some((str(entry, "id")?, str(entry, "name")?)))
            .collect()
    };
    let folders = names("folders");
    let collections = names("collections");
    let list =
        export.get("items").and_then(Value::as_array).ok_or_else(|| bad("it has no \"items\" list"))?;
    Ok(list.iter().map(|entry| item(entry, &folders, &collections)).collect())
}

fn item(entry: &Value, folders: &HashMap<String, String>, collections: &HashMap<String, String>) -> Item {
    let mut fields = Vec::new();
    let mut hidden = |label: &str, value: Option<String>| {
        if let Some(value) = value {
            fields.push(Field::concealed(label, value));
        }
    };
    let section = |key: &str| entry.get(key).filter(|value| value.is_object());
    let mut username = None;
    let mut url = None;
    if let Some(login) = section("login") {
        username = str(login, "username");
        url = login
            .get("uris")
            .and_then(Value::as_array)
            .and_then(|uris| uris.first())
            .and_then(|uri| str(uri, "uri"));
        hidden("password", str(login, "password"));
        hidden("TOTP", str(login, "totp"));
    }
    if let Some(card) = section("card") {
        hidden("number", str(card, "number"));
        hidden("code", str(card, "code"));
    }
    if let Some(identity) = section("identity") {
        username = username.or_else(|| str(identity, "username"));
        hidden("SSN", str(identity, "ssn"));
        hidden("passport number", str(identity, "passportNumber"));
        hidden("license number", str(identity, "licenseNumber"));
    }
    if let Some(ssh) = section("sshKey") {
        hidden("private key", str(ssh, "privateKey"));
    }
    for field in entry.get("fields").and_then(Value::as_array).into_iter().flatten() {
        // 0 text, 1 hidden, 2 boolean, 3 linked: only hidden ones are secrets.
        let label = str(field, "name").unwrap_or_else(|| "field".into());
        match (field.get("type").and_then(Value::as_u64), str(field, "value")) {
            (Some(1), Some(value)) => fields.push(Field::concealed(&label, value)),
            (_, Some(value)) if label.eq_ignore_ascii_case("username") => username = username.or(Some(value)),
            _ => {}
        }
    }
    let lookup =
        |id: Option<String>, names: &HashMap<String, String>| id.and_then(|id| names.get(&id).cloned());
    let collection = entry
        .get("collectionIds")
        .and_then(Value::as_array)
        .and_then(|ids| ids.first())
        .and_then(Value::as_str)
        .map(str::to_owned);
    Item {
        title: str(entry, "name").unwrap_or_default(),
        folder: lookup(str(entry, "folderId"), folders).or_else(|| lookup(collection, collections)),
        url,
        username,
        fields,
        notes: str(entry, "notes").map(SecretString::from),
        trashed: entry.get("deletedDate").is_some_and(|date| !date.is_null()),
    }
}

fn str(value: &Value, key: &str) -> Option<String> {
    text(value.get(key).and_then(Value::as_str))
}

pub fn csv(bytes: &[u8]) -> Parsed<Vec<Item>> {
    let rows = csv_rows(bytes)?;
    Ok(rows
        .into_iter()
        .map(|row| {
            let get = |column: &str| row.get(column);
            let mut fields = row.secrets(&[("login_password", "password"), ("login_totp", "TOTP")]);
            // "name: value" per line. The CSV loses which were hidden, so all are offered.
            for line in row.raw("fields").lines() {
                if let Some((label, value)) = line.split_once(": ").filter(|(_, value)| !value.is_empty()) {
                    fields.push(Field::concealed(label, value.to_owned()));
                }
            }
            Item {
                title: get("name").unwrap_or_default(),
                folder: get("folder"),
                url: get("login_uri").map(|uris| uris.split(',').next().unwrap_or("").to_owned()),
                username: get("login_username"),
                fields,
                notes: get("notes").map(SecretString::from),
                trashed: false,
            }
        })
        .collect())
}

/// The plain export inside a password-protected one.
fn decrypt_export(export: &Value, passphrase: &SecretString) -> Parsed<Zeroizing<Vec<u8>>> {
    let field =
        |key: &str| export.get(key).and_then(Value::as_str).ok_or_else(|| bad(format!("it has no {key:?}")));
    let salt = field("salt")?;
    let key = derive(export, passphrase, salt)?;
    let keys = stretch(&key);
    // Bitwarden's own check: this EncString opens only under the right key.
    decrypt(field("encKeyValidation_DO_NOT_EDIT")?, &keys)?;
    decrypt(field("data")?, &keys)
}

fn derive(export: &Value, passphrase: &SecretString, salt: &str) -> Parsed<Zeroizing<[u8; 32]>> {
    let number = |key: &str| export.get(key).and_then(Value::as_u64);
    let iterations = number("kdfIterations").ok_or_else(|| bad("it has no kdfIterations"))?;
    let mut key = Zeroizing::new([0u8; 32]);
    let password = passphrase.expose_secret().as_bytes();
    match number("kdfType") {
        Some(0) => {
            if !(1..=MAX_PBKDF2_ITERATIONS).contains(&iterations) {
                return Err(bad(format!("its PBKDF2 iteration count {iterations} is out of range")));
            }
            pbkdf2::pbkdf2_hmac::<Sha256>(password, salt.as_bytes(), iterations as u32, key.as_mut());
        }
        Some(1) => {
            let memory = number("kdfMemory").ok_or_else(|| bad("it has no kdfMemory"))?;
            let parallelism = number("kdfParallelism").ok_or_else(|| bad("it has no kdfParallelism"))?;
            if memory > MAX_ARGON2_MIB || iterations > 100 || parallelism > 16 {
                return Err(bad(format!(
                    "its Argon2 parameters ({memory} MiB, {iterations} iterations, {parallelism} lanes) are out of range"
                )));
            }
            let params =
                argon2::Params::new((memory * 1024) as u32, iterations as u32, parallelism as u32, Some(32))
                    .map_err(|err| bad(format!("its Argon2 parameters: {err}")))?;
            let salt = Sha256::digest(salt.as_bytes());
            argon2::Argon2::new(argon2::Algorithm::Argon2id, argon2::Version::V0x13, params)
                .hash_password_into(password, &salt, key.as_mut())
                .map_err(|err| bad(format!("Argon2: {err}")))?;
        }
        _ => return Err(bad("its kdfType is neither PBKDF2 (0) nor Argon2id (1)")),
    }
    Ok(key)
}

struct Keys {
    enc: Zeroizing<[u8; 32]>,
    mac: Zeroizing<[u8; 32]>,
}

/// HKDF-Expand (SHA-256) of the derived key into "enc" and "mac" keys.
fn stretch(key: &[u8; 32]) -> Keys {
    let hkdf = hkdf::Hkdf::<Sha256>::from_prk(key).expect("32 bytes is a valid PRK");
    let mut keys = Keys { enc: Zeroizing::new([0; 32]), mac: Zeroizing::new([0; 32]) };
    hkdf.expand(b"enc", keys.enc.as_mut()).expect("32 bytes is a valid length");
    hkdf.expand(b"mac", keys.mac.as_mut()).expect("32 bytes is a valid length");
    keys
}

/// Opens a type-2 EncString; a MAC that does not match means a wrong password
/// (or an altered file: the two cannot be told apart).
fn decrypt(enc_string: &str, keys: &Keys) -> Parsed<Zeroizing<Vec<u8>>> {
    use aes::cipher::{BlockDecryptMut, KeyIvInit, block_padding::Pkcs7};
    let body = enc_string
        .strip_prefix("2.")
        .ok_or_else(|| bad("an encrypted field is not of type 2 (AES-CBC-256, HMAC-SHA256)"))?;
    let parts: Vec<&str> = body.split('|').collect();
    let [iv, data, mac] = parts[..] else {
        return Err(bad("an encrypted field is not iv|data|mac"));
    };
    let decode = |part: &str| B64.decode(part).map_err(|_| bad("an encrypted field is not base64"));
    let (iv, data, mac) = (decode(iv)?, decode(data)?, decode(mac)?);
    let mut check =
        <Hmac<Sha256> as Mac>::new_from_slice(keys.mac.as_ref()).expect("HMAC takes any key length");
    check.update(&iv);
    check.update(&data);
    check.verify_slice(&mac).map_err(|_| Problem::WrongPassphrase)?;
    let iv: [u8; 16] = iv.try_into().map_err(|_| bad("an encrypted field's IV is not 16 bytes"))?;
    let mut buffer = Zeroizing::new(data);
    let key: &[u8; 32] = &keys.enc;
    let plain = cbc::Decryptor::<aes::Aes256>::new(key.into(), &iv.into())
        .decrypt_padded_mut::<Pkcs7>(&mut buffer)
        .map_err(|_| bad("an encrypted field's padding is wrong"))?
        .len();
    buffer.truncate(plain);
    Ok(buffer)
}
