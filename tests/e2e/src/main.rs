//! End-to-end: the real desktop app, started by tauri-driver under Xvfb, on a
//! fresh vault, with the emulator on 127.0.0.1. Creates the vault, adds
//! secrets, searches, reveals, copies (the clipboard holds the value, then is
//! cleared), rotates, reads the history, locks and unlocks, adds a remote,
//! syncs, resolves a conflict, changes a setting, opens Quick reveal, follows
//! keyhaven:// links into the intake form and submits it, drives the tray,
//! and saves a PNG of every main screen.
//!
//! Usage (see `make e2e`): keyhaven-e2e APP_BINARY SCREENSHOT_DIR
//! The installed package's part (`make test-package`): keyhaven-e2e installed APP_BINARY

#[path = "../../../crates/core/tests/common/emulator.rs"]
mod emulator;
mod installed;
mod webdriver;

use std::{
    ffi::OsString,
    net::TcpStream,
    os::unix::fs::DirBuilderExt as _,
    path::{Path, PathBuf},
    process::{Child, Command},
    time::{Duration, Instant},
};

use anyhow::{Context, Result, bail, ensure};
use emulator::Emulator;
use keyhaven_core::remote::Kind;
use serde_json::json;
use webdriver::Session;

const PASSPHRASE: &str = "correct horse battery";
const VALUE: &str = "sk-e2e-7f3a91c2d4b5";
const ROTATED: &str = "sk-e2e-rotated-88aa01";
const LOCAL_V3: &str = "sk-e2e-local-v3-5c6d";
const DB_VALUE: &str = "postgres-e2e-secret";
/// What secret-tool stores through the app as the keyring.
const KEYRING_VALUE: &str = "gh-e2e-keyring-token-5c1f";
/// DB_PASSWORD rotated in the app: pushed to prod without Sync.
const PUSHED: &str = "postgres-e2e-pushed-7c1d";
const AGENT_TOKEN: &str = "agent-e2e-typed-41c9e0";
/// The prod remote's first API key, revoked midway, and the key that replaces it.
const PROD_KEY: &str = "rt_live_e2e_prod_key_1";
const PROD_KEY_2: &str = "rt_live_e2e_prod_key_2";
const IMPORTED: &str = "sk_live_e2e_imported_9d2e";
const LEFT_OUT: &str = "ci-e2e-left-out-77b1";
const DUE_VALUE: &str = "old-e2e-due-3a7f10";
const PORT: u16 = 4444;
/// trayer as a small panel at the top right, sized to its icons.
const TRAYER: [&str; 10] = [
    "--edge",
    "top",
    "--align",
    "right",
    "--widthtype",
    "request",
    "--height",
    "32",
    "--transparent",
    "false",
];
/// Longer than any pause in the scenario (the clipboard's 20 s), short enough to wait for.
const AUTO_LOCK_SECONDS: u64 = 40;
/// The interval of background passes in the cold start's session.
const PASS_SECONDS: u64 = 4;

/// A helper process (tauri-driver, trayer), killed when dropped.
struct KillOnDrop(Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn main() -> Result<()> {
    let mut args = std::env::args_os().skip(1).peekable();
    if args.next_if(|arg| arg == "installed").is_some() {
        return installed::run(Path::new(&args.next().context("usage: keyhaven-e2e installed APP_BINARY")?));
    }
    let app = PathBuf::from(args.next().context("usage: keyhaven-e2e APP_BINARY SCREENSHOT_DIR")?);
    let shots = PathBuf::from(args.next().context("usage: keyhaven-e2e APP_BINARY SCREENSHOT_DIR")?);
    std::fs::create_dir_all(&shots)?;
    let app = app.canonicalize().with_context(|| format!("no app at {}", app.display()))?;
    let home = tempfile::tempdir()?;
    let vault = home.path().join("vault.sqlite");
    let runtime = home.path().join("run");
    std::fs::DirBuilder::new().mode(0o700).create(&runtime)?;
    let emulator = Emulator::start();

    // The app's environment, for the driver's launch and the second launch.
    let env: Vec<(&str, OsString)> = vec![
        ("KEYHAVEN_VAULT", vault.clone().into()),
        // Settings, window state, logs and the autostart entry (which goes to
        // $HOME/.config/autostart whatever XDG_CONFIG_HOME says) go to the
        // temp home, not the user's.
        ("HOME", home.path().into()),
        ("XDG_CONFIG_HOME", home.path().join("config").into()),
        ("XDG_DATA_HOME", home.path().join("data").into()),
        ("KEYHAVEN_KDF", "8,1".into()),
        // The SSH agent's socket goes to the temp home's runtime directory.
        ("XDG_RUNTIME_DIR", runtime.clone().into()),
        ("KEYHAVEN_AUTO_LOCK_SECONDS", AUTO_LOCK_SECONDS.to_string().into()),
        ("WEBKIT_DISABLE_DMABUF_RENDERER", "1".into()),
        // logind and NetworkManager cannot run here: the app's system bus is
        // the private session bus, where the test sends their signals.
        ("DBUS_SYSTEM_BUS_ADDRESS", std::env::var_os("DBUS_SESSION_BUS_ADDRESS").unwrap_or_default()),
    ];
    let first_driver = start_driver(PORT, &env)?;
    // A tray host, so the tray icon exists and its menu can be opened.
    let _tray_host = KillOnDrop(Command::new("trayer").args(TRAYER).spawn().context("starting trayer")?);
    let driver = format!("http://127.0.0.1:{PORT}");
    let session = Session::start(&driver, &app.to_string_lossy(), &[])?;
    let world =
        World { shots: &shots, vault: &vault, app: &app, env: &env, emulator: &emulator, home: home.path() };
    let result = scenario(&session, &world);
    if result.is_err() {
        let _ = screenshot(&shots.join("failure.png"));
    }
    session.end()?;
    result?;
    drop(first_driver);
    // From here on, background passes every few seconds (KEYHAVEN_SYNC_SECONDS).
    let mut env = env;
    env.push(("KEYHAVEN_SYNC_SECONDS", PASS_SECONDS.to_string().into()));
    let _driver = start_driver(PORT + 10, &env)?;
    let driver = format!("http://127.0.0.1:{}", PORT + 10);
    cold_start_with_a_link(&driver, &app, &shots, &emulator)?;
    println!("e2e: every step passed; screenshots in {}", shots.display());
    Ok(())
}

/// The app started by a link (a cold start, the vault locked): it shows what
/// the link asks for, here the secret kept by the intake.
fn cold_start_with_a_link(driver: &str, app: &Path, shots: &Path, emulator: &Emulator) -> Result<()> {
    step("a cold start with keyhaven://open?name=AGENT_TOKEN: the lock screen names it, unlocking shows it");
    // A notification daemon from here on (earlier its popups would cover the
    // tray), and a record of what is sent to it.
    let monitor_log = shots.join("notifications.log");
    let _monitor = KillOnDrop(
        Command::new("dbus-monitor")
            .args(["--session", "interface='org.freedesktop.Notifications',member='Notify'"])
            .stdout(std::fs::File::create(&monitor_log)?)
            .spawn()
            .context("starting dbus-monitor")?,
    );
    let _daemon = KillOnDrop(Command::new("dunst").spawn().context("starting dunst")?);
    std::thread::sleep(Duration::from_millis(500));
    let listed_before_unlock = emulator.requests(Kind::Runloop);
    let s = Session::start(driver, &app.to_string_lossy(), &["keyhaven://open?name=AGENT_TOKEN"])?;
    let shown = s
        .wait_text("Unlock to open AGENT_TOKEN.")
        .and_then(|()| s.input("Master passphrase")?.type_text(PASSPHRASE).map(drop))
        .and_then(|()| s.button("Unlock")?.click().map(drop))
        .and_then(|()| {
            s.find("//*[@role='option'][@aria-selected='true'][.//span[normalize-space()='AGENT_TOKEN']]")
        })
        .and_then(|_| s.find("//h2[normalize-space()='AGENT_TOKEN']"))
        .map(|_| ());
    let reminded = shown.and_then(|()| {
        step("on start, locked, one notification counts the keys due for rotation without naming them");
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            let sent = std::fs::read_to_string(&monitor_log)?;
            if sent.contains("due for rotation. Unlock Keyhaven to see which.") {
                ensure!(!sent.contains(DUE_VALUE), "a value in a notification");
                ensure!(!sent.contains("OLD_TOKEN"), "a name in a locked vault's notification: {sent}");
                return screenshot(&shots.join("17-reminder-notification.png"));
            }
            ensure!(Instant::now() < deadline, "no reminder notification; sent: {sent}");
            std::thread::sleep(Duration::from_millis(200));
        }
    });
    let reminded = reminded.and_then(|()| {
        step("a change on prod shows in the list within one background pass, without Sync");
        s.button("Secrets")?.click()?;
        s.input("Search secrets")?.replace("")?;
        // DB_PASSWORD is pinned: its name shows after a star.
        let marked = "//*[@role='option'][.//span[contains(normalize-space(), 'DB_PASSWORD')]]//span[normalize-space()='prod: changed remotely']";
        ensure!(s.find_within(marked, Duration::ZERO).is_err(), "DB_PASSWORD was marked before it changed");
        // The pass at unlock has listed prod and ended: the next one is the interval's.
        ensure!(eventually(|| emulator.requests(Kind::Runloop) > listed_before_unlock), "no pass at unlock");
        std::thread::sleep(Duration::from_secs(1));
        emulator.call(Kind::Runloop, "POST", "/v1/secrets/DB_PASSWORD", Some(json!({ "value": "changed-there" })));
        let changed = Instant::now();
        // One interval, the app's 2 s look at the clock, the pass, and slack for a loaded machine.
        s.find_within(marked, Duration::from_secs(PASS_SECONDS + 2 + 15))?;
        println!("e2e: the list marked DB_PASSWORD changed {:.1} s after the change on prod", changed.elapsed().as_secs_f32());

        step("prod's key is revoked: the next pass raises one notification, without the key");
        emulator.revoke_token(PROD_KEY_2);
        let deadline = Instant::now() + Duration::from_secs(15);
        let refused = "prod refused its API key: open Remotes to replace it.";
        loop {
            let sent = std::fs::read_to_string(&monitor_log)?;
            if sent.contains(refused) {
                ensure!(!sent.contains(PROD_KEY_2), "the key in a notification");
                break;
            }
            ensure!(Instant::now() < deadline, "no notification of the refused key; sent: {sent}");
            std::thread::sleep(Duration::from_millis(200));
        }
        // Pass after pass, the same refusal is not told again: passes.rs's
        // `a_new_conflict_or_a_newly_refused_key_is_told_once_not_every_pass`
        // (here the backoff holds the next pass for 30 s).
        Ok(())
    });
    if reminded.is_err() {
        let _ = screenshot(&shots.join("failure.png"));
    }
    s.end()?;
    reminded
}

/// A person at the keyboard, the way xdotool types into the focused window:
/// create the vault, add a secret, copy it, lock, unlock. WebDriver only
/// watches.
fn keyboard_only(s: &Session, shots: &Path, vault: &Path) -> Result<()> {
    step("keyboard only: create the vault (Tab, Enter)");
    let window = x_window("Keyhaven")?;
    xdotool(&["windowfocus", "--sync", &window])?;
    let typed = |text: &str| xdotool(&["type", "--delay", "15", text]);
    let keys = |keys: &[&str]| xdotool(&[&["key", "--delay", "60"][..], keys].concat());
    s.input("Master passphrase")?; // the page is up, the field focused
    typed(PASSPHRASE)?;
    keys(&["Tab"])?;
    typed(PASSPHRASE)?;
    screenshot(&shots.join("01-create-vault.png"))?;
    keys(&["Return"])?;
    s.wait_text("Your vault is empty")?;
    ensure!(vault.is_file(), "no vault file at {}", vault.display());
    screenshot(&shots.join("01b-first-run.png"))?;

    step("keyboard only: Ctrl+N, the fields in Tab order, Enter adds the secret");
    keys(&["ctrl+n"])?;
    s.find("//h2[normalize-space()='Add a secret']")?;
    typed("OPENAI_API_KEY")?;
    keys(&["Tab"])?;
    typed(VALUE)?;
    // Past Show, the generator's length and Generate, and Description.
    keys(&["Tab", "Tab", "Tab", "Tab", "Tab"])?;
    typed("provider")?;
    keys(&["Return"])?;
    s.find("//h2[normalize-space()='OPENAI_API_KEY']")?;

    step("keyboard only: Ctrl+Shift+C copies the secret shown; Ctrl+L locks and empties the clipboard");
    let mut clipboard = arboard::Clipboard::new().context("X11 clipboard")?;
    keys(&["ctrl+shift+c"])?;
    s.wait_text("Copied. The clipboard is cleared in")?;
    ensure!(clipboard.get_text().ok().as_deref() == Some(VALUE), "Ctrl+Shift+C did not copy the value");
    keys(&["ctrl+l"])?;
    s.find("//span[normalize-space()='Locked']")?;
    ensure!(clipboard.get_text().ok().as_deref() != Some(VALUE), "locking left the value on the clipboard");

    step("keyboard only: the unlock field has the focus; the passphrase and Enter unlock");
    s.find("//input[@aria-label='Master passphrase']")?;
    typed(PASSPHRASE)?;
    keys(&["Return"])?;
    s.find("//span[normalize-space()='Unlocked']")?;
    Ok(())
}

/// A secret whose rotate-by date has passed: the tray counts it (and its icon
/// gets a dot), and the count's entry opens the list filtered on it.
fn due_for_rotation(s: &Session, shots: &Path) -> Result<()> {
    step("a key due for rotation: the tray counts it and its icon changes; the entry lists it");
    s.button("Secrets")?.click()?;
    s.button("Add secret")?.click()?;
    s.input("Name")?.type_text("OLD_TOKEN")?;
    s.input("Value")?.type_text(DUE_VALUE)?;
    // WebKitGTK's date field takes no typed keys: set it as a date picker would.
    s.eval(
        "const field = [...document.querySelectorAll('label')].find((label) => \
           label.textContent.trim().startsWith('Rotate by')).querySelector('input'); \
         field.value = '2020-01-01'; field.dispatchEvent(new Event('input', { bubbles: true }));",
    )?;
    s.button("Add")?.click()?;
    s.find("//*[@role='option'][.//span[normalize-space()='OLD_TOKEN']]")?;
    let (x, y) = tray_icon()?;
    xdotool(&["mousemove", &x.to_string(), &y.to_string(), "click", "1"])?;
    screenshot(&shots.join("16-tray-due.png"))?;
    // The first item that can be chosen, under the lock state.
    xdotool(&["key", "Down", "Return"])?;
    s.find("//label[normalize-space()='Rotation due']/input[@type='checkbox']")?;
    ensure!(
        s.eval("return document.querySelector('label.inline input[type=checkbox]').checked ? 'yes' : 'no'")?
            == "yes",
        "the list is not filtered on the keys due"
    );
    s.wait_text("1 of ")?;
    s.find("//*[@role='option'][.//span[normalize-space()='OLD_TOKEN']]")?;
    s.find("//label[normalize-space()='Rotation due']/input")?.click()?;
    Ok(())
}

/// tauri-driver on `port`, passing `env` to the apps it starts; listening once this returns.
fn start_driver(port: u16, env: &[(&str, OsString)]) -> Result<KillOnDrop> {
    let driver = KillOnDrop(
        Command::new("tauri-driver")
            .args(["--port", &port.to_string(), "--native-port", &(port + 1).to_string()])
            .envs(env.iter().map(|(key, value)| (key, value)))
            .spawn()
            .context("starting tauri-driver (cargo install tauri-driver --locked)")?,
    );
    wait_for_port(port)?;
    Ok(driver)
}

fn wait_for_port(port: u16) -> Result<()> {
    let deadline = Instant::now() + Duration::from_secs(20);
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        ensure!(Instant::now() < deadline, "tauri-driver did not listen on {port}");
        std::thread::sleep(Duration::from_millis(100));
    }
    Ok(())
}

/// What a person would see: the whole X display, taken with ImageMagick's
/// `import` (WebKitWebDriver's own screenshot hangs on this app's main screen).
fn screenshot(path: &Path) -> Result<()> {
    std::thread::sleep(Duration::from_millis(300)); // let the last change paint
    let status =
        Command::new("import").args(["-window", "root"]).arg(path).status().context("running import")?;
    ensure!(status.success(), "import failed for {}", path.display());
    Ok(())
}

fn step(name: &str) {
    println!("e2e: {name}");
}

/// What the scenario works with.
struct World<'a> {
    shots: &'a Path,
    vault: &'a Path,
    app: &'a Path,
    env: &'a [(&'a str, OsString)],
    emulator: &'a Emulator,
    home: &'a Path,
}

fn scenario(s: &Session, w: &World) -> Result<()> {
    let (shots, vault, emulator) = (w.shots, w.vault, w.emulator);
    keyboard_only(s, shots, vault)?;

    step("add a second secret");
    add(s, "DB_PASSWORD", DB_VALUE, "database")?;
    s.wait_text("2 of 2")?;
    // The new secret is selected and shown, with a notice.
    s.wait_text("Added DB_PASSWORD.")?;
    s.find("//h2[normalize-space()='DB_PASSWORD']")?;
    screenshot(&shots.join("02-secrets.png"))?;

    step("search as you type");
    let search = s.input("Search secrets")?;
    search.type_text("open")?;
    s.wait_text("1 of 2")?;
    screenshot(&shots.join("03-search.png"))?;
    search.replace("")?;
    s.wait_text("2 of 2")?;

    step("reveal");
    s.find("//*[@role='option'][.//span[normalize-space()='OPENAI_API_KEY']]")?.click()?;
    s.find("//h2[normalize-space()='OPENAI_API_KEY']")?;
    ensure!(!s.page_text()?.contains(VALUE), "the value is on screen before Reveal");
    s.button("Reveal")?.click()?;
    s.wait_text(VALUE)?;
    screenshot(&shots.join("04-revealed.png"))?;
    s.button("Hide")?.click()?;

    step("copy: the clipboard holds the value, then is cleared");
    s.button("Copy")?.click()?;
    s.wait_text("Copied")?;
    let mut clipboard = arboard::Clipboard::new().context("X11 clipboard")?;
    ensure!(clipboard.get_text().ok().as_deref() == Some(VALUE), "the clipboard does not hold the value");
    let deadline = Instant::now() + Duration::from_secs(30);
    while clipboard.get_text().ok().as_deref() == Some(VALUE) {
        ensure!(Instant::now() < deadline, "the clipboard was not cleared within 30 s");
        std::thread::sleep(Duration::from_millis(250));
    }

    step("copy reference: keyhaven:NAME on the clipboard, as plain text");
    s.button("Copy reference")?.click()?;
    s.wait_text("Copied keyhaven:OPENAI_API_KEY")?;
    ensure!(
        clipboard.get_text().ok().as_deref() == Some("keyhaven:OPENAI_API_KEY"),
        "the clipboard does not hold the reference"
    );

    step("rotate and read the history");
    s.button("Rotate…")?.click()?;
    s.input("New value")?.type_text(ROTATED)?;
    s.button("Save new version")?.click()?;
    s.wait_text("Rotated")?;
    s.find("//ol[@class='history']//span[normalize-space()='v2']")?;
    screenshot(&shots.join("05-history.png"))?;

    step("lock: the lock screen, nothing of the vault behind it, the passphrase field focused");
    s.button("Lock")?.click()?;
    s.find("//section[@aria-label='Keyhaven is locked']")?;
    let text = s.page_text()?;
    ensure!(!text.contains("OPENAI_API_KEY") && !text.contains(ROTATED), "locked screen: {text}");
    let focused = s.active_label()?;
    ensure!(focused.as_deref() == Some("Master passphrase"), "focus after the lock: {focused:?}");
    screenshot(&shots.join("06-locked.png"))?;

    step("a wrong passphrase is refused; the right one unlocks");
    s.input("Master passphrase")?.type_text("wrong")?;
    s.button("Unlock")?.click()?;
    s.wait_text("wrong passphrase")?;
    let field = s.input("Master passphrase")?;
    field.replace(PASSPHRASE)?;
    s.button("Unlock")?.click()?;
    s.find("//span[normalize-space()='Unlocked']")?;

    s.button("Reveal")?.click()?;
    s.wait_text(ROTATED)?;
    if s.page_text()?.contains(VALUE) {
        bail!("the old value is shown after a rotation");
    }

    step("activity: the audit log names actions, never values");
    s.button("Activity")?.click()?;
    s.find("//td[normalize-space()='rotate']")?;
    let text = s.page_text()?;
    ensure!(!text.contains(VALUE) && !text.contains(ROTATED), "a value in the activity log");
    screenshot(&shots.join("07-activity.png"))?;

    remotes_and_sync(s, shots, emulator)?;
    settings(s, shots, w.home)?;
    ssh_agent(s, w)?;
    keyring(s, w)?;
    quick_reveal(s, w)?;
    intake(s, w)?;
    import(s, w)?;
    edit_passphrase_and_export(s, w)?;

    step("the screen locks: so does the vault");
    let signal = Command::new("dbus-send")
        .args(["--session", "--type=signal", "/org/freedesktop/ScreenSaver"])
        .args(["org.freedesktop.ScreenSaver.ActiveChanged", "boolean:true"])
        .status()
        .context("dbus-send")?;
    ensure!(signal.success(), "dbus-send failed");
    s.find("//span[normalize-space()='Locked']")?;
    // Meanwhile, OPENAI_API_KEY changes on prod's dashboard.
    w.emulator.call(
        Kind::Runloop,
        "POST",
        "/v1/secrets/OPENAI_API_KEY",
        Some(json!({ "value": "changed-while-locked-2" })),
    );
    s.input("Master passphrase")?.type_text(PASSPHRASE)?;
    s.button("Unlock")?.click()?;
    s.find("//span[normalize-space()='Unlocked']")?;

    step("unlocking looks at each remote at once: the list marks what changed there, without Sync");
    s.button("Secrets")?.click()?;
    s.input("Search secrets")?.replace("")?; // the open link searched for its secret
    s.find("//*[@role='option'][.//span[normalize-space()='OPENAI_API_KEY']]//span[normalize-space()='prod: changed remotely']")?;
    // The status bar says how the remotes stand (core's summary line).
    s.find("//footer[@aria-label='Sync status'][starts-with(normalize-space(), 'Synced just now')]")?;
    screenshot(&w.shots.join("15b-changed-remotely.png"))?;

    step("awake from sleep, and the network back: each remote is looked at at once");
    for (what, path, signal, arg) in [
        (
            "wake",
            "/org/freedesktop/login1",
            "org.freedesktop.login1.Manager.PrepareForSleep",
            "boolean:false",
        ),
        (
            "network",
            "/org/freedesktop/NetworkManager",
            "org.freedesktop.NetworkManager.StateChanged",
            "uint32:70",
        ),
    ] {
        let before = w.emulator.requests(Kind::Runloop);
        let sent = Command::new("dbus-send")
            .args(["--session", "--type=signal", path, signal, arg])
            .status()
            .context("dbus-send")?;
        ensure!(sent.success(), "dbus-send failed");
        ensure!(
            eventually(|| w.emulator.requests(Kind::Runloop) > before),
            "no pass at prod after the {what} signal"
        );
    }

    step("the tray: its menu shows the state, pinned and recent secrets; Lock now locks");
    s.find("//*[@role='option'][.//span[normalize-space()='DB_PASSWORD']]")?.click()?;
    s.button("☆ Pin")?.click()?;
    s.button("★ Pinned")?;
    let (x, y) = tray_icon()?;
    xdotool(&["mousemove", &x.to_string(), &y.to_string(), "click", "1"])?;
    screenshot(&shots.join("13-tray-menu.png"))?;
    // From the bottom: Quit, Open Keyhaven, Lock now.
    xdotool(&["key", "Up", "Up", "Up", "Return"])?;
    s.find("//span[normalize-space()='Locked']")?;
    s.input("Master passphrase")?.type_text(PASSPHRASE)?;
    s.button("Unlock")?.click()?;
    s.find("//span[normalize-space()='Unlocked']")?;

    due_for_rotation(s, shots)?;

    s.button("Secrets")?.click()?;
    s.find("//*[@role='option'][.//span[normalize-space()='OPENAI_API_KEY']]")?.click()?;
    s.button("Reveal")?.click()?;
    s.wait_text(LOCAL_V3)?;

    step("left alone, the vault locks itself and the value leaves the screen");
    let idle = Instant::now();
    s.find_within("//span[normalize-space()='Locked']", Duration::from_secs(AUTO_LOCK_SECONDS + 20))?;
    ensure!(idle.elapsed() >= Duration::from_secs(AUTO_LOCK_SECONDS - 5), "locked too early");
    ensure!(!s.page_text()?.contains(LOCAL_V3), "the value stayed on screen after the idle lock");
    screenshot(&shots.join("11-idle-locked.png"))?;

    step("no value or token in any file the app wrote (vault, settings, logs)");
    let planted = [
        VALUE,
        ROTATED,
        LOCAL_V3,
        DB_VALUE,
        PUSHED,
        AGENT_TOKEN,
        emulator::TOKEN,
        PROD_KEY,
        PROD_KEY_2,
        IMPORTED,
        LEFT_OUT,
        DUE_VALUE,
    ];
    let (files, hits) = scan(w.home, &planted)?;
    ensure!(hits.is_empty(), "plaintext found: {hits:?}");
    let logs = w.home.join("data/dev.keyhaven.app/logs");
    ensure!(logs.is_dir(), "no log dir at {}", logs.display());
    println!("e2e: scanned {files} files under the app's home: 0 values");
    Ok(())
}

/// Every file under `dir`, searched for each of `planted`: (files, hits).
fn scan(dir: &Path, planted: &[&str]) -> Result<(usize, Vec<String>)> {
    let (mut files, mut hits) = (0, Vec::new());
    let mut stack = vec![dir.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir)? {
            let path = entry?.path();
            if path.is_dir() {
                stack.push(path);
                continue;
            }
            files += 1;
            let bytes = std::fs::read(&path)?;
            for value in planted {
                if bytes.windows(value.len()).any(|window| window == value.as_bytes()) {
                    hits.push(format!("{} in {}", value.len(), path.display()));
                }
            }
        }
    }
    Ok((files, hits))
}

fn add(s: &Session, name: &str, value: &str, category: &str) -> Result<()> {
    s.button("Add secret")?.click()?;
    s.input("Name")?.type_text(name)?;
    s.input("Value")?.type_text(value)?;
    s.input("Category")?.type_text(category)?;
    s.button("Add")?.click()?;
    s.find(&format!("//*[@role='option'][.//span[normalize-space()='{name}']]"))?;
    Ok(())
}

/// Adds a remote of `kind` on the Remotes screen, with `token`.
fn add_remote(s: &Session, name: &str, kind: &str, url: &str, token: &str) -> Result<()> {
    s.button("Remotes")?.click()?;
    s.button("Add remote…")?.click()?;
    s.input("Remote name")?.type_text(name)?;
    s.find(&format!("//label[contains(normalize-space(.), 'Service')]//option[@value='{kind}']"))?.click()?;
    s.input("API URL")?.type_text(url)?;
    s.input("API token")?.type_text(token)?;
    s.button("Test and add")?.click()?;
    s.wait_text(&format!("Added {name}: reachable, token accepted"))?;
    // A new remote has nothing chosen; the chooser opens for it.
    s.wait_text(&format!("What syncs to {name}"))?;
    Ok(())
}

/// Adds the emulator's Runloop as a remote, syncs, makes a conflict (the
/// secret changed here and there) and keeps the local side.
fn remotes_and_sync(s: &Session, shots: &Path, emulator: &Emulator) -> Result<()> {
    step("add a remote and test it");
    emulator.add_token(PROD_KEY, json!({}));
    add_remote(s, "prod", "runloop", &emulator.url(Kind::Runloop), PROD_KEY)?;
    step("choose what syncs to it: the names show as the rules are typed; a tick in the checklist adds one");
    s.wait_text("Chosen 0 of 2")?;
    s.input("Include names or patterns")?.type_text("OPENAI_*")?;
    s.wait_text("Chosen 1 of 2: OPENAI_API_KEY")?;
    s.find("//ul[@aria-label='Secrets to choose']//label[.//code[normalize-space()='DB_PASSWORD']]//input")?
        .click()?;
    s.wait_text("Chosen 2 of 2: DB_PASSWORD, OPENAI_API_KEY")?;
    screenshot(&shots.join("08a-choose.png"))?;
    s.button("Save")?.click()?;
    s.wait_text("Saved what syncs to prod.")?;
    s.button("Test")?.click()?;
    s.wait_text("prod: reachable, token accepted; writes not refused")?;
    ensure!(!s.page_text()?.contains(PROD_KEY), "the token is shown back");
    screenshot(&shots.join("08-remotes.png"))?;

    step("sync: a first sync says what it sends, then both secrets go to the remote");
    s.button("Sync")?.click()?;
    s.button("Sync now")?.click()?;
    s.wait_text("First sync with prod: it sends 2 secret(s) there: DB_PASSWORD, OPENAI_API_KEY.")?;
    ensure!(remote_values(emulator).is_empty(), "sent before the user said yes");
    s.button("Go ahead")?.click()?;
    s.wait_text("2 new secret(s) sent.")?;
    let remote = remote_values(emulator);
    ensure!(
        remote.get("OPENAI_API_KEY").map(String::as_str) == Some(ROTATED),
        "remote after sync: {remote:?}"
    );

    step("a conflict: changed on the remote, then here");
    // The remote first: the app pushes its rotation at once, and finds the remote's change.
    emulator.call(
        Kind::Runloop,
        "POST",
        "/v1/secrets/OPENAI_API_KEY",
        Some(json!({ "value": "changed-on-the-remote-1" })),
    );
    s.button("Secrets")?.click()?;
    s.find("//*[@role='option'][.//span[normalize-space()='OPENAI_API_KEY']]")?.click()?;
    s.button("Rotate…")?.click()?;
    s.input("New value")?.type_text(LOCAL_V3)?;
    s.button("Save new version")?.click()?;
    s.wait_text("Rotated")?;
    s.button("Sync")?.click()?;
    s.button("Sync now")?.click()?;
    s.find("//td[normalize-space()='changed here and on the remote since the last sync']")?;
    screenshot(&shots.join("09-sync-conflict.png"))?;

    step("the list shows the conflict; keep the local side, after a yes");
    s.button("Secrets")?.click()?;
    // The badge names the remote it belongs to.
    s.find("//*[@role='option'][.//span[normalize-space()='prod: conflict']]")?;
    s.button("Sync")?.click()?;
    // Both sides in the row; Runloop cannot send values back, and the button says what keeping its side means.
    s.find("//td[starts-with(normalize-space(), 'v3, changed')]")?;
    s.button("Keep remote, mark this copy out of date")?;
    s.button("Keep local")?.click()?;
    s.wait_text("What prod holds now is replaced.")?;
    screenshot(&shots.join("09b-conflict-confirm.png"))?;
    s.button("Overwrite on prod")?.click()?;
    s.wait_text("kept the local side with prod")?;
    s.wait_text("No conflicts.")?;
    let remote = remote_values(emulator);
    ensure!(
        remote.get("OPENAI_API_KEY").map(String::as_str) == Some(LOCAL_V3),
        "remote after resolve: {remote:?}"
    );

    step("a rotation in the app reaches prod within seconds, without pressing Sync");
    s.button("Secrets")?.click()?;
    s.find("//*[@role='option'][.//span[normalize-space()='DB_PASSWORD']]")?.click()?;
    s.button("Rotate…")?.click()?;
    s.input("New value")?.type_text(PUSHED)?;
    s.button("Save new version")?.click()?;
    s.wait_text("Rotated")?;
    let saved = Instant::now();
    ensure!(
        eventually(|| remote_values(emulator).get("DB_PASSWORD").map(String::as_str) == Some(PUSHED)),
        "prod did not get the rotation within 10 s: {:?}",
        remote_values(emulator)
    );
    println!("e2e: prod held the new value {:.1} s after Save", saved.elapsed().as_secs_f32());
    s.button("Sync")?.click()?;

    step("the key is revoked: the sync names it; Replace key keeps the sync state");
    emulator.add_token(PROD_KEY_2, json!({}));
    emulator.revoke_token(PROD_KEY);
    s.button("Sync now")?.click()?;
    s.wait_text("Did not sync: prod refused its API key: it was revoked, has expired or was mistyped.")?;
    // The result's own Replace key… opens the form; the new key is tested before it is stored.
    s.button("Replace key…")?.click()?;
    s.input("New API token")?.type_text(PROD_KEY_2)?;
    s.button("Test and replace")?.click()?;
    s.wait_text("prod: new key stored (reachable, token accepted")?;
    screenshot(&shots.join("09b-replace-key.png"))?;
    ensure!(!s.page_text()?.contains(PROD_KEY_2), "the new token is shown back");
    s.button("Sync")?.click()?;
    s.button("Sync now")?.click()?;
    s.wait_text("Already in sync.")?;
    s.wait_text("No conflicts.")?;
    Ok(())
}

fn settings(s: &Session, shots: &Path, home: &Path) -> Result<()> {
    step("settings: shorter clipboard time and the dark theme, saved and applied");
    s.button("Settings")?.click()?;
    s.input("Clear the clipboard after (seconds)")?.replace("15")?;
    s.find("//label[contains(normalize-space(.), 'Theme')]//option[@value='dark']")?.click()?;
    s.button("Save settings")?.click()?;
    s.wait_text("Saved.")?;
    let theme = s.eval("return document.documentElement.dataset.theme ?? ''")?;
    ensure!(theme == "dark", "the dark theme is not applied: {theme}");
    screenshot(&shots.join("10-settings.png"))?;

    step("settings: start at login writes the desktop's autostart entry; unticked, it goes");
    let entry = home.join(".config/autostart/Keyhaven.desktop");
    s.find("//label[contains(normalize-space(.), 'Start at login')]//input")?.click()?;
    s.button("Save settings")?.click()?;
    ensure!(eventually(|| entry.exists()), "{} was not written", entry.display());
    let written = std::fs::read_to_string(&entry).with_context(|| format!("reading {}", entry.display()))?;
    ensure!(written.contains("--autostart"), "the entry does not start hidden: {written}");
    s.find("//label[contains(normalize-space(.), 'Start at login')]//input")?.click()?;
    s.button("Save settings")?.click()?;
    ensure!(eventually(|| !entry.exists()), "{} is still there", entry.display());
    Ok(())
}

/// The app's SSH agent, turned on in Settings: OpenSSH's own ssh-keygen signs
/// through it; the first signature asks in the window and "Always" holds for
/// the next process; while locked, a signature brings up the lock screen and
/// goes through once the user unlocks.
fn ssh_agent(s: &Session, w: &World) -> Result<()> {
    step("the SSH agent: on in Settings; a program's first signature asks in the window, 'Always' holds");
    let cli = std::env::current_exe()?.with_file_name("keyhaven");
    let work = w.home.join("ssh");
    std::fs::create_dir_all(&work)?;
    let public = Command::new(&cli)
        .args(["ssh", "generate", "E2E_KEY"])
        .env("KEYHAVEN_VAULT", w.vault)
        .env("KEYHAVEN_PASSPHRASE", PASSPHRASE)
        .output()?;
    ensure!(public.status.success(), "ssh generate: {}", String::from_utf8_lossy(&public.stderr));
    std::fs::write(work.join("key.pub"), &public.stdout)?;
    std::fs::write(work.join("message"), "signed in the e2e")?;
    s.button("Secrets")?.click()?;
    s.button("Settings")?.click()?;
    s.find("//label[contains(normalize-space(.), 'Serve SSH keys')]//input")?.click()?;
    let socket = w.home.join("run/keyhaven/ssh-agent.sock");
    s.wait_text(&format!("export SSH_AUTH_SOCK={}", socket.display()))?;
    let sign = || {
        let _ = std::fs::remove_file(work.join("message.sig"));
        Command::new("ssh-keygen")
            .args(["-Y", "sign", "-f", "key.pub", "-n", "file", "message"])
            .current_dir(&work)
            .env("SSH_AUTH_SOCK", &socket)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::piped())
            .spawn()
    };
    let first = sign()?;
    s.wait_text("Allow ssh-keygen to use the SSH key E2E_KEY?")?;
    screenshot(&w.shots.join("13-ssh-approval.png"))?;
    s.button("Always for this program")?.click()?;
    let out = first.wait_with_output()?;
    ensure!(out.status.success(), "the first signature: {}", String::from_utf8_lossy(&out.stderr));
    let out = sign()?.wait_with_output()?;
    ensure!(out.status.success(), "the second signature: {}", String::from_utf8_lossy(&out.stderr));
    ensure!(!s.page_text()?.contains("Allow ssh-keygen"), "asked again after 'Always'");

    step("the SSH agent, locked: a signature shows the lock screen and goes through once unlocked");
    let waiting = while_locked(s, sign)?;
    let out = waiting.wait_with_output()?;
    ensure!(out.status.success(), "the signature after unlock: {}", String::from_utf8_lossy(&out.stderr));
    s.button("Settings")?.click()?;
    s.wait_text("/usr/bin/ssh-keygen may use the SSH key E2E_KEY")?;
    s.find("//label[contains(normalize-space(.), 'Serve SSH keys')]//input")?.click()?;
    s.wait_text("The SSH agent stopped.")?;
    ensure!(!socket.exists(), "the socket outlived the agent");

    // No line of the private key in any file the app wrote (vault, WAL, settings, logs).
    let private = Command::new(&cli)
        .args(["get", "E2E_KEY"])
        .env("KEYHAVEN_VAULT", w.vault)
        .env("KEYHAVEN_PASSPHRASE", PASSPHRASE)
        .output()?;
    let private = String::from_utf8(private.stdout)?;
    let lines: Vec<&str> = private.lines().filter(|line| line.len() > 40).collect();
    ensure!(lines.len() >= 3, "the private key was not read back");
    let (files, hits) = scan(w.home, &lines)?;
    ensure!(hits.is_empty(), "a line of the SSH key's private part: {hits:?}");
    println!("e2e: scanned {files} files under the app's home: no line of the SSH key's private part");
    Ok(())
}

/// Locks the app, starts a client that needs the vault (`start`), then
/// unlocks through the lock screen it shows; the client, still running.
fn while_locked(
    s: &Session,
    start: impl FnOnce() -> std::io::Result<std::process::Child>,
) -> Result<std::process::Child> {
    s.button("Lock")?.click()?;
    s.find("//section[@aria-label='Keyhaven is locked']")?;
    let waiting = start()?;
    std::thread::sleep(Duration::from_millis(500));
    s.input("Master passphrase")?.type_text(PASSPHRASE)?;
    s.button("Unlock")?.click()?;
    Ok(waiting)
}

/// The app as the desktop's keyring, turned on in Settings: libsecret's
/// secret-tool stores and reads through it; the first read asks in the
/// window and "Always" holds; while locked, secret-tool's Unlock brings up
/// the lock screen and it reads once the user unlocks; turned off, the name
/// is given back.
fn keyring(s: &Session, w: &World) -> Result<()> {
    step("passwords for programs: on in Settings; secret-tool stores, its first read asks in the window");
    s.button("Settings")?.click()?;
    s.find("//label[contains(normalize-space(.), 'Serve passwords to programs')]//input")?.click()?;
    s.wait_text("Keyhaven is your keyring")?;
    let mut store = Command::new("secret-tool")
        .args(["store", "--label=E2E GitHub", "service", "gh", "username", "e2e"])
        .stdin(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()?;
    std::io::Write::write_all(
        &mut store.stdin.take().context("secret-tool's stdin")?,
        KEYRING_VALUE.as_bytes(),
    )?;
    let out = store.wait_with_output()?;
    ensure!(out.status.success(), "secret-tool store: {}", String::from_utf8_lossy(&out.stderr));
    let lookup = || {
        Command::new("secret-tool")
            .args(["lookup", "service", "gh"])
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
    };
    let read = |child: std::process::Child| -> Result<()> {
        let out = child.wait_with_output()?;
        let stderr = String::from_utf8_lossy(&out.stderr);
        ensure!(
            out.status.success() && out.stdout == KEYRING_VALUE.as_bytes(),
            "secret-tool lookup: {stderr}"
        );
        Ok(())
    };
    let first = lookup()?;
    s.wait_text("Allow secret-tool to read the item “E2E GitHub”?")?;
    screenshot(&w.shots.join("14-keyring-approval.png"))?;
    s.button("Always for this program")?.click()?;
    read(first)?;
    read(lookup()?)?;
    ensure!(!s.page_text()?.contains("Allow secret-tool"), "asked again after 'Always'");

    step(
        "passwords for programs, locked: secret-tool's unlock shows the lock screen; it reads once unlocked",
    );
    read(while_locked(s, lookup)?)?;

    step("Programs lists what secret-tool stored; off in Settings, the name is given back");
    s.button("Programs")?.click()?;
    s.wait_text("service=gh, username=e2e")?;
    screenshot(&w.shots.join("15-programs.png"))?;
    s.button("Settings")?.click()?;
    s.find("//label[contains(normalize-space(.), 'Serve passwords to programs')]//input")?.click()?;
    s.wait_text("Keyhaven is no longer your keyring")?;
    let owned = Command::new("dbus-send")
        .args(["--session", "--print-reply", "--dest=org.freedesktop.DBus", "/"])
        .args(["org.freedesktop.DBus.NameHasOwner", "string:org.freedesktop.secrets"])
        .output()?;
    ensure!(String::from_utf8_lossy(&owned.stdout).contains("false"), "the name is still owned");
    let (files, hits) = scan(w.home, &[KEYRING_VALUE])?;
    ensure!(hits.is_empty(), "secret-tool's value in a file: {hits:?}");
    println!("e2e: scanned {files} files under the app's home: not one holds the keyring's value");
    Ok(())
}

/// Whether `check` holds within 10 s.
fn eventually(check: impl Fn() -> bool) -> bool {
    for _ in 0..100 {
        if check() {
            return true;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    false
}

/// The emulator's Runloop secrets as name → value.
fn remote_values(emulator: &Emulator) -> std::collections::BTreeMap<String, String> {
    values(emulator, Kind::Runloop, "name")
}

fn values(emulator: &Emulator, kind: Kind, name: &str) -> std::collections::BTreeMap<String, String> {
    emulator
        .secrets(kind)
        .into_iter()
        .map(|secret| {
            let text = |key: &str| secret[key].as_str().unwrap_or_default().to_owned();
            (text(name), text("value"))
        })
        .collect()
}

/// keyhaven:// links: the scheme is registered with the desktop; a second
/// launch carrying an intake link brings up the form in the running app, where
/// one item is filled from the vault and one typed, and the emulator's Runtype
/// then has both; `gio open` with an open link reaches the app through the
/// registered handler.
fn intake(s: &Session, w: &World) -> Result<()> {
    step("keyhaven:// links are registered with the desktop");
    let handler = w.home.join("data/applications/keyhaven-app-handler.desktop");
    let text = std::fs::read_to_string(&handler).with_context(|| format!("no {}", handler.display()))?;
    ensure!(text.contains("x-scheme-handler/keyhaven"), "the handler does not claim keyhaven://: {text}");

    step("a Runtype remote whose intake form asks for two keys");
    let url = w.emulator.url(Kind::Runtype);
    w.emulator.declare_intake(json!({"manifests": [{
        "source": {"type": "manual", "key": "onboarding"},
        "title": "Connect your providers",
        "description": "Keys the agent needs.",
        "returnUrl": format!("{url}/done"),
        "items": [
            {"itemId": "openai", "secretKey": "OPENAI_API_KEY", "displayName": "OpenAI", "required": true,
             "docsUrl": "https://platform.openai.com/api-keys"},
            {"itemId": "agent", "secretKey": "AGENT_TOKEN", "displayName": "Agent token", "required": true,
             "placeholder": "at least 8 characters", "minLength": 8}
        ]
    }]}));
    add_remote(s, "rt", "runtype", &url, emulator::TOKEN)?;
    s.button("Cancel")?.click()?;
    s.button("Secrets")?.click()?;

    step("a second launch with a keyhaven://intake link brings up the form");
    second_launch(w, "keyhaven://intake?remote=rt&source=manual&key=onboarding")?;
    s.find("//h2[normalize-space()='Connect your providers']")?;
    s.wait_text("2 still to configure")?;

    step("one item from the vault, one typed; submitted");
    s.button("Use the vault's OPENAI_API_KEY")?.click()?;
    s.input("Value for AGENT_TOKEN")?.type_text(AGENT_TOKEN)?;
    screenshot(&w.shots.join("14-intake.png"))?;
    s.button("Submit 2 value(s)")?.click()?;
    s.wait_text("Submitted 2 value(s) to rt, and kept them in this vault.")?;
    s.wait_text("Everything is configured")?;
    s.button(&format!("Return to {}", url.trim_start_matches("http://")))?;
    ensure!(!s.page_text()?.contains(LOCAL_V3), "the vault's value came into the window");
    screenshot(&w.shots.join("15-intake-submitted.png"))?;
    let remote = values(w.emulator, Kind::Runtype, "key");
    ensure!(
        remote.get("OPENAI_API_KEY").map(String::as_str) == Some(LOCAL_V3)
            && remote.get("AGENT_TOKEN").map(String::as_str) == Some(AGENT_TOKEN),
        "the emulator's Runtype after the submit: {:?}",
        remote.keys().collect::<Vec<_>>()
    );
    let form = w.emulator.call(
        Kind::Runtype,
        "POST",
        "/v1/secrets/intake/manifest",
        Some(json!({"source": {"type": "manual", "key": "onboarding"}})),
    );
    let statuses: Vec<&str> =
        form["items"].as_array().into_iter().flatten().filter_map(|item| item["status"].as_str()).collect();
    ensure!(statuses == ["configured", "configured"], "the form's statuses: {statuses:?}");
    ensure!(form["pendingConfigurationCount"] == 0, "pending: {}", form["pendingConfigurationCount"]);

    step("gio open keyhaven://open?name=AGENT_TOKEN selects the kept secret");
    let opened = Command::new("gio")
        .args(["open", "keyhaven://open?name=AGENT_TOKEN"])
        .envs(w.env.iter().map(|(key, value)| (key, value)))
        .status()
        .context("gio open")?;
    ensure!(opened.success(), "gio open failed: {opened}");
    s.find("//*[@role='option'][@aria-selected='true'][.//span[normalize-space()='AGENT_TOKEN']]")?;
    Ok(())
}

/// The Import screen with the system's file chooser, driven as a person
/// would (GTK's chooser: Ctrl+L, the path, Enter): a Bitwarden export's plan
/// shows no value; one row renamed, one left out, the other imported.
fn import(s: &Session, w: &World) -> Result<()> {
    step("import a Bitwarden export through the file chooser: the plan, no value in it");
    // Outside the app's home, whose files are scanned for values at the end.
    let dir = tempfile::tempdir()?;
    let export = dir.path().join("bitwarden_export.json");
    let items = format!(
        r#"[{{"id":"1","type":1,"name":"Stripe","folderId":"f1","login":{{"username":"ops","password":"{IMPORTED}"}}}},
            {{"id":"2","type":1,"name":"Old CI","folderId":null,"login":{{"password":"{LEFT_OUT}"}}}}]"#
    );
    let json =
        format!(r#"{{"encrypted":false,"folders":[{{"id":"f1","name":"Payments"}}],"items":{items}}}"#);
    std::fs::write(&export, json)?;
    s.button("Secrets")?.click()?;
    s.button("Import…")?.click()?;
    s.button("Choose a file…")?.click()?;
    let chooser = x_window("Import into Keyhaven")?;
    xdotool(&["windowfocus", "--sync", &chooser])?;
    xdotool(&["key", "ctrl+l"])?;
    xdotool(&["type", "--delay", "20", &export.to_string_lossy()])?;
    xdotool(&["key", "Return"])?;
    s.find("//table[@aria-label='Import plan']")?;
    s.wait_text("2 secret(s)")?;
    let text = s.page_text()?;
    ensure!(!text.contains(IMPORTED) && !text.contains(LEFT_OUT), "a value in the import plan");
    s.input("Name for Stripe")?.replace("STRIPE_LIVE_KEY")?;
    s.find("//input[@aria-label='Import Old CI']")?.click()?;
    screenshot(&w.shots.join("14-import-plan.png"))?;
    s.button("Import 1 secret(s)")?.click()?;
    s.wait_text("Imported 1 new and 0 updated secret(s). Left out 1.")?;

    step("the imported secret holds the export's value; the one left out is not there");
    s.button("Back to secrets")?.click()?;
    s.input("Search secrets")?.replace("STRIPE_LIVE")?;
    s.find("//*[@role='option'][.//span[normalize-space()='STRIPE_LIVE_KEY']]")?.click()?;
    s.button("Reveal")?.click()?;
    s.wait_text(IMPORTED)?;
    s.button("Hide")?.click()?;
    s.input("Search secrets")?.replace("OLD_CI")?;
    s.wait_text("Nothing matches.")?;
    s.input("Search secrets")?.replace("")?;
    Ok(())
}

/// The secret imported last is renamed in the detail's Edit form; Settings
/// change the passphrase with a rekey (the new one unlocks, the old does
/// not), then back; Export writes a 0600 file through the save dialog.
fn edit_passphrase_and_export(s: &Session, w: &World) -> Result<()> {
    step("edit: a new name and category; the value and its history come along");
    s.input("Search secrets")?.replace("STRIPE_LIVE")?;
    s.find("//*[@role='option'][.//span[normalize-space()='STRIPE_LIVE_KEY']]")?.click()?;
    s.button("Edit…")?.click()?;
    s.input("Name")?.replace("STRIPE_KEY")?;
    s.input("Category")?.replace("payments")?;
    screenshot(&w.shots.join("15-edit.png"))?;
    s.button("Rename and save")?.click()?;
    s.wait_text("Renamed STRIPE_LIVE_KEY to STRIPE_KEY, with its history.")?;
    s.find("//h2[normalize-space()='STRIPE_KEY']")?;
    s.find("//dd[normalize-space()='payments']")?;
    s.button("Reveal")?.click()?;
    s.wait_text(IMPORTED)?;
    s.button("Hide")?.click()?;
    s.input("Search secrets")?.replace("")?;

    step("settings: change the passphrase and rekey; the new one unlocks, the old one no longer does");
    const NEW_PASSPHRASE: &str = "e2e four unrelated words";
    let change = |from: &str, to: &str, rekey: bool| -> Result<()> {
        s.button("Settings")?.click()?;
        s.input("Current passphrase")?.replace(from)?;
        s.input("New passphrase")?.replace(to)?;
        s.input("Repeat it")?.replace(to)?;
        if rekey {
            s.find("//label[contains(normalize-space(.), 'Also re-encrypt every value')]//input")?.click()?;
        }
        s.button("Change passphrase")?.click()?;
        s.wait_text("Passphrase changed")
    };
    change(PASSPHRASE, NEW_PASSPHRASE, true)?;
    s.wait_text("versions and every remote token were re-encrypted to a new key")?;
    s.button("Lock")?.click()?;
    s.input("Master passphrase")?.type_text(PASSPHRASE)?;
    s.button("Unlock")?.click()?;
    s.wait_text("wrong passphrase")?;
    s.input("Master passphrase")?.replace(NEW_PASSPHRASE)?;
    s.button("Unlock")?.click()?;
    s.find("//span[normalize-space()='Unlocked']")?;
    change(NEW_PASSPHRASE, PASSPHRASE, false)?;

    step("settings: export with values through the save dialog: a file only its owner can read");
    let dir = tempfile::tempdir()?;
    let out = dir.path().join("stripe.env");
    s.input("Only names matching")?.replace("STRIPE")?;
    s.find("//label[contains(normalize-space(.), 'Include the values')]//input")?.click()?;
    s.wait_text("The file will hold these values in plain text")?;
    s.button("Export with values…")?.click()?;
    let dialog = x_window("Export from Keyhaven")?;
    xdotool(&["windowfocus", "--sync", &dialog])?;
    xdotool(&["key", "ctrl+a"])?;
    xdotool(&["type", "--delay", "20", &out.to_string_lossy()])?;
    xdotool(&["key", "Return"])?;
    s.wait_text("Exported 1 secret(s), with their values")?;
    let mode = std::os::unix::fs::PermissionsExt::mode(&std::fs::metadata(&out)?.permissions()) & 0o777;
    ensure!(mode == 0o600, "the export is mode {mode:o}");
    let text = std::fs::read_to_string(&out)?;
    ensure!(
        text.lines().count() == 1 && text.starts_with("STRIPE_KEY=") && text.contains(IMPORTED),
        "the export holds something else"
    );
    s.button("Secrets")?.click()?;
    Ok(())
}

/// The X window titled `name`, once it is mapped.
fn x_window(name: &str) -> Result<String> {
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let found = Command::new("xdotool").args(["search", "--onlyvisible", "--name", name]).output()?;
        if let Some(window) = String::from_utf8_lossy(&found.stdout).lines().next() {
            return Ok(window.trim().to_owned());
        }
        ensure!(Instant::now() < deadline, "no window named {name:?} appeared");
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// A second launch with `--quick-reveal` hands over to the running app (single
/// instance), which opens Quick reveal; typing finds a secret, Enter copies it.
fn quick_reveal(s: &Session, w: &World) -> Result<()> {
    step("a second launch with --quick-reveal opens Quick reveal in the running app");
    let main = s.window()?;
    second_launch(w, "--quick-reveal")?;
    let quick = wait_for_window(s, &main)?;
    s.switch_to(&quick)?;
    let field = s.input("Find a secret")?;
    field.type_text("db pass")?;
    s.find("//li[@aria-selected='true']//span[normalize-space()='DB_PASSWORD']")?;
    screenshot(&w.shots.join("12-quick-reveal.png"))?;

    step("Enter copies the match and closes Quick reveal");
    field.type_text("\u{E007}")?;
    let mut clipboard = arboard::Clipboard::new().context("X11 clipboard")?;
    let deadline = Instant::now() + Duration::from_secs(10);
    // DB_PASSWORD as rotated (and pushed) in the sync steps.
    while clipboard.get_text().ok().as_deref() != Some(PUSHED) {
        ensure!(Instant::now() < deadline, "Enter in Quick reveal did not copy DB_PASSWORD");
        std::thread::sleep(Duration::from_millis(200));
    }
    let deadline = Instant::now() + Duration::from_secs(10);
    while s.windows()?.contains(&quick) {
        ensure!(Instant::now() < deadline, "Quick reveal stayed open after the copy");
        std::thread::sleep(Duration::from_millis(200));
    }
    s.switch_to(&main)?;

    step("the global shortcut (Ctrl+Shift+K) opens Quick reveal; Esc closes it");
    xdotool(&["key", "ctrl+shift+k"])?;
    let quick = wait_for_window(s, &main)?;
    s.switch_to(&quick)?;
    // Escape: the window closes under the command, which may then report "no such window".
    let _ = s.input("Find a secret")?.type_text("\u{E00C}");
    let deadline = Instant::now() + Duration::from_secs(10);
    while s.windows()?.contains(&quick) {
        ensure!(Instant::now() < deadline, "Esc did not close Quick reveal");
        std::thread::sleep(Duration::from_millis(200));
    }
    s.switch_to(&main)?;
    Ok(())
}

/// Launches the app again with `arg`: it must hand over to the running one
/// (single instance) and exit.
fn second_launch(w: &World, arg: &str) -> Result<()> {
    let started = Instant::now();
    let second = Command::new(w.app)
        .arg(arg)
        .envs(w.env.iter().map(|(key, value)| (key, value)))
        .status()
        .context("second launch")?;
    ensure!(second.success(), "the second launch failed: {second}");
    ensure!(started.elapsed() < Duration::from_secs(10), "the second launch did not hand over and exit");
    Ok(())
}

/// The handle of a window other than `main`, once one appears.
fn wait_for_window(s: &Session, main: &str) -> Result<String> {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        if let Some(handle) = s.windows()?.into_iter().find(|handle| handle != main) {
            return Ok(handle);
        }
        ensure!(Instant::now() < deadline, "no Quick reveal window appeared");
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// The middle of trayer's visible panel, where the app's one icon is.
fn tray_icon() -> Result<(i64, i64)> {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let found =
            Command::new("xdotool").args(["search", "--onlyvisible", "--class", "trayer"]).output()?;
        if let Some(window) = String::from_utf8_lossy(&found.stdout).lines().last() {
            let geometry =
                Command::new("xdotool").args(["getwindowgeometry", "--shell", window.trim()]).output()?;
            let text = String::from_utf8_lossy(&geometry.stdout);
            let field = |key: &str| {
                text.lines().find_map(|line| line.strip_prefix(key)?.strip_prefix('=')?.parse::<i64>().ok())
            };
            if let (Some(x), Some(y), Some(w), Some(h)) =
                (field("X"), field("Y"), field("WIDTH"), field("HEIGHT"))
                && w > 16
            {
                return Ok((x + w / 2, y + h / 2));
            }
        }
        ensure!(Instant::now() < deadline, "no tray icon in trayer");
        std::thread::sleep(Duration::from_millis(200));
    }
}

fn xdotool(args: &[&str]) -> Result<()> {
    let status = Command::new("xdotool").args(args).status().context("running xdotool")?;
    ensure!(status.success(), "xdotool {args:?} failed");
    std::thread::sleep(Duration::from_millis(500)); // let the menu open or act
    Ok(())
}
