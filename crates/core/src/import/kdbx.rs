//! KeePass databases (.kdbx 3.1 and 4.x), read here rather than by a library
//! so that every cost a hostile file can ask for is bounded before it is paid:
//! the key derivation's parameters are read from the header and refused past
//! [`Limits`] before anything is derived (the password is checked only after
//! deriving), the payload is decompressed only up to a cap, attachments are
//! read only up to a key file's size and kept only when they hold a private
//! key (an SSH key), the others skipped, and the inner XML's nesting is checked before
//! it is parsed. The keepass crate derived, decompressed and recursed without
//! such limits: a 381-byte file could ask for 3 GiB, another for 2^64 AES
//! rounds (security round 2, item 5).
//!
//! The formats are KeePass's own (keepass.info, "KDBX 4" and the KDBX 3.1
//! notes); ciphers AES-256, ChaCha20 and Twofish, key derivation AES-KDF and
//! Argon2d/Argon2id, a password and/or a key file (XML 1.0 and 2.0, 32 raw
//! bytes, 64 hex digits, or any file's SHA-256).

use std::io::Read;

use aes::cipher::{BlockDecryptMut, BlockEncrypt, KeyInit, KeyIvInit, StreamCipher, block_padding::Pkcs7};
use base64::Engine;
use hmac::{Hmac, Mac};
use secrecy::{ExposeSecret, SecretString};
use sha2::{Digest, Sha256, Sha512};
use zeroize::Zeroizing;

use super::{Item, Parsed, Problem, bad, keepass};

/// The first bytes of every KeePass 2 database.
pub const MAGIC: [u8; 4] = [0x03, 0xd9, 0xa2, 0x9a];
const SIGNATURE_2: [u8; 4] = [0x67, 0xfb, 0x4b, 0xb5];

/// What a database may ask for, checked before it is paid (docs/SECURITY.md).
pub struct Limits;

impl Limits {
    /// AES-KDF rounds: KeePassXC calibrates them to a decryption time the
    /// user picks (1 s by default: 47.6 million rounds on the machines this
    /// is built on, so 21 s at most here); never 2^64.
    pub const AES_ROUNDS: u64 = 1_000_000_000;
    /// Argon2, as for a Bitwarden export: 1 GiB, 100 passes, 16 lanes
    /// (KeePassXC's defaults are 64 MiB, 10 passes, 2 lanes).
    pub const ARGON2_MEMORY_KIB: u64 = 1 << 20;
    pub const ARGON2_ITERATIONS: u64 = 100;
    pub const ARGON2_LANES: u64 = 16;
    /// The decompressed payload, attachments included (read and dropped).
    pub const PAYLOAD_BYTES: u64 = 512 << 20;
    /// The inner XML, kept in memory to be parsed (10,000 entries are ~10 MB).
    pub const XML_BYTES: u64 = 128 << 20;
}

const AES256: [u8; 16] = hex16("31c1f2e6bf714350be5805216afc5aff");
const CHACHA20: [u8; 16] = hex16("d6038a2b8b6f4cb5a524339a31dbb59a");
const TWOFISH: [u8; 16] = hex16("ad68f29f576f4bb9a36ad47af965346c");
const AES_KDF: [u8; 16] = hex16("c9d9f39a628a4460bf740d08c18a4fea");
const AES_KDF_OLD: [u8; 16] = hex16("7c02bb8279a74ac0927d114a00648238");
const ARGON2D: [u8; 16] = hex16("ef636ddf8c29444b91f7a9a403e30a0c");
const ARGON2ID: [u8; 16] = hex16("9e298b1956db4773b23dfc3ec6f0a1e6");

const fn hex16(text: &str) -> [u8; 16] {
    let bytes = text.as_bytes();
    let mut out = [0u8; 16];
    let mut at = 0;
    while at < 16 {
        out[at] = (nibble(bytes[2 * at]) << 4) | nibble(bytes[2 * at + 1]);
        at += 1;
    }
    out
}

const fn nibble(c: u8) -> u8 {
    match c {
        b'0'..=b'9' => c - b'0',
        _ => c - b'a' + 10,
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Cipher {
    Aes256,
    ChaCha20,
    Twofish,
}

enum Kdf {
    Aes {
        seed: Vec<u8>,
        rounds: u64,
    },
    Argon2 {
        algorithm: argon2::Algorithm,
        version: argon2::Version,
        salt: Vec<u8>,
        memory_kib: u32,
        iterations: u32,
        lanes: u32,
        secret: Vec<u8>,
        data: Vec<u8>,
    },
}

/// The outer header, as far as reading needs it.
struct Header {
    major: u16,
    cipher: Cipher,
    compressed: bool,
    master_seed: Vec<u8>,
    iv: Vec<u8>,
    kdf: Kdf,
    /// KDBX 3.1 keeps the inner stream's settings here; 4 in the inner header.
    inner: Option<(u32, Vec<u8>)>,
    stream_start: Vec<u8>,
    /// Where the header ends.
    end: usize,
}

/// Little-endian integers of a fixed width, from a field that must have it.
fn int(data: &[u8], what: &str) -> Parsed<u64> {
    match data.len() {
        4 => Ok(u32::from_le_bytes(data.try_into().expect("4 bytes")).into()),
        8 => Ok(u64::from_le_bytes(data.try_into().expect("8 bytes"))),
        _ => Err(corrupt(&format!("its {what} is malformed"))),
    }
}

fn corrupt(what: &str) -> Problem {
    bad(format!("not a readable KeePass database: {what}"))
}

fn header(bytes: &[u8]) -> Parsed<Header> {
    if bytes.len() < 12 || bytes[..4] != MAGIC || bytes[4..8] != SIGNATURE_2 {
        return Err(corrupt("it does not start as one"));
    }
    let major = u16::from_le_bytes([bytes[10], bytes[11]]);
    if major != 3 && major != 4 {
        return Err(bad(format!("KDBX version {major} is not read (3.1 and 4 are)")));
    }
    let (mut cipher, mut compressed, mut master_seed, mut iv) = (None, false, None, None);
    let (mut kdf, mut aes_seed, mut aes_rounds) = (None, None, None);
    let (mut stream_key, mut stream_id, mut stream_start) = (None, None, Vec::new());
    let mut at = 12;
    loop {
        let id = *bytes.get(at).ok_or_else(|| corrupt("its header is cut short"))?;
        let width = if major == 4 { 4 } else { 2 };
        let size = bytes.get(at + 1..at + 1 + width).ok_or_else(|| corrupt("its header is cut short"))?;
        let size = size.iter().rev().fold(0usize, |n, b| n << 8 | usize::from(*b));
        let start = at + 1 + width;
        let data =
            bytes.get(start..start.saturating_add(size)).ok_or_else(|| corrupt("its header is cut short"))?;
        at = start + size;
        match id {
            0 => break,
            2 => {
                cipher = Some(match data {
                    d if d == AES256 => Cipher::Aes256,
                    d if d == CHACHA20 => Cipher::ChaCha20,
                    d if d == TWOFISH => Cipher::Twofish,
                    _ => return Err(bad("it is encrypted with a cipher this does not read")),
                })
            }
            3 => compressed = int(data, "compression")? == 1,
            4 => master_seed = Some(data.to_vec()),
            5 => aes_seed = Some(data.to_vec()),
            6 => aes_rounds = Some(int(data, "AES-KDF rounds")?),
            7 => iv = Some(data.to_vec()),
            8 => stream_key = Some(data.to_vec()),
            9 => stream_start = data.to_vec(),
            10 => stream_id = Some(int(data, "inner stream")? as u32),
            11 if major == 4 => kdf = Some(kdf_parameters(data)?),
            _ => {}
        }
    }
    if major == 3 {
        kdf = Some(Kdf::Aes {
            seed: aes_seed.ok_or_else(|| corrupt("its key derivation seed is missing"))?,
            rounds: aes_rounds.ok_or_else(|| corrupt("its AES-KDF rounds are missing"))?,
        });
    }
    let kdf = kdf.ok_or_else(|| corrupt("its key derivation is missing"))?;
    check(&kdf)?;
    let header = Header {
        major,
        cipher: cipher.ok_or_else(|| corrupt("its cipher is missing"))?,
        compressed,
        master_seed: master_seed
            .filter(|seed| seed.len() == 32)
            .ok_or_else(|| corrupt("its master seed is malformed"))?,
        iv: iv.ok_or_else(|| corrupt("its IV is missing"))?,
        kdf,
        inner: match (stream_id, stream_key) {
            (Some(id), Some(key)) => Some((id, key)),
            _ => None,
        },
        stream_start,
        end: at,
    };
    let iv_len = if header.cipher == Cipher::ChaCha20 { 12 } else { 16 };
    if header.iv.len() != iv_len {
        return Err(corrupt("its IV is malformed"));
    }
    Ok(header)
}

/// KDBX 4's key derivation settings: a variant dictionary of typed values.
fn kdf_parameters(data: &[u8]) -> Parsed<Kdf> {
    let malformed = || corrupt("its key derivation settings are malformed");
    if data.len() < 2 || data[1] != 1 {
        return Err(malformed());
    }
    let mut values = std::collections::HashMap::new();
    let mut at = 2;
    loop {
        let kind = *data.get(at).ok_or_else(malformed)?;
        if kind == 0 {
            break;
        }
        let length = |from: usize| -> Parsed<usize> {
            let raw = data.get(from..from + 4).ok_or_else(malformed)?;
            Ok(u32::from_le_bytes(raw.try_into().expect("4 bytes")) as usize)
        };
        let key_len = length(at + 1)?;
        let key = data.get(at + 5..(at + 5).saturating_add(key_len)).ok_or_else(malformed)?;
        let value_at = at + 5 + key_len;
        let value_len = length(value_at)?;
        let value = data.get(value_at + 4..(value_at + 4).saturating_add(value_len)).ok_or_else(malformed)?;
        values.insert(key, value);
        at = value_at + 4 + value_len;
    }
    let get = |key: &str| values.get(key.as_bytes()).copied();
    let number = |key: &str| get(key).map(|value| int(value, "key derivation settings")).transpose();
    let uuid = get("$UUID").ok_or_else(malformed)?;
    if uuid == AES_KDF || uuid == AES_KDF_OLD {
        return Ok(Kdf::Aes {
            seed: get("S").ok_or_else(malformed)?.to_vec(),
            rounds: number("R")?.ok_or_else(malformed)?,
        });
    }
    let algorithm = match uuid {
        u if u == ARGON2D => argon2::Algorithm::Argon2d,
        u if u == ARGON2ID => argon2::Algorithm::Argon2id,
        _ => return Err(bad("its key derivation is one this does not read")),
    };
    let version = match number("V")? {
        Some(0x10) => argon2::Version::V0x10,
        Some(0x13) | None => argon2::Version::V0x13,
        Some(_) => return Err(malformed()),
    };
    let bounded = |key: &str, max: u64, what: &str| -> Parsed<u32> {
        let value = number(key)?.ok_or_else(malformed)?;
        if value == 0 || value > max {
            return Err(bad(format!(
                "its key derivation asks for {what} {value}, beyond the {max} this reads; nothing was derived"
            )));
        }
        Ok(value as u32)
    };
    let memory = number("M")?.ok_or_else(malformed)?;
    if memory / 1024 > Limits::ARGON2_MEMORY_KIB || memory < 8 * 1024 {
        return Err(bad(format!(
            "its key derivation asks for {} MiB of memory, beyond the {} MiB this reads; nothing was derived",
            memory >> 20,
            Limits::ARGON2_MEMORY_KIB >> 10
        )));
    }
    Ok(Kdf::Argon2 {
        algorithm,
        version,
        salt: get("S").ok_or_else(malformed)?.to_vec(),
        memory_kib: (memory / 1024) as u32,
        iterations: bounded("I", Limits::ARGON2_ITERATIONS, "passes")?,
        lanes: bounded("P", Limits::ARGON2_LANES, "lanes")?,
        secret: get("K").unwrap_or_default().to_vec(),
        data: get("A").unwrap_or_default().to_vec(),
    })
}

/// Refuses a key derivation beyond [`Limits`] before anything is derived.
fn check(kdf: &Kdf) -> Parsed<()> {
    match kdf {
        Kdf::Aes { seed, rounds } => {
            if seed.len() != 32 {
                return Err(corrupt("its AES-KDF seed is malformed"));
            }
            if *rounds == 0 || *rounds > Limits::AES_ROUNDS {
                return Err(bad(format!(
                    "its key derivation asks for {rounds} AES-KDF rounds, beyond the {} this reads; nothing was derived",
                    Limits::AES_ROUNDS
                )));
            }
        }
        Kdf::Argon2 { salt, .. } if salt.len() < 8 || salt.len() > 64 => {
            return Err(corrupt("its Argon2 salt is malformed"));
        }
        Kdf::Argon2 { .. } => {}
    }
    Ok(())
}

/// The composite key: SHA-256 of the password's SHA-256 and the key file's key.
fn composite_key(passphrase: Option<&SecretString>, keyfile: Option<&[u8]>) -> Parsed<Zeroizing<[u8; 32]>> {
    let mut hasher = Sha256::new();
    if let Some(passphrase) = passphrase {
        hasher.update(Sha256::digest(passphrase.expose_secret().as_bytes()));
    }
    if let Some(keyfile) = keyfile {
        hasher.update(*keyfile_key(keyfile)?);
    }
    Ok(Zeroizing::new(hasher.finalize().into()))
}

/// A key file's 32 bytes: KeePass's XML (1.0: base64; 2.0: hex, with a hash
/// to check), 32 raw bytes, 64 hex digits, or else the SHA-256 of the file.
fn keyfile_key(file: &[u8]) -> Parsed<Zeroizing<[u8; 32]>> {
    let mut key = Zeroizing::new([0u8; 32]);
    if let Ok(text) = std::str::from_utf8(file)
        && text.trim_start().starts_with('<')
        && let Ok(doc) = roxmltree::Document::parse(text)
        && let Some(data) = doc.descendants().find(|node| node.has_tag_name("Data"))
    {
        let content: String = data.text().unwrap_or("").split_whitespace().collect();
        let bytes = Zeroizing::new(match data.attribute("Hash") {
            Some(hash) => {
                let bytes = hex(&content).ok_or_else(|| bad("the key file's key is malformed"))?;
                if !Sha256::digest(&*bytes)[..4].eq(hex(hash).as_deref().map(|h| &h[..]).unwrap_or(&[])) {
                    return Err(bad("the key file fails its own check (its hash)"));
                }
                bytes.to_vec()
            }
            None => base64::engine::general_purpose::STANDARD
                .decode(content)
                .map_err(|_| bad("the key file's key is malformed"))?,
        });
        if bytes.len() != 32 {
            return Err(bad("the key file's key is malformed"));
        }
        key.copy_from_slice(&bytes);
        return Ok(key);
    }
    if file.len() == 32 {
        key.copy_from_slice(file);
    } else if let Some(bytes) =
        (file.len() == 64).then(|| std::str::from_utf8(file).ok().and_then(hex)).flatten()
    {
        key.copy_from_slice(&bytes);
    } else {
        key.copy_from_slice(&Sha256::digest(file));
    }
    Ok(key)
}

fn hex(text: &str) -> Option<Zeroizing<Vec<u8>>> {
    if !text.len().is_multiple_of(2) {
        return None;
    }
    let digits = text.as_bytes();
    let value = |c: u8| (c as char).to_digit(16);
    (0..digits.len())
        .step_by(2)
        .map(|at| Some((value(digits[at])? * 16 + value(digits[at + 1])?) as u8))
        .collect::<Option<Vec<u8>>>()
        .map(Zeroizing::new)
}

/// The derived key, from the composite key through the header's KDF.
fn transform(kdf: &Kdf, composite: &[u8; 32]) -> Parsed<Zeroizing<[u8; 32]>> {
    let mut out = Zeroizing::new([0u8; 32]);
    match kdf {
        Kdf::Aes { seed, rounds } => {
            let cipher =
                aes::Aes256::new_from_slice(seed).map_err(|_| corrupt("its AES-KDF seed is malformed"))?;
            let mut blocks = Zeroizing::new(*composite);
            let (first, second) = blocks.split_at_mut(16);
            let mut pair = [aes::Block::clone_from_slice(first), aes::Block::clone_from_slice(second)];
            for _ in 0..*rounds {
                cipher.encrypt_blocks(&mut pair);
            }
            first.copy_from_slice(&pair[0]);
            second.copy_from_slice(&pair[1]);
            for block in &mut pair {
                block.fill(0);
            }
            out.copy_from_slice(&Sha256::digest(*blocks));
        }
        Kdf::Argon2 { algorithm, version, salt, memory_kib, iterations, lanes, secret, data } => {
            let mut builder = argon2::ParamsBuilder::new();
            builder.m_cost(*memory_kib).t_cost(*iterations).p_cost(*lanes).output_len(32);
            if !data.is_empty() {
                builder.data(
                    argon2::AssociatedData::new(data).map_err(|_| corrupt("its Argon2 data is malformed"))?,
                );
            }
            let params = builder.build().map_err(|_| corrupt("its Argon2 settings are malformed"))?;
            let argon2 = if secret.is_empty() {
                argon2::Argon2::new(*algorithm, *version, params)
            } else {
                argon2::Argon2::new_with_secret(secret, *algorithm, *version, params)
                    .map_err(|_| corrupt("its Argon2 secret is malformed"))?
            };
            argon2
                .hash_password_into(composite, salt, out.as_mut())
                .map_err(|_| corrupt("its Argon2 settings are malformed"))?;
        }
    }
    Ok(out)
}

/// Reads a database with a password and/or a key file.
pub fn read(bytes: &[u8], passphrase: Option<&SecretString>, keyfile: Option<&[u8]>) -> Parsed<Vec<Item>> {
    if passphrase.is_none() && keyfile.is_none() {
        return Err(Problem::NeedsPassphrase);
    }
    let header = header(bytes)?;
    let composite = composite_key(passphrase, keyfile)?;
    let transformed = transform(&header.kdf, &composite)?;
    let mut master = Sha256::new();
    master.update(&header.master_seed);
    master.update(*transformed);
    let master_key = Zeroizing::new(<[u8; 32]>::from(master.finalize()));
    let (payload, inner, attachments) = if header.major == 4 {
        kdbx4(bytes, &header, &transformed, &master_key)?
    } else {
        kdbx3(bytes, &header, &master_key)?
    };
    let (stream_id, stream_key) = inner.ok_or_else(|| corrupt("its inner stream settings are missing"))?;
    let mut stream = InnerStream::new(stream_id, &stream_key)?;
    keepass::kdbx_xml(&payload, &mut |ciphertext| stream.open(ciphertext), attachments)
}

/// A database opened: its inner XML, its inner stream's cipher and key, and
/// (KDBX 4) its attachments, each kept only if it is a private key's text.
type Opened = (Zeroizing<Vec<u8>>, Option<(u32, Vec<u8>)>, keepass::Attachments);

/// KDBX 4: the header's hash, the HMAC that proves the key, then the
/// HMAC-checked blocks, decrypted and decompressed; the inner header gives
/// the inner stream and the attachments, which are skipped.
fn kdbx4(bytes: &[u8], header: &Header, transformed: &[u8; 32], master_key: &[u8; 32]) -> Parsed<Opened> {
    let header_bytes = &bytes[..header.end];
    let hash = bytes.get(header.end..header.end + 32).ok_or_else(|| corrupt("it is cut short"))?;
    if Sha256::digest(header_bytes).as_slice() != hash {
        return Err(corrupt("its header fails its checksum"));
    }
    let mut hmac_key = Sha512::new();
    hmac_key.update(&header.master_seed);
    hmac_key.update(transformed);
    hmac_key.update([1u8]);
    let hmac_key = Zeroizing::new(<[u8; 64]>::from(hmac_key.finalize()));
    let block_key = |index: u64| -> Zeroizing<[u8; 64]> {
        let mut hasher = Sha512::new();
        hasher.update(index.to_le_bytes());
        hasher.update(*hmac_key);
        Zeroizing::new(hasher.finalize().into())
    };
    let mac = |index: u64, parts: &[&[u8]]| {
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&*block_key(index)).expect("HMAC takes any key");
        for part in parts {
            mac.update(part);
        }
        mac
    };
    let header_mac = bytes.get(header.end + 32..header.end + 64).ok_or_else(|| corrupt("it is cut short"))?;
    if mac(u64::MAX, &[header_bytes]).verify_slice(header_mac).is_err() {
        return Err(Problem::WrongPassphrase);
    }
    let mut encrypted = Zeroizing::new(Vec::new());
    let mut at = header.end + 64;
    for index in 0u64.. {
        let tag = bytes.get(at..at + 32).ok_or_else(|| corrupt("a block is cut short"))?;
        let size = bytes.get(at + 32..at + 36).ok_or_else(|| corrupt("a block is cut short"))?;
        let length = u32::from_le_bytes(size.try_into().expect("4 bytes")) as usize;
        let data = bytes
            .get(at + 36..(at + 36).saturating_add(length))
            .ok_or_else(|| corrupt("a block is cut short"))?;
        if mac(index, &[&index.to_le_bytes(), size, data]).verify_slice(tag).is_err() {
            return Err(corrupt("a block fails its check"));
        }
        if length == 0 {
            break;
        }
        encrypted.extend_from_slice(data);
        at += 36 + length;
    }
    let plain = decrypt(header, master_key, &encrypted)?;
    drop(encrypted);
    let mut reader = payload_reader(header, &plain);
    // The inner header: the inner stream, then attachments: a private key's
    // text is kept (an SSH key, as KeePassXC's agent keeps one), the rest skipped.
    let mut inner = (None, None);
    let mut attachments = keepass::Attachments::new();
    loop {
        let mut head = [0u8; 5];
        reader.read_exact(&mut head).map_err(|_| corrupt("its inner header is cut short"))?;
        let length = u64::from(u32::from_le_bytes(head[1..].try_into().expect("4 bytes")));
        let mut field = (&mut reader).take(length);
        match head[0] {
            0 => {
                std::io::copy(&mut field, &mut std::io::sink()).map_err(|_| too_large())?;
                break;
            }
            1 | 2 if length <= 64 => {
                let mut data = Vec::new();
                field.read_to_end(&mut data).map_err(|_| corrupt("its inner header is cut short"))?;
                if head[0] == 1 {
                    inner.0 = Some(int(&data, "inner stream")? as u32);
                } else {
                    inner.1 = Some(data);
                }
            }
            3 if length <= keepass::MAX_ATTACHMENT_READ && attachments.len() < keepass::MAX_ATTACHMENTS => {
                let mut data = Zeroizing::new(Vec::new());
                field.read_to_end(&mut data).map_err(|_| corrupt("its inner header is cut short"))?;
                // A flags byte (protected or not), then the file.
                attachments.push(keepass::private_key_text(data.get(1..).unwrap_or_default()));
            }
            kind => {
                if kind == 3 && attachments.len() < keepass::MAX_ATTACHMENTS {
                    attachments.push(None);
                }
                std::io::copy(&mut field, &mut std::io::sink()).map_err(|_| too_large())?;
            }
        }
    }
    let xml = read_xml(reader)?;
    Ok((xml, inner.0.zip(inner.1), attachments))
}

/// KDBX 3.1: decrypted whole, its first 32 bytes proving the key, then
/// SHA-256-checked blocks, decompressed.
fn kdbx3(bytes: &[u8], header: &Header, master_key: &[u8; 32]) -> Parsed<Opened> {
    let plain = decrypt(header, master_key, &bytes[header.end..]).map_err(|problem| match problem {
        // Without an HMAC, a wrong key shows as bad padding.
        Problem::Bad(_) => Problem::WrongPassphrase,
        other => other,
    })?;
    if header.stream_start.len() != 32 || plain.get(..32) != Some(&header.stream_start[..]) {
        return Err(Problem::WrongPassphrase);
    }
    let mut blocks = Zeroizing::new(Vec::new());
    let mut at = 32;
    loop {
        let hash = plain.get(at + 4..at + 36).ok_or_else(|| corrupt("a block is cut short"))?;
        let size = plain.get(at + 36..at + 40).ok_or_else(|| corrupt("a block is cut short"))?;
        let length = u32::from_le_bytes(size.try_into().expect("4 bytes")) as usize;
        if length == 0 {
            break;
        }
        let data = plain
            .get(at + 40..(at + 40).saturating_add(length))
            .ok_or_else(|| corrupt("a block is cut short"))?;
        if Sha256::digest(data).as_slice() != hash {
            return Err(corrupt("a block fails its check"));
        }
        blocks.extend_from_slice(data);
        at += 40 + length;
    }
    drop(plain);
    let xml = read_xml(payload_reader(header, &blocks))?;
    // KDBX 3.1 keeps attachments in the XML's <Meta><Binaries>.
    Ok((xml, header.inner.clone(), keepass::Attachments::new()))
}

fn decrypt(header: &Header, key: &[u8; 32], data: &[u8]) -> Parsed<Zeroizing<Vec<u8>>> {
    let padding = || bad("its payload does not decrypt");
    Ok(Zeroizing::new(match header.cipher {
        Cipher::Aes256 => cbc::Decryptor::<aes::Aes256>::new_from_slices(key, &header.iv)
            .map_err(|_| padding())?
            .decrypt_padded_vec_mut::<Pkcs7>(data)
            .map_err(|_| padding())?,
        Cipher::Twofish => cbc::Decryptor::<twofish::Twofish>::new_from_slices(key, &header.iv)
            .map_err(|_| padding())?
            .decrypt_padded_vec_mut::<Pkcs7>(data)
            .map_err(|_| padding())?,
        Cipher::ChaCha20 => {
            let mut out = data.to_vec();
            chacha20::ChaCha20::new_from_slices(key, &header.iv)
                .map_err(|_| padding())?
                .apply_keystream(&mut out);
            out
        }
    }))
}

/// The payload as read: gunzipped when the header says so, never past
/// [`Limits::PAYLOAD_BYTES`] (a read beyond fails as "too large").
fn payload_reader<'a>(header: &Header, data: &'a [u8]) -> Box<dyn Read + 'a> {
    let limit = Limits::PAYLOAD_BYTES;
    let inner: Box<dyn Read + 'a> =
        if header.compressed { Box::new(flate2::read::GzDecoder::new(data)) } else { Box::new(data) };
    Box::new(Capped { inner, left: limit })
}

/// A reader that fails once more than its limit has been read.
struct Capped<'a> {
    inner: Box<dyn Read + 'a>,
    left: u64,
}

impl Read for Capped<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let read = self.inner.read(buf)?;
        self.left =
            self.left.checked_sub(read as u64).ok_or_else(|| std::io::Error::other("over the cap"))?;
        Ok(read)
    }
}

fn too_large() -> Problem {
    bad(format!(
        "its payload unpacks to more than {} MiB, or is damaged; nothing was imported",
        Limits::PAYLOAD_BYTES >> 20
    ))
}

/// The inner XML, at most [`Limits::XML_BYTES`], as UTF-8.
fn read_xml(reader: impl Read) -> Parsed<Zeroizing<Vec<u8>>> {
    let mut xml = Zeroizing::new(Vec::new());
    reader.take(Limits::XML_BYTES + 1).read_to_end(&mut xml).map_err(|_| too_large())?;
    if xml.len() as u64 > Limits::XML_BYTES {
        return Err(bad(format!(
            "its entries take more than {} MiB; nothing was imported",
            Limits::XML_BYTES >> 20
        )));
    }
    Ok(xml)
}

/// The cipher protected values are XORed with, in document order.
enum InnerStream {
    None,
    Salsa20(salsa20::Salsa20),
    ChaCha20(chacha20::ChaCha20),
}

impl InnerStream {
    fn new(id: u32, key: &[u8]) -> Parsed<Self> {
        Ok(match id {
            0 => InnerStream::None,
            2 => {
                const IV: [u8; 8] = [0xe8, 0x30, 0x09, 0x4b, 0x97, 0x20, 0x5d, 0x2a];
                let key = Zeroizing::new(<[u8; 32]>::from(Sha256::digest(key)));
                let cipher =
                    salsa20::Salsa20::new_from_slices(&key[..], &IV).expect("32-byte key, 8-byte IV");
                InnerStream::Salsa20(cipher)
            }
            3 => {
                let hash = Zeroizing::new(<[u8; 64]>::from(Sha512::digest(key)));
                let cipher = chacha20::ChaCha20::new_from_slices(&hash[..32], &hash[32..44])
                    .expect("32-byte key, 12-byte nonce");
                InnerStream::ChaCha20(cipher)
            }
            _ => return Err(bad("its protected values use a stream cipher this does not read")),
        })
    }

    /// A protected value: base64 in the XML, XORed with the stream.
    fn open(&mut self, text: &str) -> Parsed<Zeroizing<String>> {
        let compact: String = text.split_whitespace().collect();
        let mut bytes = Zeroizing::new(
            base64::engine::general_purpose::STANDARD
                .decode(compact)
                .map_err(|_| corrupt("a protected value is malformed"))?,
        );
        match self {
            InnerStream::None => {}
            InnerStream::Salsa20(cipher) => cipher.apply_keystream(&mut bytes),
            InnerStream::ChaCha20(cipher) => cipher.apply_keystream(&mut bytes),
        }
        Ok(Zeroizing::new(String::from_utf8_lossy(&bytes).into_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A KDBX 4 header with `kdf` as its key derivation, for tests of what is
    /// refused before deriving.
    fn kdbx4_with(kdf: &[(&str, u8, Vec<u8>)]) -> Vec<u8> {
        let mut dict = vec![0x00, 0x01];
        for (key, kind, value) in kdf {
            dict.push(*kind);
            dict.extend((key.len() as u32).to_le_bytes());
            dict.extend(key.as_bytes());
            dict.extend((value.len() as u32).to_le_bytes());
            dict.extend(value);
        }
        dict.push(0);
        let mut file = MAGIC.to_vec();
        file.extend(SIGNATURE_2);
        file.extend([1, 0, 4, 0]);
        for (id, data) in
            [(2u8, AES256.to_vec()), (3, vec![1, 0, 0, 0]), (4, vec![7; 32]), (7, vec![9; 16]), (11, dict)]
        {
            file.push(id);
            file.extend((data.len() as u32).to_le_bytes());
            file.extend(data);
        }
        file.extend([0, 4, 0, 0, 0, 13, 10, 13, 10]);
        file
    }

    /// A whole KDBX 4 database (AES-256, AES-KDF with one round, ChaCha20
    /// inner stream), its gzipped payload written by `payload`: the inner
    /// header's end comes first, then whatever `payload` writes.
    fn kdbx4_database(password: &str, payload: impl FnOnce(&mut dyn std::io::Write)) -> Vec<u8> {
        use aes::cipher::BlockEncryptMut;
        let aes = vec![
            ("$UUID", 0x42, AES_KDF.to_vec()),
            ("S", 0x42, vec![5; 32]),
            ("R", 0x05, 1u64.to_le_bytes().to_vec()),
        ];
        let mut file = kdbx4_with(&aes);
        let header = header(&file).unwrap();
        let composite = composite_key(Some(&SecretString::from(password)), None).unwrap();
        let transformed = transform(&header.kdf, &composite).unwrap();
        let master: [u8; 32] =
            Sha256::new().chain_update(&header.master_seed).chain_update(*transformed).finalize().into();
        let hmac_key: [u8; 64] = Sha512::new()
            .chain_update(&header.master_seed)
            .chain_update(*transformed)
            .chain_update([1])
            .finalize()
            .into();
        let mac = |index: u64, parts: &[&[u8]]| -> Vec<u8> {
            let key: [u8; 64] =
                Sha512::new().chain_update(index.to_le_bytes()).chain_update(hmac_key).finalize().into();
            let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&key).unwrap();
            parts.iter().for_each(|part| mac.update(part));
            mac.finalize().into_bytes().to_vec()
        };
        let header_bytes = file.clone();
        file.extend(Sha256::digest(&header_bytes));
        file.extend(mac(u64::MAX, &[&header_bytes]));
        let mut gzip = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
        // The inner header: ChaCha20 (3) with a 64-byte key, then its end.
        gzip.write_all(&[1, 4, 0, 0, 0, 3, 0, 0, 0, 2, 64, 0, 0, 0]).unwrap();
        gzip.write_all(&[8; 64]).unwrap();
        payload(&mut gzip);
        let compressed = gzip.finish().unwrap();
        let encrypted = cbc::Encryptor::<aes::Aes256>::new_from_slices(&master, &header.iv)
            .unwrap()
            .encrypt_padded_vec_mut::<Pkcs7>(&compressed);
        for (index, block) in encrypted.chunks(1 << 20).map(Some).chain([None]).enumerate() {
            let data = block.unwrap_or_default();
            let size = (data.len() as u32).to_le_bytes();
            file.extend(mac(index as u64, &[&(index as u64).to_le_bytes(), &size, data]));
            file.extend(size);
            file.extend(data);
        }
        file
    }

    use std::io::Write as _;

    #[test]
    fn a_database_written_here_reads_back_and_a_wrong_password_is_told() {
        let db = kdbx4_database("pw", |out| {
            out.write_all(&[0, 0, 0, 0, 0]).unwrap();
            out.write_all(b"<KeePassFile><Root><Group><Name>G</Name><Entry><String><Key>Title</Key><Value>T</Value></String>\
                <String><Key>Password</Key><Value Protected=\"True\">AAAA</Value></String></Entry></Group></Root></KeePassFile>").unwrap();
        });
        let items = read(&db, Some(&SecretString::from("pw")), None).ok().unwrap();
        assert_eq!(items.len(), 1);
        assert_eq!(items[0].title, "T");
        assert!(matches!(read(&db, Some(&SecretString::from("no")), None), Err(Problem::WrongPassphrase)));
    }

    #[test]
    fn a_payload_that_unpacks_past_its_cap_is_refused_by_the_cap() {
        let zeros = vec![0u8; 1 << 20];
        // An attachment of 600 MiB of zeros: a few hundred KiB gzipped, skipped as read, stopped at the cap.
        let attachment = kdbx4_database("pw", |out| {
            out.write_all(&[3]).unwrap();
            out.write_all(&(600u32 << 20).to_le_bytes()).unwrap();
            for _ in 0..600 {
                out.write_all(&zeros).unwrap();
            }
            out.write_all(&[0, 0, 0, 0, 0]).unwrap();
        });
        assert!(attachment.len() < 4 << 20, "{}", attachment.len());
        let Err(Problem::Bad(reason)) = read(&attachment, Some(&SecretString::from("pw")), None) else {
            panic!()
        };
        assert!(reason.contains("unpacks to more than 512 MiB"), "{reason}");
        // 200 MiB of XML text: over what is kept to be parsed.
        let xml = kdbx4_database("pw", |out| {
            out.write_all(&[0, 0, 0, 0, 0]).unwrap();
            out.write_all(b"<KeePassFile><!--").unwrap();
            for _ in 0..200 {
                out.write_all(&zeros).unwrap();
            }
        });
        let Err(Problem::Bad(reason)) = read(&xml, Some(&SecretString::from("pw")), None) else { panic!() };
        assert!(reason.contains("more than 128 MiB"), "{reason}");
    }

    #[test]
    fn inner_xml_nested_past_the_limit_is_refused_before_it_is_parsed() {
        let db = kdbx4_database("pw", |out| {
            out.write_all(&[0, 0, 0, 0, 0]).unwrap();
            out.write_all(b"<KeePassFile><Root>").unwrap();
            for _ in 0..20_000 {
                out.write_all(b"<Group><Name>g</Name>").unwrap();
            }
            for _ in 0..20_000 {
                out.write_all(b"</Group>").unwrap();
            }
            out.write_all(b"</Root></KeePassFile>").unwrap();
        });
        let Err(Problem::Bad(reason)) = read(&db, Some(&SecretString::from("pw")), None) else { panic!() };
        assert!(reason.contains("nests deeper than 256 levels"), "{reason}");
    }

    #[test]
    fn key_derivation_beyond_the_limits_is_refused_before_deriving() {
        let argon2 = |m: u64, i: u64, p: u32| {
            vec![
                ("$UUID", 0x42, ARGON2D.to_vec()),
                ("S", 0x42, vec![1; 32]),
                ("M", 0x05, m.to_le_bytes().to_vec()),
                ("I", 0x05, i.to_le_bytes().to_vec()),
                ("P", 0x04, p.to_le_bytes().to_vec()),
                ("V", 0x04, 0x13u32.to_le_bytes().to_vec()),
            ]
        };
        let aes = vec![
            ("$UUID", 0x42, AES_KDF.to_vec()),
            ("S", 0x42, vec![1; 32]),
            ("R", 0x05, u64::MAX.to_le_bytes().to_vec()),
        ];
        let password = SecretString::from("x");
        for (kdf, said) in [
            (aes, "18446744073709551615 AES-KDF rounds"),
            (argon2(64 << 30, 2, 2), "65536 MiB of memory"),
            (argon2(64 << 20, 4_000_000_000, 2), "passes 4000000000"),
            (argon2(64 << 20, 2, 255), "lanes 255"),
        ] {
            let started = std::time::Instant::now();
            let Err(Problem::Bad(reason)) = read(&kdbx4_with(&kdf), Some(&password), None) else {
                panic!("{said}: not refused");
            };
            assert!(reason.contains(said) && reason.contains("nothing was derived"), "{reason}");
            assert!(started.elapsed() < std::time::Duration::from_secs(1), "{said}");
        }
    }
}
