//! A pseudo-terminal for `run`'s child when Keyhaven's own output is a
//! terminal: the child sees a terminal (so it keeps its colours, progress bars
//! and column widths) while every byte it writes still passes the masker.
//! The pty is set up like ours (window size) with output post-processing off,
//! so the bytes reach our terminal exactly as the child wrote them.

use std::{fs::File, io, os::fd::AsFd};

use rustix::{
    fs::{Mode, OFlags},
    pty::{self, OpenptFlags},
    termios::{self, OptionalActions, OutputModes},
};

pub struct Pty {
    /// Our end: what the child writes is read here.
    pub master: File,
    /// The child's end, for its stdout (and stderr).
    pub slave: File,
}

/// A new pty the size of `like` (our terminal).
pub fn open_like(like: impl AsFd) -> io::Result<Pty> {
    let master = pty::openpt(OpenptFlags::RDWR | OpenptFlags::NOCTTY | OpenptFlags::CLOEXEC)?;
    pty::grantpt(&master)?;
    pty::unlockpt(&master)?;
    let name = pty::ptsname(&master, Vec::new())?;
    let slave =
        rustix::fs::open(name.as_c_str(), OFlags::RDWR | OFlags::NOCTTY | OFlags::CLOEXEC, Mode::empty())?;
    if let Ok(size) = termios::tcgetwinsize(&like) {
        termios::tcsetwinsize(&slave, size)?;
    }
    // Raw output: no "\n" → "\r\n" here, our own terminal does that once.
    let mut attributes = termios::tcgetattr(&slave)?;
    attributes.output_modes.remove(OutputModes::OPOST);
    termios::tcsetattr(&slave, OptionalActions::Now, &attributes)?;
    Ok(Pty { master: File::from(master), slave: File::from(slave) })
}
