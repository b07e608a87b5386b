//! git's credential helper protocol over the vault's program items
//! (`keyhaven git-credential get|store|erase`). A credential is an item with
//! the attributes git-credential-libsecret gives it (schema
//! `org.git.Password`: `protocol`, `server`, `port`, `user`, `object` for
//! the path), so the Secret Service, libsecret's own helper and this one
//! see the same credentials.
//!
//! git's input is another program's and is bounded: at most 64 KiB, lines
//! `key=value` without NUL; unknown keys are ignored, as git asks helpers to.

use secrecy::{ExposeSecret as _, SecretString};

use crate::{
    Error, Result, UnlockedVault,
    item::{Attributes, DEFAULT_COLLECTION, ItemValue, NewItem},
};

/// git's input is at most this long.
pub const MAX_INPUT: usize = 64 * 1024;
const SCHEMA: &str = "org.git.Password";

/// What git asks about or hands over.
#[derive(Debug, Default)]
pub struct Request {
    pub protocol: Option<String>,
    pub host: Option<String>,
    pub port: Option<String>,
    pub path: Option<String>,
    pub username: Option<String>,
    pub password: Option<SecretString>,
}

impl Request {
    /// Reads git's `key=value` lines, up to a blank line or the end.
    pub fn parse(input: &[u8]) -> Result<Self> {
        if input.len() > MAX_INPUT {
            return Err(Error::invalid("git's input", format!("it is more than {MAX_INPUT} bytes")));
        }
        let text =
            std::str::from_utf8(input).map_err(|_| Error::invalid("git's input", "it is not UTF-8"))?;
        if text.contains('\0') {
            return Err(Error::invalid("git's input", "it holds a NUL byte"));
        }
        let mut request = Request::default();
        for line in text.lines() {
            if line.is_empty() {
                break;
            }
            let Some((key, value)) = line.split_once('=') else {
                return Err(Error::invalid("git's input", "a line is not key=value"));
            };
            let value = value.to_owned();
            match key {
                "protocol" => request.protocol = Some(value),
                "host" => {
                    let (host, port) = match value.rsplit_once(':') {
                        Some((host, port))
                            if !port.is_empty() && port.bytes().all(|b| b.is_ascii_digit()) =>
                        {
                            (host.to_owned(), Some(port.to_owned()))
                        }
                        _ => (value, None),
                    };
                    request.host = Some(host);
                    request.port = port;
                }
                "path" => request.path = Some(value),
                "username" => request.username = Some(value),
                "password" => request.password = Some(SecretString::from(value)),
                _ => {}
            }
        }
        Ok(request)
    }

    /// The attributes this request names: what `get` and `erase` match on.
    fn attributes(&self) -> Attributes {
        let mut attributes = Attributes::new();
        let fields = [
            ("protocol", &self.protocol),
            ("server", &self.host),
            ("port", &self.port),
            ("user", &self.username),
            ("object", &self.path),
        ];
        for (name, value) in fields {
            if let Some(value) = value.as_ref().filter(|value| !value.is_empty()) {
                attributes.insert(name.to_owned(), value.clone());
            }
        }
        attributes
    }

    /// "Git: https://example.com/org/repo.git", as libsecret's helper labels it.
    fn label(&self) -> String {
        let mut label = format!(
            "Git: {}://{}",
            self.protocol.as_deref().unwrap_or(""),
            self.host.as_deref().unwrap_or("")
        );
        if let Some(port) = &self.port {
            label.push_str(&format!(":{port}"));
        }
        if let Some(path) = &self.path {
            label.push_str(&format!("/{path}"));
        }
        label
    }
}

/// `get`: the newest credential matching what git knows, as git reads it
/// (`username=…`, `password=…`), or nothing.
pub fn get(vault: &UnlockedVault, request: &Request, out: &mut impl std::io::Write) -> Result<bool> {
    if request.protocol.is_none() || request.host.is_none() {
        return Ok(false);
    }
    let wanted = request.attributes();
    let Some(item) =
        vault.items()?.into_iter().filter(|item| item.matches(&wanted)).max_by_key(|item| item.modified)
    else {
        return Ok(false);
    };
    let (item, value) = vault.read_item(item.id, "git-credential get")?;
    let password =
        std::str::from_utf8(value.bytes()).ok().filter(|text| !text.contains('\n')).ok_or_else(|| {
            Error::invalid(item.name.to_string(), "its value is not one line of text, as git needs")
        })?;
    let mut answer = zeroize::Zeroizing::new(String::new());
    if let Some(user) = item.attributes.get("user").filter(|user| !user.contains('\n')) {
        answer.push_str(&format!("username={user}\n"));
    }
    answer.push_str(&format!("password={password}\n"));
    out.write_all(answer.as_bytes()).map_err(|err| Error::invalid("output", err.to_string()))?;
    Ok(true)
}

/// `store`: keeps the credential git says worked, replacing the one with
/// the same attributes. Incomplete requests are ignored, as git asks.
pub fn store(vault: &mut UnlockedVault, request: &Request) -> Result<bool> {
    let (Some(_), Some(_), Some(_), Some(password)) =
        (&request.protocol, &request.host, &request.username, &request.password)
    else {
        return Ok(false);
    };
    let mut attributes = request.attributes();
    attributes.insert("xdg:schema".into(), SCHEMA.into());
    let new = NewItem {
        collection: DEFAULT_COLLECTION.into(),
        label: request.label(),
        attributes,
        content_type: "text/plain".into(),
    };
    let value = ItemValue::new(password.expose_secret().as_bytes().to_vec())?;
    vault.store_item(&new, &value, true, "git-credential store")?;
    Ok(true)
}

/// `erase`: removes the credentials matching the request (and, when git
/// names the password, only those holding it); how many.
pub fn erase(vault: &mut UnlockedVault, request: &Request) -> Result<usize> {
    if request.protocol.is_none() || request.host.is_none() {
        return Ok(0);
    }
    let wanted = request.attributes();
    let mut erased = 0;
    for item in vault.items()?.into_iter().filter(|item| item.matches(&wanted)) {
        if let Some(password) = &request.password {
            let (_, value) = vault.read_item(item.id, "git-credential erase")?;
            if value.bytes() != password.expose_secret().as_bytes() {
                continue;
            }
        }
        vault.remove_item(item.id)?;
        erased += 1;
    }
    Ok(erased)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn git_input_is_read_as_git_writes_it() {
        let request = Request::parse(
            b"protocol=https\nhost=git.example:8443\npath=org/repo.git\nusername=al\npassword=pw\n\nhost=x\n",
        )
        .unwrap();
        assert_eq!(request.host.as_deref(), Some("git.example"));
        assert_eq!(request.port.as_deref(), Some("8443"));
        assert_eq!(request.label(), "Git: https://git.example:8443/org/repo.git");
        let attributes = request.attributes();
        assert_eq!(attributes.get("object").map(String::as_str), Some("org/repo.git"));
        assert_eq!(attributes.len(), 5);
        assert!(Request::parse(b"host=a\0b\n").is_err());
        assert!(Request::parse(b"no equals sign\n").is_err());
        assert!(Request::parse(&vec![b'a'; MAX_INPUT + 1]).is_err());
        assert!(format!("{request:?}").contains("REDACTED"));
    }
}
