//! Desktop notifications, for copies made where no window shows what
//! happened (the tray, Quick reveal), and API keys due for replacing. Names
//! only, never a value. Best effort:
//! a desktop without a notification service just shows nothing.

use tauri::AppHandle;
use tauri_plugin_notification::NotificationExt;

pub fn copied(app: &AppHandle, name: &str, seconds: u32) {
    show(app, format!("Copied {name}. The clipboard is cleared in {seconds} s."));
}

/// Remotes whose API key wants replacing, one line each.
pub fn keys_due(app: &AppHandle, due: &[String]) {
    show(app, format!("{}\nReplace a key in Remotes, Replace key.", due.join("\n")));
}

fn show(app: &AppHandle, body: String) {
    let shown = app.notification().builder().title("Keyhaven").body(body).show();
    if let Err(err) = shown {
        tracing::debug!("no notification: {err}");
    }
}
