//! Exit codes, documented in docs/cli.md and `keyhaven --help`.

use std::process::ExitCode;

use keyhaven_core::ErrorKind;

pub const FAILURE: u8 = 1;
// 2 is clap's usage error.
pub const AUTH: u8 = 3;
pub const NOT_FOUND: u8 = 4;
pub const ALREADY_EXISTS: u8 = 5;
pub const INVALID_INPUT: u8 = 6;
pub const CORRUPT: u8 = 7;
pub const INCOMPATIBLE: u8 = 8;
pub const REMOTE: u8 = 9;
/// `sync` finished, but conflicts or failed operations remain.
pub const SYNC_INCOMPLETE: u8 = 10;
/// `run` could not start the command (as shells report it).
pub const CANNOT_RUN: u8 = 127;

pub const HELP: &str = "\
Exit codes:
  0    success
  1    other failure
  2    usage error
  3    vault locked or wrong passphrase
  4    not found (secret, version or vault)
  5    already exists
  6    invalid input (name, value, .env file, parameters)
  7    vault damaged, not a vault, or a value failed its integrity check
  8    vault written by a newer Keyhaven
  9    a remote could not be reached, or refused the token or the request
  10   sync left conflicts or failed operations (see `keyhaven conflicts`)
  run: the command's own exit code (128+N if killed by signal N; 127 if it could not start)";

/// The exit code for an error: the first core error in its chain decides.
pub fn code_for(err: &anyhow::Error) -> ExitCode {
    if let Some(failure) = err.downcast_ref::<Failure>() {
        return ExitCode::from(failure.0);
    }
    let kind = err
        .chain()
        .find_map(|cause| cause.downcast_ref::<keyhaven_core::Error>())
        .map(keyhaven_core::Error::kind);
    ExitCode::from(code_of_kind(kind))
}

/// The exit code of one core error.
pub fn code_of(err: &keyhaven_core::Error) -> u8 {
    code_of_kind(Some(err.kind()))
}

fn code_of_kind(kind: Option<ErrorKind>) -> u8 {
    match kind {
        Some(ErrorKind::Auth) => AUTH,
        Some(ErrorKind::NotFound) => NOT_FOUND,
        Some(ErrorKind::AlreadyExists) => ALREADY_EXISTS,
        Some(ErrorKind::InvalidInput) => INVALID_INPUT,
        Some(ErrorKind::Corrupt) => CORRUPT,
        Some(ErrorKind::Incompatible) => INCOMPATIBLE,
        Some(ErrorKind::Remote) => REMOTE,
        _ => FAILURE,
    }
}

/// An error of the CLI's own with an explicit exit code.
#[derive(Debug)]
pub struct Failure(pub u8, pub String);

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.1)
    }
}

impl std::error::Error for Failure {}

pub fn invalid(message: impl Into<String>) -> anyhow::Error {
    Failure(INVALID_INPUT, message.into()).into()
}

/// A reference on `line` of `file` that did not resolve: the core error's
/// exit code (4 for a missing name or version), with where it stands.
pub fn in_file(file: &str, line: usize, what: &str, err: keyhaven_core::Error) -> anyhow::Error {
    Failure(code_of(&err), format!("{file}, line {line}: {what}: {err}")).into()
}
