//! The preferences screen: read and save; they take effect at once.

use tauri::{AppHandle, Manager, State};
use tauri_plugin_autostart::ManagerExt;

use crate::{
    error::{CommandError, CommandResult},
    quick, settings,
};

/// The saved settings; "start at login" as the desktop's autostart entry says
/// (the user may have removed it elsewhere).
#[tauri::command(async)]
pub fn get_settings(app: AppHandle, store: State<'_, settings::Store>) -> settings::Settings {
    let start_at_login = app.autolaunch().is_enabled().unwrap_or(false);
    settings::Settings { start_at_login, ..store.get() }
}

/// Registers the new shortcut first: one that cannot be had (another app holds
/// it) is refused before anything is saved.
#[tauri::command(async)]
pub fn save_settings(
    app: AppHandle,
    store: State<'_, settings::Store>,
    settings: settings::Settings,
) -> CommandResult<settings::Settings> {
    settings.validate()?;
    quick::set_shortcut(&app, &settings.quick_reveal_shortcut).map_err(CommandError::invalid)?;
    // `--autostart` makes such a start stay in the tray (main.rs).
    let autostart = app.autolaunch();
    if autostart.is_enabled().unwrap_or(false) != settings.start_at_login {
        // The plugin writes $HOME/.config/autostart/ but does not create it.
        #[cfg(target_os = "linux")]
        if settings.start_at_login
            && let Ok(home) = app.path().home_dir()
        {
            let _ = std::fs::create_dir_all(home.join(".config/autostart"));
        }
        let changed = if settings.start_at_login { autostart.enable() } else { autostart.disable() };
        changed.map_err(|err| CommandError::other(format!("cannot change start at login: {err}")))?;
    }
    let state = app.state::<crate::AppState>();
    if settings.ssh_agent && !state.ssh_agent.status().running {
        state.ssh_agent.start(&app).map_err(CommandError::invalid)?;
    } else if !settings.ssh_agent {
        state.ssh_agent.stop();
    }
    if settings.secret_service && !state.secret_service.status().running {
        state.secret_service.start(&app).map_err(CommandError::invalid)?;
    } else if !settings.secret_service {
        state.secret_service.stop();
    }
    store.save(settings)
}

#[cfg(test)]
include!(concat!(env!("OUT_DIR"), "/commands/settings.rs"));
