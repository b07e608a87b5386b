//! Keyhaven's desktop app: a Tauri 2 shell. Every command is a thin call into
//! keyhaven-core (commands/); the session (session.rs) holds the one open
//! vault; values reach the webview only when the user reveals one, and copies
//! go to the clipboard from Rust (clipboard.rs), which clears them again. The
//! tray (tray.rs) and the idle timer (autolock.rs) can lock it from outside;
//! Quick reveal (quick.rs) is a second, smaller window; `keyhaven://` links
//! arrive through links.rs; a change made in the window is pushed to the
//! remotes by pusher.rs.

// No console window on Windows release builds.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

mod allocator;
mod asking;
mod autolock;
mod browser;
mod clipboard;
mod commands;
#[cfg(target_os = "linux")]
mod desktop_signals;
mod engine;
mod error;
mod gates;
mod links;
mod notify;
mod passes;
mod pusher;
mod quick;
mod reminders;
mod secret_service;
mod session;
mod settings;
mod ssh_agent;
mod tray;
mod tray_icon;

use std::{
    collections::VecDeque,
    sync::{Mutex, MutexGuard},
    time::{Duration, Instant},
};

use keyhaven_core::{SecretName, Vault};
use tauri::Manager;

/// Everything the commands, the tray and the idle timer share.
pub struct AppState {
    session: Mutex<session::Session>,
    pub clipboard: clipboard::Clipboard,
    recent: Mutex<VecDeque<SecretName>>,
    last_activity: Mutex<Instant>,
    /// Shared by the syncs under way; locking sets it, and the next sync gets a new one.
    syncs: Mutex<keyhaven_core::sync::Cancel>,
    /// The main list's search index, kept until the vault changes.
    listing: Mutex<keyhaven_core::listing::Cache>,
    /// A file chosen for import, with its plan (values included) once read.
    import: Mutex<Option<commands::import::Pending>>,
    /// One sync at a time per remote.
    pub gates: gates::Gates,
    /// The SSH agent, when Settings turn it on.
    pub ssh_agent: ssh_agent::Service,
    pub secret_service: secret_service::Service,
    /// The window's questions for both services.
    pub questions: asking::Questions,
}

/// A mutex's guard, a poisoned one too (a panicked holder leaves plain data).
pub(crate) fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl AppState {
    pub fn new(path: std::path::PathBuf) -> Self {
        AppState {
            session: Mutex::new(session::Session::new(path)),
            clipboard: Default::default(),
            recent: Default::default(),
            last_activity: Mutex::new(Instant::now()),
            syncs: Default::default(),
            listing: Default::default(),
            import: Default::default(),
            gates: Default::default(),
            ssh_agent: Default::default(),
            secret_service: Default::default(),
            questions: Default::default(),
        }
    }

    pub fn session(&self) -> MutexGuard<'_, session::Session> {
        lock(&self.session)
    }

    /// Locks now, whatever else is going on: syncs stop sending (they run on
    /// their own handle, never holding the session), and the clipboard is
    /// cleared if it still holds our copy. Every way of locking comes here.
    pub fn lock_vault(&self) {
        lock(&self.syncs).cancel();
        self.session().lock();
        self.clipboard.clear_if_ours();
        // A plan read from an export holds its values.
        lock(&self.import).take();
        self.ssh_agent.locked();
        self.secret_service.locked();
    }

    pub fn import(&self) -> MutexGuard<'_, Option<commands::import::Pending>> {
        lock(&self.import)
    }

    /// Taken after the session when both are held.
    pub fn listing(&self) -> MutexGuard<'_, keyhaven_core::listing::Cache> {
        lock(&self.listing)
    }

    /// The flag a sync starting now checks; `lock_vault` sets it.
    pub fn sync_cancel(&self) -> keyhaven_core::sync::Cancel {
        let mut current = lock(&self.syncs);
        if current.is_cancelled() {
            *current = Default::default();
        }
        current.clone()
    }

    /// The user did something: the idle timer starts again.
    pub fn touch(&self) {
        *lock(&self.last_activity) = Instant::now();
    }

    pub fn idle(&self) -> Duration {
        lock(&self.last_activity).elapsed()
    }

    /// Newest first.
    pub fn recent(&self) -> Vec<SecretName> {
        lock(&self.recent).iter().cloned().collect()
    }

    /// Remembers a secret the user revealed or copied, for the tray.
    pub fn used(&self, name: &SecretName) {
        let mut recent = lock(&self.recent);
        recent.retain(|other| other != name);
        recent.push_front(name.clone());
        recent.truncate(tray::RECENT);
    }
}

/// Logs go through tauri-plugin-log to stderr and the app's log dir
/// (`~/.local/share/dev.keyhaven.app/logs/`); core's `tracing` events reach it
/// as `log` records. Nothing logged ever carries a value. RUST_LOG=LEVEL
/// (error … trace) sets the level, info by default.
fn log_plugin() -> tauri::plugin::TauriPlugin<tauri::Wry> {
    use tauri_plugin_log::{Target, TargetKind};
    let level = std::env::var("RUST_LOG").ok().and_then(|text| text.parse().ok());
    tauri_plugin_log::Builder::new()
        .clear_targets()
        .targets([
            Target::new(TargetKind::Stderr),
            Target::new(TargetKind::LogDir { file_name: Some("keyhaven".into()) }),
        ])
        .level(level.unwrap_or(log::LevelFilter::Info))
        // Chatty dependencies only when asked for.
        .level_for("tao", log::LevelFilter::Warn)
        .level_for("reqwest", log::LevelFilter::Warn)
        .level_for("hyper_util", log::LevelFilter::Warn)
        .level_for("zbus", log::LevelFilter::Warn)
        .level_for("tracing::span", log::LevelFilter::Warn)
        .build()
}

fn main() -> anyhow::Result<()> {
    allocator::configure();
    engine::configure();
    if std::env::args().skip(1).any(|arg| arg == "--version" || arg == "-V") {
        println!("keyhaven-app {} (commit {})", env!("CARGO_PKG_VERSION"), env!("KEYHAVEN_COMMIT"));
        return Ok(());
    }
    let path = match std::env::var_os("KEYHAVEN_VAULT") {
        Some(path) => path.into(),
        None => {
            Vault::default_path().ok_or_else(|| anyhow::anyhow!("no home directory: set KEYHAVEN_VAULT"))?
        }
    };
    // Tests shorten the idle time below the settings' one-minute floor.
    let auto_lock = std::env::var("KEYHAVEN_AUTO_LOCK_SECONDS")
        .ok()
        .and_then(|text| text.parse().ok())
        .map(Duration::from_secs);
    // Tests: background passes every N seconds, whatever the settings say.
    let pass_every = std::env::var("KEYHAVEN_SYNC_SECONDS")
        .ok()
        .and_then(|text| text.parse::<u64>().ok())
        .map(Duration::from_secs);
    let state = AppState::new(path);
    let args: Vec<String> = std::env::args().collect();
    let started_for_quick_reveal = quick::wanted(&args);
    // Started with the session (Settings, Start at login): the tray only, no window.
    let started_at_login = args.iter().any(|arg| arg == "--autostart");
    // Started by D-Bus activation for a program's lookup: the tray only, serving.
    let started_as_keyring = secret_service::wanted(&args);
    tauri::Builder::default()
        // First, so a second launch hands over before anything else starts
        // (and shows the window, even one started hidden at login).
        // A link in `args` reaches links.rs through the deep-link plugin.
        .plugin(tauri_plugin_single_instance::init(|app, args, _cwd| {
            if secret_service::wanted(&args) {
                // The second start waits for this answer before it exits.
                secret_service::serve_when_asked(app);
            } else if quick::wanted(&args) {
                quick::open(app);
            } else if !args.iter().any(|arg| links::is_link(arg)) {
                tray::show_main(app);
            }
        }))
        .plugin(tauri_plugin_deep_link::init())
        .plugin(log_plugin())
        .plugin(tauri_plugin_window_state::Builder::default().with_denylist(&[quick::LABEL]).build())
        .plugin(tauri_plugin_global_shortcut::Builder::new().build())
        .plugin(tauri_plugin_notification::init())
        // The Import screen's file chooser, opened from Rust only: no window
        // may call it, and the path chosen never comes from the window.
        .plugin(tauri_plugin_dialog::init())
        // Start at login: an autostart entry that starts the app with `--autostart`.
        .plugin(tauri_plugin_autostart::Builder::new().args(["--autostart"]).build())
        .manage(state)
        .manage(links::Pending::default())
        .manage(quick::Registered::default())
        .manage(pusher::Pusher::default())
        .manage(passes::Passes::new(pass_every))
        .setup(move |app| {
            let config = app.path().app_config_dir()?;
            let settings = settings::Store::load(config.join("settings.json"));
            let saved = settings.get();
            app.manage(settings);
            if let Err(err) = quick::set_shortcut(app.handle(), &saved.quick_reveal_shortcut) {
                tracing::warn!("Quick reveal has no global shortcut: {err}");
            }
            if saved.ssh_agent
                && let Err(err) = app.state::<AppState>().ssh_agent.start(app.handle())
            {
                tracing::warn!("the SSH agent is not served: {err}");
            }
            if started_as_keyring {
                secret_service::serve_when_asked(app.handle());
            } else if saved.secret_service
                && let Err(err) = app.state::<AppState>().secret_service.start(app.handle())
            {
                tracing::warn!("the Secret Service is not served: {err}");
            }
            tray::create(app.handle())?;
            autolock::spawn(app.handle().clone(), auto_lock);
            #[cfg(target_os = "linux")]
            desktop_signals::spawn(app.handle());
            reminders::spawn(app.handle().clone());
            passes::spawn(app.handle().clone());
            if (started_at_login || started_as_keyring)
                && let Some(window) = app.get_webview_window("main")
            {
                let _ = window.hide();
            }
            links::setup(app);
            if started_for_quick_reveal {
                quick::open(app.handle());
            }
            Ok(())
        })
        // Every `#[tauri::command]` in src/commands/, listed by build.rs.
        .invoke_handler(include!(concat!(env!("OUT_DIR"), "/handler.rs")))
        .build(tauri::generate_context!())?
        .run(|app, event| {
            // Quitting (tray Quit, the window's close with no tray, a signal
            // Tauri handles) leaves no value of ours on the clipboard.
            if let tauri::RunEvent::Exit = event {
                app.state::<AppState>().clipboard.clear_if_ours();
                app.state::<AppState>().ssh_agent.stop();
                app.state::<AppState>().secret_service.stop();
            }
        });
    Ok(())
}
