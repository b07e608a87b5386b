//! Where passphrases and values come from: `--passphrase-stdin` (first line),
//! KEYHAVEN_PASSPHRASE, or a hidden prompt on a terminal; values from stdin when
//! it is not a terminal, else a hidden prompt. Buffers are wiped after use.

use std::io::{IsTerminal, Read};

use anyhow::{Context, Result, bail};
use keyhaven_core::{Error, SecretName, secret};
use secrecy::{ExposeSecret, SecretString};
use zeroize::Zeroizing;

/// Refuse stdin beyond this: no value or passphrase is anywhere near it.
const STDIN_LIMIT: u64 = 1024 * 1024;

pub struct Input {
    passphrase_stdin: bool,
    stdin: Option<Zeroizing<Vec<u8>>>,
    offset: usize,
}

impl Input {
    pub fn new(passphrase_stdin: bool) -> Self {
        Self { passphrase_stdin, stdin: None, offset: 0 }
    }

    pub fn stdin_is_terminal() -> bool {
        std::io::stdin().is_terminal()
    }

    fn stdin(&mut self) -> Result<&[u8]> {
        if self.stdin.is_none() {
            let mut buffer = Zeroizing::new(Vec::with_capacity(64 * 1024));
            std::io::stdin().take(STDIN_LIMIT + 1).read_to_end(&mut buffer).context("cannot read stdin")?;
            if buffer.len() as u64 > STDIN_LIMIT {
                return Err(crate::exit::invalid("stdin holds more than 1 MiB; values are at most 64 KiB"));
            }
            self.stdin = Some(buffer);
        }
        Ok(&self.stdin.as_ref().expect("just read")[self.offset..])
    }

    /// The next line of stdin, without its line ending.
    fn stdin_line(&mut self) -> Result<Zeroizing<Vec<u8>>> {
        let rest = self.stdin()?;
        let (line, used) = match rest.iter().position(|&b| b == b'\n') {
            Some(end) => (&rest[..end], end + 1),
            None => (rest, rest.len()),
        };
        let line = Zeroizing::new(line.strip_suffix(b"\r").unwrap_or(line).to_vec());
        self.offset += used;
        Ok(line)
    }

    /// The rest of stdin, less one trailing line ending.
    fn stdin_rest(&mut self) -> Result<Zeroizing<Vec<u8>>> {
        let rest = self.stdin()?;
        let used = rest.len();
        let trimmed = rest.strip_suffix(b"\n").unwrap_or(rest);
        let trimmed = trimmed.strip_suffix(b"\r").unwrap_or(trimmed);
        let value = Zeroizing::new(trimmed.to_vec());
        self.offset += used;
        Ok(value)
    }

    /// The master passphrase for unlocking. `Err(Locked)` when no source has one.
    pub fn passphrase(&mut self) -> Result<SecretString> {
        if self.passphrase_stdin {
            return text(self.stdin_line()?, "passphrase");
        }
        if let Some(pass) = env_secret("KEYHAVEN_PASSPHRASE") {
            return Ok(pass);
        }
        if Self::stdin_is_terminal() {
            return prompt("Passphrase: ");
        }
        Err(Error::Locked.into())
    }

    /// A new passphrase (init, passwd): from stdin's next line, `env_var`, or a
    /// terminal prompt asked twice.
    pub fn new_passphrase(&mut self, env_var: &str) -> Result<SecretString> {
        let pass = if self.passphrase_stdin {
            text(self.stdin_line()?, "passphrase")?
        } else if let Some(pass) = env_secret(env_var) {
            pass
        } else if Self::stdin_is_terminal() {
            let first = prompt("New passphrase: ")?;
            let again = prompt("Repeat it: ")?;
            if first.expose_secret() != again.expose_secret() {
                bail!(crate::exit::invalid("the two passphrases differ; nothing was changed"));
            }
            first
        } else {
            return Err(crate::exit::invalid(format!(
                "no passphrase given: set {env_var}, pass --passphrase-stdin, or run in a terminal"
            )));
        };
        if pass.expose_secret().is_empty() {
            return Err(crate::exit::invalid("the passphrase must not be empty"));
        }
        Ok(pass)
    }

    /// A secret's value: generated, the rest of stdin, or a hidden prompt.
    pub fn value(&mut self, name: &SecretName, generate: Option<usize>) -> Result<SecretString> {
        if let Some(len) = generate {
            return Ok(secret::generate_value(len)?);
        }
        if !self.passphrase_stdin && Self::stdin_is_terminal() {
            return prompt(&format!("Value for {name}: "));
        }
        let bytes = self.stdin_rest()?;
        Ok(secret::value_from_bytes(name, bytes.to_vec())?)
    }
}

impl Input {
    /// A value typed for an intake item; empty skips it. Only on a terminal.
    pub fn optional_value(&mut self, key: &str) -> Result<Option<SecretString>> {
        if !Self::stdin_is_terminal() {
            return Ok(None);
        }
        let value = prompt(&format!("Value for {key} (Enter to skip): "))?;
        Ok((!value.expose_secret().is_empty()).then_some(value))
    }

    /// A remote's API token: the rest of stdin, or a hidden prompt on a terminal.
    pub fn token(&mut self, remote: &str) -> Result<SecretString> {
        let token = if Self::stdin_is_terminal() {
            prompt(&format!("API token for {remote}: "))?
        } else {
            text(self.stdin_rest()?, "token")?
        };
        let usable = |t: &str| !t.is_empty() && t.len() <= 4096 && t.chars().all(|c| c.is_ascii_graphic());
        if !usable(token.expose_secret()) {
            return Err(crate::exit::invalid(
                "the token must be one line of printable ASCII without spaces, at most 4096 characters",
            ));
        }
        Ok(token)
    }
}

fn env_secret(var: &str) -> Option<SecretString> {
    std::env::var(var).ok().map(SecretString::from)
}

fn prompt(label: &str) -> Result<SecretString> {
    rpassword::prompt_password(label).map(SecretString::from).context("cannot read from the terminal")
}

fn text(bytes: Zeroizing<Vec<u8>>, what: &str) -> Result<SecretString> {
    match std::str::from_utf8(&bytes) {
        Ok(text) => Ok(SecretString::from(text.to_owned())),
        Err(_) => Err(crate::exit::invalid(format!("the {what} is not valid UTF-8"))),
    }
}
