//! The system tray: the lock state (also in the icon, tray_icon.rs), how many
//! keys are due for rotation (opening the list filtered on them), pinned and
//! recently used secrets for one-click copy (cleared from the clipboard like
//! any copy, with a notification), Quick reveal…, Lock now, Open Keyhaven
//! and Quit.
//! Everything is in the menu: Linux does not deliver tray clicks reliably.
//! On Linux a tray's menu cannot be replaced, so its items are.

use std::sync::Mutex;

use keyhaven_core::{SecretName, reminder::Reminders};
use tauri::{
    AppHandle, Emitter, Manager,
    image::Image,
    menu::{Menu, MenuEvent, MenuItem, PredefinedMenuItem},
    tray::TrayIconBuilder,
};

use crate::{
    AppState, clipboard, notify, quick, settings,
    tray_icon::{self, Look},
};

const ID: &str = "main";
/// Tells the UI to re-read the vault's state (locked from the tray or by idling).
pub const VAULT_CHANGED: &str = "vault-changed";
/// Tells the main window to list the secrets due for rotation.
pub const SHOW_DUE: &str = "show-due";
/// How many recently used secrets the menu offers.
pub const RECENT: usize = 5;
/// At most this many pinned secrets in the menu.
const PINNED: usize = 10;

/// The tray's menu, kept to change its items, and the look its icon has.
pub struct TrayMenu(Menu<tauri::Wry>, Mutex<Option<Look>>);

/// One entry of the menu, before it becomes a native item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Entry {
    Item { id: String, label: String, enabled: bool },
    Separator,
}

/// The menu's first line and the icon's tooltip.
fn status(unlocked: bool) -> &'static str {
    if unlocked { "Keyhaven: unlocked" } else { "Keyhaven: locked" }
}

fn item(id: impl Into<String>, label: impl Into<String>, enabled: bool) -> Entry {
    Entry::Item { id: id.into(), label: label.into(), enabled }
}

/// The menu for a lock state, what is due for rotation ("3 keys due for
/// rotation"), pinned names and recent names (newest first): pinned first,
/// then recent ones not pinned; copying needs the vault unlocked.
pub fn entries(
    unlocked: bool,
    due: Option<&str>,
    pinned: &[SecretName],
    recent: &[SecretName],
) -> Vec<Entry> {
    let mut out = vec![item("status", status(unlocked), false)];
    if let Some(due) = due {
        out.push(item("due", format!("{due}…"), true));
    }
    out.push(Entry::Separator);
    let recent = recent.iter().filter(|name| !pinned.contains(name));
    let secrets: Vec<&SecretName> = pinned.iter().take(PINNED).chain(recent).collect();
    for name in &secrets {
        let mark = if pinned.contains(name) { "★ " } else { "" };
        out.push(item(format!("copy:{name}"), format!("Copy {mark}{name}"), unlocked));
    }
    if !secrets.is_empty() {
        out.push(Entry::Separator);
    }
    out.extend([
        item("quick", "Quick reveal…", true),
        item("lock", "Lock now", unlocked),
        item("open", "Open Keyhaven", true),
        item("quit", "Quit", true),
    ]);
    out
}

pub fn create(app: &AppHandle) -> tauri::Result<()> {
    let menu = Menu::new(app)?;
    let mut builder = TrayIconBuilder::with_id(ID).menu(&menu).tooltip("Keyhaven").on_menu_event(on_menu);
    if let Some(icon) = app.default_window_icon() {
        builder = builder.icon(icon.clone());
    }
    builder.build(app)?;
    app.manage(TrayMenu(menu, Mutex::new(None)));
    refresh(app)
}

/// After a change the menu shows (lock state, pins, recent, keys due): the
/// change has happened either way, so a menu that could not be rebuilt is
/// logged, not returned.
pub fn update(app: &AppHandle) {
    if let Err(err) = refresh(app) {
        tracing::warn!("tray not updated: {err}");
    }
}

/// What the menu and the icon show, read from the session.
struct Shown {
    unlocked: bool,
    pinned: Vec<SecretName>,
    recent: Vec<SecretName>,
    due: Option<String>,
    synced: Option<String>,
}

/// Rebuilds the menu's items from the session's state. The state is read
/// here; the items are replaced on the main thread, which runs one rebuild
/// after another. Two rebuilds at once (a background pass's and a
/// command's, seen in `make soak`) both removed the same items, one failing
/// with "not a child of this Menu", and could leave both sets in the menu.
/// No lock is held across the hop: menu calls from another thread wait for
/// the main thread, which may itself be waiting to refresh.
pub fn refresh(app: &AppHandle) -> tauri::Result<()> {
    if app.try_state::<TrayMenu>().is_none() {
        return Ok(());
    }
    let state = app.state::<AppState>();
    let today = jiff::Zoned::now().date();
    let shown = {
        let mut session = state.session();
        // Remote names and counts only: shown locked too.
        let synced = session
            .vault()
            .ok()
            .and_then(|vault| keyhaven_core::sync::status(vault).ok())
            .and_then(|statuses| keyhaven_core::sync::summary_line(&statuses, jiff::Timestamp::now()));
        let due = session
            .vault()
            .ok()
            .and_then(|vault| Reminders::gather(vault, today).ok())
            .filter(|due| !due.is_empty())
            .map(|due| due.headline());
        // Pinned names only where the window may show names (a count is no name).
        let names_locked = app.state::<settings::Store>().get().show_names_locked;
        let pinned = match session.names(names_locked) {
            Ok(vault) => vault.pinned().map(|list| list.into_iter().map(|meta| meta.name).collect()),
            Err(_) => Ok(Vec::new()), // locked, or no vault yet
        };
        Shown {
            unlocked: session.is_unlocked(),
            pinned: pinned.unwrap_or_default(),
            recent: state.recent(),
            due,
            synced,
        }
    };
    let handle = app.clone();
    app.run_on_main_thread(move || {
        if let Err(err) = apply(&handle, &shown) {
            tracing::warn!("tray not updated: {err}");
        }
    })
}

/// Replaces the menu's items, the tooltip and, when the look changed, the icon.
fn apply(app: &AppHandle, shown: &Shown) -> tauri::Result<()> {
    let Some(menu) = app.try_state::<TrayMenu>() else { return Ok(()) };
    let Shown { unlocked, pinned, recent, due, synced } = shown;
    for existing in menu.0.items()? {
        menu.0.remove(&existing)?;
    }
    for entry in entries(*unlocked, due.as_deref(), pinned, recent) {
        match entry {
            Entry::Item { id, label, enabled } => {
                menu.0.append(&MenuItem::with_id(app, id, label, enabled, None::<&str>)?)?
            }
            Entry::Separator => menu.0.append(&PredefinedMenuItem::separator(app)?)?,
        }
    }
    if let Some(tray) = app.tray_by_id(ID) {
        let mut tooltip = match due {
            Some(due) => format!("{}, {due}", status(*unlocked)),
            None => status(*unlocked).to_owned(),
        };
        if let Some(synced) = synced {
            tooltip = format!("{tooltip}\n{synced}");
        }
        tray.set_tooltip(Some(&tooltip))?;
        let look = Look { locked: !unlocked, due: due.is_some() };
        let mut drawn = menu.1.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        if *drawn != Some(look)
            && let Some(icon) = app.default_window_icon()
        {
            let pixels = tray_icon::draw(icon.rgba(), icon.width(), icon.height(), look);
            tray.set_icon(Some(Image::new_owned(pixels, icon.width(), icon.height())))?;
            *drawn = Some(look);
        }
    }
    Ok(())
}

fn on_menu(app: &AppHandle, event: MenuEvent) {
    match event.id().as_ref() {
        "quick" => quick::open(app),
        "lock" => lock(app),
        "open" => show_main(app),
        "due" => {
            show_main(app);
            let _ = app.emit(SHOW_DUE, ());
        }
        "quit" => app.exit(0),
        id => {
            if let Some(name) = id.strip_prefix("copy:") {
                copy(app, name);
            }
        }
    }
}

/// Locks the vault (see `AppState::lock_vault`) and tells the tray and the UI.
pub fn lock(app: &AppHandle) {
    app.state::<AppState>().lock_vault();
    changed(app);
}

/// The tray and the UI re-read the session after a change made outside the UI.
pub fn changed(app: &AppHandle) {
    update(app);
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
    let copied = SecretName::parse(name)
        .map_err(|err| err.to_string())
        .and_then(|name| clipboard::copy_secret(app, &name).map_err(|err| err.message));
    match copied {
        Ok(seconds) => notify::copied(app, name, seconds),
        Err(err) => {
            tracing::warn!("tray copy of {name} failed: {err}");
            show_main(app);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(list: &[&str]) -> Vec<SecretName> {
        list.iter().map(|name| SecretName::parse(name).unwrap()).collect()
    }

    fn labels(entries: &[Entry]) -> Vec<String> {
        entries
            .iter()
            .map(|entry| match entry {
                Entry::Item { label, enabled: true, .. } => label.clone(),
                Entry::Item { label, enabled: false, .. } => format!("({label})"),
                Entry::Separator => "—".into(),
            })
            .collect()
    }

    #[test]
    fn pinned_come_first_then_recent_ones_not_pinned() {
        let menu = entries(true, None, &names(&["DB_URL", "API_KEY"]), &names(&["TOKEN", "API_KEY"]));
        assert_eq!(
            labels(&menu),
            [
                "(Keyhaven: unlocked)",
                "—",
                "Copy ★ DB_URL",
                "Copy ★ API_KEY",
                "Copy TOKEN",
                "—",
                "Quick reveal…",
                "Lock now",
                "Open Keyhaven",
                "Quit"
            ]
        );
    }

    #[test]
    fn locked_the_copies_and_lock_are_disabled() {
        let menu = entries(false, None, &names(&["API_KEY"]), &[]);
        assert_eq!(
            labels(&menu),
            [
                "(Keyhaven: locked)",
                "—",
                "(Copy ★ API_KEY)",
                "—",
                "Quick reveal…",
                "(Lock now)",
                "Open Keyhaven",
                "Quit"
            ]
        );
        let empty = entries(false, None, &[], &[]);
        assert_eq!(labels(&empty)[2], "Quick reveal…");
    }

    #[test]
    fn keys_due_are_counted_under_the_status_and_open_the_list() {
        let menu = entries(false, Some("3 keys due for rotation"), &[], &[]);
        assert_eq!(labels(&menu)[..3], ["(Keyhaven: locked)", "3 keys due for rotation…", "—"]);
        assert!(matches!(&menu[1], Entry::Item { id, .. } if id == "due"));
    }
}
