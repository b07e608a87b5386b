//! `keyhaven-e2e installed /usr/bin/keyhaven-app` (run by `make test-package`
//! once the .deb is installed): Start at login in the installed app. Settings
//! writes the desktop's autostart entry and unticking removes it; the entry
//! starts the app hidden in the tray, and a second start shows the window.

use std::{
    ffi::OsString,
    path::Path,
    process::{Command, Stdio},
};

use anyhow::{Context, Result, ensure};

use super::{KillOnDrop, PASSPHRASE, eventually, start_driver, step, webdriver::Session};

/// Not the full scenario's port: both may run on one machine.
const PORT: u16 = 4464;

pub fn run(app: &Path) -> Result<()> {
    let home = tempfile::tempdir()?;
    // The installed app's own defaults (vault, settings) under a fresh HOME.
    let env: Vec<(&str, OsString)> = vec![
        ("HOME", home.path().into()),
        ("XDG_CONFIG_HOME", home.path().join(".config").into()),
        ("XDG_DATA_HOME", home.path().join(".local/share").into()),
        ("KEYHAVEN_KDF", "8,1".into()),
        ("WEBKIT_DISABLE_DMABUF_RENDERER", "1".into()),
    ];
    let _driver = start_driver(PORT, &env)?;
    let s = Session::start(&format!("http://127.0.0.1:{PORT}"), &app.to_string_lossy(), &[])?;
    let exec = start_at_login(&s, home.path());
    s.end()?;
    let exec = exec?;

    step("installed: the autostart entry starts the app hidden; a second start shows the window");
    let (program, args) = exec.split_first().context("the entry's Exec line is empty")?;
    let start = |args: &[String]| {
        Command::new(program)
            .args(args)
            .envs(env.iter().map(|(key, value)| (key, value)))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .with_context(|| format!("starting {program}"))
    };
    let _first = KillOnDrop(start(args)?);
    ensure!(eventually(|| window(false)), "the app started from the entry made no window");
    std::thread::sleep(std::time::Duration::from_secs(2));
    ensure!(!window(true), "started at login, the app showed its window");
    let mut second = start(&[])?;
    ensure!(second.wait()?.success(), "the second start failed");
    ensure!(eventually(|| window(true)), "a second start did not show the window");
    println!("e2e: the installed app's Start at login works");
    Ok(())
}

/// Ticks Start at login, checks the entry, unticks it, checks it went, and
/// ticks it again: the entry's Exec line, split on spaces.
fn start_at_login(s: &Session, home: &Path) -> Result<Vec<String>> {
    step("installed: create a vault");
    s.input("Master passphrase")?.type_text(PASSPHRASE)?;
    s.input("Repeat it")?.type_text(PASSPHRASE)?;
    s.button("Create vault")?.click()?;
    s.wait_text("Your vault is empty")?;

    step(
        "installed: Settings → Start at login writes ~/.config/autostart/Keyhaven.desktop; unticked, it goes",
    );
    let entry = home.join(".config/autostart/Keyhaven.desktop");
    s.button("Settings")?.click()?;
    let toggle = |on: bool| -> Result<()> {
        s.find("//label[contains(normalize-space(.), 'Start at login')]//input")?.click()?;
        s.button("Save settings")?.click()?;
        ensure!(eventually(|| entry.exists() == on), "{} exists: {}", entry.display(), !on);
        Ok(())
    };
    toggle(true)?;
    let text = std::fs::read_to_string(&entry)?;
    let exec = text.lines().find_map(|line| line.strip_prefix("Exec=")).context("no Exec line")?;
    println!("e2e: {} says Exec={exec}", entry.display());
    let exec: Vec<String> = exec.split_whitespace().map(str::to_owned).collect();
    ensure!(exec == ["/usr/bin/keyhaven-app", "--autostart"], "the entry starts {exec:?}");
    toggle(false)?;
    toggle(true)?;
    Ok(exec)
}

/// Whether a window titled Keyhaven exists (`visible`: and is shown).
fn window(visible: bool) -> bool {
    let mut search = Command::new("xdotool");
    search.arg("search");
    if visible {
        search.arg("--onlyvisible");
    }
    search
        .args(["--name", "Keyhaven$"])
        .output()
        .is_ok_and(|out| out.status.success() && !out.stdout.is_empty())
}
