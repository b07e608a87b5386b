//! `keyhaven://` links reaching the app: as the argument of a cold start, or
//! forwarded from a second launch (single-instance's `deep-link` feature hands
//! it to tauri-plugin-deep-link here). The newest link waits in [`Pending`];
//! the main window comes forward and is told, and the UI takes the link with
//! `take_link`, which parses and vets it with core (commands/intake.rs).
//! Nothing here acts on a link, and nothing logs one: a return URL may carry
//! a service's session details.

use std::sync::Mutex;

use keyhaven_core::link::SCHEME;
use tauri::{App, AppHandle, Emitter, Manager};
use tauri_plugin_deep_link::DeepLinkExt;

use crate::{lock, tray};

/// Emitted to the main window when a link arrives.
pub const LINK_OPENED: &str = "link-opened";

/// The newest link not yet taken by the UI.
#[derive(Default)]
pub struct Pending(Mutex<Option<String>>);

impl Pending {
    pub fn take(&self) -> Option<String> {
        lock(&self.0).take()
    }
}

/// Whether an argument is meant for us (parsing and vetting come later).
pub fn is_link(text: &str) -> bool {
    text.get(..SCHEME.len() + 1).is_some_and(|head| head.eq_ignore_ascii_case(&format!("{SCHEME}:")))
}

/// Keeps the last link among `urls`, brings the main window forward and tells it.
pub fn receive(app: &AppHandle, urls: impl IntoIterator<Item = String>) {
    let Some(url) = urls.into_iter().filter(|url| is_link(url)).last() else { return };
    *lock(&app.state::<Pending>().0) = Some(url);
    tracing::info!("a keyhaven:// link arrived");
    tray::show_main(app);
    let _ = app.emit_to("main", LINK_OPENED, ());
}

/// Run from a system package (`/usr/…`), whose desktop file declares the scheme.
#[cfg(any(target_os = "linux", all(debug_assertions, windows)))]
fn installed() -> bool {
    std::env::current_exe().is_ok_and(|exe| exe.starts_with("/usr/"))
}

/// Registers the scheme (on Linux: a .desktop handler under
/// `$XDG_DATA_HOME/applications`, made the default with xdg-mime, so dev
/// runs get links too; an installed package registers it through its own
/// desktop file instead), takes the link the app was started with, and
/// listens for more.
pub fn setup(app: &App) {
    #[cfg(any(target_os = "linux", all(debug_assertions, windows)))]
    if !installed()
        && let Err(err) = app.deep_link().register_all()
    {
        tracing::warn!("keyhaven:// links are not registered with the desktop: {err}");
    }
    if let Ok(Some(urls)) = app.deep_link().get_current() {
        receive(app.handle(), urls.iter().map(|url| url.to_string()));
    }
    let handle = app.handle().clone();
    app.deep_link().on_open_url(move |event| {
        receive(&handle, event.urls().iter().map(|url| url.to_string()));
    });
}

#[cfg(test)]
mod tests {
    use super::is_link;

    #[test]
    fn only_our_scheme_is_taken_from_the_arguments() {
        assert!(is_link("keyhaven://intake?remote=rt"));
        assert!(is_link("KeyHaven:open?name=A"));
        assert!(!is_link("--quick-reveal"));
        assert!(!is_link("https://keyhaven.dev"));
        assert!(!is_link("keyhav"));
        assert!(!is_link("keyhavenx://open"));
        assert!(!is_link("ключ://open"));
    }
}
