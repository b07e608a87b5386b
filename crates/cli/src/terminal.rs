//! A pseudo-terminal for `run`'s child when Keyhaven's own output is a
//! terminal: the child sees a terminal (so it keeps its colours, progress bars
//! and column widths) while every byte it writes still passes the masker.
//! The pty is the child's controlling terminal, so what it writes to
//! `/dev/tty` (a prompt, a progress line) is masked too; it is set up like
//! ours (window size). When our input is a terminal too, the child reads its
//! keyboard through the pty: ours is put in raw mode meanwhile (restored when
//! the child is done, as `script` does) and keys are passed on, and the pty
//! keeps our terminal's settings, output processing included. Otherwise its
//! output processing is off, so the bytes reach our terminal exactly as the
//! child wrote them.

use std::{
    fs::File,
    io,
    os::{fd::AsFd, unix::process::CommandExt},
    process::Command,
};

use rustix::{
    fs::{Mode, OFlags},
    pty::{self, OpenptFlags},
    termios::{self, OptionalActions, OutputModes, Termios},
};

pub struct Pty {
    /// Our end: what the child writes is read here, what we type written here.
    pub master: File,
    /// The child's end, for its stdout (and stderr, and stdin).
    pub slave: File,
}

/// A new pty the size of `like` (our terminal); with `keyboard` (our input's
/// settings, when our input is a terminal) it takes those settings.
pub fn open_like(like: impl AsFd, keyboard: Option<&Termios>) -> io::Result<Pty> {
    let master = pty::openpt(OpenptFlags::RDWR | OpenptFlags::NOCTTY | OpenptFlags::CLOEXEC)?;
    pty::grantpt(&master)?;
    pty::unlockpt(&master)?;
    let name = pty::ptsname(&master, Vec::new())?;
    let slave =
        rustix::fs::open(name.as_c_str(), OFlags::RDWR | OFlags::NOCTTY | OFlags::CLOEXEC, Mode::empty())?;
    if let Ok(size) = termios::tcgetwinsize(&like) {
        termios::tcsetwinsize(&slave, size)?;
    }
    match keyboard {
        // Ours goes raw: the pty does what our terminal did ("\n" to "\r\n", echo, ^C).
        Some(settings) => termios::tcsetattr(&slave, OptionalActions::Now, settings)?,
        // Raw output: no "\n" → "\r\n" here, our own terminal does that once.
        None => {
            let mut attributes = termios::tcgetattr(&slave)?;
            attributes.output_modes.remove(OutputModes::OPOST);
            termios::tcsetattr(&slave, OptionalActions::Now, &attributes)?;
        }
    }
    Ok(Pty { master: File::from(master), slave: File::from(slave) })
}

/// Makes the pty the controlling terminal of the child `command` starts: a
/// session of its own (setsid) whose terminal is its stdout (TIOCSCTTY).
pub fn control_with_stdout(command: &mut Command) {
    #[allow(unsafe_code)]
    // SAFETY: the closure runs in the child between fork and exec, where only
    // async-signal-safe calls are allowed: it makes two system calls (setsid,
    // ioctl TIOCSCTTY on fd 1), allocates nothing and takes no lock.
    unsafe {
        command.pre_exec(|| {
            rustix::process::setsid()?;
            rustix::process::ioctl_tiocsctty(rustix::stdio::stdout())?;
            Ok(())
        });
    }
}

/// Our input terminal in raw mode until dropped.
pub struct RawMode {
    saved: Termios,
}

impl RawMode {
    /// The settings of our input, if it is a terminal.
    pub fn settings() -> Option<Termios> {
        termios::tcgetattr(rustix::stdio::stdin()).ok()
    }

    pub fn enter(saved: Termios) -> io::Result<Self> {
        let mut raw = saved.clone();
        raw.make_raw();
        termios::tcsetattr(rustix::stdio::stdin(), OptionalActions::Now, &raw)?;
        Ok(RawMode { saved })
    }
}

impl Drop for RawMode {
    fn drop(&mut self) {
        let _ = termios::tcsetattr(rustix::stdio::stdin(), OptionalActions::Now, &self.saved);
    }
}
