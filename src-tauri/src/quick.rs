//! Quick reveal: a small window to find a secret by typing and copy it with
//! Enter. Opened from the tray, by the global shortcut in the settings, or by
//! `keyhaven-app --quick-reveal` (a second launch hands it to the running
//! app): Wayland desktops do not deliver global shortcuts, so users bind that
//! command to a key in their desktop's settings instead.

use std::{str::FromStr, sync::Mutex};

use tauri::{AppHandle, Manager, WebviewUrl, WebviewWindowBuilder};
use tauri_plugin_global_shortcut::{GlobalShortcutExt, Shortcut, ShortcutState};

/// The window's label (capabilities/quick.json grants it a few commands).
pub const LABEL: &str = "quick";
/// The command-line flag that opens it.
pub const ARG: &str = "--quick-reveal";

pub fn open(app: &AppHandle) {
    if let Some(window) = app.get_webview_window(LABEL) {
        let _ = window.show();
        let _ = window.set_focus();
        return;
    }
    let built = WebviewWindowBuilder::new(app, LABEL, WebviewUrl::App("index.html".into()))
        .title("Keyhaven — Quick reveal")
        .inner_size(520.0, 380.0)
        .resizable(false)
        .always_on_top(true)
        .center()
        .focused(true)
        .build();
    if let Err(err) = built {
        tracing::warn!("Quick reveal did not open: {err}");
    }
}

/// Whether the command line asks for Quick reveal.
pub fn wanted(args: &[String]) -> bool {
    args.iter().skip(1).any(|arg| arg == ARG)
}

/// The shortcut registered now, to replace it when the settings change.
#[derive(Default)]
pub struct Registered(Mutex<Option<Shortcut>>);

/// Parses a shortcut such as "CommandOrControl+Shift+K"; empty is none.
pub fn parse_shortcut(text: &str) -> Result<Option<Shortcut>, String> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(None);
    }
    Shortcut::from_str(text).map(Some).map_err(|err| format!("“{text}” is not a shortcut: {err}"))
}

/// Registers `text` as the Quick reveal shortcut in place of the current one.
pub fn set_shortcut(app: &AppHandle, text: &str) -> Result<(), String> {
    let wanted = parse_shortcut(text)?;
    let registered = app.state::<Registered>();
    let mut current = registered.0.lock().unwrap_or_else(|p| p.into_inner());
    if *current == wanted {
        return Ok(());
    }
    let shortcuts = app.global_shortcut();
    if let Some(old) = current.take() {
        let _ = shortcuts.unregister(old);
    }
    if let Some(shortcut) = wanted {
        shortcuts
            .on_shortcut(shortcut, |app, _, event| {
                if event.state == ShortcutState::Pressed {
                    open(app);
                }
            })
            .map_err(|err| format!("the shortcut could not be registered: {err}"))?;
        *current = Some(shortcut);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shortcuts_parse_or_say_why_not() {
        assert!(parse_shortcut("CommandOrControl+Shift+K").unwrap().is_some());
        assert!(parse_shortcut("  ").unwrap().is_none());
        let err = parse_shortcut("Shift+Nope").unwrap_err();
        assert!(err.starts_with("“Shift+Nope” is not a shortcut"), "{err}");
    }

    #[test]
    fn the_flag_is_found_after_the_program_name() {
        let args = |list: &[&str]| list.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert!(wanted(&args(&["keyhaven-app", "--quick-reveal"])));
        assert!(!wanted(&args(&["--quick-reveal"])));
        assert!(!wanted(&args(&["keyhaven-app"])));
    }
}
