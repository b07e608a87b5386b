//! Declares the app's own commands, so each window gets only those its
//! capability file allows (capabilities/*.json), and names the git commit in
//! `keyhaven-app --version`.

include!("../build/commit.rs");

fn main() {
    stamp_commit();
    let commands = &[
        "vault_state",
        "create_vault",
        "passphrase_strength",
        "unlock",
        "lock",
        "note_activity",
        "audit_log",
        "set_remember",
        "list_secrets",
        "list_page",
        "copy_reference",
        "import_choose",
        "import_passphrase",
        "import_commit",
        "import_cancel",
        "secret_history",
        "reveal_secret",
        "copy_secret",
        "add_secret",
        "rotate_secret",
        "rollback_secret",
        "remove_secret",
        "set_pinned",
        "list_remotes",
        "add_remote",
        "replace_remote_token",
        "remote_selection",
        "save_selection",
        "secret_remotes",
        "choose_remote",
        "test_remote",
        "remove_remote",
        "preview_sync",
        "sync_remotes",
        "sync_overview",
        "list_conflicts",
        "resolve_conflict",
        "resolve_all",
        "take_link",
        "check_keys",
        "setup_url",
        "intake_form",
        "submit_intake",
        "open_remote_url",
        "open_docs",
        "get_settings",
        "save_settings",
    ];
    let manifest = tauri_build::AppManifest::new().commands(commands);
    tauri_build::try_build(tauri_build::Attributes::new().app_manifest(manifest)).expect("tauri-build");
}
