//! Where passphrases and values come from: `--passphrase-stdin` (first line),
//! KEYHAVEN_PASSPHRASE, or a hidden prompt on a terminal; values from stdin when
//! it is not a terminal, else a hidden prompt. Buffers are wiped after use.
//! The passphrase variables are taken out of the process environment before
//! anything else runs, so no child (`run`, a D-Bus helper) inherits them.

use std::io::{IsTerminal, Read};

use anyhow::{Context, Result, bail};
use keyhaven_core::{Error, SecretName, secret};
use secrecy::{ExposeSecret, SecretString};
use zeroize::Zeroizing;

/// Refuse stdin beyond this: no value or passphrase is anywhere near it.
const STDIN_LIMIT: u64 = 1024 * 1024;

/// The environment variables that may carry a passphrase.
const PASSPHRASE_VAR: &str = "KEYHAVEN_PASSPHRASE";
const NEW_PASSPHRASE_VAR: &str = "KEYHAVEN_NEW_PASSPHRASE";
/// The password of an encrypted export (`import`), for scripts and tests.
const IMPORT_PASSPHRASE_VAR: &str = "KEYHAVEN_IMPORT_PASSPHRASE";

/// The passphrases the environment carried, read once and removed from it.
pub struct PassphraseEnv {
    passphrase: Option<SecretString>,
    new_passphrase: Option<SecretString>,
    import_passphrase: Option<SecretString>,
}

impl PassphraseEnv {
    /// Reads the passphrase variables and deletes them from this process's
    /// environment. Call first thing in `main`, while no other thread exists.
    #[allow(unsafe_code)]
    pub fn take() -> Self {
        let read = |var: &str| {
            std::env::var_os(var).map(|value| SecretString::from(value.to_string_lossy().into_owned()))
        };
        let taken = Self {
            passphrase: read(PASSPHRASE_VAR),
            new_passphrase: read(NEW_PASSPHRASE_VAR),
            import_passphrase: read(IMPORT_PASSPHRASE_VAR),
        };
        for var in [PASSPHRASE_VAR, NEW_PASSPHRASE_VAR, IMPORT_PASSPHRASE_VAR] {
            // SAFETY: called at the start of `main`, before any thread is
            // spawned, so nothing reads or writes the environment meanwhile.
            unsafe { std::env::remove_var(var) };
        }
        taken
    }
}

/// Which new passphrase is asked for, and so which variable may hold it.
#[derive(Clone, Copy)]
pub enum NewPassphrase {
    /// `init`: KEYHAVEN_PASSPHRASE.
    Init,
    /// `passwd`: KEYHAVEN_NEW_PASSPHRASE.
    Change,
}

/// Where a passphrase came from, said when it is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PassphraseSource {
    Stdin,
    Env,
    Prompt,
}

impl PassphraseSource {
    pub fn describe(self) -> &'static str {
        match self {
            PassphraseSource::Stdin => "the first line of stdin (--passphrase-stdin)",
            PassphraseSource::Env => "KEYHAVEN_PASSPHRASE",
            PassphraseSource::Prompt => "the prompt",
        }
    }
}

pub struct Input {
    passphrase_stdin: bool,
    env: PassphraseEnv,
    stdin: Option<Zeroizing<Vec<u8>>>,
    offset: usize,
    /// Every passphrase handed out, so `run` can mask them like values.
    given: Vec<SecretString>,
}

impl Input {
    pub fn new(passphrase_stdin: bool, env: PassphraseEnv) -> Self {
        Self { passphrase_stdin, env, stdin: None, offset: 0, given: Vec::new() }
    }

    /// The passphrases read so far (to mask in a child's output).
    pub fn passphrases_given(&self) -> &[SecretString] {
        &self.given
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

    /// The master passphrase for unlocking, and where it came from.
    /// `Err(Locked)` when no source has one; an empty one is refused as such
    /// (it would only be called wrong).
    pub fn passphrase(&mut self) -> Result<(SecretString, PassphraseSource)> {
        let (pass, source) = if self.passphrase_stdin {
            (text(self.stdin_line()?, "passphrase")?, PassphraseSource::Stdin)
        } else if let Some(pass) = self.env.passphrase.clone() {
            (pass, PassphraseSource::Env)
        } else if Self::stdin_is_terminal() {
            (prompt("Passphrase: ")?, PassphraseSource::Prompt)
        } else {
            return Err(Error::Locked.into());
        };
        if pass.expose_secret().is_empty() {
            return Err(crate::exit::invalid(format!(
                "the passphrase from {} is empty; nothing was unlocked",
                source.describe()
            )));
        }
        self.given.push(pass.clone());
        Ok((pass, source))
    }

    /// A new passphrase (init, passwd): from stdin's next line, its variable,
    /// or a terminal prompt asked twice.
    pub fn new_passphrase(&mut self, which: NewPassphrase) -> Result<SecretString> {
        let (from_env, env_var) = match which {
            NewPassphrase::Init => (self.env.passphrase.clone(), PASSPHRASE_VAR),
            NewPassphrase::Change => (self.env.new_passphrase.clone(), NEW_PASSPHRASE_VAR),
        };
        let pass = if self.passphrase_stdin {
            text(self.stdin_line()?, "passphrase")?
        } else if let Some(pass) = from_env {
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

    /// An encrypted export's password: its variable, else a hidden prompt on
    /// a terminal, else none (the import then says how to give one).
    pub fn import_passphrase(&mut self, file: &std::path::Path) -> Result<Option<SecretString>> {
        if let Some(pass) = self.env.import_passphrase.clone() {
            return Ok(Some(pass));
        }
        if !Self::stdin_is_terminal() {
            return Ok(None);
        }
        Ok(Some(prompt(&format!("Password of {}: ", file.display()))?))
    }

    /// A remote's API token: the rest of stdin, or a hidden prompt on a terminal.
    /// A remote's key: `what` names it ("API token", "AppRole secret id").
    pub fn token(&mut self, remote: &str, what: &str) -> Result<SecretString> {
        // Its shape is checked by core when it is stored (`remote::check_token`).
        if Self::stdin_is_terminal() {
            prompt(&format!("{what} for {remote}: "))
        } else {
            text(self.stdin_rest()?, what)
        }
    }
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
