//! Desktop notifications, for copies made where no window shows what
//! happened (the tray, Quick reveal), and secrets and API keys due for
//! rotation. Names only, never a value. Best effort: a desktop without a
//! notification service just shows nothing.

use keyhaven_core::reminder::Reminders;
use tauri::AppHandle;
use tauri_plugin_notification::NotificationExt;

pub fn copied(app: &AppHandle, name: &str, seconds: u32) {
    show(app, format!("Copied {name}. The clipboard is cleared in {seconds} s."));
}

/// Secrets and remote API keys due for rotation, one line each.
/// The day's rotation reminder: each secret and key by name when `named`,
/// else the count alone (the vault is locked and its names hidden).
pub fn due(app: &AppHandle, reminders: &Reminders, named: bool) {
    let body = if named {
        format!("{}\nOpen the list from the tray: {}…", reminders.lines().join("\n"), reminders.headline())
    } else {
        format!("{}. Unlock Keyhaven to see which.", reminders.headline())
    };
    show(app, body);
}

/// A background pass found something to see to (a conflict, a refused key):
/// names only.
pub fn sync_problem(app: &AppHandle, text: &str) {
    show(app, text.to_owned());
}

pub(crate) fn show(app: &AppHandle, body: String) {
    let shown = app.notification().builder().title("Keyhaven").body(body).show();
    if let Err(err) = shown {
        tracing::debug!("no notification: {err}");
    }
}
