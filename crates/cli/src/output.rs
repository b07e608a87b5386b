//! Printing: aligned text tables for people, JSON for scripts.

use std::io::Write;

use jiff::{Timestamp, tz::TimeZone};
use serde::Serialize;

pub fn json<T: Serialize + ?Sized>(value: &T) -> anyhow::Result<()> {
    println!("{}", serde_json::to_string_pretty(value)?);
    Ok(())
}

/// Prints rows under headers, columns padded to their widest cell.
pub fn table(headers: &[&str], rows: &[Vec<String>]) -> std::io::Result<()> {
    let mut widths: Vec<usize> = headers.iter().map(|h| h.chars().count()).collect();
    for row in rows {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.chars().count());
        }
    }
    // One buffered writer: a line-buffered println! per row costs a syscall each.
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    let mut line = |cells: &mut dyn Iterator<Item = &str>| -> std::io::Result<()> {
        let mut text = String::new();
        for (cell, width) in cells.zip(&widths) {
            text.push_str(&format!("{cell:<width$}  "));
        }
        writeln!(out, "{}", text.trim_end())
    };
    line(&mut headers.iter().copied())?;
    for row in rows {
        line(&mut row.iter().map(String::as_str))?;
    }
    out.flush()
}

/// A timestamp in the local time zone, to the minute.
pub fn when(at: Timestamp) -> String {
    // Looked up once per process: listing 10,000 rows must not read the tz database 10,000 times.
    static LOCAL: std::sync::LazyLock<TimeZone> = std::sync::LazyLock::new(TimeZone::system);
    let local = LOCAL.to_datetime(at);
    format!(
        "{:04}-{:02}-{:02} {:02}:{:02}",
        local.year(),
        local.month(),
        local.day(),
        local.hour(),
        local.minute()
    )
}

pub fn mib(bytes: u64) -> String {
    format!("{:.1} MiB", bytes as f64 / (1024.0 * 1024.0))
}
