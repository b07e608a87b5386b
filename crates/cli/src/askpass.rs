//! The CLI host's way to put a question to the user: the askpass program
//! OpenSSH uses (`$SSH_ASKPASS`, such as ssh-askpass-gnome). It is run with
//! the question as its argument and prints the answer:
//!
//! - to "Allow PROGRAM to use KEY?": `once`, `lock` (until the host stops)
//!   or `always`; anything else, a failure, or no answer in time denies;
//! - to the locked vault's question: the passphrase.

use std::{
    io::Read as _,
    path::PathBuf,
    process::{Command, Stdio},
    time::{Duration, Instant},
};

use keyhaven_core::{
    UnlockedVault, Vault,
    approval::{Decision, Prompt, Question},
};
use secrecy::SecretString;
use zeroize::Zeroizing;

#[derive(Clone)]
pub struct Askpass {
    pub program: PathBuf,
    /// How long a question waits for its answer.
    pub within: Duration,
}

/// A passphrase read from the program is at most this long.
const MAX_ANSWER: u64 = 4096;

/// Unlocks the vault with a passphrase asked through [`Askpass`].
pub struct AskpassUnlock {
    pub askpass: Askpass,
    pub vault_path: PathBuf,
}

impl keyhaven_agent::Unlock for AskpassUnlock {
    fn unlock(&self, why: &str) -> Option<UnlockedVault> {
        let text = format!("Keyhaven is locked: {why}.\nPassphrase for {}:", self.vault_path.display());
        let answer = match self.askpass.run(&text) {
            Ok(answer) => answer,
            Err(err) => {
                tracing::warn!("{}: {err}; the vault stays locked", self.askpass.program.display());
                return None;
            }
        };
        let line = answer.strip_suffix('\n').unwrap_or(&answer);
        let passphrase = SecretString::from(line.strip_suffix('\r').unwrap_or(line).to_owned());
        match Vault::open(&self.vault_path).and_then(|vault| vault.unlock(&passphrase)) {
            Ok(vault) => Some(vault),
            Err(err) => {
                tracing::warn!("the vault stays locked: {err}");
                None
            }
        }
    }
}

impl Prompt for Askpass {
    fn ask(&self, question: &Question<'_>) -> Decision {
        let text = format!(
            "{}\nType once, lock (until Keyhaven stops serving) or always to allow; anything else denies.",
            question.text()
        );
        match self.run(&text) {
            Ok(answer) => parse(&answer),
            Err(err) => {
                tracing::warn!("{}: {err}; the request is denied", self.program.display());
                Decision::Deny
            }
        }
    }
}

/// Debian's ssh-askpass package, used when $SSH_ASKPASS is not set.
const DEFAULT_ASKPASS: &str = "/usr/bin/ssh-askpass";

impl Askpass {
    /// The askpass program OpenSSH would use: $SSH_ASKPASS, else Debian's
    /// ssh-askpass; `why` says what needs it, in the error when there is none.
    pub fn from_env(within: Duration, why: &str) -> anyhow::Result<Self> {
        let fallback = std::path::Path::new(DEFAULT_ASKPASS).exists().then(|| DEFAULT_ASKPASS.into());
        let program = std::env::var_os("SSH_ASKPASS")
            .filter(|program| !program.is_empty())
            .or(fallback)
            .ok_or_else(|| {
                crate::exit::invalid(format!(
                    "{why} through SSH_ASKPASS: set it to an askpass program, or install ssh-askpass"
                ))
            })?;
        Ok(Self { program: program.into(), within })
    }

    /// The program's output (at most 4 KiB, wiped after use), once it exits
    /// in time and well.
    fn run(&self, text: &str) -> std::io::Result<Zeroizing<String>> {
        let mut child = Command::new(&self.program)
            .arg(text)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()?;
        let deadline = Instant::now() + self.within;
        let status = loop {
            if let Some(status) = child.try_wait()? {
                break status;
            }
            if Instant::now() > deadline {
                let _ = child.kill();
                let _ = child.wait();
                return Err(std::io::Error::other(format!("no answer within {} s", self.within.as_secs())));
            }
            std::thread::sleep(std::time::Duration::from_millis(50));
        };
        let mut answer = Zeroizing::new(String::new());
        let stdout = child.stdout.take().expect("piped");
        stdout.take(MAX_ANSWER).read_to_string(&mut answer)?;
        if !status.success() {
            return Err(std::io::Error::other(format!("it ended with {status}")));
        }
        Ok(answer)
    }
}

fn parse(answer: &str) -> Decision {
    match answer.lines().next().unwrap_or("").trim().to_ascii_lowercase().as_str() {
        "once" => Decision::Once,
        "lock" | "until lock" => Decision::UntilLock,
        "always" => Decision::Always,
        _ => Decision::Deny,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_answer_is_one_of_three_words_and_anything_else_denies() {
        for (answer, decision) in [
            ("once\n", Decision::Once),
            ("Always", Decision::Always),
            (" lock \nmore", Decision::UntilLock),
            ("yes", Decision::Deny),
            ("", Decision::Deny),
        ] {
            assert_eq!(parse(answer), decision, "{answer:?}");
        }
    }
}
