//! The system tray: the lock state, recently used secrets for one-click copy
//! (cleared from the clipboard like any copy), Lock now, Open Keyhaven and
//! Quit. Everything is in the menu: Linux does not deliver tray clicks
//! reliably. On Linux a tray's menu cannot be replaced, so its items are.

use keyhaven_core::{SecretName, vault::Access};
use tauri::{
    AppHandle, Emitter, Manager,
    menu::{Menu, MenuEvent, MenuItem, PredefinedMenuItem},
    tray::TrayIconBuilder,
};

use crate::AppState;

const ID: &str = "main";
/// Tells the UI to re-read the vault's state (locked from the tray or by idling).
pub const VAULT_CHANGED: &str = "vault-changed";
/// How many recently used secrets the menu offers.
pub const RECENT: usize = 5;

/// The tray's menu, kept to change its items.
pub struct TrayMenu(Menu<tauri::Wry>);

pub fn create(app: &AppHandle) -> tauri::Result<()> {
    let menu = Menu::new(app)?;
    let mut builder = TrayIconBuilder::with_id(ID).menu(&menu).tooltip("Keyhaven").on_menu_event(on_menu);
    if let Some(icon) = app.default_window_icon() {
        builder = builder.icon(icon.clone());
    }
    builder.build(app)?;
    app.manage(TrayMenu(menu));
    refresh(app)
}

/// Rebuilds the menu's items from the session's state.
pub fn refresh(app: &AppHandle) -> tauri::Result<()> {
    let Some(menu) = app.try_state::<TrayMenu>() else { return Ok(()) };
    let menu = &menu.0;
    let state = app.state::<AppState>();
    let unlocked = state.session().is_unlocked();
    let recent = state.recent();
    for item in menu.items()? {
        menu.remove(&item)?;
    }
    let status = if unlocked { "Keyhaven: unlocked" } else { "Keyhaven: locked" };
    menu.append(&MenuItem::with_id(app, "status", status, false, None::<&str>)?)?;
    menu.append(&PredefinedMenuItem::separator(app)?)?;
    for name in &recent {
        let item =
            MenuItem::with_id(app, format!("copy:{name}"), format!("Copy {name}"), unlocked, None::<&str>)?;
        menu.append(&item)?;
    }
    if !recent.is_empty() {
        menu.append(&PredefinedMenuItem::separator(app)?)?;
    }
    menu.append(&MenuItem::with_id(app, "lock", "Lock now", unlocked, None::<&str>)?)?;
    menu.append(&MenuItem::with_id(app, "open", "Open Keyhaven", true, None::<&str>)?)?;
    menu.append(&MenuItem::with_id(app, "quit", "Quit", true, None::<&str>)?)?;
    if let Some(tray) = app.tray_by_id(ID) {
        tray.set_tooltip(Some(status))?;
    }
    Ok(())
}

fn on_menu(app: &AppHandle, event: MenuEvent) {
    match event.id().as_ref() {
        "lock" => lock(app),
        "open" => show_main(app),
        "quit" => app.exit(0),
        id => {
            if let Some(name) = id.strip_prefix("copy:") {
                copy(app, name);
            }
        }
    }
}

/// Locks the vault and tells the tray and the UI.
pub fn lock(app: &AppHandle) {
    app.state::<AppState>().session().lock();
    changed(app);
}

/// The tray and the UI re-read the session after a change made outside the UI.
pub fn changed(app: &AppHandle) {
    if let Err(err) = refresh(app) {
        tracing::warn!("tray not updated: {err}");
    }
    let _ = app.emit(VAULT_CHANGED, ());
}

pub fn show_main(app: &AppHandle) {
    if let Some(window) = app.get_webview_window("main") {
        let _ = window.unminimize();
        let _ = window.show();
        let _ = window.set_focus();
    }
}

fn copy(app: &AppHandle, name: &str) {
    let state = app.state::<AppState>();
    let copied = SecretName::parse(name).map_err(|err| err.to_string()).and_then(|name| {
        let value = state.session().unlocked().and_then(|vault| vault.reveal(&name, Access::Copy));
        let value = value.map_err(|err| err.to_string())?;
        state
            .clipboard
            .copy(value, app.state::<crate::settings::Store>().get().clipboard())
            .map_err(|err| err.to_string())
    });
    if let Err(err) = copied {
        tracing::warn!("tray copy of {name} failed: {err}");
        show_main(app);
    }
}
