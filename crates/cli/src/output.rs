//! Printing: aligned text tables for people, JSON for scripts. This is the
//! only way text reaches the terminal (clippy's `print_stdout` and
//! `print_stderr` are denied elsewhere): every line goes through core's
//! `text::clean`, so a name or category written into the vault file, a file
//! name, a remote's words or an error quoting one of them cannot carry an
//! escape sequence, a fake line or a bidirectional override. JSON escapes
//! control characters itself; a value (`get`, `read`) is printed as stored.
#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::io::{IsTerminal, Write};

use keyhaven_core::text::clean;

/// A line on stdout, made printable.
macro_rules! say {
    ($($arg:tt)*) => { $crate::output::say_line(&format!($($arg)*)) };
}

/// A line on stderr, made printable.
macro_rules! note {
    ($($arg:tt)*) => { $crate::output::note_line(&format!($($arg)*)) };
}

pub(crate) use {note, say};

pub fn say_line(text: &str) {
    println!("{}", clean(text));
}

/// `--quiet`: stderr keeps errors and warnings only.
static QUIET: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

pub fn set_quiet(quiet: bool) {
    QUIET.store(quiet, std::sync::atomic::Ordering::Relaxed);
}

/// A line for a person on stderr: what was done, a hint. `--quiet` keeps only
/// the lines that are warnings.
pub fn note_line(text: &str) {
    if QUIET.load(std::sync::atomic::Ordering::Relaxed) && !text.starts_with("warning:") {
        return;
    }
    eprintln!("{}", clean(text));
}

/// An error on stderr, whatever `--quiet` says.
pub fn error_line(text: &str) {
    eprintln!("{}", clean(text));
}

/// A question on stderr, the answer typed after it on the same line.
pub fn ask(text: &str) {
    eprint!("{} ", clean(text));
}

use jiff::{Timestamp, tz::TimeZone};
use secrecy::{ExposeSecret, SecretString};
use serde::Serialize;

/// A value on stdout, as stored: a newline only for a person at a terminal,
/// so `$(keyhaven get X)` and pipes get the exact bytes.
pub fn value(value: &SecretString) -> std::io::Result<()> {
    let mut stdout = std::io::stdout().lock();
    stdout.write_all(value.expose_secret().as_bytes())?;
    if stdout.is_terminal() {
        stdout.write_all(b"\n")?;
    }
    stdout.flush()
}

/// `--json` for `get` and `read`: `{"name", "version", "value"}`. The value
/// is printed as stored, an empty one as `""` (it is the secret, not a field
/// left empty).
pub fn value_json(name: &str, version: u32, value: &SecretString) -> anyhow::Result<()> {
    let shown = serde_json::json!({ "name": name, "version": version, "value": value.expose_secret() });
    println!("{}", serde_json::to_string_pretty(&shown)?);
    Ok(())
}

/// `--json` output. A field left empty (a description, a category) is
/// `null`, never `""`, whatever command prints it (docs/cli.md).
pub fn json<T: Serialize + ?Sized>(value: &T) -> anyhow::Result<()> {
    let mut value = serde_json::to_value(value)?;
    empty_as_null(&mut value);
    println!("{}", serde_json::to_string_pretty(&value)?);
    Ok(())
}

fn empty_as_null(value: &mut serde_json::Value) {
    match value {
        serde_json::Value::String(text) if text.is_empty() => *value = serde_json::Value::Null,
        serde_json::Value::Array(items) => items.iter_mut().for_each(empty_as_null),
        serde_json::Value::Object(fields) => fields.values_mut().for_each(empty_as_null),
        _ => {}
    }
}

/// Prints rows under headers, columns padded to their widest cell.
pub fn table(headers: &[&str], rows: &[Vec<String>]) -> std::io::Result<()> {
    let mut widths: Vec<usize> = headers.iter().map(|h| h.chars().count()).collect();
    for row in rows {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(clean(cell).chars().count());
        }
    }
    // Written straight into one buffer: `ls` of 10,000 must stay in milliseconds.
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    let mut line = |cells: &mut dyn Iterator<Item = &str>| -> std::io::Result<()> {
        let mut pending = 0;
        for (cell, width) in cells.zip(&widths) {
            if !cell.is_empty() {
                out.write_all(&SPACES.as_bytes()[..pending.min(SPACES.len())])?;
                out.write_all(cell.as_bytes())?;
                pending = 0;
            }
            pending += width.saturating_sub(cell.chars().count()) + 2;
        }
        out.write_all(b"\n")
    };
    line(&mut headers.iter().copied())?;
    for row in rows {
        let cells: Vec<std::borrow::Cow<'_, str>> = row.iter().map(|cell| clean(cell)).collect();
        line(&mut cells.iter().map(|cell| cell.as_ref()))?;
    }
    out.flush()
}

const SPACES: &str = "                                                                                                                                ";

/// A timestamp in the local time zone, to the minute.
pub fn when(at: Timestamp) -> String {
    // The zone is looked up once per process, and rows stamped in the same
    // minute (an import) reuse the text.
    static LOCAL: std::sync::LazyLock<TimeZone> = std::sync::LazyLock::new(TimeZone::system);
    thread_local! {
        static LAST: std::cell::RefCell<(i64, String)> = const { std::cell::RefCell::new((i64::MIN, String::new())) };
    }
    let minute = at.as_second().div_euclid(60);
    LAST.with_borrow_mut(|(cached_minute, text)| {
        if *cached_minute != minute {
            let local = LOCAL.to_datetime(at);
            *text = format!(
                "{:04}-{:02}-{:02} {:02}:{:02}",
                local.year(),
                local.month(),
                local.day(),
                local.hour(),
                local.minute()
            );
            *cached_minute = minute;
        }
        text.clone()
    })
}

pub fn mib(bytes: u64) -> String {
    format!("{:.1} MiB", bytes as f64 / (1024.0 * 1024.0))
}
