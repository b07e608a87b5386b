//! pass and gopass: a password store directory of `.gpg` files, each
//! decrypted by the user's own `gpg` (and its agent, which asks for the key's
//! passphrase if it needs one). The first line is the value; later lines are
//! notes, but for `login:`/`user:`/`username:` and `url:` lines, which pass's
//! tools (browserpass, gopass) read as the username and URL.

use std::{
    path::{Path, PathBuf},
    process::{Command, Stdio},
};

use secrecy::SecretString;
use zeroize::Zeroizing;

use super::{Field, Item, Parsed, bad};

/// More files than any store holds: a directory this large is not one.
const MAX_FILES: usize = 100_000;

pub fn store(dir: &Path) -> Parsed<Vec<Item>> {
    let mut files = Vec::new();
    collect(dir, &mut files)?;
    // An empty store still has pass's `.gpg-id`; a directory with neither is
    // something else, and importing "0 secrets" from it would mislead.
    if files.is_empty() && !dir.join(".gpg-id").is_file() {
        return Err(bad(
            "it is a directory but not a pass store (no .gpg-id and no .gpg files); import takes a store \
             directory or an export file",
        ));
    }
    files.sort();
    files.iter().map(|file| item(dir, file)).collect()
}

/// `.gpg` files under `dir`, not following hidden directories (`.git`, `.extensions`).
fn collect(dir: &Path, files: &mut Vec<PathBuf>) -> Parsed<()> {
    let entries =
        std::fs::read_dir(dir).map_err(|err| bad(format!("{} cannot be listed ({err})", dir.display())))?;
    for entry in entries {
        let entry = entry.map_err(|err| bad(format!("{} cannot be listed ({err})", dir.display())))?;
        let path = entry.path();
        let hidden = entry.file_name().to_string_lossy().starts_with('.');
        let kind = entry.file_type().map_err(|err| bad(format!("{}: {err}", path.display())))?;
        if kind.is_dir() && !hidden {
            collect(&path, files)?;
        } else if kind.is_file() && path.extension().is_some_and(|ext| ext == "gpg") {
            files.push(path);
            if files.len() > MAX_FILES {
                return Err(bad(format!("it holds more than {MAX_FILES} .gpg files")));
            }
        }
    }
    Ok(())
}

fn item(dir: &Path, file: &Path) -> Parsed<Item> {
    let relative = file.strip_prefix(dir).unwrap_or(file).with_extension("");
    let title = relative.to_string_lossy().replace('\\', "/");
    let folder =
        relative.parent().map(|parent| parent.to_string_lossy().replace('\\', "/")).filter(|p| !p.is_empty());
    let plain = decrypt(file, &title)?;
    let text = String::from_utf8_lossy(&plain);
    let mut lines = text.lines();
    let value = lines.next().unwrap_or("").to_owned();
    let (mut username, mut url, mut notes) = (None, None, Vec::new());
    for line in lines {
        let lower = line.to_ascii_lowercase();
        let field = |key: &str| lower.starts_with(key).then(|| line[key.len()..].trim().to_owned());
        if let Some(user) = field("login:").or_else(|| field("username:")).or_else(|| field("user:")) {
            username = username.or(Some(user));
        } else if let Some(link) = field("url:") {
            url = url.or(Some(link));
        } else {
            notes.push(line);
        }
    }
    let notes = notes.join("\n");
    Ok(Item {
        title,
        folder,
        url,
        username,
        fields: vec![Field::concealed("password", value)],
        notes: (!notes.trim().is_empty()).then(|| SecretString::from(notes)),
        trashed: false,
    })
}

/// The most one entry may decrypt to: a value is at most 64 KiB, and an
/// entry with notes a few KiB more; past this gpg is stopped.
pub const MAX_ENTRY_BYTES: usize = 4 << 20;
/// What is kept of gpg's messages (the last line is shown).
const MAX_SAID_BYTES: u64 = 64 << 10;

/// The user's gpg, in batch mode, its output read into one wiped buffer
/// allocated once (so no reallocation leaves a copy behind) and stopped past
/// [`MAX_ENTRY_BYTES`]. Its environment is this process's less any
/// KEYHAVEN_* variable.
fn decrypt(file: &Path, title: &str) -> Parsed<Zeroizing<Vec<u8>>> {
    use std::io::Read as _;
    let mut command = Command::new("gpg");
    command.args(["--quiet", "--batch", "--yes", "--decrypt", "--"]).arg(file);
    for (key, _) in std::env::vars_os() {
        if key.to_string_lossy().starts_with("KEYHAVEN_") {
            command.env_remove(key);
        }
    }
    let mut child = command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|err| bad(format!("gpg cannot be started ({err}); pass needs it installed")))?;
    let mut stderr = child.stderr.take().expect("piped");
    let said = std::thread::spawn(move || {
        let mut said = Vec::new();
        let _ = (&mut stderr).take(MAX_SAID_BYTES).read_to_end(&mut said);
        let _ = std::io::copy(&mut stderr, &mut std::io::sink());
        said
    });
    let mut plain = Zeroizing::new(Vec::with_capacity(MAX_ENTRY_BYTES + 1));
    let read = child.stdout.take().expect("piped").take(MAX_ENTRY_BYTES as u64 + 1).read_to_end(&mut plain);
    if read.is_err() || plain.len() > MAX_ENTRY_BYTES {
        let _ = child.kill();
        let _ = child.wait();
        return Err(bad(format!(
            "{title} decrypts to more than {} MiB, more than any entry holds; gpg was stopped",
            MAX_ENTRY_BYTES >> 20
        )));
    }
    let status = child.wait().map_err(|err| bad(format!("gpg did not finish ({err})")))?;
    let said = said.join().unwrap_or_default();
    if !status.success() {
        // gpg's own words (key ids, "No secret key"), never the plaintext.
        let said = String::from_utf8_lossy(&said);
        let said = said.lines().last().unwrap_or("").trim().to_owned();
        return Err(bad(format!("gpg could not decrypt {title} ({said})")));
    }
    Ok(plain)
}
