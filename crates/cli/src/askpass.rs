//! The CLI host's way to put a question to the user: the askpass program
//! OpenSSH uses (`$SSH_ASKPASS`, such as ssh-askpass-gnome). It is run with
//! the question as its argument and prints the answer: `once`, `lock` (until
//! the host stops) or `always`; anything else, a failure, or no answer
//! within [`ANSWER_WITHIN`] denies.

use std::{
    io::Read as _,
    path::PathBuf,
    process::{Command, Stdio},
    time::Instant,
};

use keyhaven_core::approval::{ANSWER_WITHIN, Decision, Prompt, Question};

pub struct Askpass {
    pub program: PathBuf,
}

impl Prompt for Askpass {
    fn ask(&self, question: &Question<'_>) -> Decision {
        let text = format!(
            "{}\nType once, lock (until the agent stops) or always to allow; anything else denies.",
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

impl Askpass {
    /// The program's answer: its first line, read once it exits in time.
    fn run(&self, text: &str) -> std::io::Result<String> {
        let mut child = Command::new(&self.program)
            .arg(text)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()?;
        let deadline = Instant::now() + ANSWER_WITHIN;
        let status = loop {
            if let Some(status) = child.try_wait()? {
                break status;
            }
            if Instant::now() > deadline {
                let _ = child.kill();
                let _ = child.wait();
                return Err(std::io::Error::other(format!("no answer within {} s", ANSWER_WITHIN.as_secs())));
            }
            std::thread::sleep(std::time::Duration::from_millis(50));
        };
        let mut answer = String::new();
        // An answer is a word; what is past 64 bytes is not read.
        let stdout = child.stdout.take().expect("piped");
        let _ = stdout.take(64).read_to_string(&mut answer);
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
