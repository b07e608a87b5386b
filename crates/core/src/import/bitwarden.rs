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
use serde::Deserialize;
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

use super::{
    Field, Item, Parsed, Problem, bad, csv_rows,
    json::{Flag, List, Number, Obj, Present, Text},
};

/// Argon2 memory above this (MiB) is refused: the file chooses it.
const MAX_ARGON2_MIB: u64 = 1024;
/// PBKDF2 iterations above this are refused (Bitwarden's default is 600,000).
const MAX_PBKDF2_ITERATIONS: u64 = 10_000_000;

/// The export, plain or password-protected: only the fields read are built.
#[derive(Deserialize, Default)]
#[serde(default, rename_all = "camelCase")]
struct Export {
    encrypted: Flag,
    password_protected: Flag,
    salt: Text,
    kdf_type: Number,
    kdf_iterations: Number,
    kdf_memory: Number,
    kdf_parallelism: Number,
    #[serde(rename = "encKeyValidation_DO_NOT_EDIT")]
    validation: Text,
    data: Text,
    folders: List<Named>,
    collections: List<Named>,
    items: Option<List<Entry>>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Named {
    id: Text,
    name: Text,
}

#[derive(Deserialize, Default)]
#[serde(default, rename_all = "camelCase")]
struct Entry {
    name: Text,
    folder_id: Text,
    collection_ids: List<Text>,
    notes: Text,
    deleted_date: Present,
    login: Obj<Login>,
    card: Obj<Card>,
    identity: Obj<Identity>,
    ssh_key: Obj<SshKey>,
    fields: List<CustomField>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Login {
    username: Text,
    password: Text,
    totp: Text,
    uris: List<Obj<Uri>>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Uri {
    uri: Text,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Card {
    number: Text,
    code: Text,
}

#[derive(Deserialize, Default)]
#[serde(default, rename_all = "camelCase")]
struct Identity {
    username: Text,
    ssn: Text,
    passport_number: Text,
    license_number: Text,
}

#[derive(Deserialize, Default)]
#[serde(default, rename_all = "camelCase")]
struct SshKey {
    private_key: Text,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct CustomField {
    name: Text,
    value: Text,
    #[serde(rename = "type")]
    kind: Number,
}

pub fn json(bytes: &[u8], passphrase: Option<&SecretString>) -> Parsed<Vec<Item>> {
    let export: Export = super::json::parse(bytes, "a Bitwarden export (an object)")?;
    match export.encrypted.0 {
        Some(false) | None => items(&export),
        Some(true) if export.password_protected.0 == Some(true) => {
            let passphrase = passphrase.ok_or(Problem::NeedsPassphrase)?;
            let plain = decrypt_export(&export, passphrase)?;
            items(&super::json::parse(&plain, "a Bitwarden export (an object)")?)
        }
        Some(true) => Err(bad(
            "it is an \"account restricted\" encrypted export, which only the Bitwarden account that made it \
             can read. Export again from Bitwarden choosing \"File password protected\" (or plain .json)",
        )),
    }
}

fn items(export: &Export) -> Parsed<Vec<Item>> {
    let names = |list: &List<Named>| -> HashMap<String, String> {
        list.iter().filter_map(|entry| Some((entry.id.get()?, entry.name.get()?))).collect()
    };
    let folders = names(&export.folders);
    let collections = names(&export.collections);
    let list = export.items.as_ref().ok_or_else(|| bad("it has no \"items\" list"))?;
    Ok(list.iter().map(|entry| item(entry, &folders, &collections)).collect())
}

fn item(entry: &Entry, folders: &HashMap<String, String>, collections: &HashMap<String, String>) -> Item {
    let mut fields = Vec::new();
    let mut hidden = |label: &str, value: &Text| {
        if let Some(value) = value.get() {
            fields.push(Field::concealed(label, value));
        }
    };
    let mut username = None;
    let mut url = None;
    if let Some(login) = &entry.login.0 {
        username = login.username.get();
        url = login.uris.iter().next().and_then(|uri| uri.0.as_ref()?.uri.get());
        hidden("password", &login.password);
        hidden("TOTP", &login.totp);
    }
    if let Some(card) = &entry.card.0 {
        hidden("number", &card.number);
        hidden("code", &card.code);
    }
    if let Some(identity) = &entry.identity.0 {
        username = username.or_else(|| identity.username.get());
        hidden("SSN", &identity.ssn);
        hidden("passport number", &identity.passport_number);
        hidden("license number", &identity.license_number);
    }
    if let Some(key) = entry.ssh_key.0.as_ref().and_then(|ssh| ssh.private_key.get()) {
        fields.push(Field::ssh_key("private key", key));
    }
    for field in entry.fields.iter() {
        // 0 text, 1 hidden, 2 boolean, 3 linked: only hidden ones are secrets.
        let label = field.name.get().unwrap_or_else(|| "field".into());
        match (field.kind.0, field.value.get()) {
            (Some(1), Some(value)) => fields.push(Field::concealed(&label, value)),
            (_, Some(value)) if label.eq_ignore_ascii_case("username") => username = username.or(Some(value)),
            _ => {}
        }
    }
    let lookup =
        |id: Option<String>, names: &HashMap<String, String>| id.and_then(|id| names.get(&id).cloned());
    let collection = entry.collection_ids.iter().next().and_then(|id| id.0.clone());
    Item {
        title: entry.name.get().unwrap_or_default(),
        folder: lookup(entry.folder_id.get(), folders).or_else(|| lookup(collection, collections)),
        url,
        username,
        fields,
        notes: entry.notes.get().map(SecretString::from),
        trashed: entry.deleted_date.0,
    }
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
fn decrypt_export(export: &Export, passphrase: &SecretString) -> Parsed<Zeroizing<Vec<u8>>> {
    let field = |value: &Text, key: &str| value.0.clone().ok_or_else(|| bad(format!("it has no {key:?}")));
    let salt = field(&export.salt, "salt")?;
    let key = derive(export, passphrase, &salt)?;
    let keys = stretch(&key);
    // Bitwarden's own check: this EncString opens only under the right key.
    decrypt(&field(&export.validation, "encKeyValidation_DO_NOT_EDIT")?, &keys)?;
    decrypt(&field(&export.data, "data")?, &keys)
}

fn derive(export: &Export, passphrase: &SecretString, salt: &str) -> Parsed<Zeroizing<[u8; 32]>> {
    let iterations = export.kdf_iterations.0.ok_or_else(|| bad("it has no kdfIterations"))?;
    let mut key = Zeroizing::new([0u8; 32]);
    let password = passphrase.expose_secret().as_bytes();
    match export.kdf_type.0 {
        Some(0) => {
            if !(1..=MAX_PBKDF2_ITERATIONS).contains(&iterations) {
                return Err(bad(format!("its PBKDF2 iteration count {iterations} is out of range")));
            }
            pbkdf2::pbkdf2_hmac::<Sha256>(password, salt.as_bytes(), iterations as u32, key.as_mut());
        }
        Some(1) => {
            let memory = export.kdf_memory.0.ok_or_else(|| bad("it has no kdfMemory"))?;
            let parallelism = export.kdf_parallelism.0.ok_or_else(|| bad("it has no kdfParallelism"))?;
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
