//! Desktop notifications, for copies made where no window shows what
//! happened (the tray, Quick reveal). Names only, never a value. Best effort:
//! a desktop without a notification service just shows nothing.

use tauri::AppHandle;
use tauri_plugin_notification::NotificationExt;

pub fn copied(app: &AppHandle, name: &str, seconds: u32) {
    let shown = app
        .notification()
        .builder()
        .title("Keyhaven")
        .body(format!("Copied {name}. The clipboard is cleared in {seconds} s."))
        .show();
    if let Err(err) = shown {
        tracing::debug!("no notification: {err}");
    }
}
